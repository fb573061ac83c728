package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/imsd/imsd"
)

// Exporting an image to a file in object storage (POST
// /v1/cloudimages/{id}/file), as a job. The file is the image's data
// exactly as stored: imsd converts no formats, so a file_format other than
// the image's own is refused (quick export, which Huawei also does without
// conversion, always works). The object appears only once complete and
// verified against the image's SHA-256 (ObjectStorage.Put).

// ExportInput is the body of the export API after wire parsing.
type ExportInput struct {
	BucketURL     string
	FileFormat    string
	IsQuickExport bool
}

// exportPayload is the job payload of an export.
type exportPayload struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// propExportJob is the internal property naming the export job of an
// image while it runs; the image cannot be deleted meanwhile.
const propExportJob = "__imsd_export_job"

// exportFormats are the file_format values of the export API (the SDK's
// enum, plus raw), with the stored formats each is, as is.
var exportFormats = map[string][]string{
	"qcow2": {"qcow2"}, "vhd": {"vhd", "zvhd", "zvhd2"}, "zvhd": {"zvhd", "vhd"}, "vmdk": {"vmdk"}, "raw": {"raw"},
}

// ExportImage accepts the export of an image to bucket_url.
func (s *Service) ExportImage(ctx context.Context, p *imsd.Principal, id string, in ExportInput) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:export"); err != nil {
		return nil, err
	}
	img, err := s.ownedImage(ctx, s.store, p, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:export", EnterpriseProject: img.EnterpriseProjectID}); err != nil {
		return nil, err
	}
	u, err := parseObjectURL(in.BucketURL, true)
	if err != nil {
		return nil, err
	}
	if err := checkExportable(img, in, s.cfg.MaxImageSize); err != nil {
		return nil, err
	}
	if s.objects == nil {
		return nil, imsd.Errorf(imsd.CodeBucketUnavailable, "This server has no object storage configured (imsd --import-s3-endpoint); export is not available.")
	}
	_, err = s.objects.Stat(ctx, u.Bucket, u.Key)
	switch {
	case err == nil:
		return nil, imsd.Errorf(imsd.CodeExportFileExists, "The file %s exists already; export to a new name.", u)
	case !errors.Is(err, imsd.ErrNotFound):
		return nil, objectError(err, u)
	}
	var job *imsd.Job
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		cur, err := s.ownedImage(ctx, q, p, id)
		if err != nil {
			return err
		}
		if err := checkExportable(cur, in, s.cfg.MaxImageSize); err != nil {
			return err
		}
		if busy, err := s.exportRunning(ctx, q, cur); err != nil || busy {
			if err == nil {
				err = imsd.Errorf(imsd.CodeImageExporting, "Image %s is being exported; wait for that export to finish.", id)
			}
			return err
		}
		now := s.Now()
		payload, err := json.Marshal(exportPayload{Bucket: u.Bucket, Key: u.Key, Digest: cur.BlobDigest, Size: cur.Size})
		if err != nil {
			return internal(err, "encode job payload")
		}
		job = &imsd.Job{ID: imsd.NewHexID(), Type: imsd.JobTypeExportImage, DomainID: p.DomainID, ProjectID: p.ProjectID,
			Status: imsd.JobInit, ImageID: cur.ID, ImageName: cur.Name, Payload: payload, CreatedAt: now, BeginTime: now,
			CurrentTask: exportTaskName}
		cur.SetProp(propExportJob, job.ID)
		if err := q.ImageUpdate(ctx, cur); err != nil {
			return internal(err, "mark image exporting")
		}
		return internal(q.JobInsert(ctx, job), "insert job")
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("export accepted", "job_id", job.ID, "image_id", id, "object", u.String(), "project_id", p.ProjectID)
	s.wake()
	return job, nil
}

// checkExportable applies the rules on what may be exported, and how.
func checkExportable(img *imsd.Image, in ExportInput, limit int64) error {
	switch {
	case img.Status != imsd.ImageActive || img.BlobDigest == "":
		return imsd.Errorf(imsd.CodeImageUnavailable, "Only active images can be exported; the image is %s.", img.Status)
	case img.WholeImage:
		return imsd.Errorf(imsd.CodeExportWholeImage, "")
	case img.Visibility == "public" || img.ImageType == "gold":
		return imsd.Errorf(imsd.CodeExportPublic, "")
	case img.Size > limit:
		return imsd.Errorf(imsd.CodeImageTooLarge, "Images larger than %d bytes cannot be exported; this one has %d.", limit, img.Size)
	}
	if in.IsQuickExport {
		if in.FileFormat != "" {
			return imsd.Errorf(imsd.CodeBadRequest, "file_format must be left out of a quick export, which writes the image as it is stored.")
		}
		return nil
	}
	same, known := exportFormats[in.FileFormat]
	switch {
	case in.FileFormat == "":
		return imsd.Errorf(imsd.CodeExportFormat, "file_format is required (qcow2, vhd, zvhd, vmdk or raw), or set is_quick_export.")
	case !known:
		return imsd.Errorf(imsd.CodeExportFormat, "file_format must be qcow2, vhd, zvhd, vmdk or raw, not %q.", in.FileFormat)
	}
	for _, f := range same {
		if f == img.DiskFormat {
			return nil
		}
	}
	return imsd.Errorf(imsd.CodeExportFormat, "The image is %s and this server exports it as stored, without conversion: use file_format %q or is_quick_export.", img.DiskFormat, exportFormatOf(img.DiskFormat))
}

// exportFormatOf is the file_format that exports a stored format as is.
func exportFormatOf(diskFormat string) string {
	for f, same := range exportFormats {
		if same[0] == diskFormat {
			return f
		}
	}
	return diskFormat
}

// exportRunning reports whether an unfinished export job reads img.
func (s *Service) exportRunning(ctx context.Context, q imsd.Queries, img *imsd.Image) (bool, error) {
	id := img.Prop(propExportJob)
	if id == "" {
		return false, nil
	}
	j, err := q.JobGet(ctx, id)
	if errors.Is(err, imsd.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal(err, "get job")
	}
	return !j.Status.Done(), nil
}

// RunExportJob writes the image's data to the object with
// ObjectStorage.Put, which lets it appear only when every byte arrived and
// their SHA-256 equals the image's, so an export never leaves a partial or
// corrupt file. It is idempotent: run again, it writes the object again.
func (s *Service) RunExportJob(ctx context.Context, job *imsd.Job, progress Progress) error {
	var pl exportPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return fail(imsd.CodeInternal, "The job parameters are unreadable.")
	}
	u := objectURL{Bucket: pl.Bucket, Key: pl.Key}
	if s.objects == nil {
		return fail(imsd.CodeBucketUnavailable, "This server has no object storage configured any more.")
	}
	img, err := s.store.ImageGet(ctx, job.ImageID)
	if errors.Is(err, imsd.ErrNotFound) {
		return fail(imsd.CodeImageNotFound, "The image %s was deleted before the export finished.", job.ImageID)
	}
	if err != nil {
		return err
	}
	if img.Status != imsd.ImageActive || img.BlobDigest != pl.Digest {
		return fail(imsd.CodeImageUnavailable, "The image changed while it was to be exported (now %s).", img.Status)
	}
	if err := progress(ctx, 0.05, exportTaskName); err != nil {
		return err
	}
	rc, err := s.blobs.Open(ctx, pl.Digest, 0, -1)
	if err != nil {
		return fmt.Errorf("export: open blob %s: %w", pl.Digest, err) // retried
	}
	defer rc.Close()
	src := &transferReader{ctx: ctx, r: rc, size: pl.Size, progress: progress, task: exportTaskName,
		now: s.now, last: s.now(), lo: 0.05, hi: 0.95}
	info, err := s.objects.Put(ctx, u.Bucket, u.Key, src, pl.Size, pl.Digest)
	switch {
	case errors.Is(err, imsd.ErrDigestMismatch):
		return fail(imsd.CodeImageUnavailable, "The stored data of the image does not match its checksum; nothing was exported.")
	case err != nil && src.readErr() != nil:
		return fmt.Errorf("export: reading the image after %d bytes: %w", src.n, src.readErr()) // retried
	case err != nil:
		return exportErr(err, u)
	}
	n := info.Size
	s.log.Info("image exported", "job_id", job.ID, "image_id", img.ID, "object", u.String(), "bytes", n)
	return progress(ctx, 0.99, exportTaskName)
}

// exportErr fails the job for a bucket that is gone or refused; other
// errors are retried.
func exportErr(err error, u objectURL) error {
	if errors.Is(err, imsd.ErrNoSuchBucket) || errors.Is(err, imsd.ErrAccessDenied) {
		return fail(imsd.CodeBucketUnavailable, "The bucket %s cannot be accessed.", u.Bucket)
	}
	return fmt.Errorf("export to %s: %w", u, err)
}

// finishExport records the end of an export job; the image keeps its state
// and loses its export mark.
func (s *Service) finishExport(ctx context.Context, job *imsd.Job, failure *JobFailure) (*imsd.Job, error) {
	var out *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
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
		if err == nil && img.Prop(propExportJob) == j.ID {
			delete(img.Properties, propExportJob)
			if err := q.ImageUpdate(ctx, img); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, imsd.ErrNotFound) {
			return err
		}
		endJob(j, failure, s.Now())
		if err := q.JobUpdate(ctx, j); err != nil {
			return err
		}
		out = j
		return nil
	})
	return out, err
}

// endJob sets the final state of a job.
func endJob(j *imsd.Job, failure *JobFailure, now time.Time) {
	j.EndTime = now
	j.CurrentTask = ""
	if failure == nil {
		j.Status = imsd.JobSuccess
		j.Progress = 1
		return
	}
	j.Status = imsd.JobFail
	j.ErrorCode = string(failure.Code)
	j.FailReason = failure.Reason
}

// Finish records the outcome of any job the runner ran: exports leave
// their image as it is; every other job produces its image (FinishJob).
func (s *Service) Finish(ctx context.Context, job *imsd.Job, failure *JobFailure) (*imsd.Job, error) {
	if job.Type == imsd.JobTypeExportImage {
		return s.finishExport(ctx, job, failure)
	}
	return s.FinishJob(ctx, job, failure)
}
