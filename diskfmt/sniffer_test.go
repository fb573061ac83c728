package diskfmt

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
)

// craftedCases are hand-made images for the corners qemu-img does not
// produce: truncation, polyglots, damaged metadata, metadata far into the
// stream.
func craftedCases() []struct {
	name string
	data []byte
	want Info // Size is filled in from data
} {
	descFile := "# Disk DescriptorFile\r\n\r\n   \r\nversion=1\r\nCID=fffffffe\r\nparentCID=ffffffff\r\n" +
		"createType=\"monolithicFlat\"\r\n\r\nRW 2048 FLAT \"a b-flat.vmdk\" 0\r\nRDONLY 1024 ZERO\r\n"
	iso := isoImage(40)
	return []struct {
		name string
		data []byte
		want Info
	}{
		{name: "empty", data: nil, want: Info{Format: Raw}},
		{name: "one byte", data: []byte{0}, want: Info{Format: Raw, VirtualSize: 512}},
		{name: "qcow2 magic only", data: []byte("QFI\xfb"), want: Info{Format: QCOW2}},
		{name: "qcow2 v3 header only", data: qcow2Header(3, 1<<40, false, 0),
			want: Info{Format: QCOW2, Subformat: "1.1", VirtualSize: 1 << 40}},
		{name: "qcow2 v2 ignores incompatible bits", data: qcow2Header(2, 1<<30, false, qcow2IncompatDataFile),
			want: Info{Format: QCOW2, Subformat: "0.10", VirtualSize: 1 << 30}},
		{name: "qcow2 v3 external data file", data: qcow2Header(3, 1<<30, false, qcow2IncompatDataFile),
			want: Info{Format: QCOW2, Subformat: "1.1", VirtualSize: 1 << 30, ExternalData: true}},
		{name: "qcow2 backing file", data: qcow2Header(3, 1<<30, true, 0),
			want: Info{Format: QCOW2, Subformat: "1.1", VirtualSize: 1 << 30, BackingFile: true}},
		{name: "qcow2 unknown version is still qcow2", data: qcow2Header(4, 1<<30, false, 0),
			want: Info{Format: QCOW2, VirtualSize: 1 << 30}},
		{name: "qcow2 size beyond int64", data: qcow2Header(3, math.MaxUint64, false, 0),
			want: Info{Format: QCOW2, Subformat: "1.1"}},
		{name: "qed backing file", data: qedHeader(5<<30, true),
			want: Info{Format: QED, VirtualSize: 5 << 30, BackingFile: true}},
		{name: "vmdk descriptor beyond the head", data: vmdkSparse(2048, 200, "createType=\"streamOptimized\"\n"),
			want: Info{Format: VMDK, Subformat: "streamOptimized", VirtualSize: 2048 * 512}},
		{name: "vmdk parentFileNameHint", data: vmdkSparse(2048, 1, "createType=\"monolithicSparse\"\nparentFileNameHint=\"/etc/x\"\n"),
			want: Info{Format: VMDK, Subformat: "monolithicSparse", VirtualSize: 2048 * 512, BackingFile: true}},
		{name: "vmdk embedded extents are ignored", data: vmdkSparse(2048, 1, "RW 4096 FLAT \"/etc/passwd\" 0\n"),
			want: Info{Format: VMDK, VirtualSize: 2048 * 512}},
		{name: "vmdk capacity beyond int64", data: vmdkSparse(math.MaxUint64/256, 0, ""),
			want: Info{Format: VMDK}},
		{name: "vmdk descriptor file CRLF", data: []byte(descFile),
			want: Info{Format: VMDK, Subformat: "monolithicFlat", VirtualSize: 3072 * 512, ExternalData: true}},
		{name: "vmdk descriptor file of ZERO extents", data: []byte("version=1\nRW 100 ZERO\n"),
			want: Info{Format: VMDK, VirtualSize: 100 * 512}},
		{name: "text that is no descriptor", data: []byte("hello\nversion=1\n"),
			want: Info{Format: Raw, VirtualSize: 512}},
		{name: "vmdk COWD", data: cat([]byte("COWD\x01\x00\x00\x00\x03\x00\x00\x00\x00\x10\x00\x00"), make([]byte, 496)),
			want: Info{Format: VMDK, VirtualSize: 0x1000 * 512}},
		{name: "vhd dynamic magic only", data: []byte("conectix"), want: Info{Format: VHD}},
		{name: "vhd differencing", data: cat(vhdFooterBytes(vhdDifferencing, "win ", 1<<30, 1, 1, 1), make([]byte, 1024)),
			want: Info{Format: VHD, Subformat: "differencing", VirtualSize: 1 << 30, BackingFile: true}},
		{name: "vhd fixed by Hyper-V", data: cat(make([]byte, 4096), vhdFooterBytes(vhdFixed, "win ", 1<<20+512, 1, 1, 1)),
			want: Info{Format: VHD, Subformat: "fixed", VirtualSize: 1<<20 + 512}},
		{name: "vhd fixed maximum geometry", data: cat(make([]byte, 4096), vhdFooterBytes(vhdFixed, "vpc ", 1<<41, 65535, 16, 255)),
			want: Info{Format: VHD, Subformat: "fixed", VirtualSize: 1 << 41}},
		{name: "vhd footer with bad checksum is raw", data: func() []byte {
			b := cat(make([]byte, 3584), vhdFooterBytes(vhdFixed, "win ", 4096, 1, 1, 1))
			b[len(b)-1] ^= 1
			return b
		}(), want: Info{Format: Raw, VirtualSize: 4096}},
		{name: "vhd dynamic footer at the end only is raw", data: cat(make([]byte, 3584), vhdFooterBytes(vhdDynamic, "win ", 4096, 1, 1, 1)),
			want: Info{Format: Raw, VirtualSize: 4096}},
		{name: "vhdx metadata at 2 MiB", data: vhdxImage{size: 7 << 30, metaOff: 2 << 20}.bytes(),
			want: Info{Format: VHDX, Subformat: "dynamic", VirtualSize: 7 << 30}},
		{name: "vhdx fixed with parent", data: vhdxImage{size: 1 << 30, metaOff: 1 << 20, fixed: true, parent: true}.bytes(),
			want: Info{Format: VHDX, Subformat: "fixed", VirtualSize: 1 << 30, BackingFile: true}},
		{name: "vhdx damaged first region table", data: vhdxImage{size: 1 << 30, metaOff: 1 << 20, badFirstCopy: true}.bytes(),
			want: Info{Format: VHDX, Subformat: "dynamic", VirtualSize: 1 << 30}},
		{name: "vhdx metadata before the region table is not read", data: vhdxImage{size: 1 << 30, metaOff: 128 << 10}.bytes(),
			want: Info{Format: VHDX}},
		{name: "vhdx truncated before metadata", data: vhdxImage{size: 1 << 30, metaOff: 2 << 20}.bytes()[:2<<20],
			want: Info{Format: VHDX}},
		{name: "vdi differencing", data: vdiHeader(1<<30, 4),
			want: Info{Format: VDI, VirtualSize: 1 << 30, BackingFile: true}},
		{name: "iso 9660", data: iso, want: Info{Format: ISO, VirtualSize: int64(len(iso))}},
		{name: "iso too short for the signature", data: iso[:0x8005], want: Info{Format: Raw, VirtualSize: 0x8200}},
		{name: "udf", data: func() []byte {
			b := make([]byte, 0x9000)
			copy(b[0x8001:], "BEA01")
			return b
		}(), want: Info{Format: ISO, VirtualSize: 0x9000}},
		{name: "polyglot qcow2 with ISO signature is qcow2", data: func() []byte {
			b := bytes.Clone(iso)
			copy(b, qcow2Header(3, 1<<30, true, 0))
			return b
		}(), want: Info{Format: QCOW2, Subformat: "1.1", VirtualSize: 1 << 30, BackingFile: true}},
		{name: "polyglot ISO in fixed VHD is vhd", data: cat(iso, vhdFooterBytes(vhdFixed, "win ", uint64(len(iso)), 1, 1, 1)),
			want: Info{Format: VHD, Subformat: "fixed", VirtualSize: int64(len(iso))}},
	}
}

func TestDetect_Crafted(t *testing.T) {
	for _, tc := range craftedCases() {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			want.Size = int64(len(tc.data))
			got, err := Detect(bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Detect = %+v\nwant     %+v", got, want)
			}
			for _, n := range []int{1, 7, 4093, 0} {
				if got := sniffChunks(&Sniffer{}, tc.data, n); got != want {
					t.Errorf("Sniffer with %d-byte writes = %+v\nwant %+v", n, got, want)
				}
			}
		})
	}
}

// TestSniffer_HeadSizes checks that a Sniffer with any head size agrees
// with detect using the same head size, however the stream is cut. Small
// heads push the VMDK descriptor and VHDX tables out of the head, so they
// must be caught from the stream.
func TestSniffer_HeadSizes(t *testing.T) {
	for _, tc := range craftedCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, hs := range []int{1, 100, 512, 4096, 0x8006, 200 << 10} {
				want, err := detect(bytes.NewReader(tc.data), int64(len(tc.data)), hs)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range []int{7, 4093, 0} {
					if got := sniffChunks(&Sniffer{headSize: hs}, tc.data, n); got != want {
						t.Errorf("head %d, %d-byte writes: Sniffer = %+v\nwant %+v", hs, n, got, want)
					}
				}
			}
		})
	}
}

func TestSniffer_ResultMidStream(t *testing.T) {
	data := vhdxImage{size: 3 << 30, metaOff: 2 << 20}.bytes()
	var s Sniffer
	s.Write(data[:1<<20])
	if got := s.Result(); got.Format != VHDX || got.VirtualSize != 0 {
		t.Errorf("Result after 1 MiB = %+v, want vhdx of unknown size", got)
	}
	s.Write(data[1<<20:])
	want := Info{Format: VHDX, Subformat: "dynamic", VirtualSize: 3 << 30, Size: int64(len(data))}
	if got := s.Result(); got != want {
		t.Errorf("Result at end = %+v\nwant %+v", got, want)
	}
	if got := s.Result(); got != want {
		t.Errorf("second Result = %+v\nwant %+v", got, want)
	}
}

// TestSniffer_ConstantMemory checks that once past the head, writes do not
// allocate, however much data flows.
func TestSniffer_ConstantMemory(t *testing.T) {
	var s Sniffer
	s.Write(qcow2Header(3, 1<<30, false, 0))
	s.Write(make([]byte, HeadSize))
	buf := make([]byte, 1<<20)
	if allocs := testing.AllocsPerRun(100, func() { s.Write(buf) }); allocs != 0 {
		t.Errorf("Write allocates %v times per call", allocs)
	}
	if got := s.Result(); got.Format != QCOW2 || got.Size != int64(HeadSize+104+101<<20) {
		t.Errorf("Result = %+v", got)
	}
}

func TestDetect_Errors(t *testing.T) {
	data := qcow2Header(3, 1<<30, false, 0)
	for _, tc := range []struct {
		name string
		r    io.ReaderAt
		size int64
	}{
		{name: "negative size", r: bytes.NewReader(data), size: -1},
		{name: "reader shorter than size", r: bytes.NewReader(data), size: int64(len(data)) + 1},
		{name: "read error", r: errReaderAt{}, size: 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Detect(tc.r, tc.size); err == nil {
				t.Error("Detect succeeded")
			}
		})
	}
	t.Run("read error beyond the head", func(t *testing.T) {
		data := vhdxImage{size: 1 << 30, metaOff: 2 << 20}.bytes()
		r := failBetween{r: bytes.NewReader(data), from: HeadSize, to: 1 << 20}
		_, err := Detect(r, int64(len(data)))
		if !errors.Is(err, iotest.ErrTimeout) {
			t.Errorf("Detect error = %v, want %v", err, iotest.ErrTimeout)
		}
	})
}

type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, iotest.ErrTimeout }

// failBetween fails reads that start in [from, to).
type failBetween struct {
	r        io.ReaderAt
	from, to int64
}

func (f failBetween) ReadAt(b []byte, off int64) (int, error) {
	if off >= f.from && off < f.to {
		return 0, iotest.ErrTimeout
	}
	return f.r.ReadAt(b, off)
}

func TestInfo_SelfContained(t *testing.T) {
	for _, tc := range []struct {
		name string
		info Info
		want bool
	}{
		{name: "plain", info: Info{Format: QCOW2}, want: true},
		{name: "backing file", info: Info{Format: QCOW2, BackingFile: true}},
		{name: "external data", info: Info{Format: VMDK, ExternalData: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.info.SelfContained(); got != tc.want {
				t.Errorf("SelfContained() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIsVMDKDescriptor(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       bool
	}{
		{name: "qemu layout", text: "# Disk DescriptorFile\nversion=1\n", want: true},
		{name: "version 3 after blank lines", text: "\n  \n\t\r\nversion=3", want: true},
		{name: "version 4", text: "version=4\n"},
		{name: "text before version", text: "CID=1\nversion=1\n"},
		{name: "only comments", text: strings.Repeat("# x\n", 10)},
		{name: "binary", text: "\x00\x00version=1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isVMDKDescriptor([]byte(tc.text)); got != tc.want {
				t.Errorf("isVMDKDescriptor(%q) = %v, want %v", tc.text, got, tc.want)
			}
		})
	}
}

// sniffChunks streams data through s in writes of chunk bytes (all at once
// if chunk is 0) and returns the result.
func sniffChunks(s *Sniffer, data []byte, chunk int) Info {
	if chunk <= 0 {
		chunk = max(len(data), 1)
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		s.Write(data[:n])
		data = data[n:]
	}
	return s.Result()
}

// FuzzSniffer checks that no input makes the parsers panic, and that a
// Sniffer, with any head size and any write size, reports exactly what
// detect reports for the same bytes.
func FuzzSniffer(f *testing.F) {
	for _, tc := range craftedCases() {
		if len(tc.data) <= 8<<10 { // large inputs make the fuzzer slow to minimise
			f.Add(tc.data, uint16(7), uint16(0))
		}
	}
	// Shrunken layouts, so the fuzzer can reach the VHDX and VMDK paths
	// with small inputs and small heads.
	f.Add(vmdkSparse(100, 2, "createType=\"x\"\nparentFileNameHint=\"p\"\n"), uint16(3), uint16(600))
	f.Add(cat(make([]byte, 600), vhdFooterBytes(vhdFixed, "vpc ", 1<<20, 20, 16, 63)), uint16(100), uint16(64))
	f.Add(vdiHeader(1<<30, 1), uint16(13), uint16(0x100))
	f.Fuzz(func(t *testing.T, data []byte, chunk, head uint16) {
		hs := int(head)%(80<<10) + 1
		want, err := detect(bytes.NewReader(data), int64(len(data)), hs)
		if err != nil {
			t.Fatal(err)
		}
		if got := sniffChunks(&Sniffer{headSize: hs}, data, int(chunk)); got != want {
			t.Fatalf("head %d, %d-byte writes: Sniffer = %+v, detect = %+v", hs, chunk, got, want)
		}
		if want.Size != int64(len(data)) || want.VirtualSize < 0 || want.Format == "" {
			t.Fatalf("implausible %+v for %d bytes", want, len(data))
		}
	})
}

// BenchmarkSniffer measures the steady-state cost of a Write once the head
// is full, which is what a long upload pays per chunk.
func BenchmarkSniffer(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"512B writes", 512}, {"32KiB writes", 32 << 10}, {"1MiB writes", 1 << 20}} {
		size := bc.size
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, size)
			var s Sniffer
			s.Write(make([]byte, HeadSize))
			b.SetBytes(int64(size))
			for b.Loop() {
				s.Write(buf)
			}
		})
	}
}

// BenchmarkDetect measures detection of a qcow2 file through ReaderAt.
func BenchmarkDetect(b *testing.B) {
	data := cat(qcow2Header(3, 1<<30, false, 0), make([]byte, 1<<20))
	r := bytes.NewReader(data)
	for b.Loop() {
		if _, err := Detect(r, int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
