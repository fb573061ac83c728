package service

import (
	"context"
	"errors"
	"time"

	"github.com/imsd/imsd"
)

// GCOptions tune one garbage collection.
type GCOptions struct {
	// Grace is the age below which unreferenced blobs, blob pins and
	// staged writes are kept.
	Grace time.Duration
	// DryRun reports the blobs that would be deleted and deletes nothing;
	// staged writes and pins are left alone and not counted.
	DryRun bool
}

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
	cutoff := s.Now().Add(-o.Grace)
	if !o.DryRun {
		n, err := s.blobs.PurgeStaging(ctx, cutoff)
		if err != nil {
			return res, err
		}
		res.StagingPurged = n
		if res.PinsPurged, err = s.store.BlobPinsPurge(ctx, cutoff); err != nil {
			return res, err
		}
	}
	var candidates []imsd.BlobInfo
	err := s.blobs.Walk(ctx, func(b imsd.BlobInfo) error {
		if b.ModTime.After(cutoff) {
			return nil
		}
		keep, err := s.blobInUse(ctx, b.Digest, cutoff)
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
		deleted, err := s.collectBlob(ctx, b, cutoff)
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
// pinned it since cutoff.
func (s *Service) blobInUse(ctx context.Context, digest string, cutoff time.Time) (bool, error) {
	refs, err := s.store.BlobRefCount(ctx, digest)
	if err != nil || refs > 0 {
		return refs > 0, err
	}
	return s.store.BlobPinned(ctx, digest, cutoff)
}

// collectBlob deletes the blob unless it is in use or was refreshed since
// cutoff, holding the blob lock exclusively: ErrConflict when a commit
// holds it.
func (s *Service) collectBlob(ctx context.Context, b imsd.BlobInfo, cutoff time.Time) (bool, error) {
	unlock, err := s.store.TryLockBlobsExclusive(ctx)
	if err != nil {
		return false, err
	}
	defer unlock()
	// Re-check under the lock: a copy or a deduplicated upload may have
	// started using it since the walk.
	if inUse, err := s.blobInUse(ctx, b.Digest, cutoff); err != nil || inUse {
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
	return true, nil
}

// commitBlob commits a staged blob and pins it while holding the store's
// blob lock shared, so that garbage collection on any node cannot delete
// the blob before the caller records a reference to it: the pin protects
// it for the GC grace period. Every commit of image data goes through here.
func (s *Service) commitBlob(ctx context.Context, w imsd.BlobWriter, expectDigest string) (imsd.BlobInfo, error) {
	unlock, err := s.store.LockBlobsShared(ctx)
	if err != nil {
		return imsd.BlobInfo{}, err
	}
	defer unlock()
	info, err := w.Commit(ctx, expectDigest)
	if err != nil {
		return info, err
	}
	if err := s.store.BlobPin(background(ctx), info.Digest, s.Now()); err != nil {
		return info, err
	}
	return info, nil
}
