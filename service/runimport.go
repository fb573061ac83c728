package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/diskfmt"
)

// progressEvery bounds how often a transfer records its progress (each
// record is a store write renewing the job's lease).
const progressEvery = time.Second

// transferReader counts what a job's transfer reads and reports the
// fraction done through the job's Progress. Its own errors (the source
// failing, the lease lost) are kept apart from the writer's.
type transferReader struct {
	ctx      context.Context
	r        io.Reader
	size     int64 // expected bytes, 0 when unknown
	n        int64
	progress Progress
	task     string
	now      func() time.Time
	last     time.Time
	// lo and hi are the fractions the transfer spans.
	lo, hi float64
	err    error
	mu     sync.Mutex
}

func (t *transferReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	if now := t.now(); n > 0 && now.Sub(t.last) >= progressEvery {
		t.last = now
		f := t.lo
		if t.size > 0 {
			f = t.lo + (t.hi-t.lo)*min(float64(t.n)/float64(t.size), 1)
		}
		if perr := t.progress(t.ctx, f, t.task); perr != nil {
			t.setErr(perr)
			return n, perr
		}
	}
	if err != nil && err != io.EOF {
		t.setErr(err)
	}
	return n, err
}

func (t *transferReader) setErr(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}

func (t *transferReader) readErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// RunImportJob performs an import job: it reads the file (an object, a web
// URL, or the data staged for a Glance import) through the format sniffer
// into the blob store and records the data on the image, still saving;
// FinishJob then makes it active. It is idempotent: run again after a
// crash it either finds the data recorded or imports it again.
func (s *Service) RunImportJob(ctx context.Context, job *imsd.Job, progress Progress) error {
	var pl importPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return fail(imsd.CodeInternal, "The job parameters are unreadable.")
	}
	img, err := s.store.ImageGet(ctx, job.ImageID)
	if errors.Is(err, imsd.ErrNotFound) {
		return fail(imsd.CodeImageNotFound, "The image %s was deleted before the import finished.", job.ImageID)
	}
	if err != nil {
		return err
	}
	switch {
	case img.Status == imsd.ImageActive:
		return nil // finished before a crash; the runner records SUCCESS
	case pl.Source == "staged":
		return s.importStaged(ctx, img, progress)
	case (img.Status == imsd.ImageSaving || img.Status == ImageImporting) && img.BlobDigest != "":
		// The data was recorded before a crash.
		if _, err := s.blobs.Stat(ctx, img.BlobDigest); err == nil {
			return nil
		}
	}
	if img.Status != ImageImporting { // a Glance import stays importing
		if err := s.setImageStatus(ctx, img.ID, imsd.ImageSaving); err != nil {
			return err
		}
	}
	if err := progress(ctx, 0.05, importTaskName); err != nil {
		return err
	}
	rc, size, err := s.openImportSource(ctx, pl)
	if err != nil {
		return err
	}
	defer rc.Close()
	if size > s.cfg.MaxImageSize {
		return fail(imsd.CodeImageFileTooLarge, "The image file has %d bytes; the limit is %d.", size, s.cfg.MaxImageSize)
	}
	src := &transferReader{ctx: ctx, r: rc, size: size, progress: progress, task: importTaskName, now: s.now, last: s.now(), lo: 0.05, hi: 0.9}
	declared := img.Clone()
	if declared.DiskFormat == "" {
		declared.DiskFormat = pl.Format
	}
	got, err := s.receive(ctx, declared, src, nil)
	if rerr := src.readErr(); rerr != nil {
		return fmt.Errorf("import: reading the source after %d bytes: %w", src.n, rerr) // retried
	}
	if err != nil {
		return importFailure(err)
	}
	if pl.Format != "" && !diskfmt.Compatible(pl.Format, got.sniff.Format) {
		return fail(imsd.CodeDiskFormatMismatch, "The file is named as %s but its data is %s.", pl.Format, got.sniff.Format)
	}
	if err := s.recordImportedData(ctx, img.ID, got); err != nil {
		return err
	}
	s.unpinBlob(ctx, got.blob)
	s.log.Info("import transferred", "job_id", job.ID, "image_id", img.ID, "bytes", got.size, "format", got.sniff.Format)
	return progress(ctx, 0.95, importTaskName)
}

// importFailure turns an error of the data check into the job's failure;
// other errors (the blob store failing) are retried.
func importFailure(err error) error {
	switch c := imsd.ErrorCode(err); c {
	case imsd.CodeImageTooLarge:
		return fail(imsd.CodeImageFileTooLarge, "%s", imsd.ErrorMessage(err))
	case imsd.CodeDiskFormatMismatch:
		return fail(c, "%s", imsd.ErrorMessage(err))
	case imsd.CodeBadRequest:
		return fail(imsd.CodeImageFileInvalid, "%s", imsd.ErrorMessage(err))
	}
	return err
}

// openImportSource opens the data of an import. An object or URL that is
// missing fails the job; a failing server is retried.
func (s *Service) openImportSource(ctx context.Context, pl importPayload) (io.ReadCloser, int64, error) {
	switch pl.Source {
	case "object":
		if s.objects == nil {
			return nil, 0, fail(imsd.CodeBucketUnavailable, "This server has no object storage configured any more.")
		}
		u := objectURL{Bucket: pl.Bucket, Key: pl.Key}
		rc, info, err := s.objects.Open(ctx, u.Bucket, u.Key)
		if err != nil {
			if e := objectError(err, u); imsd.ErrorCode(e) != imsd.CodeInternal {
				return nil, 0, fail(imsd.ErrorCode(e), "%s", imsd.ErrorMessage(e))
			}
			return nil, 0, err
		}
		if info.Size == 0 {
			rc.Close()
			return nil, 0, fail(imsd.CodeImageFileInvalid, "The image file %s is empty.", u)
		}
		return rc, info.Size, nil
	case "web":
		return s.openWeb(ctx, pl.URI)
	}
	return nil, 0, fail(imsd.CodeInternal, "Unknown import source %q.", pl.Source)
}

// recordImportedData stores the imported data's digest and what was
// detected on the image, which stays saving until the job finishes.
func (s *Service) recordImportedData(ctx context.Context, id string, got received) error {
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := q.ImageGet(ctx, id)
		if errors.Is(err, imsd.ErrNotFound) {
			return fail(imsd.CodeImageNotFound, "The image %s was deleted before the import finished.", id)
		}
		if err != nil {
			return err
		}
		applyDetected(img, got)
		if img.Status != ImageImporting {
			img.Status = imsd.ImageSaving
		}
		img.UpdatedAt = s.Now()
		return q.ImageUpdate(ctx, img)
	})
}

// applyDetected records data and what was detected in it on an image, as
// an upload does: size, digest, format, virtual size, and a min_disk that
// covers the virtual disk.
func applyDetected(img *imsd.Image, got received) {
	sniff := got.sniff
	img.BlobDigest = got.blob.Digest
	img.Size = got.size
	img.Checksum = got.md5
	img.VirtualSize = sniff.VirtualSize
	if img.DiskFormat == "" {
		img.DiskFormat = sniff.Format
	}
	if gb := int((sniff.VirtualSize + 1<<30 - 1) >> 30); img.MinDisk < gb && gb <= 1024 {
		img.MinDisk = gb
	}
	if sniff.Format == "iso" {
		img.VirtualEnvType = "IsoImage"
	}
	img.SetProp("__image_size", strconv.FormatInt(got.size, 10))
	if img.Prop("__root_origin") == "" {
		img.SetProp("__root_origin", "file")
	}
}
