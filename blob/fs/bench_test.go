package fs

import (
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

var benchSize = flag.Int64("fs.benchsize", 1<<30, "bytes per BenchmarkWrite iteration")

// BenchmarkWrite measures the upload path (hash + write + fsync + rename)
// against cp(1) of the same file followed by fsync, both from a source file
// in the page cache to the same filesystem. Compare the MB/s columns.
func BenchmarkWrite(b *testing.B) {
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	writeRandomFile(b, src, *benchSize)
	s, err := New(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}

	b.Run("cp", func(b *testing.B) {
		b.SetBytes(*benchSize)
		for b.Loop() {
			copyFile(b, src, filepath.Join(dir, "cp-dst"))
		}
	})

	b.Run("ReadFrom", func(b *testing.B) {
		b.SetBytes(*benchSize)
		for b.Loop() {
			readFrom(b, s, src)
		}
	})

	// The two above, alternating within one loop so that both see the
	// same machine load; reports each one's MB/s and their ratio.
	b.Run("ReadFromVsCp", func(b *testing.B) {
		var tcp, tstore time.Duration
		for i := 0; b.Loop(); i++ {
			for j := range 2 {
				start := time.Now()
				if (i+j)%2 == 0 {
					copyFile(b, src, filepath.Join(dir, "cp-dst"))
					tcp += time.Since(start)
				} else {
					readFrom(b, s, src)
					tstore += time.Since(start)
				}
			}
		}
		mb := float64(*benchSize) * float64(b.N) / 1e6
		b.ReportMetric(mb/tstore.Seconds(), "store-MB/s")
		b.ReportMetric(mb/tcp.Seconds(), "cp-MB/s")
		b.ReportMetric(tcp.Seconds()/tstore.Seconds(), "store/cp")
	})

	for _, chunk := range []int{32 << 10, 4 << 20} {
		b.Run("Write"+sizeName(chunk), func(b *testing.B) {
			buf := make([]byte, chunk)
			fillRandom(buf, 1)
			b.SetBytes(*benchSize)
			b.ReportAllocs()
			for b.Loop() {
				commitFrom(b, s, &chunkReader{buf: buf, left: *benchSize})
			}
		})
	}
}

// copyFile runs cp(1) from src to dst, fsyncs dst, and removes it untimed.
func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	cp, err := exec.LookPath("cp")
	if err != nil {
		b.Skip("no cp(1)")
	}
	if out, err := exec.Command(cp, src, dst).CombinedOutput(); err != nil {
		b.Fatalf("cp: %v: %s", err, out)
	}
	f, err := os.Open(dst)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.StopTimer()
	os.Remove(dst)
	b.StartTimer()
}

// readFrom stores the file src with io.Copy, which uses the writer's
// ReadFrom, commits it, and deletes it untimed.
func readFrom(b *testing.B, s *Store, src string) {
	b.Helper()
	f, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	commitFrom(b, s, f)
}

// commitFrom writes r into a new blob, commits it, and deletes it untimed.
func commitFrom(b *testing.B, s *Store, r io.Reader) {
	b.Helper()
	ctx := b.Context()
	w, err := s.Create(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, r); err != nil {
		b.Fatal(err)
	}
	info, err := w.Commit(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if err := s.Delete(ctx, info.Digest); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}

// chunkReader yields buf again and again, left bytes in all, one Write
// call per chunk: io.Copy from it exercises Write, not ReadFrom.
type chunkReader struct {
	buf  []byte
	left int64
}

func (c *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for c.left > 0 {
		p := c.buf[:min(int64(len(c.buf)), c.left)]
		k, err := w.Write(p)
		n += int64(k)
		c.left -= int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (c *chunkReader) Read(p []byte) (int, error) { panic("use WriteTo") }

func sizeName(n int) string {
	if n >= 1<<20 {
		return itoa(n>>20) + "MiB"
	}
	return itoa(n>>10) + "KiB"
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// writeRandomFile creates path with size random bytes, synced to disk.
func writeRandomFile(tb testing.TB, path string, size int64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4<<20)
	for off := int64(0); off < size; off += int64(len(buf)) {
		p := buf[:min(int64(len(buf)), size-off)]
		fillRandom(p, uint64(off))
		if _, err := f.Write(p); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
}

// fillRandom fills p with deterministic pseudo-random bytes.
func fillRandom(p []byte, seed uint64) {
	r := rand.New(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), byte(seed >> 32)}))
	for i := 0; i+8 <= len(p); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			p[i+j] = byte(v >> (8 * j))
		}
	}
}
