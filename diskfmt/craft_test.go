package diskfmt

import (
	"encoding/binary"
	"hash/crc32"
)

// Builders of minimal images for tests that must not depend on qemu-img:
// corner cases qemu-img does not produce, and the fuzz seed corpus.

func qcow2Header(version uint32, size uint64, backing bool, incompat uint64) []byte {
	h := make([]byte, 104)
	copy(h, "QFI\xfb")
	binary.BigEndian.PutUint32(h[4:], version)
	if backing {
		binary.BigEndian.PutUint64(h[8:], 104)
		binary.BigEndian.PutUint32(h[16:], 4)
		h = append(h, "base"...)
	}
	binary.BigEndian.PutUint32(h[20:], 16)
	binary.BigEndian.PutUint64(h[24:], size)
	binary.BigEndian.PutUint64(h[72:], incompat)
	binary.BigEndian.PutUint32(h[100:], 104)
	return h
}

func qedHeader(size uint64, backing bool) []byte {
	h := make([]byte, 64)
	copy(h, "QED\x00")
	binary.LittleEndian.PutUint32(h[4:], 64<<10)
	if backing {
		binary.LittleEndian.PutUint64(h[16:], 1)
	}
	binary.LittleEndian.PutUint64(h[48:], size)
	return h
}

// vmdkSparse returns a KDMV header with desc as embedded descriptor at
// sector descSector.
func vmdkSparse(capacity uint64, descSector uint64, desc string) []byte {
	descSectors := uint64(len(desc)+511) / 512
	b := make([]byte, max(descSector+descSectors, 1)*512)
	copy(b, "KDMV")
	binary.LittleEndian.PutUint32(b[4:], 1)
	binary.LittleEndian.PutUint64(b[12:], capacity)
	binary.LittleEndian.PutUint64(b[20:], 128)
	binary.LittleEndian.PutUint64(b[28:], descSector)
	binary.LittleEndian.PutUint64(b[36:], descSectors)
	copy(b[descSector*512:], desc)
	return b
}

// vhdFooterBytes returns a VHD footer with a valid checksum.
func vhdFooterBytes(diskType uint32, creator string, current uint64, cyl uint16, heads, spt uint8) []byte {
	f := make([]byte, 512)
	copy(f, "conectix")
	binary.BigEndian.PutUint32(f[8:], 2)
	binary.BigEndian.PutUint32(f[12:], 0x00010000)
	binary.BigEndian.PutUint64(f[16:], ^uint64(0))
	if diskType != vhdFixed {
		binary.BigEndian.PutUint64(f[16:], 512)
	}
	copy(f[28:32], creator)
	binary.BigEndian.PutUint64(f[40:], current)
	binary.BigEndian.PutUint64(f[48:], current)
	binary.BigEndian.PutUint16(f[56:], cyl)
	f[58], f[59] = heads, spt
	binary.BigEndian.PutUint32(f[60:], diskType)
	var sum uint32
	for _, c := range f {
		sum += uint32(c)
	}
	binary.BigEndian.PutUint32(f[64:], ^sum)
	return f
}

// vhdxImage lays out a VHDX file: identifier, region tables at 192 KiB and
// 256 KiB pointing at a metadata region at metaOff, whose table lists the
// file parameters and virtual size (and a parent locator if parent). The
// file ends right after the metadata items.
type vhdxImage struct {
	size         uint64
	metaOff      int64
	fixed        bool
	parent       bool
	badFirstCopy bool // damage the region table at 192 KiB
}

func (v vhdxImage) bytes() []byte {
	b := make([]byte, max(v.metaOff+64<<10+64, 320<<10))
	copy(b, "vhdxfile")
	for i, off := range []int{192 << 10, 256 << 10} {
		t := b[off : off+64<<10]
		copy(t, "regi")
		binary.LittleEndian.PutUint32(t[8:], 2)
		bat := guid("2DC27766-F623-4200-9D64-115E9BFD4A08")
		copy(t[16:], bat[:])
		binary.LittleEndian.PutUint64(t[32:], 1<<20)
		binary.LittleEndian.PutUint32(t[40:], 1<<20)
		copy(t[48:], vhdxMetadataRegion[:])
		binary.LittleEndian.PutUint64(t[64:], uint64(v.metaOff))
		binary.LittleEndian.PutUint32(t[72:], 1<<20)
		binary.LittleEndian.PutUint32(t[4:], crc32.Checksum(t, castagnoli))
		if i == 0 && v.badFirstCopy {
			t[100] ^= 1
		}
	}
	m := b[v.metaOff:]
	copy(m, "metadata")
	entries := [][16]byte{vhdxFileParameters, vhdxVirtualSize}
	if v.parent {
		entries = append(entries, vhdxParentLocator)
	}
	binary.LittleEndian.PutUint16(m[10:], uint16(len(entries)))
	for i, id := range entries {
		e := m[32+32*i:]
		copy(e, id[:])
		binary.LittleEndian.PutUint32(e[16:], uint32(64<<10+8*i))
		binary.LittleEndian.PutUint32(e[20:], 8)
	}
	items := m[64<<10:]
	binary.LittleEndian.PutUint32(items[0:], 32<<20)
	var flags uint32
	if v.fixed {
		flags |= 1
	}
	if v.parent {
		flags |= 2
	}
	binary.LittleEndian.PutUint32(items[4:], flags)
	binary.LittleEndian.PutUint64(items[8:], v.size)
	return b
}

func vdiHeader(size uint64, imageType uint32) []byte {
	h := make([]byte, 0x200)
	copy(h, "<<< Oracle VM VirtualBox Disk Image >>>\n")
	binary.LittleEndian.PutUint32(h[0x40:], 0xbeda107f)
	binary.LittleEndian.PutUint32(h[0x44:], 0x00010001)
	binary.LittleEndian.PutUint32(h[0x4c:], imageType)
	binary.LittleEndian.PutUint64(h[0x170:], size)
	return h
}

// isoImage returns a minimal ISO 9660 image: system area, a primary volume
// descriptor at sector 16 and the set terminator at sector 17.
func isoImage(sectors int) []byte {
	b := make([]byte, sectors*2048)
	pvd := b[16*2048:]
	pvd[0] = 1
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	binary.LittleEndian.PutUint32(pvd[80:], uint32(sectors))
	binary.BigEndian.PutUint32(pvd[84:], uint32(sectors))
	term := b[17*2048:]
	term[0] = 255
	copy(term[1:], "CD001")
	term[6] = 1
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
