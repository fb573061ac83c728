package diskfmt

// qcow2 incompatible feature bit: the guest data is in an external file
// named by a header extension.
const qcow2IncompatDataFile = 1 << 2

// qcow parses a "QFI\xfb" header: version 1 is qcow, anything else qcow2.
// Any file with this magic is reported as a qcow format, even a version
// qemu rejects, so that it is never mistaken for raw.
func (p *probe) qcow() {
	h := p.head
	version := be32(h, 4)
	// backing_file_offset at 8 and size at 24 are common to all versions.
	p.info.BackingFile = be64(h, 8) != 0
	p.info.VirtualSize = size64(be64(h, 24))
	if version == 1 {
		p.info.Format = QCOW
		p.info.Encrypted = be32(h, 36) != 0
		return
	}
	p.info.Format = QCOW2
	p.info.Encrypted = be32(h, 32) != 0
	switch version {
	case 2:
		p.info.Subformat = "0.10"
	case 3:
		p.info.Subformat = "1.1"
		p.info.ExternalData = be64(h, 72)&qcow2IncompatDataFile != 0
	}
}

// qed parses a QED header (little-endian).
func (p *probe) qed() {
	const featureBackingFile = 1 << 0
	h := p.head
	p.info.Format = QED
	p.info.BackingFile = le64(h, 16)&featureBackingFile != 0
	p.info.VirtualSize = size64(le64(h, 48))
}
