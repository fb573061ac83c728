// Package objstoretest is the conformance suite of imsd.ObjectStorage:
// every backend runs Run against a real server.
package objstoretest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/google/uuid"

	"github.com/imsd/imsd"
)

// Fixture is what the suite needs from a backend.
type Fixture struct {
	// Store is the object storage under test.
	Store imsd.ObjectStorage
	// Bucket exists and may be written to.
	Bucket string
	// Missing names a bucket that does not exist.
	Missing string
	// PartSize is the size at which the store's writes become multipart
	// (or the like); the suite writes objects of several parts.
	PartSize int
	// Leave leaves an unfinished staged write of key behind, as a crash
	// mid-write does; Unfinished counts those of key. Both may be nil when
	// the backend has no such thing.
	Leave      func(t *testing.T, key string)
	Unfinished func(t *testing.T, key string) int
}

// Run runs the suite. open returns a fixture; it may skip t when the
// backend is unavailable.
func Run(t *testing.T, open func(t *testing.T) Fixture) {
	f := open(t)
	s := &suite{f: f}
	t.Run("MissingObject", s.missingObject)
	t.Run("MissingBucket", s.missingBucket)
	for _, size := range []int{0, 1, 1000, f.PartSize - 1, f.PartSize, 2*f.PartSize + 12345} {
		t.Run(fmt.Sprintf("RoundTrip%d", size), func(t *testing.T) { s.roundTrip(t, size) })
	}
	t.Run("InvisibleUntilCommit", s.invisibleUntilCommit)
	t.Run("Cancel", s.cancel)
	t.Run("Overwrite", s.overwrite)
	t.Run("KeysWithPaths", s.keysWithPaths)
	t.Run("CreateAbortsUnfinishedWrites", s.createAbortsUnfinished)
	for _, size := range []int{0, 1000, 2*f.PartSize + 7} {
		t.Run(fmt.Sprintf("Put%d", size), func(t *testing.T) { s.putVerified(t, size) })
	}
}

// putVerified: Put stores data whose SHA-256 matches, and nothing when the
// data is corrupt, short, or the reader fails.
func (s *suite) putVerified(t *testing.T, size int) {
	data := random(t, size)
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	k := key("put.raw")
	info, err := s.f.Store.Put(t.Context(), s.f.Bucket, k, bytes.NewReader(data), int64(size), digest)
	if err != nil || info.Size != int64(size) {
		t.Fatalf("Put = %+v, %v", info, err)
	}
	if !bytes.Equal(s.get(t, k), data) {
		t.Fatal("Put stored other data")
	}
	if size == 0 {
		return
	}
	corrupt := bytes.Clone(data)
	corrupt[size/2] ^= 0xff
	bad := key("corrupt.raw")
	_, err = s.f.Store.Put(t.Context(), s.f.Bucket, bad, bytes.NewReader(corrupt), int64(size), digest)
	wantErr(t, "Put of corrupt data", err, imsd.ErrDigestMismatch)
	_, err = s.f.Store.Stat(t.Context(), s.f.Bucket, bad)
	wantErr(t, "Stat after a refused Put", err, imsd.ErrNotFound)
	short := key("short.raw")
	if _, err := s.f.Store.Put(t.Context(), s.f.Bucket, short, bytes.NewReader(data[:size-1]), int64(size), digest); err == nil {
		t.Fatal("Put of fewer bytes than announced succeeded")
	}
	failing := key("failing.raw")
	if _, err := s.f.Store.Put(t.Context(), s.f.Bucket, failing, io.MultiReader(bytes.NewReader(data[:size/2]), errReader{}), int64(size), digest); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	for _, k := range []string{short, failing} {
		_, err = s.f.Store.Stat(t.Context(), s.f.Bucket, k)
		wantErr(t, "Stat after a failed Put", err, imsd.ErrNotFound)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

type suite struct{ f Fixture }

func key(name string) string { return "objstoretest/" + uuid.NewString() + "/" + name }

func random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (s *suite) put(t *testing.T, k string, data []byte) {
	t.Helper()
	w, err := s.f.Store.Create(t.Context(), s.f.Bucket, k)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write: %v", err)
	}
	info, err := w.Commit(t.Context())
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if info.Size != int64(len(data)) {
		t.Fatalf("Commit reports %d bytes, want %d", info.Size, len(data))
	}
}

func (s *suite) get(t *testing.T, k string) []byte {
	t.Helper()
	rc, info, err := s.f.Store.Open(t.Context(), s.f.Bucket, k)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if info.Size != int64(len(b)) {
		t.Fatalf("Open reports %d bytes, read %d", info.Size, len(b))
	}
	return b
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: err = %v, want %v", what, err, target)
	}
}

func (s *suite) missingObject(t *testing.T) {
	k := key("absent")
	_, err := s.f.Store.Stat(t.Context(), s.f.Bucket, k)
	wantErr(t, "Stat", err, imsd.ErrNotFound)
	_, _, err = s.f.Store.Open(t.Context(), s.f.Bucket, k)
	wantErr(t, "Open", err, imsd.ErrNotFound)
}

func (s *suite) missingBucket(t *testing.T) {
	k := key("x")
	_, err := s.f.Store.Stat(t.Context(), s.f.Missing, k)
	wantErr(t, "Stat", err, imsd.ErrNoSuchBucket)
	_, _, err = s.f.Store.Open(t.Context(), s.f.Missing, k)
	wantErr(t, "Open", err, imsd.ErrNoSuchBucket)
	w, err := s.f.Store.Create(t.Context(), s.f.Missing, k)
	if err == nil {
		// A backend may find out only when writing.
		_, _ = w.Write(random(t, 10))
		_, err = w.Commit(t.Context())
	}
	wantErr(t, "Create+Commit", err, imsd.ErrNoSuchBucket)
	_, err = s.f.Store.Stat(t.Context(), "", k)
	wantErr(t, "Stat of the empty bucket name", err, imsd.ErrNoSuchBucket)
}

func (s *suite) roundTrip(t *testing.T, size int) {
	k := key("disk.img")
	data := random(t, size)
	s.put(t, k, data)
	info, err := s.f.Store.Stat(t.Context(), s.f.Bucket, k)
	if err != nil || info.Size != int64(size) {
		t.Fatalf("Stat = %+v, %v; want %d bytes", info, err, size)
	}
	if got := s.get(t, k); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes differing from the %d written", len(got), size)
	}
}

func (s *suite) invisibleUntilCommit(t *testing.T) {
	k := key("staged")
	w, err := s.f.Store.Create(t.Context(), s.f.Bucket, k)
	if err != nil {
		t.Fatal(err)
	}
	data := random(t, 2*s.f.PartSize+1)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	_, err = s.f.Store.Stat(t.Context(), s.f.Bucket, k)
	wantErr(t, "Stat before Commit", err, imsd.ErrNotFound)
	if _, err := w.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.get(t, k), data) {
		t.Fatal("committed data differs")
	}
	if _, err := w.Commit(t.Context()); err == nil {
		t.Fatal("a second Commit succeeded")
	}
	if err := w.Cancel(t.Context()); err != nil {
		t.Fatalf("Cancel after Commit: %v", err)
	}
}

func (s *suite) cancel(t *testing.T) {
	for _, size := range []int{10, 2*s.f.PartSize + 1} {
		k := key("cancelled")
		w, err := s.f.Store.Create(t.Context(), s.f.Bucket, k)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(random(t, size)); err != nil {
			t.Fatal(err)
		}
		if err := w.Cancel(t.Context()); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		_, err = s.f.Store.Stat(t.Context(), s.f.Bucket, k)
		wantErr(t, "Stat after Cancel", err, imsd.ErrNotFound)
		if _, err := w.Commit(t.Context()); err == nil {
			t.Fatal("Commit after Cancel succeeded")
		}
	}
}

func (s *suite) overwrite(t *testing.T) {
	k := key("twice")
	s.put(t, k, random(t, s.f.PartSize+5))
	second := random(t, 77)
	s.put(t, k, second)
	if !bytes.Equal(s.get(t, k), second) {
		t.Fatal("the second write did not replace the first")
	}
}

func (s *suite) keysWithPaths(t *testing.T) {
	for _, name := range []string{"a/b/c/disk.qcow2", "with space.raw", "画像-ü.vhd", "x+y=z&q.iso"} {
		k := key(name)
		data := random(t, 100)
		s.put(t, k, data)
		if !bytes.Equal(s.get(t, k), data) {
			t.Fatalf("%q: data differs", name)
		}
	}
}

// createAbortsUnfinished: a write left unfinished by a crash is aborted by
// the next Create of the same key, so nothing of it stays behind.
func (s *suite) createAbortsUnfinished(t *testing.T) {
	if s.f.Leave == nil {
		t.Skip("the backend leaves no unfinished writes")
	}
	k := key("crashed")
	s.f.Leave(t, k)
	if n := s.f.Unfinished(t, k); n != 1 {
		t.Fatalf("%d unfinished writes after Leave, want 1", n)
	}
	data := random(t, s.f.PartSize+3)
	s.put(t, k, data)
	if !bytes.Equal(s.get(t, k), data) {
		t.Fatal("data differs")
	}
	if n := s.f.Unfinished(t, k); n != 0 {
		t.Fatalf("%d unfinished writes left after a new write of the key", n)
	}
}
