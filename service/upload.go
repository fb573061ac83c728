package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/diskfmt"
)

// uploadBufferSize is the copy buffer for blob writers that do not read
// the body themselves (io.ReaderFrom): large reads keep syscalls and
// hashing calls few.
const uploadBufferSize = 1 << 20

// uploadHeartbeat is how often a running upload refreshes the image's
// UpdatedAt so recovery on another node can tell it is alive.
const uploadHeartbeat = 30 * time.Second

// ImageUpload stores the data of a queued image: queued → saving → active.
// The body streams through the blob store's staged writer and the format
// sniffer; nothing becomes visible unless the whole body arrived, the
// declared disk_format matches the data, and the size is within the limit.
// A failed transfer leaves the image killed; rejected data leaves it queued.
func (s *Service) ImageUpload(ctx context.Context, p *imsd.Principal, id string, body io.Reader) (*imsd.Image, error) {
	var img *imsd.Image
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		var err error
		img, err = s.visibleImage(ctx, q, p, id)
		actions := []Check{{Action: "ims:images:get"}, {Action: "ims:images:update"}, {Action: "ims:images:upload"}}
		if err != nil {
			if perr := s.precheck(ctx, p, "ims:images:upload"); perr != nil {
				return perr
			}
			return err
		}
		if err := s.authorize(ctx, p, actions...); err != nil {
			return err
		}
		if img.Status != imsd.ImageQueued && img.Status != imsd.ImageKilled {
			return imsd.Errorf(imsd.CodeUploadConflict, "Image data can only be uploaded to a queued or killed image; the image is %s.", img.Status)
		}
		if img.Prop(propJobID) != "" {
			return imsd.Errorf(imsd.CodeUploadConflict, "The image is the target of a job and cannot take uploaded data.")
		}
		img.Status = imsd.ImageSaving
		img.UpdatedAt = s.Now()
		return internal(q.ImageUpdate(ctx, img), "mark image saving")
	})
	if err != nil {
		return nil, err
	}
	s.fail.Hit("upload.saving")
	info, sniff, err := s.receive(ctx, img, body)
	if err != nil {
		// Data the caller got wrong leaves the image queued for another
		// try; a broken transfer or a server fault marks it killed.
		status := imsd.ImageKilled
		if c := imsd.ErrorCode(err); c == imsd.CodeDiskFormatMismatch || c == imsd.CodeImageTooLarge || c == imsd.CodeBadRequest {
			status = imsd.ImageQueued
		}
		s.finishUpload(ctx, img, status)
		return nil, err
	}
	s.fail.Hit("upload.committed")
	var out *imsd.Image
	err = s.store.InTx(background(ctx), func(q imsd.Queries) error {
		cur, err := q.ImageGet(ctx, img.ID)
		if err != nil {
			return internal(err, "reload image")
		}
		if cur.Status != imsd.ImageSaving {
			return imsd.Errorf(imsd.CodeUploadConflict, "The image changed state during the upload (now %s).", cur.Status)
		}
		now := s.Now()
		cur.Status = imsd.ImageActive
		cur.BlobDigest = info.Digest
		cur.Checksum = info.MD5
		cur.Size = info.Size
		cur.VirtualSize = sniff.VirtualSize
		if cur.DiskFormat == "" {
			cur.DiskFormat = sniff.Format
		}
		// min_disk (GB) must cover the virtual disk, as IMS requires.
		if gb := int((sniff.VirtualSize + 1<<30 - 1) >> 30); cur.MinDisk < gb && gb <= 1024 {
			cur.MinDisk = gb
		}
		if sniff.Format == "iso" {
			cur.VirtualEnvType = "IsoImage"
		}
		cur.SetProp("__image_size", strconv.FormatInt(info.Size, 10))
		cur.SetProp("__root_origin", "file")
		cur.UpdatedAt, cur.ActiveAt = now, now
		out = cur
		return internal(q.ImageUpdate(ctx, cur), "activate image")
	})
	if err != nil {
		s.finishUpload(ctx, img, imsd.ImageKilled)
		return nil, err
	}
	s.fail.Hit("upload.activated")
	s.unpinBlob(ctx, info)
	s.log.Info("image uploaded", "image_id", out.ID, "bytes", out.Size, "format", sniff.Format, "digest", out.BlobDigest)
	return out, nil
}

// receive streams body into a staged blob while sniffing its format, checks
// the format, and commits the blob. The committed blob is not yet
// referenced by any image; until the caller records it, GC leaves it alone
// for its grace period.
func (s *Service) receive(ctx context.Context, img *imsd.Image, body io.Reader) (imsd.BlobInfo, diskfmt.Info, error) {
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return imsd.BlobInfo{}, diskfmt.Info{}, internal(err, "create blob")
	}
	committed := false
	defer func() {
		if !committed {
			_ = w.Cancel(background(ctx))
		}
	}()
	sn := &diskfmt.Sniffer{}
	limit := s.cfg.MaxImageSize
	src := &uploadSource{body: body, sniffer: sn, limit: limit, now: s.now, beat: s.now(),
		touch: func() { s.touchImage(ctx, img.ID) }}
	// The blob writer reads the socket straight into its own buffers
	// (io.ReaderFrom) where it can; hashing and writing run behind it.
	if rf, ok := w.(io.ReaderFrom); ok {
		_, err = rf.ReadFrom(src)
	} else {
		_, err = io.CopyBuffer(w, src, make([]byte, uploadBufferSize))
	}
	switch {
	case src.tooLarge:
		return imsd.BlobInfo{}, diskfmt.Info{}, imsd.Errorf(imsd.CodeImageTooLarge, "The image data exceeds the limit of %d bytes.", limit)
	case src.readErr != nil:
		return imsd.BlobInfo{}, diskfmt.Info{}, imsd.Errorf(imsd.CodeBadRequest, "Reading the upload failed after %d bytes: %v", src.n, src.readErr)
	case err != nil:
		return imsd.BlobInfo{}, diskfmt.Info{}, internal(err, "write blob")
	}
	sniff := sn.Result()
	if err := checkUploadedFormat(img, sniff, w.Size(), limit); err != nil {
		return imsd.BlobInfo{}, diskfmt.Info{}, err
	}
	info, err := s.commitBlob(ctx, w, "")
	if err != nil {
		return imsd.BlobInfo{}, diskfmt.Info{}, internal(err, "commit blob")
	}
	committed = true
	return info, sniff, nil
}

// checkUploadedFormat rejects data that contradicts the declared format,
// qcow2 images with a backing file, and empty uploads.
func checkUploadedFormat(img *imsd.Image, sniff diskfmt.Info, size, limit int64) error {
	if size == 0 {
		return imsd.Errorf(imsd.CodeBadRequest, "The uploaded image data is empty.")
	}
	if size > limit {
		return imsd.Errorf(imsd.CodeImageTooLarge, "The image data exceeds the limit of %d bytes.", limit)
	}
	if sniff.BackingFile {
		return imsd.Errorf(imsd.CodeDiskFormatMismatch, "qcow2 images with a backing file are not accepted; flatten the image first (qemu-img convert).")
	}
	if !diskfmt.Compatible(img.DiskFormat, sniff.Format) {
		return imsd.Errorf(imsd.CodeDiskFormatMismatch, "The image was declared as %s but the uploaded data is %s.", img.DiskFormat, sniff.Format)
	}
	return nil
}

// finishUpload moves an image out of saving after a failed upload.
func (s *Service) finishUpload(ctx context.Context, img *imsd.Image, status imsd.ImageStatus) {
	ctx = background(ctx)
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		cur, err := q.ImageGet(ctx, img.ID)
		if err != nil {
			return err
		}
		if cur.Status != imsd.ImageSaving {
			return nil
		}
		cur.Status = status
		cur.UpdatedAt = s.Now()
		return q.ImageUpdate(ctx, cur)
	})
	if err != nil && !errors.Is(err, imsd.ErrNotFound) {
		s.log.Error("reset image after failed upload", "image_id", img.ID, "err", err)
	}
}

// touchImage refreshes UpdatedAt of an image being uploaded.
func (s *Service) touchImage(ctx context.Context, id string) {
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		cur, err := q.ImageGet(ctx, id)
		if err != nil {
			return err
		}
		cur.UpdatedAt = s.Now()
		return q.ImageUpdate(ctx, cur)
	})
	if err != nil {
		s.log.Warn("upload heartbeat", "image_id", id, "err", err)
	}
}

// Download is an open image data stream.
type Download struct {
	Image *imsd.Image
	// Offset and Length describe the returned range of the data.
	Offset, Length int64
	Body           io.ReadCloser
}

// ImageDownload opens the data of an active image. A negative length reads
// to the end; an offset at or past the end is CodeRangeNotSatisfiable.
func (s *Service) ImageDownload(ctx context.Context, p *imsd.Principal, id string, offset, length int64) (*Download, error) {
	img, err := s.visibleImage(ctx, s.store, p, id)
	if err != nil {
		if perr := s.precheck(ctx, p, "ims:images:export"); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:export", EnterpriseProject: img.EnterpriseProjectID}); err != nil {
		return nil, err
	}
	if img.Status != imsd.ImageActive || img.BlobDigest == "" {
		return nil, imsd.Errorf(imsd.CodeImageUnavailable, "The image has no data to download (status %s).", img.Status)
	}
	if offset < 0 || offset >= img.Size {
		return nil, imsd.Errorf(imsd.CodeRangeNotSatisfiable, "The range starts at %d but the image has %d bytes.", offset, img.Size)
	}
	if length < 0 || offset+length > img.Size {
		length = img.Size - offset
	}
	rc, err := s.blobs.Open(ctx, img.BlobDigest, offset, length)
	if err != nil {
		return nil, internal(fmt.Errorf("image %s blob %s: %w", img.ID, img.BlobDigest, err), "open blob")
	}
	return &Download{Image: img, Offset: offset, Length: length, Body: s.withChecksum(ctx, img, offset, length, rc)}, nil
}

// uploadSource is the request body as the blob writer reads it: every
// byte also goes to the format sniffer, the size limit is enforced while
// reading, and the image's heartbeat is refreshed now and then. It keeps
// its own errors apart from the writer's, so a broken transfer (the
// client's fault) is told from a failed write (the server's).
type uploadSource struct {
	body    io.Reader
	sniffer *diskfmt.Sniffer
	limit   int64
	n       int64
	now     func() time.Time
	beat    time.Time // the last heartbeat
	touch   func()    // refreshes the image's heartbeat

	readErr  error
	tooLarge bool
}

// errUploadTooLarge stops the copy when the body passes the size limit.
var errUploadTooLarge = errors.New("upload exceeds the size limit")

func (u *uploadSource) Read(p []byte) (int, error) {
	n, err := u.body.Read(p)
	if n > 0 {
		_, _ = u.sniffer.Write(p[:n])
		u.n += int64(n)
		if u.n > u.limit {
			u.tooLarge = true
			return n, errUploadTooLarge
		}
		if now := u.now(); now.Sub(u.beat) > uploadHeartbeat {
			u.beat = now
			u.touch()
		}
	}
	if err != nil && err != io.EOF {
		u.readErr = err
	}
	return n, err
}
