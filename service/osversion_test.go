package service

import (
	"testing"

	"github.com/imsd/imsd"
)

func TestApplyOSVersion(t *testing.T) {
	cases := []struct {
		name, version, platform, osType, bit string
	}{
		{"default", "Other Linux(64 bit)", "Other", "Linux", "64"},
		{"centos", "CentOS 7.3 64bit", "CentOS", "Linux", "64"},
		{"windows 32", "Windows Server 2008 R2 Enterprise 32bit", "Windows", "Windows", "32"},
		{"euler longest prefix", "Huawei Cloud EulerOS 2.0 64bit", "Huawei Cloud EulerOS", "Linux", "64"},
		{"unknown", "Plan 9", "Other", "Other", "64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := &imsd.Image{}
			applyOSVersion(img, c.version)
			if got := img.Prop("__platform"); got != c.platform {
				t.Errorf("__platform=%q, want %q", got, c.platform)
			}
			if got := img.Prop("__os_type"); got != c.osType {
				t.Errorf("__os_type=%q, want %q", got, c.osType)
			}
			if got := img.Prop("__os_bit"); got != c.bit {
				t.Errorf("__os_bit=%q, want %q", got, c.bit)
			}
		})
	}
}
