package service

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/blobcrypt"
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
	var key *imsd.Key // the image's key when its data is to be encrypted
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
		if img.CmkID != "" {
			// Data for an encrypted image: the key must be usable and the
			// caller allowed to make a data key under it.
			if key, err = s.keyForNewData(ctx, q, p, img.CmkID); err != nil {
				return err
			}
			if err := s.authorizeKeyUse(ctx, p, key, imsd.CodeKeyForbidden, kmsCreateDataKey); err != nil {
				return err
			}
		}
		img.Status = imsd.ImageSaving
		img.UpdatedAt = s.Now()
		return internal(q.ImageUpdate(ctx, img), "mark image saving")
	})
	if err != nil {
		return nil, err
	}
	s.fail.Hit("upload.saving")
	var seal *uploadSeal
	if key != nil {
		dk, wrapped, err := s.newDataKey(ctx, key)
		if err != nil {
			s.finishUpload(ctx, img, imsd.ImageKilled)
			return nil, internal(err, "new data key")
		}
		defer clear(dk)
		seal = &uploadSeal{dataKey: dk, wrapped: wrapped}
	}
	got, err := s.receive(ctx, img, body, seal)
	if err != nil {
		// Data the caller got wrong, or a full image store (nothing was
		// kept), leaves the image queued for another try; a broken
		// transfer or a server fault marks it killed.
		status := imsd.ImageKilled
		if c := imsd.ErrorCode(err); c == imsd.CodeDiskFormatMismatch || c == imsd.CodeImageTooLarge || c == imsd.CodeBadRequest || c == imsd.CodeStorageFull {
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
		sniff := got.sniff
		cur.Status = imsd.ImageActive
		cur.BlobDigest = got.blob.Digest
		cur.Checksum = got.md5
		cur.Size = got.size
		cur.DataKey, cur.PlainDigest = nil, ""
		if seal != nil {
			cur.DataKey, cur.PlainDigest = seal.wrapped, got.plainDigest
		}
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
		cur.SetProp("__image_size", strconv.FormatInt(got.size, 10))
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
	s.unpinBlob(ctx, got.blob)
	s.log.Info("image uploaded", "image_id", out.ID, "bytes", out.Size, "format", got.sniff.Format, "blob", out.BlobDigest,
		"encrypted", out.Encrypted())
	return out, nil
}

// uploadSeal is how an upload's data is encrypted: its new data key, in
// the clear for the upload and wrapped for the image.
type uploadSeal struct {
	dataKey []byte
	wrapped []byte
}

// received describes the committed data of an upload. The committed blob
// is not yet referenced by any image; until the caller records it, GC
// leaves it alone for its grace period.
type received struct {
	blob imsd.BlobInfo
	// size is the data size as clients read it (blob.Size is the stored
	// size, larger for encrypted data).
	size int64
	// plainDigest is the hex SHA-256 of encrypted data ("" for plain data,
	// whose blob digest is that SHA-256).
	plainDigest string
	// md5 is the hex MD5 of the data as clients read it (the checksum
	// Glance clients verify).
	md5   string
	sniff diskfmt.Info
}

// receive streams body into a staged blob while sniffing its format,
// checks the format, and commits the blob: as it comes (receivePlain), or
// encrypted under seal's data key (receiveSealed).
func (s *Service) receive(ctx context.Context, img *imsd.Image, body io.Reader, seal *uploadSeal) (received, error) {
	src := &uploadSource{body: body, sniffer: &diskfmt.Sniffer{}, limit: s.cfg.MaxImageSize, now: s.now, beat: s.now(),
		touch: func() { s.touchImage(ctx, img.ID) }}
	if seal != nil {
		return s.receiveSealed(ctx, img, src, seal)
	}
	return s.receivePlain(ctx, img, src)
}

// receivePlain stores the data as it comes; the blob store hashes it, and
// its SHA-256 is the blob's address.
func (s *Service) receivePlain(ctx context.Context, img *imsd.Image, src *uploadSource) (received, error) {
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return received{}, internal(err, "create blob")
	}
	committed := false
	defer func() {
		if !committed {
			_ = w.Cancel(background(ctx))
		}
	}()
	// The blob writer reads the socket straight into its own buffers
	// (io.ReaderFrom) where it can; hashing and writing run behind it.
	if rf, ok := w.(io.ReaderFrom); ok {
		_, err = rf.ReadFrom(src)
	} else {
		_, err = io.CopyBuffer(w, src, make([]byte, uploadBufferSize))
	}
	if err := src.failure(err); err != nil {
		return received{}, err
	}
	sniff := src.sniffer.Result()
	if err := checkUploadedFormat(img, sniff, w.Size(), src.limit); err != nil {
		return received{}, err
	}
	info, err := s.commitBlob(ctx, w, "")
	if err != nil {
		return received{}, internal(err, "commit blob")
	}
	committed = true
	return received{blob: info, size: info.Size, md5: info.MD5, sniff: sniff}, nil
}

// receiveSealed encrypts the data under seal's data key while it streams
// in (blobcrypt.Transform: reading, hashing and sealing on their own
// goroutines) and commits the sealed blob under its derived address.
func (s *Service) receiveSealed(ctx context.Context, img *imsd.Image, src *uploadSource, seal *uploadSeal) (received, error) {
	c, err := blobcrypt.New(seal.dataKey)
	if err != nil {
		return received{}, internal(err, "data key")
	}
	w, err := s.blobs.CreateResumable(ctx)
	if err != nil {
		return received{}, internal(err, "create blob")
	}
	committed := false
	defer func() {
		if !committed {
			_ = w.Cancel(background(ctx))
		}
	}()
	// The digests of the data as clients read it (the plaintext). The
	// blob store does not hash sealed data, so the SHA-256 is computed
	// here, with the MD5 Glance clients verify.
	sum, md := sha256.New(), md5.New()
	t := &blobcrypt.Transform{Src: src, To: c, Dst: w, Hashes: []hash.Hash{sum, md}, PlainSize: -1}
	n, err := t.Run(ctx)
	if err := src.failure(err); err != nil {
		return received{}, err
	}
	sniff := src.sniffer.Result()
	if err := checkUploadedFormat(img, sniff, n, src.limit); err != nil {
		return received{}, err
	}
	digest := sum.Sum(nil)
	info, err := s.commitPinned(ctx, func() (imsd.BlobInfo, error) {
		return w.CommitAs(ctx, blobcrypt.Address(digest, seal.dataKey, n))
	})
	if err != nil {
		return received{}, internal(err, "commit blob")
	}
	committed = true
	return received{blob: info, size: n, plainDigest: hex.EncodeToString(digest), md5: hex.EncodeToString(md.Sum(nil)), sniff: sniff}, nil
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

// ImageDownload opens the data of an active image, decrypted when it is
// stored encrypted. A negative length reads to the end; an offset at or
// past the end is CodeRangeNotSatisfiable.
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
	var rc io.ReadCloser
	if img.Encrypted() {
		// Encrypted data is decrypted on the way out; that needs the key
		// enabled and the caller's permission to decrypt with it.
		c, cerr := s.imageCipher(ctx, p, img)
		if cerr != nil {
			return nil, cerr
		}
		rc, err = s.openSealedRange(ctx, img, c, offset, length)
	} else {
		rc, err = s.blobs.Open(ctx, img.BlobDigest, offset, length)
	}
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

// failure turns the outcome of streaming the body into the upload's error:
// the size limit, a broken transfer (the client's fault), or a failed write
// (the server's); nil when err is nil.
func (u *uploadSource) failure(err error) error {
	switch {
	case u.tooLarge:
		return imsd.Errorf(imsd.CodeImageTooLarge, "The image data exceeds the limit of %d bytes.", u.limit)
	case u.readErr != nil:
		return imsd.Errorf(imsd.CodeBadRequest, "Reading the upload failed after %d bytes: %v", u.n, u.readErr)
	case err != nil:
		return internal(err, "write blob")
	}
	return nil
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
