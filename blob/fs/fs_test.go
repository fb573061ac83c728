package fs

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/blob/blobtest"
)

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) imsd.BlobStore { return newTestStore(t) })
}

// TestStoreDirectIO runs the suite with direct I/O on.
func TestStoreDirectIO(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) imsd.BlobStore { return newDirectStore(t) })
}

func newDirectStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewWithOptions(t.TempDir(), Options{DirectIO: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDirectIOInUse: on Linux, with DirectIO, the staging writes of a
// store on the test filesystem use O_DIRECT (TestStoreDirectIO then covers
// that path), and the blocks they come from are aligned for it.
func TestDirectIOInUse(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("direct I/O is used on Linux only")
	}
	s := newDirectStore(t)
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Cancel(t.Context())
	if !w.(*writer).direct {
		t.Fatal("the staging file of a store on the test filesystem was not opened with O_DIRECT")
	}
	b := blockPool.Get().(*block)
	defer blockPool.Put(b)
	if !aligned(b[:]) {
		t.Fatal("pipeline blocks are not aligned for O_DIRECT")
	}
}

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewRequiresRoot(t *testing.T) {
	if _, err := New(""); err == nil {
		t.Fatal(`New("") succeeded`)
	}
}

func TestLayout(t *testing.T) {
	ctx := t.Context()
	s := newTestStore(t)
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, filepath.Join(s.Root(), "staging")); len(got) != 1 {
		t.Fatalf("staging/ holds %v during a write, want one file", got)
	}
	info, err := w.Commit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	const d = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	path := filepath.Join(s.Root(), "blobs", "sha256", "ba", d)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("committed blob is not at %s: %v", path, err)
	}
	if info.Digest != d || fi.Size() != 3 || fi.Mode().Perm() != 0o444 {
		t.Fatalf("blob %s: size %d mode %v, want %s, 3 bytes, read-only", info.Digest, fi.Size(), fi.Mode(), d)
	}
	if got := dirNames(t, filepath.Join(s.Root(), "staging")); len(got) != 0 {
		t.Fatalf("staging/ holds %v after Commit, want nothing", got)
	}
	// A duplicate is dropped, and the existing file is kept.
	w, err = s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "abc")
	if _, err := w.Commit(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if fi2, err := os.Stat(path); err != nil || !os.SameFile(fi, fi2) {
		t.Fatalf("duplicate commit replaced the blob file (%v)", err)
	}
	if got := dirNames(t, filepath.Join(s.Root(), "staging")); len(got) != 0 {
		t.Fatalf("staging/ holds %v after a deduplicated Commit, want nothing", got)
	}
}

func TestWalkIgnoresStrayFiles(t *testing.T) {
	s := newTestStore(t)
	const d = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
	top := filepath.Join(s.Root(), "blobs", "sha256")
	for _, p := range []string{
		"ba/not-a-digest",
		"ab/" + d, // valid digest in the wrong fan-out directory
		"stray",
	} {
		p = filepath.Join(top, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Walk(t.Context(), func(info imsd.BlobInfo) error {
		t.Errorf("Walk reported %+v", info)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPurgeStagingByModTime(t *testing.T) {
	ctx := t.Context()
	s := newTestStore(t)
	staging := filepath.Join(s.Root(), "staging")
	// What a crash leaves behind: a staging file nobody writes any more.
	old := filepath.Join(staging, "crashed")
	if err := os.WriteFile(old, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	yesterday := time.Now().Add(-24 * time.Hour)
	if err := os.Chtimes(old, yesterday, yesterday); err != nil {
		t.Fatal(err)
	}
	live, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Cancel(ctx)

	n, err := s.PurgeStaging(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeStaging = %d, %v; want 1, nil", n, err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old staging file survived the purge: %v", err)
	}
	if got := dirNames(t, staging); len(got) != 1 {
		t.Fatalf("staging/ holds %v, want the live writer's file only", got)
	}
}

// TestOpenSendfile copies a blob range into a TCP connection, the path
// where the reader lets the kernel send the file.
func TestOpenSendfile(t *testing.T) {
	ctx := t.Context()
	s := newTestStore(t)
	data := blobtest.Random(1, 3<<20)
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	info, err := w.Commit(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, info.Digest, 1000, 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// Read a little first, so the copy starts mid-range.
	head := make([]byte, 100)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(c, r)
	c.Close()
	if err != nil || n != 2<<20-100 {
		t.Fatalf("io.Copy to TCP = %d, %v; want %d", n, err, 2<<20-100)
	}
	if b := <-got; !bytes.Equal(append(head, b...), data[1000:1000+2<<20]) {
		t.Fatalf("received %d bytes that differ from the range", len(b))
	}
	// The reader is at its end now.
	if n, err := io.Copy(io.Discard, r); n != 0 || err != nil {
		t.Fatalf("second copy = %d, %v; want 0, nil", n, err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestPingFailsWithoutTheDirectory: the readiness check notices a store
// whose directory went away (an unmounted volume).
func TestPingFailsWithoutTheDirectory(t *testing.T) {
	root := filepath.Join(t.TempDir(), "blobs")
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping succeeded without the store's directory")
	}
}
