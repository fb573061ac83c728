package diskfmt

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// compatTable is the decision table behind Compatible: for each disk_format
// a client may declare, the detected formats that are consistent with it.
// docs/compat.md copies it.
//
// The rule is that declared and detected must name the same container,
// because whatever later opens the image trusts the declared format. The
// dangerous direction is a structured image declared raw: a raw-declared
// qcow2 (or vmdk, qed, ...) is harmless while treated as raw, but any
// consumer that probes the format would follow its backing file or extents
// to files on the host. The other direction (declared qcow2, detected raw)
// is not dangerous but the image would not boot, so it is rejected too.
var compatTable = []struct {
	declared string
	accepts  []string
	why      string
}{
	{"", []string{Raw, QCOW2, QCOW, QED, VMDK, VHD, VHDX, VDI, ISO},
		"nothing declared: the detected format is recorded"},
	{Raw, []string{Raw, ISO},
		"an ISO image is plain bytes; any container declared raw is refused"},
	{QCOW2, []string{QCOW2}, "same container"},
	{QCOW, []string{QCOW}, "same container; qcow (v1) is not qcow2"},
	{QED, []string{QED}, "same container"},
	{VMDK, []string{VMDK}, "same container, any VMDK variant"},
	{VHD, []string{VHD}, "same container, fixed or dynamic"},
	{VHDX, []string{VHDX}, "same container"},
	{VDI, []string{VDI}, "same container"},
	{ISO, []string{ISO}, "an ISO 9660 or UDF signature is required"},
	{ZVHD, []string{VHD, Raw},
		"Huawei format not parsed here: accepted when it looks like a VHD or like nothing known, refused when it is another container"},
	{ZVHD2, []string{VHD, Raw},
		"as zvhd"},
}

// Compatible reports whether an image declared with disk_format declared
// may hold data detected as detected. Both are compared case-insensitively.
//
//	declared        accepted detected formats
//	""              any (nothing declared)
//	raw             raw, iso
//	qcow2           qcow2
//	qcow            qcow
//	qed             qed
//	vmdk            vmdk
//	vhd             vhd
//	vhdx            vhdx
//	vdi             vdi
//	iso             iso
//	zvhd, zvhd2     vhd, raw
//	anything else   none
//
// Compatible looks at the format only; Check also refuses images that
// refer to other files.
func Compatible(declared, detected string) bool {
	declared, detected = strings.ToLower(declared), strings.ToLower(detected)
	for _, row := range compatTable {
		if row.declared == declared {
			return slices.Contains(row.accepts, detected)
		}
	}
	return false
}

// Errors returned by Check; test with errors.Is.
var (
	// ErrFormatMismatch means the declared disk_format does not match the
	// data.
	ErrFormatMismatch = errors.New("disk format does not match the image data")
	// ErrBackingFile means the image depends on a backing or parent image.
	ErrBackingFile = errors.New("image refers to a backing file")
	// ErrExternalData means the image keeps its data in other files.
	ErrExternalData = errors.New("image refers to external data files")
)

// Check reports whether an upload declared as declared, whose data is
// described by info, is acceptable: the formats must be Compatible and the
// image must be self-contained. The error wraps ErrFormatMismatch,
// ErrBackingFile or ErrExternalData.
func Check(declared string, info Info) error {
	switch {
	case !Compatible(declared, info.Format):
		return fmt.Errorf("%w: declared %q, detected %q", ErrFormatMismatch, declared, info.Format)
	case info.BackingFile:
		return fmt.Errorf("%s image: %w", info.Format, ErrBackingFile)
	case info.ExternalData:
		return fmt.Errorf("%s image: %w", info.Format, ErrExternalData)
	}
	return nil
}
