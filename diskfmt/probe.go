package diskfmt

import (
	"bytes"
	"encoding/binary"
	"math"
)

// maxFetch bounds one fetch: the largest piece of metadata read beyond the
// head (a VHDX region or metadata table is exactly 64 KiB).
const maxFetch = 64 << 10

// probe is the detection state shared by Sniffer and Detect. The parsers
// look at head, and ask for bytes further on with fetch; a source delivers
// them now (Detect) or when the stream passes them (Sniffer).
type probe struct {
	info Info
	head []byte // the first bytes of the image
	// pos is the first offset beyond head that can still be fetched: data
	// between the head and pos has already streamed past. While a fetch's
	// callback runs, pos is the end of that fetch, so the result never
	// depends on how the stream was cut into writes.
	pos int64
	src source

	vmdkFooter bool // a streamOptimized header defers to its footer
	vhdxRegion bool // a valid VHDX region table has been seen
}

// source delivers the part of a fetch beyond the head.
type source interface {
	// load fills q and calls p.complete(q), now or later, or drops q if
	// the bytes are not available.
	load(p *probe, q *request)
}

// request is a pending fetch of len(buf) bytes at off.
type request struct {
	off int64
	buf []byte
	got int // buf[:got] is filled
	fn  func([]byte)
}

// fetch calls fn with the n bytes at off, now or once the stream has passed
// them, or never if they are unavailable (already streamed past, or beyond
// the end of the data).
func (p *probe) fetch(off int64, n int, fn func([]byte)) {
	if off < 0 || n <= 0 || n > maxFetch || off > math.MaxInt64-int64(n) {
		return
	}
	hl := int64(len(p.head))
	if off+int64(n) <= hl {
		fn(p.head[off : off+int64(n)])
		return
	}
	if max(off, hl) < p.pos {
		return
	}
	q := &request{off: off, buf: make([]byte, n), fn: fn}
	if off < hl {
		q.got = copy(q.buf, p.head[off:])
	}
	p.src.load(p, q)
}

// complete runs the callback of a filled request.
func (p *probe) complete(q *request) {
	saved := p.pos
	p.pos = max(p.pos, q.off+int64(len(q.buf)))
	q.fn(q.buf)
	p.pos = saved
}

// probeHead recognises the formats whose signature is at the start.
func (p *probe) probeHead() {
	h := p.head
	switch {
	case bytes.HasPrefix(h, []byte("QFI\xfb")):
		p.qcow()
	case bytes.HasPrefix(h, []byte("QED\x00")):
		p.qed()
	case bytes.HasPrefix(h, []byte("KDMV")):
		p.vmdkSparse()
	case bytes.HasPrefix(h, []byte("COWD")):
		p.info.Format = VMDK
		p.info.VirtualSize = sectors(uint64(le32(h, 12)))
	case bytes.HasPrefix(h, []byte("vhdxfile")):
		p.vhdx()
	case bytes.HasPrefix(h, []byte("conectix")):
		p.info.Format = VHD
		if len(h) >= 512 {
			p.vhdFooter(h[:512])
		}
	case le32(h, 0x40) == 0xbeda107f:
		p.vdi()
	case isVMDKDescriptor(h):
		p.vmdkDescriptor(h, true)
	}
}

// finish completes the Info once all data has been seen: tail is the last
// bytes (up to tailSize) of the size bytes.
func (p *probe) finish(tail []byte, size int64) Info {
	info := p.info
	info.Size = size
	switch info.Format {
	case "":
		if len(tail) >= 512 && isFixedVHD(tail[len(tail)-512:]) {
			q := probe{info: Info{Format: VHD}}
			q.vhdFooter(tail[len(tail)-512:])
			q.info.Size = size
			return q.info
		}
		info.Format = Raw
		if isISO(p.head) {
			info.Format = ISO
		}
		// qemu presents a raw file as whole sectors, the last zero-padded.
		info.VirtualSize = roundSector(size)
	case VMDK:
		if p.vmdkFooter {
			if c, ok := vmdkFooterCapacity(tail, size); ok {
				info.VirtualSize = c
			}
		}
	}
	return info
}

// isISO reports an ISO 9660 or UDF volume recognition sequence at 32 KiB.
func isISO(h []byte) bool {
	if len(h) < 0x8006 {
		return false
	}
	id := string(h[0x8001:0x8006])
	return id == "CD001" || id == "BEA01"
}

// vdi parses a VirtualBox header.
func (p *probe) vdi() {
	h := p.head
	p.info.Format = VDI
	switch le32(h, 0x4c) {
	case 1:
		p.info.Subformat = "dynamic"
	case 2:
		p.info.Subformat = "static"
	case 3, 4: // undo and differencing images need their parent
		p.info.BackingFile = true
	}
	p.info.VirtualSize = size64(le64(h, 0x170))
}

// Little- and big-endian readers that return 0 past the end of b, so a
// truncated header reads as zeros instead of panicking.

func le32(b []byte, off int) uint32 {
	if off < 0 || off+4 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[off:])
}

func le64(b []byte, off int) uint64 {
	if off < 0 || off+8 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint64(b[off:])
}

func be16(b []byte, off int) uint16 {
	if off < 0 || off+2 > len(b) {
		return 0
	}
	return binary.BigEndian.Uint16(b[off:])
}

func be32(b []byte, off int) uint32 {
	if off < 0 || off+4 > len(b) {
		return 0
	}
	return binary.BigEndian.Uint32(b[off:])
}

func be64(b []byte, off int) uint64 {
	if off < 0 || off+8 > len(b) {
		return 0
	}
	return binary.BigEndian.Uint64(b[off:])
}

// size64 converts a byte count, 0 if it does not fit an int64.
func size64(v uint64) int64 {
	if v > math.MaxInt64 {
		return 0
	}
	return int64(v)
}

// roundSector rounds n up to a whole number of 512-byte sectors.
func roundSector(n int64) int64 {
	if n > math.MaxInt64-511 {
		return n
	}
	return (n + 511) &^ 511
}

// sectors converts a count of 512-byte sectors, 0 if it does not fit.
func sectors(v uint64) int64 {
	if v > math.MaxInt64/512 {
		return 0
	}
	return int64(v) * 512
}
