package service

import (
	"context"
	"errors"
	"time"

	"github.com/imsd/imsd"
)

// GCOptions tune one garbage collection.
type GCOptions struct {
	// Grace is the age below which unreferenced blobs and staged writes
	// are kept; a commit's pin protects its blob for Grace, and at least
	// 15 minutes.
	Grace time.Duration
	// DryRun reports the blobs that would be deleted and deletes nothing;
	// staged writes and pins are left alone and not counted.
	DryRun bool
}

// minPinAge is how long a commit's pin protects its blob at least, whatever
// the grace period: the pin only has to outlive the moment between the
// commit and the transaction recording the reference (milliseconds), and a
// grace period of a few milliseconds (tests, impatient operators) must not
// shorten that.
const minPinAge = 15 * time.Minute

// GCResult reports what one garbage collection removed (or, in a dry run,
// would remove).
type GCResult struct {
	BlobsDeleted    int
	BytesFreed      int64
	StagingPurged   int
	PinsPurged      int
	BlobsReferenced int
	// BlobsBusy counts unreferenced blobs left for the next run because a
	// blob commit held the blob lock.
	BlobsBusy int
	// Deleted describes the blobs deleted (or that would be).
	Deleted []imsd.BlobInfo
}

// GC removes blobs that no image references and staged writes that were
// abandoned, both only once they are older than grace.
func (s *Service) GC(ctx context.Context, grace time.Duration) (GCResult, error) {
	return s.GCWith(ctx, GCOptions{Grace: grace})
}

// GCWith runs one garbage collection. It is safe beside uploads and copies
// on any node: a blob commit holds the store's blob lock shared until it
// has pinned the blob (commitBlob), and GC checks a blob's references and
// pins and deletes it under the lock held exclusively, so it never deletes
// a blob between its commit and the moment an image references it — not
// even a deduplicated commit of an old unreferenced blob, whose age alone
// would not protect it.
func (s *Service) GCWith(ctx context.Context, o GCOptions) (GCResult, error) {
	var res GCResult
	now := s.Now()
	cutoff := now.Add(-o.Grace)
	pinCutoff := now.Add(-max(o.Grace, minPinAge))
	if !o.DryRun {
		n, err := s.blobs.PurgeStaging(ctx, cutoff)
		if err != nil {
			return res, err
		}
		res.StagingPurged = n
		if res.PinsPurged, err = s.store.BlobPinsPurge(ctx, pinCutoff); err != nil {
			return res, err
		}
	}
	var candidates []imsd.BlobInfo
	err := s.blobs.Walk(ctx, func(b imsd.BlobInfo) error {
		if b.ModTime.After(cutoff) {
			return nil
		}
		keep, err := s.blobInUse(ctx, b.Digest, pinCutoff)
		if err != nil {
			return err
		}
		if keep {
			res.BlobsReferenced++
			return nil
		}
		candidates = append(candidates, b)
		return nil
	})
	if err != nil {
		return res, err
	}
	for _, b := range candidates {
		if o.DryRun {
			res.BlobsDeleted++
			res.BytesFreed += b.Size
			res.Deleted = append(res.Deleted, b)
			continue
		}
		deleted, err := s.collectBlob(ctx, b, cutoff, pinCutoff)
		if errors.Is(err, imsd.ErrConflict) {
			res.BlobsBusy++
			continue
		}
		if err != nil {
			return res, err
		}
		if deleted {
			res.BlobsDeleted++
			res.BytesFreed += b.Size
			res.Deleted = append(res.Deleted, b)
			s.log.Info("gc: deleted unreferenced blob", "digest", b.Digest, "bytes", b.Size)
		}
	}
	return res, nil
}

// blobInUse reports whether an image references the blob or a commit
// pinned it since pinCutoff.
func (s *Service) blobInUse(ctx context.Context, digest string, pinCutoff time.Time) (bool, error) {
	refs, err := s.store.BlobRefCount(ctx, digest)
	if err != nil || refs > 0 {
		return refs > 0, err
	}
	return s.store.BlobPinned(ctx, digest, pinCutoff)
}

// collectBlob deletes the blob unless it is in use or was refreshed since
// cutoff, holding the blob lock exclusively: ErrConflict when a commit
// holds it.
func (s *Service) collectBlob(ctx context.Context, b imsd.BlobInfo, cutoff, pinCutoff time.Time) (bool, error) {
	unlock, err := s.store.TryLockBlobsExclusive(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	// Re-check under the lock: a copy or a deduplicated upload may have
	// started using it since the walk.
	if inUse, err := s.blobInUse(ctx, b.Digest, pinCutoff); err != nil || inUse {
		return false, err
	}
	if cur, err := s.blobs.Stat(ctx, b.Digest); err != nil || cur.ModTime.After(cutoff) {
		if errors.Is(err, imsd.ErrNotFound) {
			err = nil // another collector got there first
		}
		return false, err
	}
	if err := s.blobs.Delete(ctx, b.Digest); err != nil && !errors.Is(err, imsd.ErrNotFound) {
		return false, err
	}
	s.fail.Hit("gc.deleted")
	return true, nil
}

// commitBlob commits a staged blob and pins it while holding the store's
// blob lock shared, so that garbage collection on any node cannot delete
// the blob before the caller records a reference to it: the pin protects
// it for the GC grace period (at least 15 minutes). The returned ModTime is
// the pin's time; once the reference is recorded, the caller hands it to
// unpinBlob. Every commit of image data goes through here.
func (s *Service) commitBlob(ctx context.Context, w imsd.BlobWriter, expectDigest string) (imsd.BlobInfo, error) {
	return s.commitPinned(ctx, func() (imsd.BlobInfo, error) { return w.Commit(ctx, expectDigest) })
}

// commitPinned runs commit (a blob writer's Commit or CommitAs) under the
// blob lock held shared and pins the committed blob, as commitBlob.
func (s *Service) commitPinned(ctx context.Context, commit func() (imsd.BlobInfo, error)) (imsd.BlobInfo, error) {
	unlock, err := s.store.LockBlobsShared(ctx)
	if err != nil {
		return imsd.BlobInfo{}, err
	}
	defer unlock()
	info, err := commit()
	if err != nil {
		return info, err
	}
	info.ModTime = s.Now().Truncate(time.Microsecond) // what the store keeps
	if err := s.store.BlobPin(background(ctx), info.Digest, info.ModTime); err != nil {
		return info, err
	}
	return info, nil
}

// unpinBlob drops the pin commitBlob made once an image references the
// blob, so that deleting that image frees the data at the next collection.
// A later commit's pin of the same content is left alone. Failing only
// delays the collection, so it is logged.
func (s *Service) unpinBlob(ctx context.Context, info imsd.BlobInfo) {
	if err := s.store.BlobUnpin(background(ctx), info.Digest, info.ModTime); err != nil {
		s.log.Warn("unpin blob", "digest", info.Digest, "err", err)
	}
}
