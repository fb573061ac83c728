package service

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"github.com/imsd/imsd"
)

// An image's checksum is the MD5 of its data, as Glance reports it and
// clients verify it. Uploads compute it while they store the data (see
// receive); images stored before that have none until FillChecksums reads
// their data once, or until a full download reads it (checksumReader).
// Copies inherit the source's checksum with its data.

// FillChecksums gives every image that has data but no checksum its MD5,
// reading each distinct blob once and checking its SHA-256 on the way. It
// repeats until nothing is left, so copies made from such images while it
// runs are caught too, and returns how many images it updated. A blob that
// cannot be read, or does not match its digest, is logged and skipped.
func (s *Service) FillChecksums(ctx context.Context) (int, error) {
	updated := 0
	sums := map[string]string{} // digest → MD5, "" when the blob is unusable
	for {
		imgs, err := s.store.ImageList(ctx, imsd.ImageQuery{MissingChecksum: true})
		if err != nil {
			return updated, fmt.Errorf("fill checksums: list images: %w", err)
		}
		progress := false
		recorded := map[string]bool{} // digests done in this pass
		for _, img := range imgs {
			if recorded[img.BlobDigest] {
				continue
			}
			sum, known := sums[img.BlobDigest]
			if !known {
				sum, err = s.blobChecksum(ctx, img.BlobDigest)
				if ctx.Err() != nil {
					return updated, ctx.Err()
				}
				if err != nil {
					s.log.Error("fill checksums: cannot read image data", "image_id", img.ID, "digest", img.BlobDigest, "err", err)
				}
				sums[img.BlobDigest] = sum
			}
			if sum == "" {
				continue
			}
			n, err := s.recordChecksum(ctx, img.BlobDigest, sum)
			if err != nil {
				return updated, err
			}
			recorded[img.BlobDigest] = true
			updated += n
			progress = progress || n > 0
		}
		if !progress {
			if updated > 0 {
				s.log.Info("fill checksums: done", "images", updated)
			}
			return updated, nil
		}
	}
}

// blobChecksum reads a blob and returns its MD5, after checking that its
// SHA-256 is its digest.
func (s *Service) blobChecksum(ctx context.Context, digest string) (string, error) {
	rc, err := s.blobs.Open(ctx, digest, 0, -1)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	sha, sum := sha256.New(), md5.New()
	if _, err := io.CopyBuffer(io.MultiWriter(sha, sum), rc, make([]byte, uploadBufferSize)); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(sha.Sum(nil)); got != digest {
		return "", fmt.Errorf("stored data has SHA-256 %s: %w", got, imsd.ErrDigestMismatch)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// recordChecksum sets the checksum of every image referencing digest that
// has none, and reports how many it set. It changes no other field (a
// concurrent update is never overwritten), and UpdatedAt stays: nothing
// the owner set has changed.
func (s *Service) recordChecksum(ctx context.Context, digest, sum string) (int, error) {
	n, err := s.store.ImageSetChecksum(ctx, digest, sum)
	if err != nil {
		return n, fmt.Errorf("record checksum of %s: %w", digest, err)
	}
	return n, nil
}

// checksumReader hashes a full read of an image that has no checksum yet
// and records the MD5 when the whole body was read and its SHA-256 matched.
type checksumReader struct {
	rc       io.ReadCloser
	sha, sum hash.Hash
	n, want  int64
	digest   string
	record   func(sum string)
}

func (r *checksumReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if n > 0 {
		r.sha.Write(p[:n])
		r.sum.Write(p[:n])
		r.n += int64(n)
	}
	return n, err
}

// Close closes the blob and, after a complete read of intact data, records
// the checksum.
func (r *checksumReader) Close() error {
	err := r.rc.Close()
	if r.record != nil && r.n == r.want && hex.EncodeToString(r.sha.Sum(nil)) == r.digest {
		r.record(hex.EncodeToString(r.sum.Sum(nil)))
	}
	r.record = nil
	return err
}

// withChecksum wraps the body of a download so that a full read of an image
// without a checksum gives it one.
func (s *Service) withChecksum(ctx context.Context, img *imsd.Image, offset, length int64, rc io.ReadCloser) io.ReadCloser {
	if img.Checksum != "" || offset != 0 || length != img.Size {
		return rc
	}
	return &checksumReader{rc: rc, sha: sha256.New(), sum: md5.New(), want: length, digest: img.BlobDigest,
		record: func(sum string) {
			if _, err := s.recordChecksum(background(ctx), img.BlobDigest, sum); err != nil {
				s.log.Warn("record checksum after download", "image_id", img.ID, "err", err)
			}
		}}
}
