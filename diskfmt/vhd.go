package diskfmt

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strings"
)

// VHD disk types (footer offset 60).
const (
	vhdFixed        = 2
	vhdDynamic      = 3
	vhdDifferencing = 4
)

// vhdFooter parses a 512-byte VHD footer (or its copy at the start of a
// dynamic VHD).
func (p *probe) vhdFooter(f []byte) {
	switch be32(f, 60) {
	case vhdFixed:
		p.info.Subformat = "fixed"
	case vhdDynamic:
		p.info.Subformat = "dynamic"
	case vhdDifferencing:
		p.info.Subformat = "differencing"
		p.info.BackingFile = true
	}
	p.info.VirtualSize = vhdSize(f)
}

// vhdSize is the virtual size qemu gives a VHD. Virtual PC sizes a disk by
// its CHS geometry, Hyper-V and others by the footer's current size, so
// qemu picks by creator application: "win ", "qem2", "d2v ", "CTXS" and
// "tap\0" mean current size, anything else (including "vpc " and the
// "qemu" that qemu-img itself writes) means cylinders × heads × sectors,
// except that the maximum geometry always means current size. qemu-img
// create rounds a requested size up to whole CHS geometry, so a 1 GiB
// image reports 1073995776.
func vhdSize(f []byte) int64 {
	const maxCHS = 65535 * 16 * 255
	chs := uint64(be16(f, 56)) * uint64(f[58]) * uint64(f[59])
	switch string(f[28:32]) {
	case "win ", "qem2", "d2v ", "CTXS", "tap\x00":
	default:
		if chs != maxCHS {
			return sectors(chs)
		}
	}
	return sectors(be64(f, 48) / 512)
}

// isFixedVHD reports whether f, the last 512 bytes of the data, is the
// footer of a fixed VHD. Unlike the signature at offset 0, which qemu
// trusts on sight, a footer at the end is only accepted with a valid
// checksum, so a raw disk that merely ends in a stray VHD is not misread.
func isFixedVHD(f []byte) bool {
	if !bytes.HasPrefix(f, []byte("conectix")) || be32(f, 60) != vhdFixed {
		return false
	}
	var sum uint32
	for i, c := range f[:512] {
		if i < 64 || i >= 68 {
			sum += uint32(c)
		}
	}
	return ^sum == be32(f, 64)
}

// VHDX region and metadata item identifiers.
var (
	vhdxMetadataRegion = guid("8B7CA206-4790-4B9A-B8FE-575F050F886E")
	vhdxFileParameters = guid("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
	vhdxVirtualSize    = guid("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
	vhdxParentLocator  = guid("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C")
)

// guid returns the on-disk form of a GUID: the first three groups are
// little-endian, the last two are bytes in order.
func guid(s string) [16]byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		panic("diskfmt: bad GUID " + s)
	}
	var g [16]byte
	binary.LittleEndian.PutUint32(g[0:], binary.BigEndian.Uint32(b[0:]))
	binary.LittleEndian.PutUint16(g[4:], binary.BigEndian.Uint16(b[4:]))
	binary.LittleEndian.PutUint16(g[6:], binary.BigEndian.Uint16(b[6:]))
	copy(g[8:], b[8:])
	return g
}

// vhdx follows the region table (at 192 KiB, or its copy at 256 KiB) to the
// metadata table and from there to the items that give the size.
func (p *probe) vhdx() {
	p.info.Format = VHDX
	p.fetch(192<<10, 64<<10, p.vhdxRegionTable)
	p.fetch(256<<10, 64<<10, p.vhdxRegionTable)
}

// vhdxRegionTable parses a 64 KiB region table; the second copy is only
// used when the first is damaged.
func (p *probe) vhdxRegionTable(t []byte) {
	if p.vhdxRegion || !bytes.HasPrefix(t, []byte("regi")) {
		return
	}
	c := crc32.Update(0, castagnoli, t[:4])
	c = crc32.Update(c, castagnoli, make([]byte, 4))
	c = crc32.Update(c, castagnoli, t[8:])
	if c != le32(t, 4) {
		return
	}
	p.vhdxRegion = true
	count := int(min(le32(t, 8), 2047))
	for i := range count {
		e := t[16+32*i : 16+32*(i+1)]
		if [16]byte(e[:16]) == vhdxMetadataRegion {
			off := int64(le64(e, 16))
			p.fetch(off, 64<<10, func(m []byte) { p.vhdxMetadata(off, m) })
			return
		}
	}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// vhdxMetadata parses the 64 KiB metadata table at the start of the
// metadata region at off; item offsets are relative to the region.
func (p *probe) vhdxMetadata(off int64, m []byte) {
	if !bytes.HasPrefix(m, []byte("metadata")) {
		return
	}
	count := int(min(binary.LittleEndian.Uint16(m[10:]), 2047))
	var seenSize, seenParams bool
	for i := range count {
		e := m[32+32*i : 32+32*(i+1)]
		id := [16]byte(e[:16])
		item := off + int64(le32(e, 16))
		switch {
		case id == vhdxVirtualSize && !seenSize:
			seenSize = true
			p.fetch(item, 8, func(b []byte) { p.info.VirtualSize = size64(le64(b, 0)) })
		case id == vhdxFileParameters && !seenParams:
			seenParams = true
			p.fetch(item, 8, func(b []byte) {
				const leaveBlocksAllocated, hasParent = 1 << 0, 1 << 1
				flags := le32(b, 4)
				p.info.Subformat = "dynamic"
				if flags&leaveBlocksAllocated != 0 {
					p.info.Subformat = "fixed"
				}
				if flags&hasParent != 0 {
					p.info.BackingFile = true
				}
			})
		case id == vhdxParentLocator:
			p.info.BackingFile = true
		}
	}
}
