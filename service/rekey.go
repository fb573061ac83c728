package service

// Byte-moving copies: a copy under another key than its source's reads the
// source (decrypting it when it is encrypted), hashes the plaintext,
// encrypts it under the copy's own data key and writes it to a resumable
// staged blob, each step on its own goroutine (blobcrypt.Transform). Every
// CopyCheckpointBytes the staged data is made durable and the position and
// the hash state are recorded in the job, so a copy interrupted by a crash
// or a shutdown resumes there; a cancelled copy removes its staged data.
// The result is committed under the address fixed when the copy was
// accepted, only after the plaintext's SHA-256 matched the source's.

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/blobcrypt"
)

// copyProgressEvery is how often a byte-moving copy reports its progress
// (process_percent), which also renews its lease and notices a cancel.
const copyProgressEvery = 500 * time.Millisecond

// copyCheckpoint is the durable progress of a byte-moving copy.
type copyCheckpoint struct {
	// Segment is the number of segments durable in the staged blob.
	Segment int64 `json:"segment"`
	// Blob is the blob store's checkpoint token.
	Blob []byte `json:"blob"`
	// SHA256 is the state of the plaintext hash after Segment segments.
	SHA256 []byte `json:"sha256_state"`
}

// ErrJobTaken means the job ended or moved to another runner while this
// one worked on it (a cancel, or a lost lease): the runner records nothing.
var ErrJobTaken = errors.New("the job was cancelled or taken over by another runner")

func (s *Service) runSealingCopy(ctx context.Context, job *imsd.Job, dst *imsd.Image, pl copyPayload, progress Progress) error {
	if !dst.Encrypted() || dst.BlobDigest == "" {
		return fail(imsd.CodeInternal, "The copy's data key is missing.")
	}
	// A previous attempt may have committed the data before it stopped.
	if info, err := s.blobs.Stat(ctx, dst.BlobDigest); err == nil && info.Size == storedSize(dst) {
		return progress(ctx, 0.99, copyTaskName)
	}
	to, err := s.copyCipher(ctx, dst.CmkID, dst.DataKey, imsd.CodeKeyNotFound)
	if err != nil {
		return err
	}
	var from *blobcrypt.Cipher
	if pl.SourceCmkID != "" {
		if from, err = s.copyCipher(ctx, pl.SourceCmkID, pl.SourceDataKey, imsd.CodeSourceKeyNotFound); err != nil {
			return err
		}
	}
	sum := sha256.New()
	w, start, err := s.resumeCopy(ctx, job, sum)
	if err != nil {
		return err
	}
	srcOffset := start * blobcrypt.SegmentSize
	if from != nil {
		srcOffset = start * blobcrypt.SealedSegmentSize
	}
	rc, err := s.blobs.Open(ctx, pl.SourceDigest, srcOffset, -1)
	if errors.Is(err, imsd.ErrNotFound) {
		_ = w.Cancel(background(ctx))
		return fail(imsd.CodeImageUnavailable, "The data of the source image is missing from the blob store.")
	}
	if err != nil {
		_ = w.Release(background(ctx))
		return err
	}
	defer rc.Close()
	if start > 0 {
		s.log.Info("copy resumed from its checkpoint", "job_id", job.ID, "offset", start*blobcrypt.SegmentSize, "attempt", job.Attempts)
	}
	size := pl.SourceSize
	report := func(done int64) error {
		return progress(ctx, 0.05+0.9*float64(done)/float64(max(size, 1)), copyTaskName)
	}
	if err := report(start * blobcrypt.SegmentSize); err != nil {
		return s.stopCopy(ctx, job, w, err)
	}
	began, lastReport := s.now(), s.now()
	lastCheckpoint, lastCheckpointAt := start*blobcrypt.SegmentSize, s.now()
	t := &blobcrypt.Transform{
		Src: rc, From: from, To: to, Dst: w, Hashes: []hash.Hash{sum}, FirstSegment: start, PlainSize: size, Snapshot: true,
		OnBatch: func(done int64, state [][]byte) error {
			if err := s.throttle(ctx, began, done-start*blobcrypt.SegmentSize); err != nil {
				return err
			}
			if now := s.now(); now.Sub(lastReport) >= copyProgressEvery {
				lastReport = now
				if err := report(done); err != nil {
					return err
				}
			}
			if done == size || (done-lastCheckpoint < s.cfg.CopyCheckpointBytes && s.now().Sub(lastCheckpointAt) < time.Minute) {
				return nil
			}
			tok, err := w.Checkpoint(ctx)
			if errors.Is(err, imsd.ErrCheckpointLater) {
				return nil
			}
			if err != nil {
				return err
			}
			cp, err := json.Marshal(copyCheckpoint{Segment: done / blobcrypt.SegmentSize, Blob: tok, SHA256: state[0]})
			if err != nil {
				return err
			}
			if err := s.store.JobCheckpoint(ctx, job.ID, job.LeaseOwner, cp); err != nil {
				return err
			}
			lastCheckpoint, lastCheckpointAt = done, s.now()
			s.fail.Hit("rekey.checkpointed")
			return nil
		},
	}
	_, err = t.Run(ctx)
	streamed := s.now().Sub(began)
	if err != nil {
		if errors.Is(err, blobcrypt.ErrAuth) || errors.Is(err, blobcrypt.ErrShortInput) {
			_ = w.Cancel(background(ctx))
			return fail(imsd.CodeImageUnavailable, "The data of the source image is damaged: %v", err)
		}
		return s.stopCopy(ctx, job, w, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != pl.SourcePlainDigest {
		_ = w.Cancel(background(ctx))
		return fail(imsd.CodeImageUnavailable, "The copied data has SHA-256 %s, the source %s; nothing was kept.", got, pl.SourcePlainDigest)
	}
	// The last chance to notice a cancel before the data becomes visible.
	if err := progress(ctx, 0.97, copyTaskName); err != nil {
		return s.stopCopy(ctx, job, w, err)
	}
	committing := s.now()
	info, err := w.CommitAs(ctx, dst.BlobDigest)
	if errors.Is(err, imsd.ErrStorageFull) {
		return errCopyStorageFull // a failed commit keeps nothing staged
	}
	if err != nil {
		return err // retried from the start: a failed commit keeps nothing staged
	}
	committed := s.now().Sub(committing)
	s.fail.Hit("rekey.committed")
	if want := storedSize(dst); info.Size != want {
		return fail(imsd.CodeInternal, "The committed copy has %d bytes, expected %d.", info.Size, want)
	}
	st := t.Stats
	s.log.Info("copy re-encrypted", "job_id", job.ID, "image_id", dst.ID, "bytes", size, "resumed_at", start*blobcrypt.SegmentSize,
		"stream_seconds", streamed.Seconds(), "commit_seconds", committed.Seconds(), "seconds", s.now().Sub(began).Seconds(),
		"read_s", st.ReadTime.Seconds(), "read_wait_s", st.ReadWait.Seconds(), "hash_s", st.HashTime.Seconds(),
		"hash_wait_s", st.HashWait.Seconds(), "write_s", st.WriteTime.Seconds(), "write_wait_s", st.WriteWait.Seconds())
	return progress(ctx, 0.99, copyTaskName)
}

// copyCipher opens a data key wrapped under key keyID; a key that is gone
// fails the job with code.
func (s *Service) copyCipher(ctx context.Context, keyID string, wrapped []byte, missing imsd.Code) (*blobcrypt.Cipher, error) {
	k, err := s.store.KeyGet(ctx, keyID)
	if errors.Is(err, imsd.ErrNotFound) {
		return nil, fail(missing, "The KMS key %s no longer exists.", keyID)
	}
	if err != nil {
		return nil, err
	}
	c, err := s.openDataKey(ctx, k, wrapped)
	if err != nil {
		return nil, fail(imsd.CodeInternal, "The data key under KMS key %s cannot be opened.", keyID)
	}
	return c, nil
}

// resumeCopy returns the staged blob to continue and the segment to start
// at: the job's checkpoint when its staged data is still there (restoring
// the hash state into sum), else a new staged write from the start.
func (s *Service) resumeCopy(ctx context.Context, job *imsd.Job, sum hash.Hash) (imsd.ResumableWriter, int64, error) {
	if job.Checkpoint != nil {
		var cp copyCheckpoint
		err := json.Unmarshal(job.Checkpoint, &cp)
		var w imsd.ResumableWriter
		if err == nil {
			w, err = s.blobs.Resume(ctx, cp.Blob)
		}
		if err == nil {
			if err = sum.(encoding.BinaryUnmarshaler).UnmarshalBinary(cp.SHA256); err == nil {
				return w, cp.Segment, nil
			}
			_ = w.Cancel(background(ctx))
		}
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		s.log.Warn("copy checkpoint unusable; starting over", "job_id", job.ID, "err", err)
		sum.Reset()
	}
	w, err := s.blobs.CreateResumable(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("create staged blob: %w", err)
	}
	return w, 0, nil
}

// errCopyStorageFull fails a copy that filled the image store: retrying
// would fill it again.
var errCopyStorageFull = fail(imsd.CodeStorageFull, "The image store ran out of space during the copy; the partial copy was removed.")

// stopCopy handles an interrupted copy: when the job was cancelled (it
// ended, or its image is gone) the staged data is removed; when it was
// interrupted otherwise (a shutdown, a transient error, another runner
// taking over) the staged data is kept for the next attempt.
func (s *Service) stopCopy(ctx context.Context, job *imsd.Job, w imsd.ResumableWriter, cause error) error {
	bg := background(ctx)
	cur, err := s.store.JobGet(bg, job.ID)
	switch {
	case errors.Is(err, imsd.ErrNotFound) || (err == nil && cur.Status.Done()):
		if cerr := w.Cancel(bg); cerr != nil {
			s.log.Warn("remove the staged data of a cancelled copy", "job_id", job.ID, "err", cerr)
		}
		s.log.Info("copy stopped: the job was cancelled", "job_id", job.ID)
		return ErrJobTaken
	case err == nil && cur.LeaseOwner != job.LeaseOwner:
		_ = w.Release(bg)
		return ErrJobTaken
	case errors.Is(cause, imsd.ErrStorageFull):
		// Retrying would fill the disk again: give the space back and fail.
		if cerr := w.Cancel(bg); cerr != nil {
			s.log.Warn("remove the staged data of a copy that filled the disk", "job_id", job.ID, "err", cerr)
		}
		return errCopyStorageFull
	}
	_ = w.Release(bg)
	return cause
}

// throttle sleeps as long as needed to keep a copy under CopyRateLimit.
func (s *Service) throttle(ctx context.Context, began time.Time, done int64) error {
	if s.cfg.CopyRateLimit <= 0 {
		return nil
	}
	due := began.Add(time.Duration(float64(done) / float64(s.cfg.CopyRateLimit) * float64(time.Second)))
	wait := due.Sub(s.now())
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
