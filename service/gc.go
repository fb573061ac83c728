package service

import (
	"context"
	"errors"
	"time"

	"github.com/imsd/imsd"
)

// GCResult reports what one garbage collection removed.
type GCResult struct {
	BlobsDeleted    int
	BytesFreed      int64
	StagingPurged   int
	BlobsReferenced int
	// KeysDestroyed counts keys whose pending deletion ended.
	KeysDestroyed int
}

// GC destroys keys whose pending deletion has ended, and removes blobs that
// no image references and staged writes that were abandoned, both only once they are older than grace: a blob committed by
// an upload a moment ago is not referenced until the upload records it, and
// must survive until then.
func (s *Service) GC(ctx context.Context, grace time.Duration) (GCResult, error) {
	var res GCResult
	n, err := s.PurgeDueKeys(ctx)
	if err != nil {
		return res, err
	}
	res.KeysDestroyed = n
	cutoff := s.Now().Add(-grace)
	n, err = s.blobs.PurgeStaging(ctx, cutoff)
	if err != nil {
		return res, err
	}
	res.StagingPurged = n
	var candidates []imsd.BlobInfo
	err = s.blobs.Walk(ctx, func(b imsd.BlobInfo) error {
		if b.ModTime.After(cutoff) {
			return nil
		}
		refs, err := s.store.BlobRefCount(ctx, b.Digest)
		if err != nil {
			return err
		}
		if refs > 0 {
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
		// Re-check right before deleting: a copy or a deduplicated upload
		// may have started referencing it since the walk.
		if refs, err := s.store.BlobRefCount(ctx, b.Digest); err != nil || refs > 0 {
			continue
		}
		if cur, err := s.blobs.Stat(ctx, b.Digest); err != nil || cur.ModTime.After(cutoff) {
			continue
		}
		if err := s.blobs.Delete(ctx, b.Digest); err != nil && !errors.Is(err, imsd.ErrNotFound) {
			return res, err
		}
		res.BlobsDeleted++
		res.BytesFreed += b.Size
		s.log.Info("gc: deleted unreferenced blob", "digest", b.Digest, "bytes", b.Size)
	}
	return res, nil
}
