package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/imsd/imsd"
)

// errClosed is returned by a writer used after Commit or Cancel.
var errClosed = errors.New("s3: blob writer already committed or cancelled")

// writer is a staged write. The caller's goroutine fills a part buffer and
// hashes it with SHA-256; an MD5 goroutine hashes the parts in order while
// they upload; full parts are uploaded by background goroutines, at most
// s.concurrency at a time. A part keeps its upload slot until both its
// upload and its MD5 are done, so a writer holds at most concurrency+1
// buffers whatever the blob size. It is not safe for concurrent use, and
// must be finished with Commit or Cancel.
type writer struct {
	s      *Store
	key    string // staging key
	ctx    context.Context
	cancel context.CancelFunc // stops the part uploads
	h      hash.Hash          // SHA-256, on the caller's goroutine; nil for a resumable write
	md5    hash.Hash          // MD5, on the md5er goroutine once it runs; nil for a resumable write
	size   int64

	cur  *[]byte // part being filled, or nil
	fill int
	err  error // sticky
	done bool  // committed or cancelled

	uploadID *string // set by the first full part
	slots    chan struct{}
	// md5q feeds the md5er goroutine (started with the first part); it
	// closes each part's done channel once the part is hashed, and
	// md5Exited when md5q is closed and drained.
	md5q      chan md5Part
	md5Exited chan struct{}
	wg        sync.WaitGroup
	mu        sync.Mutex
	parts     []types.CompletedPart // guarded by mu
	upErr     error                 // first upload error; guarded by mu

	held, peak atomic.Int32 // buffers held, and the most ever held (tests)
}

// md5Part is one part on its way through the md5er.
type md5Part struct {
	p    []byte
	done chan struct{}
}

func newWriter(ctx context.Context, s *Store, key string) *writer {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &writer{
		s: s, key: key, ctx: ctx, cancel: cancel,
		h:     sha256.New(),
		md5:   md5.New(),
		slots: make(chan struct{}, s.concurrency),
	}
}

// closedChan is a closed channel: a part that needs no hashing is done.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// md5er hashes parts in the order they were submitted until md5q closes.
func (w *writer) md5er() {
	defer close(w.md5Exited)
	for p := range w.md5q {
		w.md5.Write(p.p)
		close(p.done)
	}
}

// hashMD5 queues a part for the md5er, starting it on first use, and
// returns the channel closed once the part is hashed. It never blocks: a
// part is queued only while it holds one of the concurrency upload slots,
// and the queue has room for all of them.
func (w *writer) hashMD5(p []byte) <-chan struct{} {
	if w.md5 == nil {
		return closedChan // a resumable write hashes nothing
	}
	if w.md5q == nil {
		w.md5q = make(chan md5Part, cap(w.slots))
		w.md5Exited = make(chan struct{})
		go w.md5er()
	}
	done := make(chan struct{})
	w.md5q <- md5Part{p, done}
	return done
}

// stopMD5 ends the md5er once every queued part is hashed. After it the
// caller's goroutine owns md5 again.
func (w *writer) stopMD5() {
	if w.md5q != nil {
		close(w.md5q)
		<-w.md5Exited
		w.md5q = nil
	}
}

// Size returns the number of bytes written so far.
func (w *writer) Size() int64 { return w.size }

// Write hashes p and uploads it part by part.
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

// ReadFrom reads r to EOF straight into part buffers. io.Copy uses it.
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
	if w.done {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if w.cur != nil && w.fill < len(*w.cur) {
		return nil
	}
	if w.cur != nil {
		if w.err = w.submit(); w.err != nil {
			return w.err
		}
	}
	w.cur = w.getBuf()
	return nil
}

func (w *writer) getBuf() *[]byte {
	if n := w.held.Add(1); n > w.peak.Load() {
		w.peak.Store(n)
	}
	return w.s.bufs.Get().(*[]byte)
}

func (w *writer) putBuf(b *[]byte) {
	w.held.Add(-1)
	w.s.bufs.Put(b)
}

// submit hashes the current part and starts its upload once one of the
// concurrency slots is free, starting the multipart upload on the first
// part. The buffer goes back to the pool when the upload ends.
func (w *writer) submit() error {
	buf, n := w.cur, w.fill
	w.cur, w.fill = nil, 0
	if w.h != nil {
		w.h.Write((*buf)[:n])
	}
	err := w.startPart(buf, n)
	if err != nil {
		w.putBuf(buf)
	}
	return err
}

func (w *writer) startPart(buf *[]byte, n int) error {
	if w.uploadID == nil {
		out, err := w.s.client.CreateMultipartUpload(w.ctx, &awss3.CreateMultipartUploadInput{
			Bucket: &w.s.bucket, Key: &w.key,
		})
		if err != nil {
			return fmt.Errorf("s3: start upload: %w", err)
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
		err = fmt.Errorf("s3: blob larger than %d parts of %d bytes", maxParts, w.s.partSize)
	}
	if err == nil {
		w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(num)})
	}
	w.mu.Unlock()
	if err != nil {
		<-w.slots
		return err
	}
	hashed := w.hashMD5((*buf)[:n])
	w.wg.Go(func() {
		// The buffer and the slot are free once the part is both
		// uploaded and hashed.
		defer func() { <-hashed; w.putBuf(buf); <-w.slots }()
		out, err := w.s.client.UploadPart(w.ctx, &awss3.UploadPartInput{
			Bucket:        &w.s.bucket,
			Key:           &w.key,
			UploadId:      w.uploadID,
			PartNumber:    aws.Int32(num),
			Body:          bytes.NewReader((*buf)[:n]),
			ContentLength: aws.Int64(int64(n)),
		})
		w.mu.Lock()
		defer w.mu.Unlock()
		if err != nil {
			if w.upErr == nil {
				w.upErr = fmt.Errorf("s3: upload part %d: %w", num, err)
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

// stop ends the writer: it stops and waits for the part uploads, gives the
// buffer back, and aborts the multipart upload if there is one. It may be
// called more than once.
func (w *writer) stop(ctx context.Context) error {
	w.done = true
	w.cancel()
	w.wg.Wait()
	w.stopMD5()
	if w.cur != nil {
		w.putBuf(w.cur)
		w.cur = nil
	}
	if w.uploadID == nil {
		return nil
	}
	err := w.s.abort(ctx, w.key, w.uploadID)
	w.uploadID = nil
	return err
}

// Commit makes the data visible under its digest; see the package
// documentation for how. On failure nothing is visible and the staged data
// is removed (or left for PurgeStaging if even that fails).
func (w *writer) Commit(ctx context.Context, expectDigest string) (imsd.BlobInfo, error) {
	if w.done {
		return imsd.BlobInfo{}, errClosed
	}
	digest, err := w.commit(ctx, expectDigest)
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	w.stop(cctx) // after success, only a deduplicated upload is left to abort
	if err != nil {
		return imsd.BlobInfo{}, err
	}
	info, err := w.s.Stat(ctx, digest)
	if err != nil {
		return imsd.BlobInfo{}, err
	}
	info.MD5 = hex.EncodeToString(w.md5.Sum(nil))
	return info, nil
}

func (w *writer) commit(ctx context.Context, expectDigest string) (string, error) {
	if w.h == nil {
		return "", errors.New("s3: a resumable write is committed with CommitAs")
	}
	return w.finishAs(ctx, func() (string, error) {
		digest := hex.EncodeToString(w.h.Sum(nil))
		if expectDigest != "" && !strings.EqualFold(expectDigest, digest) {
			return "", fmt.Errorf("s3: got %s, want %s: %w", digest, expectDigest, imsd.ErrDigestMismatch)
		}
		return digest, nil
	})
}

// finishAs uploads what is left and puts the data at the digest that name
// returns once every byte has been hashed.
func (w *writer) finishAs(ctx context.Context, name func() (string, error)) (string, error) {
	defer context.AfterFunc(ctx, w.cancel)()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if w.err != nil {
		return "", w.err
	}
	if w.uploadID == nil {
		return w.putSmall(ctx, name)
	}
	if w.fill > 0 {
		if err := w.submit(); err != nil {
			return "", err
		}
	}
	w.wg.Wait()
	if err := w.uploadErr(ctx.Err()); err != nil {
		return "", err
	}
	digest, err := name()
	if err != nil {
		return "", err
	}
	if exists, err := w.s.exists(ctx, digest); err != nil || exists {
		return digest, err // if it exists, Commit aborts our upload
	}
	_, err = w.s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket:          &w.s.bucket,
		Key:             &w.key,
		UploadId:        w.uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: w.parts},
	})
	if err != nil {
		return "", fmt.Errorf("s3: complete upload: %w", err)
	}
	w.uploadID = nil // nothing to abort any more: the staging object exists
	err = w.s.copyObject(ctx, w.key, w.s.blobKey(digest), w.size)
	// The staging object goes either way. Its deletion is best effort: the
	// blob is committed (or not) regardless, and PurgeStaging removes what
	// is left.
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	_, _ = w.s.client.DeleteObject(cctx, &awss3.DeleteObjectInput{Bucket: &w.s.bucket, Key: &w.key})
	if err != nil {
		return "", err
	}
	return digest, nil
}

// putSmall commits a blob that fits in one part, held in memory: it is put
// straight to its content address, unless that exists already.
func (w *writer) putSmall(ctx context.Context, name func() (string, error)) (string, error) {
	var body []byte
	if w.cur != nil {
		body = (*w.cur)[:w.fill]
	}
	if w.h != nil {
		w.h.Write(body)
		w.md5.Write(body)
	}
	digest, err := name()
	if err != nil {
		return "", err
	}
	if exists, err := w.s.exists(ctx, digest); err != nil || exists {
		return digest, err
	}
	_, err = w.s.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        &w.s.bucket,
		Key:           aws.String(w.s.blobKey(digest)),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return "", fmt.Errorf("s3: put blob %s: %w", digest, err)
	}
	return digest, nil
}

// exists reports whether blob digest exists.
func (s *Store) exists(ctx context.Context, digest string) (bool, error) {
	_, err := s.Stat(ctx, digest)
	if errors.Is(err, imsd.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Cancel discards the staged data: it stops the uploads and aborts the
// multipart upload. It is a no-op after Commit or Cancel.
func (w *writer) Cancel(ctx context.Context) error {
	if w.done {
		return nil
	}
	if err := w.stop(ctx); err != nil {
		return fmt.Errorf("s3: cancel: %w", err)
	}
	return nil
}

// CommitAs finishes a resumable write and puts it at address.
func (w *writer) CommitAs(ctx context.Context, address string) (imsd.BlobInfo, error) {
	if w.done {
		return imsd.BlobInfo{}, errClosed
	}
	digest, err := w.finishAs(ctx, func() (string, error) {
		if !validDigest(address) {
			return "", fmt.Errorf("s3: invalid address %q", address)
		}
		return address, nil
	})
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	w.stop(cctx)
	if err != nil {
		return imsd.BlobInfo{}, err
	}
	return w.s.Stat(ctx, digest)
}

// Release stops the part uploads and keeps the multipart upload.
func (w *writer) Release(context.Context) error {
	if w.done {
		return nil
	}
	w.done = true
	w.cancel()
	w.wg.Wait()
	if w.cur != nil {
		w.putBuf(w.cur)
		w.cur = nil
	}
	return nil
}

// checkpointToken is what Checkpoint returns: the multipart upload and its
// parts, all uploaded.
type checkpointToken struct {
	Key      string   `json:"key"`
	UploadID string   `json:"upload_id"`
	ETags    []string `json:"etags"`
	Size     int64    `json:"size"`
}

// Checkpoint uploads the buffered data as a part and waits for every part.
// S3 parts other than the last must hold at least 5 MiB, so with less
// buffered it returns imsd.ErrCheckpointLater.
func (w *writer) Checkpoint(ctx context.Context) ([]byte, error) {
	if w.done {
		return nil, errClosed
	}
	if w.err != nil {
		return nil, w.err
	}
	if w.fill > 0 && w.fill < minPartSize {
		return nil, imsd.ErrCheckpointLater
	}
	if w.fill > 0 {
		if w.err = w.submit(); w.err != nil {
			return nil, w.err
		}
	}
	w.wg.Wait()
	if err := w.uploadErr(ctx.Err()); err != nil {
		w.err = err
		return nil, err
	}
	tok := checkpointToken{Key: w.key, Size: w.size}
	if w.uploadID != nil {
		tok.UploadID = *w.uploadID
	}
	for _, p := range w.parts {
		tok.ETags = append(tok.ETags, aws.ToString(p.ETag))
	}
	return json.Marshal(tok)
}
