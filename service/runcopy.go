package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/imsd/imsd"
)

// Progress lets a running job report its progress; the runner persists it
// (monotonically) and renews the job's lease. It returns an error when the
// lease was lost, after which the job must stop without writing.
type Progress func(ctx context.Context, fraction float64, task string) error

// JobFailure is returned by a job handler to fail the job with a code and
// a reason shown to the client. Any other error is retried by the runner.
type JobFailure struct {
	Code   imsd.Code
	Reason string
}

// Error implements error.
func (f *JobFailure) Error() string { return string(f.Code) + ": " + f.Reason }

func fail(code imsd.Code, format string, args ...any) *JobFailure {
	return &JobFailure{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// RunCopyJob performs an in-region copy job. It is idempotent: run again
// after a crash it finishes the same copy. On success the target image
// becomes active and the job SUCCESS in one transaction.
func (s *Service) RunCopyJob(ctx context.Context, job *imsd.Job, progress Progress) error {
	var pl copyPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return fail(imsd.CodeInternal, "The job parameters are unreadable.")
	}
	dst, err := s.store.ImageGet(ctx, job.ImageID)
	if errors.Is(err, imsd.ErrNotFound) {
		return fail(imsd.CodeImageNotFound, "The target image %s was deleted before the copy finished.", job.ImageID)
	}
	if err != nil {
		return err
	}
	if dst.Status == imsd.ImageActive {
		return nil // finished before a crash; the runner records SUCCESS
	}
	if err := s.setImageStatus(ctx, dst.ID, imsd.ImageSaving); err != nil {
		return err
	}
	if err := progress(ctx, 0.1, copyTaskName); err != nil {
		return err
	}
	s.fail.Hit("copy.running")
	if pl.CmkID != "" && pl.CmkID != pl.SourceCmkID {
		return s.runSealingCopy(ctx, job, dst, pl, progress)
	}
	// Same data key: the copy shares the source's content-addressed blob,
	// which the target row has referenced since the request was accepted.
	info, err := s.blobs.Stat(ctx, dst.BlobDigest)
	if errors.Is(err, imsd.ErrNotFound) {
		return fail(imsd.CodeImageUnavailable, "The data of the source image is missing from the blob store.")
	}
	if err != nil {
		return err
	}
	if want := storedSize(dst); info.Size != want {
		return fail(imsd.CodeImageUnavailable, "The stored data of the source image has %d bytes, expected %d.", info.Size, want)
	}
	return progress(ctx, 0.9, copyTaskName)
}

// FinishJob records the end of a job and the matching state of its image
// in one transaction: SUCCESS activates the image, FAIL kills it and drops
// its data reference. It returns the job as stored, which may have failed
// even without a failure (its target image was deleted meanwhile), or nil
// when the job had ended already.
func (s *Service) FinishJob(ctx context.Context, job *imsd.Job, failure *JobFailure) (*imsd.Job, error) {
	var out *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		now := s.Now()
		j, err := q.JobGet(ctx, job.ID)
		if err != nil {
			return err
		}
		if j.LeaseOwner != job.LeaseOwner {
			return imsd.ErrConflict
		}
		if j.Status.Done() {
			return nil
		}
		img, err := q.ImageGet(ctx, j.ImageID)
		if err != nil && !errors.Is(err, imsd.ErrNotFound) {
			return err
		}
		if failure == nil && img == nil {
			failure = fail(imsd.CodeImageNotFound, "The target image %s was deleted before the copy finished.", j.ImageID)
		}
		if img != nil {
			if failure == nil {
				img.Status = imsd.ImageActive
				img.ActiveAt = now
			} else {
				img.Status = imsd.ImageKilled
				img.BlobDigest, img.DataKey, img.PlainDigest = "", nil, ""
			}
			delete(img.Properties, propJobID)
			img.UpdatedAt = now
			if err := q.ImageUpdate(ctx, img); err != nil {
				return err
			}
		}
		j.EndTime = now
		j.CurrentTask = ""
		if failure == nil {
			j.Status = imsd.JobSuccess
			j.Progress = 1
		} else {
			j.Status = imsd.JobFail
			j.ErrorCode = string(failure.Code)
			j.FailReason = failure.Reason
		}
		if err := q.JobUpdate(ctx, j); err != nil {
			return err
		}
		out = j
		return nil
	})
	return out, err
}

func (s *Service) setImageStatus(ctx context.Context, id string, st imsd.ImageStatus) error {
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := q.ImageGet(ctx, id)
		if err != nil {
			return err
		}
		if img.Status == st {
			return nil
		}
		img.Status = st
		img.UpdatedAt = s.Now()
		return q.ImageUpdate(ctx, img)
	})
}

// Recover repairs state left by a crash or an older version: accounts get
// their admin group if they lack one. With singleNode set (this process
// is the only one using the store) it also kills every upload that was in
// flight and releases every job lease so the runner resumes those jobs at
// once; otherwise uploads idle for more than staleAfter are killed and
// leases simply expire.
func (s *Service) Recover(ctx context.Context, singleNode bool) error {
	now := s.Now()
	staleAfter := 4 * uploadHeartbeat
	imgs, err := s.store.ImageList(ctx, imsd.ImageQuery{Statuses: []imsd.ImageStatus{imsd.ImageSaving}})
	if err != nil {
		return fmt.Errorf("recover: list saving images: %w", err)
	}
	for _, img := range imgs {
		if img.Prop(propJobID) != "" {
			continue // a copy target: its job decides
		}
		if !singleNode && now.Sub(img.UpdatedAt) < staleAfter {
			continue
		}
		s.log.Warn("recover: upload interrupted; image marked killed", "image_id", img.ID)
		s.finishUpload(ctx, img, imsd.ImageKilled)
	}
	if err := s.recoverStaging(ctx, singleNode, staleAfter); err != nil {
		return err
	}
	if !singleNode {
		return nil
	}
	jobs, err := s.store.JobList(ctx, []imsd.JobStatus{imsd.JobRunning})
	if err != nil {
		return fmt.Errorf("recover: list running jobs: %w", err)
	}
	for _, j := range jobs {
		j.LeaseExpires = now.Add(-1)
		if err := s.store.JobUpdate(ctx, j); err != nil && !errors.Is(err, imsd.ErrConflict) {
			return fmt.Errorf("recover: release job %s: %w", j.ID, err)
		}
		s.log.Warn("recover: job was running at shutdown; it will resume", "job_id", j.ID)
	}
	return nil
}
