package diskfmt

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// vmdkSparse parses a hosted sparse extent header ("KDMV"), which is how
// monolithicSparse and streamOptimized files start.
func (p *probe) vmdkSparse() {
	h := p.head
	p.info.Format = VMDK
	p.info.VirtualSize = sectors(le64(h, 12))
	// A streamOptimized writer that cannot seek back puts the grain
	// directory, and the authoritative header, at the end (GD_AT_END).
	p.vmdkFooter = le64(h, 56) == math.MaxUint64
	descOff, descSize := le64(h, 28), le64(h, 36)
	if descOff == 0 || descSize == 0 || descOff > math.MaxInt64/512 {
		return
	}
	n := min(descSize, maxFetch/512) * 512
	p.fetch(int64(descOff)*512, int(n), func(b []byte) { p.vmdkDescriptor(b, false) })
}

// vmdkFooterCapacity reads the capacity from a streamOptimized footer: a
// footer marker, a copy of the header and an end-of-stream marker, one
// sector each, ending at the last whole sector of the file (as qemu reads
// it). tail holds the last bytes of the size-byte file.
func vmdkFooterCapacity(tail []byte, size int64) (int64, bool) {
	const markerFooter, markerEOS = 3, 0
	start := size&^511 - 1536 - (size - int64(len(tail)))
	if start < 0 || start+1536 > int64(len(tail)) {
		return 0, false
	}
	f := tail[start : start+1536]
	if le32(f, 8) != 0 || le32(f, 12) != markerFooter ||
		!bytes.HasPrefix(f[512:], []byte("KDMV")) ||
		le64(f, 1024) != 0 || le32(f, 1032) != 0 || le32(f, 1036) != markerEOS {
		return 0, false
	}
	return sectors(le64(f, 512+12)), true
}

// isVMDKDescriptor reports whether h starts like a VMDK text descriptor the
// way qemu probes one: comment and blank lines, then "version=1", 2 or 3.
// It is slightly more lenient than qemu (empty lines, surrounding blanks),
// so whatever qemu would open as a descriptor is recognised here.
func isVMDKDescriptor(h []byte) bool {
	for len(h) > 0 {
		line, rest, _ := bytes.Cut(h, []byte("\n"))
		h = rest
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
			continue
		case string(line) == "version=1", string(line) == "version=2", string(line) == "version=3":
			return true
		default:
			return false
		}
	}
	return false
}

// vmdkDescriptor parses descriptor text: the embedded descriptor of a
// sparse file, or a standalone descriptor file. In a standalone file the
// extents carry the data, so they give the virtual size, and every extent
// but ZERO names another file.
func (p *probe) vmdkDescriptor(b []byte, standalone bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if standalone {
		p.info.Format = VMDK
	}
	var total uint64
	for line := range strings.Lines(string(b)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		// Extent: ACCESS SECTORS TYPE ["FILE" [OFFSET]]
		if f := strings.Fields(line); len(f) >= 3 && (f[0] == "RW" || f[0] == "RDONLY" || f[0] == "NOACCESS") {
			if !standalone {
				continue // qemu ignores the extents of an embedded descriptor
			}
			if n, err := strconv.ParseUint(f[1], 10, 64); err == nil && total <= math.MaxUint64-n {
				total += n
			}
			if f[2] != "ZERO" {
				p.info.ExternalData = true
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		value = strings.Trim(strings.TrimSpace(value), `"`)
		switch strings.TrimSpace(key) {
		case "createType":
			p.info.Subformat = value
		case "parentFileNameHint":
			if value != "" {
				p.info.BackingFile = true
			}
		}
	}
	if standalone {
		p.info.VirtualSize = sectors(total)
	}
}
