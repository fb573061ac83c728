package service

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/blob/fs"
	"github.com/imsd/imsd/store/sqlite"
)

// gcFixture is a Service on a real SQLite file and local blob store with a
// settable clock, and a second store on the same file standing for another
// process (another node, or `imsd gc`).
type gcFixture struct {
	svc   *Service
	other imsd.Store
	blobs *fs.Store
	mu    sync.Mutex
	now   time.Time
}

func newGCFixture(t *testing.T) *gcFixture {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "imsd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	other, err := sqlite.Open(filepath.Join(dir, "imsd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	blobs, err := fs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	f := &gcFixture{other: other, blobs: blobs, now: time.Now().UTC()}
	f.svc, err = New(Options{Store: st, Blobs: blobs, Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *gcFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *gcFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// commit stores data through commitBlob, as an upload does.
func (f *gcFixture) commit(t *testing.T, data []byte) imsd.BlobInfo {
	t.Helper()
	info, err := f.tryCommit(t, data)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func (f *gcFixture) tryCommit(t *testing.T, data []byte) (imsd.BlobInfo, error) {
	w, err := f.blobs.Create(t.Context())
	if err != nil {
		return imsd.BlobInfo{}, err
	}
	if _, err := w.Write(data); err != nil {
		return imsd.BlobInfo{}, err
	}
	return f.svc.commitBlob(t.Context(), w, "")
}

// age backdates a blob file, as if it had been committed long ago.
func (f *gcFixture) age(t *testing.T, digest string, d time.Duration) {
	t.Helper()
	var path string
	_ = filepath.Walk(f.blobs.Root(), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && filepath.Base(p) == digest {
			path = p
		}
		return nil
	})
	if path == "" {
		t.Fatalf("blob %s not found under %s", digest, f.blobs.Root())
	}
	old := time.Now().Add(-d)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

func (f *gcFixture) exists(t *testing.T, digest string) bool {
	t.Helper()
	_, err := f.blobs.Stat(t.Context(), digest)
	if err != nil && !errors.Is(err, imsd.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestGCSparesBlobsBeingCommitted: an old, unreferenced blob is not
// deleted while another process holds the blob lock for a commit (which
// may be a deduplicated commit of that very blob), nor while the pin of a
// recent commit protects it; once both are gone it is collected.
func TestGCSparesBlobsBeingCommitted(t *testing.T) {
	f := newGCFixture(t)
	info := f.commit(t, bytes.Repeat([]byte("x"), 1000))
	f.age(t, info.Digest, 2*time.Hour)

	// Another node is committing (holds the lock shared).
	unlock, err := f.other.LockBlobsShared(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f.advance(2 * time.Hour) // the pin of the first commit is older than the grace period
	res, err := f.svc.GCWith(t.Context(), GCOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.BlobsDeleted != 0 || res.BlobsBusy != 1 || !f.exists(t, info.Digest) {
		t.Fatalf("GC beside a commit in progress: %+v", res)
	}
	unlock()

	// That commit deduplicated onto the blob and pinned it.
	f.commit(t, bytes.Repeat([]byte("x"), 1000))
	f.age(t, info.Digest, 2*time.Hour) // S3 does not refresh the modification time
	res, err = f.svc.GCWith(t.Context(), GCOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.BlobsDeleted != 0 || res.BlobsReferenced != 1 || !f.exists(t, info.Digest) {
		t.Fatalf("GC right after a deduplicated commit: %+v", res)
	}

	// Nothing referenced it within the grace period: collected.
	f.advance(2 * time.Hour)
	dry, err := f.svc.GCWith(t.Context(), GCOptions{Grace: time.Hour, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.BlobsDeleted != 1 || len(dry.Deleted) != 1 || dry.Deleted[0].Digest != info.Digest || !f.exists(t, info.Digest) {
		t.Fatalf("dry run: %+v", dry)
	}
	res, err = f.svc.GCWith(t.Context(), GCOptions{Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.BlobsDeleted != 1 || res.BytesFreed != 1000 || res.PinsPurged != 1 || f.exists(t, info.Digest) {
		t.Fatalf("GC of an unreferenced blob: %+v", res)
	}
}

// TestCommitWaitsForGCDeletion: a commit waits while GC holds the lock
// exclusively, then stores its blob anew even if GC just deleted the same
// content.
func TestCommitWaitsForGCDeletion(t *testing.T) {
	f := newGCFixture(t)
	excl, err := f.other.TryLockBlobsExclusive(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		info imsd.BlobInfo
		err  error
	}
	done := make(chan result, 1)
	go func() {
		info, err := f.tryCommit(t, []byte("payload"))
		done <- result{info, err}
	}()
	select {
	case <-done:
		t.Fatal("a commit went ahead while GC held the blob lock")
	case <-time.After(50 * time.Millisecond):
	}
	excl()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	info := r.info
	if !f.exists(t, info.Digest) {
		t.Fatal("the commit's blob is missing")
	}
	if pinned, err := f.other.BlobPinned(t.Context(), info.Digest, f.clock()); err != nil || !pinned {
		t.Fatalf("the commit did not pin its blob: %v %v", pinned, err)
	}
}

// TestUnpinLeavesLaterPins: once an upload recorded its reference it drops
// its own pin (so deleting the image frees the data at the next run), but
// not the pin of a later commit of the same content still in flight.
func TestUnpinLeavesLaterPins(t *testing.T) {
	f := newGCFixture(t)
	first := f.commit(t, []byte("same content"))
	f.advance(time.Second)
	second := f.commit(t, []byte("same content")) // deduplicated
	f.svc.unpinBlob(t.Context(), first)
	res, err := f.svc.GCWith(t.Context(), GCOptions{Grace: time.Nanosecond})
	if err != nil || res.BlobsDeleted != 0 || !f.exists(t, first.Digest) {
		t.Fatalf("GC while the second commit is unrecorded: %+v %v", res, err)
	}
	f.svc.unpinBlob(t.Context(), second)
	res, err = f.svc.GCWith(t.Context(), GCOptions{Grace: time.Nanosecond})
	if err != nil || res.BlobsDeleted != 1 || f.exists(t, first.Digest) {
		t.Fatalf("GC once both pins are dropped: %+v %v", res, err)
	}
}
