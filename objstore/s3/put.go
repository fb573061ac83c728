package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/imsd/imsd"
)

// maxSinglePut is the largest object S3 takes in one PutObject.
const maxSinglePut = 5 << 30

// Put writes an object whose size and SHA-256 are known beforehand. Up to
// 5 GiB it is one streaming PutObject whose SigV4 payload hash is the
// given SHA-256: the server checks the body against it and stores nothing
// unless it matches, so the data is read once, hashed by nobody but the
// server, and never assembled from parts. Larger objects go through a
// staged multipart write, hashed on the way and committed only when the
// hash matches.
func (s *Store) Put(ctx context.Context, bucket, key string, r io.Reader, size int64, digest string) (imsd.ObjectInfo, error) {
	if err := s.allowed(bucket); err != nil {
		return imsd.ObjectInfo{}, err
	}
	if size <= s.singlePutLimit {
		counted := &countReader{r: r}
		_, err := s.client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket, Key: &key,
			Body: io.NopCloser(counted), ContentLength: aws.Int64(size)},
			withPayloadHash(digest),
			func(o *awss3.Options) { o.RetryMaxAttempts = 1 }) // the body cannot be rewound
		switch {
		case errorCode(err) == "XAmzContentSHA256Mismatch" || errorCode(err) == "BadDigest":
			return imsd.ObjectInfo{}, fmt.Errorf("s3: put %s/%s: %w: %w", bucket, key, imsd.ErrDigestMismatch, err)
		case err != nil && counted.err != nil:
			return imsd.ObjectInfo{}, fmt.Errorf("s3: put %s/%s: reading the data: %w", bucket, key, counted.err)
		case err != nil:
			return imsd.ObjectInfo{}, s.objectErr(ctx, bucket, key, err)
		}
		return s.Stat(ctx, bucket, key)
	}
	w, err := s.Create(ctx, bucket, key)
	if err != nil {
		return imsd.ObjectInfo{}, err
	}
	defer w.Cancel(context.WithoutCancel(ctx))
	h := sha256.New()
	n, err := io.Copy(w, io.TeeReader(r, h))
	if err != nil {
		return imsd.ObjectInfo{}, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != size || got != digest {
		return imsd.ObjectInfo{}, fmt.Errorf("s3: put %s/%s: %d bytes with SHA-256 %s, want %d and %s: %w",
			bucket, key, n, got, size, digest, imsd.ErrDigestMismatch)
	}
	return w.Commit(ctx)
}

// withPayloadHash signs a request with the given payload SHA-256 instead
// of hashing the body (which a stream cannot be read twice for). The value
// must be set inside the operation's stack: stack values set before the
// call are cleared when it starts.
func withPayloadHash(digest string) func(*awss3.Options) {
	return awss3.WithAPIOptions(func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("imsdPayloadHash",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				return next.HandleFinalize(v4.SetPayloadHash(ctx, digest), in)
			}), "ComputePayloadHash", middleware.Before)
	})
}

// countReader keeps the error of the reader it wraps apart from the
// server's.
type countReader struct {
	r   io.Reader
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}
