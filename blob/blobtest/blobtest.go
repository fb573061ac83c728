// Package blobtest is the conformance suite for imsd.BlobStore
// implementations. A backend's test hands Run a constructor for an empty
// store:
//
//	func TestStore(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) imsd.BlobStore { return newTestStore(t) })
//	}
//
// Every subtest gets its own store, runs in parallel with the others, cleans
// up after itself and then checks that the store holds no blob and no
// staged write.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// LargeSize is the size of the suite's largest blob: big enough to need
// several parts in a multipart upload with 16 MiB parts.
const LargeSize = 40 << 20

// Run runs the conformance suite. newStore must return an empty store; it
// may register cleanups with t.
func Run(t *testing.T, newStore func(t *testing.T) imsd.BlobStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s imsd.BlobStore)
	}{
		{"CommitVisibility", testCommitVisibility},
		{"Digest", testDigest},
		{"Dedupe", testDedupe},
		{"DigestMismatch", testDigestMismatch},
		{"Cancel", testCancel},
		{"CommitCanceledContext", testCommitCanceledContext},
		{"RangeReads", testRangeReads},
		{"Large", testLarge},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Delete", testDelete},
		{"NotFound", testNotFound},
		{"Walk", testWalk},
		{"PurgeStaging", testPurgeStaging},
		{"Ping", testPing},
		{"Resumable", testResumable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			tc.fn(t, s)
			if !t.Failed() {
				requireEmpty(t, s)
			}
		})
	}
}

// requireEmpty fails the test if s holds a blob or a staged write.
func requireEmpty(t *testing.T, s imsd.BlobStore) {
	t.Helper()
	if got := walkAll(t, s); len(got) != 0 {
		t.Errorf("store not empty after the test: %d blobs left: %v", len(got), got)
	}
	n, err := s.PurgeStaging(t.Context(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatalf("PurgeStaging: %v", err)
	}
	if n != 0 {
		t.Errorf("PurgeStaging after the test removed %d staged writes, want 0: something was left behind", n)
	}
}

// Digest returns the lower-case hex SHA-256 of p, the address a store must
// give it.
func Digest(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

// MD5 returns the lower-case hex MD5 of p, the checksum Commit must report.
func MD5(p []byte) string {
	sum := md5.Sum(p)
	return hex.EncodeToString(sum[:])
}

// Random returns n pseudo-random bytes determined by seed.
func Random(seed uint64, n int) []byte {
	p := make([]byte, n)
	_, _ = newSource(seed).Read(p)
	return p
}

// newSource is an endless deterministic byte stream.
func newSource(seed uint64) *rand.ChaCha8 {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(key)
}

// put stores p in one Write and commits it.
func put(t *testing.T, s imsd.BlobStore, p []byte) imsd.BlobInfo {
	t.Helper()
	ctx := t.Context()
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if n, err := w.Write(p); err != nil || n != len(p) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(p))
	}
	info, err := w.Commit(ctx, "")
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if want := Digest(p); info.Digest != want || info.Size != int64(len(p)) {
		t.Fatalf("Commit = %s (%d bytes), want %s (%d bytes)", info.Digest, info.Size, want, len(p))
	}
	if want := MD5(p); info.MD5 != want {
		t.Fatalf("Commit MD5 = %q, want %s", info.MD5, want)
	}
	return info
}

// read returns the bytes Open gives for the range.
func read(t *testing.T, s imsd.BlobStore, digest string, off, n int64) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), digest, off, n)
	if err != nil {
		t.Fatalf("Open(%.12s, %d, %d): %v", digest, off, n, err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %.12s [%d, %d): %v", digest, off, n, err)
	}
	return got
}

// requireContent fails unless blob digest reads back as want.
func requireContent(t *testing.T, s imsd.BlobStore, digest string, want []byte) {
	t.Helper()
	if got := read(t, s, digest, 0, -1); !bytes.Equal(got, want) {
		t.Fatalf("blob %.12s: read %d bytes (sha256 %.12s), want %d bytes (sha256 %.12s)",
			digest, len(got), Digest(got), len(want), Digest(want))
	}
}

// requireNotFound fails unless err matches imsd.ErrNotFound.
func requireNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, imsd.ErrNotFound) {
		t.Fatalf("%s: got error %v, want imsd.ErrNotFound", what, err)
	}
}

// requireAbsent fails unless Stat, Open and Walk all agree that digest is
// not in s.
func requireAbsent(t *testing.T, s imsd.BlobStore, digest string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.Stat(ctx, digest)
	requireNotFound(t, "Stat", err)
	r, err := s.Open(ctx, digest, 0, -1)
	if err == nil {
		r.Close()
	}
	requireNotFound(t, "Open", err)
	if _, ok := walkAll(t, s)[digest]; ok {
		t.Fatalf("Walk lists %.12s, which should not exist", digest)
	}
}

// walkAll returns what Walk reports, by digest, failing on duplicates.
func walkAll(t *testing.T, s imsd.BlobStore) map[string]imsd.BlobInfo {
	t.Helper()
	got := map[string]imsd.BlobInfo{}
	err := s.Walk(t.Context(), func(info imsd.BlobInfo) error {
		if _, dup := got[info.Digest]; dup {
			t.Errorf("Walk reported %s twice", info.Digest)
		}
		got[info.Digest] = info
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

// mustDelete deletes the blobs, failing on any error.
func mustDelete(t *testing.T, s imsd.BlobStore, digests ...string) {
	t.Helper()
	for _, d := range digests {
		if err := s.Delete(t.Context(), d); err != nil {
			t.Fatalf("Delete(%.12s): %v", d, err)
		}
	}
}

// hashReader returns the SHA-256 and length of what r yields.
func hashReader(t *testing.T, r io.Reader) (string, int64) {
	t.Helper()
	sha, _, n := hashesReader(t, r)
	return sha, n
}

// hashesReader returns the SHA-256, the MD5 and the length of what r yields.
func hashesReader(t *testing.T, r io.Reader) (sha, sum string, n int64) {
	t.Helper()
	h, m := sha256.New(), md5.New()
	n, err := io.Copy(io.MultiWriter(h, m), r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), hex.EncodeToString(m.Sum(nil)), n
}

// onlyReader hides every method but Read, so io.Copy into a writer takes
// its ReadFrom path if it has one, or else Write.
type onlyReader struct{ io.Reader }

// onlyWriter hides every method but Write, so io.Copy uses plain Writes.
type onlyWriter struct{ io.Writer }

// canceled returns a context that is already canceled.
func canceled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}
