package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/diskfmt"
)

// uploadBufferSize is the read size of the upload loop: large reads keep
// syscalls and hashing calls few.
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
	lastBeat := s.now()
	chunks, stop := readAhead(body)
	defer stop()
	for c := range chunks {
		if c.err != nil {
			return imsd.BlobInfo{}, diskfmt.Info{}, imsd.Errorf(imsd.CodeBadRequest, "Reading the upload failed after %d bytes: %v", w.Size(), c.err)
		}
		_, _ = sn.Write(c.data)
		_, werr := w.Write(c.data)
		c.release()
		if werr != nil {
			return imsd.BlobInfo{}, diskfmt.Info{}, internal(werr, "write blob")
		}
		if w.Size() > limit {
			return imsd.BlobInfo{}, diskfmt.Info{}, imsd.Errorf(imsd.CodeImageTooLarge, "The image data exceeds the limit of %d bytes.", limit)
		}
		if now := s.now(); now.Sub(lastBeat) > uploadHeartbeat {
			lastBeat = now
			s.touchImage(ctx, img.ID)
		}
	}
	sniff := sn.Result()
	if err := checkUploadedFormat(img, sniff, w.Size(), limit); err != nil {
		return imsd.BlobInfo{}, diskfmt.Info{}, err
	}
	info, err := w.Commit(ctx, "")
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
	return &Download{Image: img, Offset: offset, Length: length, Body: rc}, nil
}

// chunk is one buffer of upload data read ahead of the hashing writer.
type chunk struct {
	data    []byte
	err     error
	release func()
}

// readAheadBuffers is how many upload buffers are in flight: enough for the
// socket reader to stay a step ahead of hashing, bounded so memory stays
// flat (readAheadBuffers × uploadBufferSize per upload).
const readAheadBuffers = 4

// readAhead reads body in a goroutine, so reading the socket (a kernel
// copy) overlaps with hashing and writing on the other core. The channel
// ends after the last data (io.EOF) or after one chunk carrying the read
// error. stop must be called; it tells the reader goroutine to exit after
// its current read (which returns at the latest when the server closes the
// request body once the handler is done).
func readAhead(body io.Reader) (<-chan chunk, func()) {
	free := make(chan []byte, readAheadBuffers)
	for i := 0; i < readAheadBuffers; i++ {
		free <- make([]byte, uploadBufferSize)
	}
	out := make(chan chunk, readAheadBuffers)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-done:
				return
			}
			n, err := io.ReadFull(body, buf)
			if n > 0 {
				b := buf
				select {
				case out <- chunk{data: buf[:n], release: func() { free <- b }}:
				case <-done:
					return
				}
			} else {
				free <- buf
			}
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return
			}
			if err != nil {
				select {
				case out <- chunk{err: err, release: func() {}}:
				case <-done:
				}
				return
			}
		}
	}()
	var once sync.Once
	return out, func() { once.Do(func() { close(done) }) }
}
