package blobtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/imsd/imsd"
)

// address returns a valid caller-chosen address for the resumable tests.
func address(c byte) string { return strings.Repeat(string(c), 64) }

// checkpoint writes from data (starting at w.Size()) in steps of 1 MiB
// until the store accepts a checkpoint, and returns it.
func checkpoint(t *testing.T, w imsd.ResumableWriter, data []byte) []byte {
	t.Helper()
	for {
		tok, err := w.Checkpoint(t.Context())
		if err == nil {
			return tok
		}
		if !errors.Is(err, imsd.ErrCheckpointLater) {
			t.Fatalf("Checkpoint at %d: %v", w.Size(), err)
		}
		n := w.Size()
		if n >= int64(len(data)) {
			t.Fatalf("no checkpoint accepted up to %d bytes", n)
		}
		if _, err := w.Write(data[n:min(n+1<<20, int64(len(data)))]); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
}

func testResumable(t *testing.T, s imsd.BlobStore) {
	ctx := t.Context()

	// A small write, committed under the caller's address.
	small := Random(20, 3000)
	w, err := s.CreateResumable(ctx)
	if err != nil {
		t.Fatalf("CreateResumable: %v", err)
	}
	if _, err := w.Write(small); err != nil || w.Size() != int64(len(small)) {
		t.Fatalf("Write: %v (size %d)", err, w.Size())
	}
	info, err := w.CommitAs(ctx, address('a'))
	if err != nil || info.Digest != address('a') || info.Size != int64(len(small)) {
		t.Fatalf("CommitAs = %+v, %v", info, err)
	}
	requireContent(t, s, address('a'), small)

	// The same address again keeps the first blob.
	w, err = s.CreateResumable(ctx)
	if err != nil {
		t.Fatalf("CreateResumable: %v", err)
	}
	if _, err := w.Write(Random(21, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CommitAs(ctx, address('a')); err != nil {
		t.Fatalf("CommitAs of an existing address: %v", err)
	}
	requireContent(t, s, address('a'), small)

	// An invalid address commits nothing.
	w, err = s.CreateResumable(ctx)
	if err != nil {
		t.Fatalf("CreateResumable: %v", err)
	}
	if _, err := w.Write(small); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CommitAs(ctx, "../etc/passwd"); err == nil {
		t.Fatal("CommitAs with an invalid address succeeded")
	}
	_ = w.Cancel(ctx)

	// A large write checkpointed, continued past the checkpoint, and
	// resumed from it: the result holds the data once, in order.
	data := Random(22, 25<<20)
	w, err = s.CreateResumable(ctx)
	if err != nil {
		t.Fatalf("CreateResumable: %v", err)
	}
	if _, err := w.Write(data[:9<<20]); err != nil {
		t.Fatal(err)
	}
	tok := checkpoint(t, w, data)
	at := w.Size()
	if _, err := w.Write(data[at : at+(7<<20)]); err != nil { // lost in the "crash"
		t.Fatal(err)
	}
	checkpoint(t, w, data) // the lost data reaches the store
	if err := w.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Release succeeded")
	}
	r, err := s.Resume(ctx, tok)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if r.Size() != at {
		t.Fatalf("resumed at %d, checkpoint was at %d", r.Size(), at)
	}
	if _, err := r.Write(data[at : at+(5<<20)]); err != nil {
		t.Fatal(err)
	}
	tok2 := checkpoint(t, r, data)
	if _, err := r.Write(data[r.Size():]); err != nil {
		t.Fatal(err)
	}
	info, err = r.CommitAs(ctx, address('b'))
	if err != nil || info.Size != int64(len(data)) {
		t.Fatalf("CommitAs after Resume = %+v, %v", info, err)
	}
	requireContent(t, s, address('b'), data)
	if _, err := s.Resume(ctx, tok2); !errors.Is(err, imsd.ErrNotFound) {
		t.Fatalf("Resume after CommitAs: %v, want ErrNotFound", err)
	}

	// A checkpoint of an empty write, and Resume after Cancel.
	w, err = s.CreateResumable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tok, err = w.Checkpoint(ctx)
	if err != nil {
		t.Fatalf("Checkpoint of an empty write: %v", err)
	}
	r, err = s.Resume(ctx, tok)
	if err != nil || r.Size() != 0 {
		t.Fatalf("Resume of an empty checkpoint: %v", err)
	}
	if _, err := r.Write(small); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CommitAs(ctx, address('c')); err != nil {
		t.Fatalf("CommitAs: %v", err)
	}
	requireContent(t, s, address('c'), small)
	_ = w.Cancel(ctx)

	w, err = s.CreateResumable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data[:6<<20]); err != nil {
		t.Fatal(err)
	}
	tok = checkpoint(t, w, data)
	if err := w.Cancel(ctx); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if _, err := s.Resume(ctx, tok); !errors.Is(err, imsd.ErrNotFound) {
		t.Fatalf("Resume after Cancel: %v, want ErrNotFound", err)
	}
	if _, err := s.Resume(ctx, []byte(`{"garbage":1}`)); err == nil {
		t.Fatal("Resume of a garbage checkpoint succeeded")
	}
	mustDelete(t, s, address('a'), address('b'), address('c'))
}
