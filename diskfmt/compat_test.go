package diskfmt_test

import (
	"errors"
	"testing"

	"github.com/imsd/imsd/diskfmt"
)

var detectable = []string{
	diskfmt.Raw, diskfmt.QCOW2, diskfmt.QCOW, diskfmt.QED, diskfmt.VMDK,
	diskfmt.VHD, diskfmt.VHDX, diskfmt.VDI, diskfmt.ISO,
}

// TestCompatible pins the whole decision table: every declared value
// against every detectable format.
func TestCompatible(t *testing.T) {
	accepts := map[string][]string{
		"":              detectable,
		diskfmt.Raw:     {diskfmt.Raw, diskfmt.ISO},
		diskfmt.QCOW2:   {diskfmt.QCOW2},
		diskfmt.QCOW:    {diskfmt.QCOW},
		diskfmt.QED:     {diskfmt.QED},
		diskfmt.VMDK:    {diskfmt.VMDK},
		diskfmt.VHD:     {diskfmt.VHD},
		diskfmt.VHDX:    {diskfmt.VHDX},
		diskfmt.VDI:     {diskfmt.VDI},
		diskfmt.ISO:     {diskfmt.ISO},
		diskfmt.ZVHD:    {diskfmt.VHD, diskfmt.Raw},
		diskfmt.ZVHD2:   {diskfmt.VHD, diskfmt.Raw},
		"ami":           nil,
		"vpc":           nil, // qemu's name for vhd is not a disk_format
		"qcow2 ":        nil,
		"unknown-value": nil,
	}
	for declared, ok := range accepts {
		for _, detected := range detectable {
			want := false
			for _, d := range ok {
				want = want || d == detected
			}
			t.Run("declared "+declared+" detected "+detected, func(t *testing.T) {
				if got := diskfmt.Compatible(declared, detected); got != want {
					t.Errorf("Compatible(%q, %q) = %v, want %v", declared, detected, got, want)
				}
			})
		}
	}
}

func TestCompatible_Cases(t *testing.T) {
	for _, tc := range []struct {
		name               string
		declared, detected string
		want               bool
	}{
		{name: "raw-declared qcow2 is refused", declared: "raw", detected: "qcow2"},
		{name: "qcow2-declared raw is refused", declared: "qcow2", detected: "raw"},
		{name: "upper case declared", declared: "QCOW2", detected: "qcow2", want: true},
		{name: "upper case zvhd2", declared: "ZVHD2", detected: "vhd", want: true},
		{name: "zvhd holding qcow2 is refused", declared: "zvhd", detected: "qcow2"},
		{name: "detected never empty", declared: "raw", detected: ""},
		{name: "nothing declared nothing detected", declared: "", detected: ""},
		{name: "zvhd is never detected", declared: "zvhd", detected: "zvhd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := diskfmt.Compatible(tc.declared, tc.detected); got != tc.want {
				t.Errorf("Compatible(%q, %q) = %v, want %v", tc.declared, tc.detected, got, tc.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared string
		info     diskfmt.Info
		want     error
	}{
		{name: "ok", declared: "qcow2", info: diskfmt.Info{Format: diskfmt.QCOW2}},
		{name: "ok undeclared", declared: "", info: diskfmt.Info{Format: diskfmt.VMDK}},
		{name: "mismatch", declared: "raw", info: diskfmt.Info{Format: diskfmt.QCOW2, BackingFile: true},
			want: diskfmt.ErrFormatMismatch},
		{name: "backing file", declared: "qcow2", info: diskfmt.Info{Format: diskfmt.QCOW2, BackingFile: true},
			want: diskfmt.ErrBackingFile},
		{name: "external data", declared: "vmdk", info: diskfmt.Info{Format: diskfmt.VMDK, ExternalData: true},
			want: diskfmt.ErrExternalData},
		{name: "encrypted is the caller's call", declared: "qcow2", info: diskfmt.Info{Format: diskfmt.QCOW2, Encrypted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := diskfmt.Check(tc.declared, tc.info)
			if tc.want == nil {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("Check = %v, want %v", err, tc.want)
			}
		})
	}
}
