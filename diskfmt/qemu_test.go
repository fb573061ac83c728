package diskfmt_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/imsd/imsd/diskfmt"
	"github.com/imsd/imsd/internal/imstest"
)

// chunkSizes are the write sizes every fixture is streamed with; 0 means
// one write of the whole file.
var chunkSizes = []int{7, 4093, 1<<20 + 3, 0}

// fixture is an image made by qemu-img (or genisoimage) in a temp dir.
type fixture struct {
	name string
	// make creates the image in dir and returns its path.
	make func(t *testing.T, dir string) string
	// qemuFormat is passed to qemu-img info -f; "" lets qemu probe.
	qemuFormat string
	// qemuProbe is the format qemu-img info reports without -f, if it
	// differs from want.Format: qemu probes a fixed VHD and an ISO as raw
	// and calls VHD "vpc".
	qemuProbe string
	// virtualSize, if set, pins what qemu-img reports, to document a gotcha.
	virtualSize int64
	want        diskfmt.Info // Size and VirtualSize come from the file and qemu-img
}

func TestDetect_QemuImg(t *testing.T) {
	qemuImg := needTool(t, "qemu-img")
	// create runs qemu-img create with options args and the size last.
	create := func(args ...string) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "disk")
			opts, size := args[:len(args)-1], args[len(args)-1]
			run(t, dir, qemuImg, append(append([]string{"create", "-q"}, opts...), path, size)...)
			return path
		}
	}
	// createWithData also writes a pattern into the image, so data
	// clusters follow the metadata, as in a real image.
	createWithData := func(format string, args ...string) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string {
			raw := filepath.Join(dir, "data.raw")
			run(t, dir, qemuImg, "create", "-q", "-f", "raw", raw, "3M")
			writePattern(t, raw, 1<<20, 1<<20)
			path := filepath.Join(dir, "disk")
			run(t, dir, qemuImg, append(append([]string{"convert", "-f", "raw", "-O", format}, args...), raw, path)...)
			if err := os.Remove(raw); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	withBase := func(baseFormat string, args ...string) func(t *testing.T, dir string) string {
		return func(t *testing.T, dir string) string {
			run(t, dir, qemuImg, "create", "-q", "-f", baseFormat, filepath.Join(dir, "base"), "64M")
			path := filepath.Join(dir, "disk")
			run(t, dir, qemuImg, append(append([]string{"create", "-q"}, args...), "-b", "base", "-F", baseFormat, path)...)
			return path
		}
	}

	fixtures := []fixture{
		{name: "qcow2 compat 1.1", make: create("-f", "qcow2", "-o", "compat=1.1", "5G"), virtualSize: 5 << 30,
			want: diskfmt.Info{Format: diskfmt.QCOW2, Subformat: "1.1"}},
		{name: "qcow2 compat 0.10", make: create("-f", "qcow2", "-o", "compat=0.10", "5G"),
			want: diskfmt.Info{Format: diskfmt.QCOW2, Subformat: "0.10"}},
		{name: "qcow2 with data", make: createWithData("qcow2"),
			want: diskfmt.Info{Format: diskfmt.QCOW2, Subformat: "1.1"}},
		{name: "qcow2 backing file", make: withBase("qcow2", "-f", "qcow2"),
			want: diskfmt.Info{Format: diskfmt.QCOW2, Subformat: "1.1", BackingFile: true}},
		{name: "qcow2 external data file", make: create("-f", "qcow2", "-o", "data_file=disk.data", "10M"),
			want: diskfmt.Info{Format: diskfmt.QCOW2, Subformat: "1.1", ExternalData: true}},
		{name: "qcow2 luks encrypted", make: create("-f", "qcow2", "--object", "secret,id=s0,data=pw",
			"-o", "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10", "10M"),
			want: diskfmt.Info{Format: diskfmt.QCOW2, Subformat: "1.1", Encrypted: true}},
		{name: "qcow v1", make: create("-f", "qcow", "1G"),
			want: diskfmt.Info{Format: diskfmt.QCOW}},
		{name: "qcow v1 backing file", make: withBase("qcow2", "-f", "qcow"),
			want: diskfmt.Info{Format: diskfmt.QCOW, BackingFile: true}},
		{name: "qed", make: create("-f", "qed", "3G"),
			want: diskfmt.Info{Format: diskfmt.QED}},
		{name: "qed backing file", make: withBase("qcow2", "-f", "qed"),
			want: diskfmt.Info{Format: diskfmt.QED, BackingFile: true}},
		{name: "vmdk monolithicSparse", make: create("-f", "vmdk", "5G"),
			want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "monolithicSparse"}},
		{name: "vmdk monolithicSparse with data", make: createWithData("vmdk"),
			want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "monolithicSparse"}},
		{name: "vmdk streamOptimized", make: createWithData("vmdk", "-o", "subformat=streamOptimized"),
			want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "streamOptimized"}},
		{name: "vmdk streamOptimized footer", make: func(t *testing.T, dir string) string {
			path := createWithData("vmdk", "-o", "subformat=streamOptimized")(t, dir)
			gdAtEnd(t, path)
			return path
		}, virtualSize: 3 << 20, want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "streamOptimized"}},
		{name: "vmdk parent", make: withBase("vmdk", "-f", "vmdk"),
			want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "monolithicSparse", BackingFile: true}},
		{name: "vmdk descriptor monolithicFlat", make: create("-f", "vmdk", "-o", "subformat=monolithicFlat", "10M"),
			want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "monolithicFlat", ExternalData: true}},
		{name: "vmdk descriptor twoGbMaxExtentSparse", make: create("-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", "5G"),
			want: diskfmt.Info{Format: diskfmt.VMDK, Subformat: "twoGbMaxExtentSparse", ExternalData: true}},
		{name: "vpc dynamic CHS rounding", make: create("-f", "vpc", "10000001"), virtualSize: 10027008, qemuProbe: "vpc",
			want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "dynamic"}},
		{name: "vpc dynamic 5G", make: create("-f", "vpc", "5G"), qemuProbe: "vpc",
			want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "dynamic"}},
		{name: "vpc dynamic force_size", make: create("-f", "vpc", "-o", "force_size=on", "10000001"),
			virtualSize: 10000384, qemuProbe: "vpc",
			want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "dynamic"}},
		{name: "vpc dynamic Virtual PC creator", make: func(t *testing.T, dir string) string {
			path := create("-f", "vpc", "10000001")(t, dir)
			patchVHD(t, path, "vpc ", 64<<10)
			return path
		}, virtualSize: 10027008, qemuProbe: "vpc", want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "dynamic"}},
		{name: "vpc dynamic Hyper-V creator", make: func(t *testing.T, dir string) string {
			path := create("-f", "vpc", "10000001")(t, dir)
			patchVHD(t, path, "win ", 64<<10)
			return path
		}, virtualSize: 10027008 + 64<<10, qemuProbe: "vpc", want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "dynamic"}},
		{name: "vpc fixed", make: create("-f", "vpc", "-o", "subformat=fixed", "3000000"),
			qemuFormat: "vpc", qemuProbe: "raw", virtualSize: 3028992,
			want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "fixed"}},
		{name: "vpc fixed with data", make: createWithData("vpc", "-o", "subformat=fixed"),
			qemuFormat: "vpc", qemuProbe: "raw",
			want: diskfmt.Info{Format: diskfmt.VHD, Subformat: "fixed"}},
		{name: "vhdx dynamic", make: create("-f", "vhdx", "5G"), virtualSize: 5 << 30,
			want: diskfmt.Info{Format: diskfmt.VHDX, Subformat: "dynamic"}},
		{name: "vhdx dynamic with data", make: createWithData("vhdx"),
			want: diskfmt.Info{Format: diskfmt.VHDX, Subformat: "dynamic"}},
		{name: "vhdx fixed", make: create("-f", "vhdx", "-o", "subformat=fixed", "3M"),
			want: diskfmt.Info{Format: diskfmt.VHDX, Subformat: "fixed"}},
		{name: "vdi dynamic", make: create("-f", "vdi", "5G"), virtualSize: 5 << 30,
			want: diskfmt.Info{Format: diskfmt.VDI, Subformat: "dynamic"}},
		{name: "vdi static", make: create("-f", "vdi", "-o", "static=on", "3M"),
			want: diskfmt.Info{Format: diskfmt.VDI, Subformat: "static"}},
		{name: "raw", make: func(t *testing.T, dir string) string {
			path := create("-f", "raw", "3000007")(t, dir)
			writePattern(t, path, 0, 4096)
			return path
		}, want: diskfmt.Info{Format: diskfmt.Raw}},
		{name: "raw odd size", make: func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "disk")
			if err := os.WriteFile(path, bytes.Repeat([]byte{0xa5}, 3000007), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}, virtualSize: 3000320, want: diskfmt.Info{Format: diskfmt.Raw}},
		{name: "raw empty", make: create("-f", "raw", "0"),
			want: diskfmt.Info{Format: diskfmt.Raw}},
	}
	if iso, err := exec.LookPath("genisoimage"); err == nil {
		fixtures = append(fixtures, fixture{name: "iso genisoimage", make: func(t *testing.T, dir string) string {
			src := filepath.Join(dir, "src")
			if err := os.MkdirAll(src, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(src, "hello.txt"), bytes.Repeat([]byte("hello\n"), 1000), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "disk.iso")
			run(t, dir, iso, "-quiet", "-V", "TEST", "-J", "-r", "-o", path, src)
			return path
		}, qemuProbe: "raw", want: diskfmt.Info{Format: diskfmt.ISO}})
	} else {
		t.Log("genisoimage not installed; the ISO case uses a crafted image only")
	}

	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := fx.make(t, dir)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := fx.want
			want.Size = int64(len(data))
			want.VirtualSize = qemuInfo(t, qemuImg, dir, path, fx.qemuFormat).VirtualSize
			if want.VirtualSize == 0 && len(data) > 0 {
				t.Fatal("qemu-img reports virtual size 0")
			}
			if fx.virtualSize != 0 && want.VirtualSize != fx.virtualSize {
				t.Fatalf("qemu-img reports virtual size %d, want %d", want.VirtualSize, fx.virtualSize)
			}
			probe := fx.qemuProbe
			if probe == "" {
				probe = fx.want.Format
			}
			if got := qemuInfo(t, qemuImg, dir, path, "").Format; got != probe {
				t.Fatalf("qemu-img probes the file as %q, want %q", got, probe)
			}

			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, err := diskfmt.Detect(f, int64(len(data)))
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			if got != want {
				t.Errorf("Detect = %+v\nwant     %+v", got, want)
			}
			for _, n := range chunkSizes {
				if got := sniff(data, n); got != want {
					t.Errorf("Sniffer with %d-byte writes = %+v\nwant %+v", n, got, want)
				}
			}
		})
	}
}

// qemuImgInfo is the part of qemu-img info --output=json the tests use.
type qemuImgInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
}

func qemuInfo(t *testing.T, qemuImg, dir, path, format string) qemuImgInfo {
	t.Helper()
	args := []string{"info", "--output=json"}
	if format != "" {
		args = append(args, "-f", format)
	}
	out := run(t, dir, qemuImg, append(args, path)...)
	var info qemuImgInfo
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("qemu-img info: %v\n%s", err, out)
	}
	return info
}

// sniff streams data through a Sniffer in writes of chunk bytes (all at
// once if chunk is 0).
func sniff(data []byte, chunk int) diskfmt.Info {
	var s diskfmt.Sniffer
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

// needTool returns the path of an external program, or reports it
// unavailable (a failure in CI, a skip elsewhere).
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		imstest.Unavailable(t, name, err)
	}
	return path
}

func run(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.Bytes())
	}
	return out
}

// writePattern overwrites n bytes at off in the file at path with a
// non-zero pattern.
func writePattern(t *testing.T, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + 1)
	}
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// gdAtEnd rewrites a qemu streamOptimized VMDK the way VMware's streaming
// writers lay it out: the header at the start says GD_AT_END and carries a
// wrong capacity; the real header follows as a footer at the end (footer
// marker, header copy, end-of-stream marker), which qemu reads instead.
func gdAtEnd(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data)%512 != 0 {
		t.Fatalf("streamOptimized file of %d bytes", len(data))
	}
	// Drop qemu's end-of-stream marker and append footer marker, footer
	// and a new end-of-stream marker.
	data = data[:len(data)-512]
	marker := make([]byte, 512)
	binary.LittleEndian.PutUint32(marker[12:], 3) // MARKER_FOOTER
	footer := bytes.Clone(data[:512])
	data = append(data, marker...)
	data = append(data, footer...)
	data = append(data, make([]byte, 512)...)
	binary.LittleEndian.PutUint64(data[56:], ^uint64(0))                              // gdOffset = GD_AT_END
	binary.LittleEndian.PutUint64(data[12:], 2*binary.LittleEndian.Uint64(data[12:])) // wrong capacity
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// patchVHD sets the creator application of a VHD and grows the current
// size in its footer by delta bytes, leaving the CHS geometry alone, in both
// the footer at the end and a dynamic VHD's copy at the start. qemu sizes
// the disk by CHS or by current size depending on the creator.
func patchVHD(t *testing.T, path, creator string, delta uint64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]byte{data[:512], data[len(data)-512:]} {
		if string(f[:8]) != "conectix" {
			continue
		}
		copy(f[28:32], creator)
		binary.BigEndian.PutUint64(f[48:], binary.BigEndian.Uint64(f[48:])+delta)
		binary.BigEndian.PutUint32(f[64:], 0)
		var sum uint32
		for _, c := range f {
			sum += uint32(c)
		}
		binary.BigEndian.PutUint32(f[64:], ^sum)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
