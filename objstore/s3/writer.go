package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/imsd/imsd"
)

// errClosed is returned by a writer used after Commit or Cancel.
var errClosed = errors.New("s3: object writer already committed or cancelled")

// writer is a staged object write: the caller's goroutine fills part
// buffers, background goroutines upload full parts (at most concurrency at
// a time), so a writer holds at most concurrency+1 buffers whatever the
// object size. It is not safe for concurrent use and must end with Commit
// or Cancel.
type writer struct {
	s           *Store
	bucket, key string
	ctx         context.Context
	cancel      context.CancelFunc // stops the part uploads
	size        int64

	cur  *[]byte // part being filled, or nil
	fill int
	err  error // sticky
	done bool  // committed or cancelled

	uploadID *string // set by the first full part
	slots    chan struct{}
	wg       sync.WaitGroup
	mu       sync.Mutex
	parts    []types.CompletedPart // guarded by mu
	upErr    error                 // first upload error; guarded by mu
}

func newWriter(ctx context.Context, s *Store, bucket, key string) *writer {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &writer{s: s, bucket: bucket, key: key, ctx: ctx, cancel: cancel, slots: make(chan struct{}, s.concurrency)}
}

// Write copies p into part buffers, uploading each full one.
func (w *writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if err := w.buffer(); err != nil {
			return n - len(p), err
		}
		k := copy((*w.cur)[w.fill:], p)
		w.fill += k
		w.size += int64(k)
		p = p[k:]
	}
	return n, nil
}

// ReadFrom reads r to EOF straight into part buffers; io.Copy uses it.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.buffer(); err != nil {
			return total, err
		}
		m, err := r.Read((*w.cur)[w.fill:])
		w.fill += m
		w.size += int64(m)
		total += int64(m)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// buffer makes sure w.cur has room, sending a full part on its way first.
func (w *writer) buffer() error {
	switch {
	case w.done:
		return errClosed
	case w.err != nil:
		return w.err
	case w.cur != nil && w.fill < len(*w.cur):
		return nil
	}
	if w.cur != nil {
		buf, n := w.cur, w.fill
		w.cur, w.fill = nil, 0
		if w.err = w.startPart(buf, n); w.err != nil {
			w.s.bufs.Put(buf)
			return w.err
		}
	}
	w.cur = w.s.bufs.Get().(*[]byte)
	return nil
}

// startPart uploads a part in the background once a slot is free,
// starting the multipart upload on the first part. The buffer goes back to
// the pool when its upload ends.
func (w *writer) startPart(buf *[]byte, n int) error {
	if w.uploadID == nil {
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &awss3.CreateMultipartUploadInput{Bucket: &w.bucket, Key: &w.key})
		if err != nil {
			return w.s.objectErr(w.ctx, w.bucket, w.key, err)
		}
		w.uploadID = out.UploadId
	}
	select {
	case w.slots <- struct{}{}:
	case <-w.ctx.Done():
		return w.uploadErr(w.ctx.Err())
	}
	w.mu.Lock()
	err := w.upErr
	num := int32(len(w.parts) + 1)
	if num > maxParts {
		err = fmt.Errorf("s3: object larger than %d parts of %d bytes", maxParts, w.s.partSize)
	}
	if err == nil {
		w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(num)})
	}
	w.mu.Unlock()
	if err != nil {
		<-w.slots
		return err
	}
	w.wg.Go(func() {
		defer func() { w.s.bufs.Put(buf); <-w.slots }()
		var opts []func(*awss3.Options)
		if w.s.unsignedParts {
			opts = append(opts, awss3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
		}
		out, err := w.s.client.UploadPart(w.ctx, &awss3.UploadPartInput{
			Bucket: &w.bucket, Key: &w.key, UploadId: w.uploadID, PartNumber: aws.Int32(num),
			Body: bytes.NewReader((*buf)[:n]), ContentLength: aws.Int64(int64(n)),
		}, opts...)
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			if w.upErr == nil {
				w.upErr = fmt.Errorf("s3: upload part %d of %s/%s: %w", num, w.bucket, w.key, err)
				w.cancel()
			}
			return
		}
		w.parts[num-1].ETag = out.ETag
	})
	return nil
}

// uploadErr returns the first upload error, or err if there was none.
func (w *writer) uploadErr(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.upErr != nil {
		return w.upErr
	}
	return err
}

// Commit makes the object visible under its key: CompleteMultipartUpload,
// or one PutObject for a write smaller than a part.
func (w *writer) Commit(ctx context.Context) (imsd.ObjectInfo, error) {
	if w.done {
		return imsd.ObjectInfo{}, errClosed
	}
	err := w.commit(ctx)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	w.stop(cctx)
	if err != nil {
		return imsd.ObjectInfo{}, err
	}
	return w.s.Stat(ctx, w.bucket, w.key)
}

func (w *writer) commit(ctx context.Context) error {
	defer context.AfterFunc(ctx, w.cancel)()
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	if w.uploadID == nil {
		var body []byte
		if w.cur != nil {
			body = (*w.cur)[:w.fill]
		}
		_, err := w.s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &w.bucket, Key: &w.key,
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
		if err != nil {
			return w.s.objectErr(ctx, w.bucket, w.key, err)
		}
		return nil
	}
	if w.fill > 0 {
		buf, n := w.cur, w.fill
		w.cur, w.fill = nil, 0
		if err := w.startPart(buf, n); err != nil {
			w.s.bufs.Put(buf)
			return err
		}
	}
	w.wg.Wait()
	if err := w.uploadErr(ctx.Err()); err != nil {
		return err
	}
	_, err := w.s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket: &w.bucket, Key: &w.key, UploadId: w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		return fmt.Errorf("s3: complete upload of %s/%s: %w", w.bucket, w.key, err)
	}
	w.uploadID = nil // nothing to abort any more
	return nil
}

// stop stops and waits for the part uploads, returns the buffer, and
// aborts the multipart upload if one is left. It may be called more than
// once.
func (w *writer) stop(ctx context.Context) error {
	w.done = true
	w.cancel()
	w.wg.Wait()
	if w.cur != nil {
		w.s.bufs.Put(w.cur)
		w.cur = nil
	}
	if w.uploadID == nil {
		return nil
	}
	_, err := w.s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &w.bucket, Key: &w.key, UploadId: w.uploadID})
	w.uploadID = nil
	if err != nil && errorCode(err) != "NoSuchUpload" {
		return fmt.Errorf("s3: abort upload of %s/%s: %w", w.bucket, w.key, err)
	}
	return nil
}

// Cancel discards the staged data. It is a no-op after Commit or Cancel.
func (w *writer) Cancel(ctx context.Context) error {
	if w.done {
		return nil
	}
	return w.stop(ctx)
}
