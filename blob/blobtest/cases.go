package blobtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/imsd/imsd"
)

func testCommitVisibility(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	data := Random(1, 300<<10)
	digest := Digest(data)
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// Several writes of odd sizes.
	for p := data; len(p) > 0; {
		k := min(len(p), 12345)
		if n, err := w.Write(p[:k]); err != nil || n != k {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, k)
		}
		p = p[k:]
	}
	if got := w.Size(); got != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", got, len(data))
	}
	requireAbsent(t, s, digest)

	before := time.Now().Add(-time.Minute)
	info, err := w.Commit(ctx, "")
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if info.Digest != digest || info.Size != int64(len(data)) || info.MD5 != MD5(data) {
		t.Fatalf("Commit = %+v, want digest %s, MD5 %s, size %d", info, digest, MD5(data), len(data))
	}
	if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("Commit ModTime = %v, want about now", info.ModTime)
	}
	st, err := s.Stat(ctx, digest)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if st.Digest != digest || st.Size != info.Size {
		t.Fatalf("Stat = %+v, want %+v", st, info)
	}
	requireContent(t, s, digest, data)
	if got := walkAll(t, s); len(got) != 1 || got[digest].Size != info.Size {
		t.Fatalf("Walk = %v, want only %s", got, digest)
	}

	// A finished writer refuses more work, but Cancel stays a no-op.
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Commit succeeded")
	}
	if _, err := w.Commit(ctx, ""); err == nil {
		t.Error("second Commit succeeded")
	}
	if err := w.Cancel(ctx); err != nil {
		t.Errorf("Cancel after Commit: %v", err)
	}
	requireContent(t, s, digest, data)
	mustDelete(t, s, digest)
	requireAbsent(t, s, digest)
}

func testDigest(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	// SHA-256 vectors of FIPS 180-2, MD5 vectors of RFC 1321.
	vectors := []struct{ data, digest, md5 string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "d41d8cd98f00b204e9800998ecf8427e"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "900150983cd24fb0d6963f7d28e17f72"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "8215ef0796a20bcaaae116d3876c664a"},
	}
	for _, v := range vectors {
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		for i := range len(v.data) { // one byte at a time
			if _, err := w.Write([]byte{v.data[i]}); err != nil {
				t.Fatalf("Write: %v", err)
			}
		}
		info, err := w.Commit(ctx, v.digest)
		if err != nil {
			t.Fatalf("Commit(%q) with its own digest: %v", v.data, err)
		}
		if info.Digest != v.digest || info.Size != int64(len(v.data)) || info.MD5 != v.md5 {
			t.Fatalf("Commit(%q) = %+v, want %s, MD5 %s", v.data, info, v.digest, v.md5)
		}
		requireContent(t, s, v.digest, []byte(v.data))
		mustDelete(t, s, v.digest)
	}
}

func testDedupe(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	data := Random(2, 100<<10)
	first := put(t, s, data)
	second := put(t, s, data)
	if first.Digest != second.Digest || second.Size != first.Size {
		t.Fatalf("second commit = %+v, want %+v", second, first)
	}
	if got := walkAll(t, s); len(got) != 1 {
		t.Fatalf("Walk lists %d blobs after storing one content twice, want 1", len(got))
	}
	requireContent(t, s, first.Digest, data)
	mustDelete(t, s, first.Digest)
	requireNotFound(t, "second Delete of a deduplicated blob", s.Delete(ctx, first.Digest))
}

func testDigestMismatch(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	data := Random(3, 64<<10)
	other := Digest([]byte("something else"))
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := w.Commit(ctx, other); !errors.Is(err, imsd.ErrDigestMismatch) {
		t.Fatalf("Commit with a wrong digest: got %v, want imsd.ErrDigestMismatch", err)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Fatalf("Cancel after a failed Commit: %v", err)
	}
	requireAbsent(t, s, Digest(data))
	requireAbsent(t, s, other)
}

func testCancel(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	for _, size := range []int{0, 10 << 10, 20 << 20} {
		data := Random(4, size)
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatalf("Write: %v", err)
		}
		if err := w.Cancel(ctx); err != nil {
			t.Fatalf("Cancel after %d bytes: %v", size, err)
		}
		if err := w.Cancel(ctx); err != nil {
			t.Fatalf("second Cancel: %v", err)
		}
		if _, err := w.Write([]byte("x")); err == nil {
			t.Error("Write after Cancel succeeded")
		}
		if _, err := w.Commit(ctx, ""); err == nil {
			t.Error("Commit after Cancel succeeded")
		}
		requireAbsent(t, s, Digest(data))
	}
}

func testCommitCanceledContext(t *testing.T, s imsd.BlobStore) {
	data := Random(5, 20<<20)
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if _, err := w.Commit(canceled(t), ""); err == nil {
		t.Fatal("Commit with a canceled context succeeded")
	}
	if err := w.Cancel(t.Context()); err != nil {
		t.Fatalf("Cancel after a failed Commit: %v", err)
	}
	requireAbsent(t, s, Digest(data))
}

func testRangeReads(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	data := Random(6, 1<<20+7)
	size := int64(len(data))
	info := put(t, s, data)
	cases := []struct {
		name     string
		off, n   int64
		from, to int64 // expected data[from:to]
	}{
		{"Whole", 0, -1, 0, size},
		{"WholeExact", 0, size, 0, size},
		{"Start", 0, 100, 0, 100},
		{"Middle", 500_000, 4096, 500_000, 504_096},
		{"End", size - 10, 10, size - 10, size},
		{"ToEnd", size - 1000, -1, size - 1000, size},
		{"PastEnd", size - 10, 100, size - 10, size},
		{"ZeroLength", 1234, 0, 1234, 1234},
		{"ZeroLengthAtEnd", size, 0, size, size},
		{"EmptyToEnd", size, -1, size, size},
	}
	for _, c := range cases {
		if got := read(t, s, info.Digest, c.off, c.n); !bytes.Equal(got, data[c.from:c.to]) {
			t.Errorf("%s: Open(%d, %d) read %d bytes, want %d bytes data[%d:%d]",
				c.name, c.off, c.n, len(got), c.to-c.from, c.from, c.to)
		}
	}
	if r, err := s.Open(ctx, info.Digest, size+1, -1); err == nil {
		r.Close()
		t.Error("Open at an offset past the end succeeded")
	} else if errors.Is(err, imsd.ErrNotFound) {
		t.Errorf("Open past the end: %v, want an error that is not ErrNotFound", err)
	}
	// A range read through every interface the reader offers.
	r, err := s.Open(ctx, info.Digest, 1000, 300_000)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := iotest.TestReader(r, data[1000:301_000]); err != nil {
		t.Errorf("iotest.TestReader: %v", err)
	}
	r.Close()
	// io.Copy into a file, which may move the data in the kernel.
	r, err = s.Open(ctx, info.Digest, 4096, 600_000)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "copy"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := io.Copy(f, r); err != nil || n != 600_000 {
		t.Fatalf("io.Copy to a file = %d, %v; want 600000, nil", n, err)
	}
	if got, err := os.ReadFile(f.Name()); err != nil || !bytes.Equal(got, data[4096:604_096]) {
		t.Fatalf("copy to a file: read %d bytes, %v; want data[4096:604096]", len(got), err)
	}
	mustDelete(t, s, info.Digest)
}

func testLarge(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	want, wantMD5, _ := hashesReader(t, io.LimitReader(newSource(7), LargeSize))
	for _, path := range []string{"ReadFrom", "Write"} {
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		src := io.LimitReader(newSource(7), LargeSize)
		var dst io.Writer = w
		if path == "Write" {
			dst = onlyWriter{w}
		}
		if n, err := io.CopyBuffer(dst, onlyReader{src}, make([]byte, 3<<20+1)); err != nil || n != LargeSize {
			t.Fatalf("%s: copy = %d, %v; want %d, nil", path, n, err, LargeSize)
		}
		if w.Size() != LargeSize {
			t.Fatalf("%s: Size = %d, want %d", path, w.Size(), LargeSize)
		}
		info, err := w.Commit(ctx, want)
		if err != nil {
			t.Fatalf("%s: Commit: %v", path, err)
		}
		if info.Digest != want || info.Size != LargeSize || info.MD5 != wantMD5 {
			t.Fatalf("%s: Commit = %+v, want %s, MD5 %s, %d bytes", path, info, want, wantMD5, LargeSize)
		}
	}
	r, err := s.Open(ctx, want, 0, -1)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, n := hashReader(t, r)
	r.Close()
	if got != want || n != LargeSize {
		t.Fatalf("read back %d bytes with sha256 %s, want %d bytes with %s", n, got, LargeSize, want)
	}
	// A range across the 16 MiB boundary.
	all := Random(7, 16<<20+4096)
	if got := read(t, s, want, 16<<20-4096, 8192); !bytes.Equal(got, all[16<<20-4096:]) {
		t.Fatal("range across 16 MiB differs")
	}
	mustDelete(t, s, want)
}

func testConcurrentWriters(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	same := Random(8, 17<<20)
	contents := [][]byte{same, same, same, same}
	for i := range 4 {
		contents = append(contents, Random(uint64(100+i), (i+1)*(1<<20)+i))
	}
	results := make([]imsd.BlobInfo, len(contents))
	var wg sync.WaitGroup
	for i, data := range contents {
		wg.Go(func() {
			w, err := s.Create(ctx)
			if err != nil {
				t.Errorf("writer %d: Create: %v", i, err)
				return
			}
			if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
				t.Errorf("writer %d: Write: %v", i, err)
				w.Cancel(ctx)
				return
			}
			if results[i], err = w.Commit(ctx, ""); err != nil {
				t.Errorf("writer %d: Commit: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	wantSet := map[string]bool{}
	for i, data := range contents {
		if d := Digest(data); results[i].Digest != d || results[i].Size != int64(len(data)) || results[i].MD5 != MD5(data) {
			t.Fatalf("writer %d committed %+v, want %s, MD5 %s (%d bytes)", i, results[i], d, MD5(data), len(data))
		}
		wantSet[results[i].Digest] = true
	}
	got := walkAll(t, s)
	if len(got) != len(wantSet) {
		t.Fatalf("Walk lists %d blobs, want %d", len(got), len(wantSet))
	}
	for i, data := range contents[3:] {
		requireContent(t, s, results[i+3].Digest, data)
	}
	for d := range wantSet {
		mustDelete(t, s, d)
	}
}

func testDelete(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	keep := put(t, s, []byte("keep"))
	gone := put(t, s, []byte("gone"))
	mustDelete(t, s, gone.Digest)
	requireAbsent(t, s, gone.Digest)
	requireNotFound(t, "second Delete", s.Delete(ctx, gone.Digest))
	requireContent(t, s, keep.Digest, []byte("keep"))
	mustDelete(t, s, keep.Digest)
}

func testNotFound(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	digests := []string{
		Digest([]byte("never stored")),
		"",
		"abc",
		"../../../../etc/passwd",
		"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/",
	}
	for _, d := range digests {
		_, err := s.Stat(ctx, d)
		requireNotFound(t, fmt.Sprintf("Stat(%q)", d), err)
		r, err := s.Open(ctx, d, 0, -1)
		if err == nil {
			r.Close()
		}
		requireNotFound(t, fmt.Sprintf("Open(%q)", d), err)
		r, err = s.Open(ctx, d, 0, 0)
		if err == nil {
			r.Close()
		}
		requireNotFound(t, fmt.Sprintf("Open(%q, 0, 0)", d), err)
		requireNotFound(t, fmt.Sprintf("Delete(%q)", d), s.Delete(ctx, d))
	}
}

func testWalk(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	if got := walkAll(t, s); len(got) != 0 {
		t.Fatalf("Walk of an empty store = %v", got)
	}
	want := map[string]int64{}
	for i, size := range []int{0, 1, 1000, 70 << 10, 1 << 20} {
		info := put(t, s, Random(uint64(200+i), size))
		want[info.Digest] = int64(size)
	}
	// A staged write is not a blob.
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Cancel(ctx)
	if _, err := w.Write(Random(300, 5000)); err != nil {
		t.Fatalf("Write: %v", err)
	}
	got := walkAll(t, s)
	if len(got) != len(want) {
		t.Fatalf("Walk lists %d blobs, want %d", len(got), len(want))
	}
	for d, size := range want {
		info, ok := got[d]
		if !ok || info.Size != size || info.ModTime.IsZero() {
			t.Errorf("Walk reports %.12s as %+v (listed %v), want size %d and a ModTime", d, info, ok, size)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err = s.Walk(ctx, func(imsd.BlobInfo) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Walk with a failing fn = %v after %d calls, want the fn's error after 1", err, calls)
	}
	for d := range want {
		mustDelete(t, s, d)
	}
	if err := w.Cancel(ctx); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
}

func testPurgeStaging(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()
	kept := put(t, s, []byte("committed before the purge"))
	abandoned, err := s.Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := abandoned.Write(Random(9, 20<<20)); err != nil {
		t.Fatalf("Write: %v", err)
	}

	// A cutoff in the past spares everything...
	if n, err := s.PurgeStaging(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("PurgeStaging(an hour ago) = %d, %v; want 0, nil", n, err)
	}
	// ...so a write that was staged before it still commits.
	fresh := Random(10, 20<<20)
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(fresh); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if n, err := s.PurgeStaging(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("PurgeStaging(an hour ago) = %d, %v; want 0, nil", n, err)
	}
	info, err := w.Commit(ctx, Digest(fresh))
	if err != nil {
		t.Fatalf("Commit after a purge that should have spared it: %v", err)
	}

	// A cutoff in the future removes the abandoned write, and no blob.
	n, err := s.PurgeStaging(ctx, time.Now().Add(time.Hour))
	if err != nil || n < 1 {
		t.Fatalf("PurgeStaging(in an hour) = %d, %v; want at least 1, nil", n, err)
	}
	if err := abandoned.Cancel(ctx); err != nil {
		t.Fatalf("Cancel of a purged write: %v", err)
	}
	if got := walkAll(t, s); len(got) != 2 {
		t.Fatalf("Walk after purge lists %d blobs, want 2", len(got))
	}
	requireContent(t, s, kept.Digest, []byte("committed before the purge"))
	requireContent(t, s, info.Digest, fresh)
	mustDelete(t, s, kept.Digest, info.Digest)
}
