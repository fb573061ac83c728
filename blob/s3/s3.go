// Package s3 is a content-addressed imsd.BlobStore on an S3-compatible
// object store, using aws-sdk-go-v2 with path-style addressing.
//
// Layout in the bucket, under an optional key prefix P:
//
//	P blobs/sha256/<digest>   a committed blob, named by its lower-case hex
//	                          SHA-256 digest; never modified once written
//	P staging/<uuid>          one staged write: a multipart upload while data
//	                          is written, briefly an object during Commit
//
// A write is uploaded as a multipart upload to its staging key, in parts of
// Config.PartSize with at most Config.Concurrency parts in flight, while it is
// hashed. Commit completes the upload and copies it on the server to its
// content address (CopyObject up to 5 GiB, UploadPartCopy beyond), then
// deletes the staging object; if the blob exists already the upload is
// aborted instead. A write smaller than one part never touches staging: it
// is kept in memory and Commit puts it straight to its content address.
package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/google/uuid"

	"github.com/imsd/imsd"
)

// Limits of the S3 API.
const (
	minPartSize    = 5 << 20
	maxPartSize    = 5 << 30
	maxParts       = 10000
	maxCopyObject  = 5 << 30 // largest CopyObject; larger copies use UploadPartCopy
	copyPartSize   = 1 << 30 // part size of UploadPartCopy copies
	defaultRegion  = "us-east-1"
	defaultPart    = 16 << 20
	defaultWorkers = 4
)

// Config configures a Store.
type Config struct {
	// Endpoint is the S3 endpoint URL, for example "http://127.0.0.1:7070".
	// Empty means AWS S3 itself.
	Endpoint string
	// Region is the signing region. Defaults to "us-east-1".
	Region string
	// Bucket holds the blobs. It is created by New if it does not exist.
	Bucket string
	// AccessKey and SecretKey are static credentials.
	AccessKey string
	// SecretKey is the secret matching AccessKey.
	SecretKey string
	// Prefix is put in front of every key, so that one bucket can hold
	// several stores; a "/" is added if it lacks one. Defaults to none.
	Prefix string
	// PartSize is the size of each uploaded part. It bounds the largest
	// blob to 10,000 parts (156 GiB with the default) and, with
	// Concurrency, a writer's memory to (Concurrency+1)*PartSize. Defaults
	// to 16 MiB; at least 5 MiB.
	PartSize int64
	// Concurrency is how many parts one writer uploads at once. Defaults
	// to 4.
	Concurrency int
}

// Store is a content-addressed blob store in an S3 bucket. It is safe for
// concurrent use.
type Store struct {
	client      *awss3.Client
	bucket      string
	prefix      string
	partSize    int64
	concurrency int
	bufs        sync.Pool // *[]byte of partSize

	// Overridable by tests, to exercise the UploadPartCopy path cheaply.
	copyLimit    int64
	copyPartSize int64
}

var _ imsd.BlobStore = (*Store)(nil)

// New connects to the store described by cfg and creates its bucket if it
// does not exist.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: bucket is required")
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = defaultPart
	}
	if cfg.PartSize < minPartSize || cfg.PartSize > maxPartSize {
		return nil, fmt.Errorf("s3: part size %d outside [5 MiB, 5 GiB]", cfg.PartSize)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = defaultWorkers
	}
	if cfg.Concurrency < 0 {
		return nil, fmt.Errorf("s3: negative concurrency %d", cfg.Concurrency)
	}
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	opts := awss3.Options{
		Region:       cfg.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		// Only where an API demands one: the blob digest checks content
		// end to end, SigV4 signs each request's payload, and not every
		// S3-compatible server supports the newer flexible checksums.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	s := &Store{
		client:       awss3.New(opts),
		bucket:       cfg.Bucket,
		prefix:       cfg.Prefix,
		partSize:     cfg.PartSize,
		concurrency:  cfg.Concurrency,
		copyLimit:    maxCopyObject,
		copyPartSize: copyPartSize,
	}
	s.bufs.New = func() any { b := make([]byte, s.partSize); return &b }
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, err
	}
	return s, nil
}

// ensureBucket creates the bucket unless it exists.
func (s *Store) ensureBucket(ctx context.Context, region string) error {
	_, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &s.bucket})
	if err == nil {
		return nil
	}
	if code := errorCode(err); code != "NotFound" && code != "NoSuchBucket" {
		return fmt.Errorf("s3: bucket %s: %w", s.bucket, err)
	}
	in := &awss3.CreateBucketInput{Bucket: &s.bucket}
	if region != defaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(region),
		}
	}
	_, err = s.client.CreateBucket(ctx, in)
	switch errorCode(err) {
	case "", "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
		return nil
	}
	return fmt.Errorf("s3: create bucket %s: %w", s.bucket, err)
}

// Ping checks that the bucket answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("s3: bucket %s: %w", s.bucket, err)
	}
	return nil
}

func (s *Store) blobPrefix() string      { return s.prefix + "blobs/sha256/" }
func (s *Store) stagingPrefix() string   { return s.prefix + "staging/" }
func (s *Store) blobKey(d string) string { return s.blobPrefix() + d }

// Create starts a staged write. The writer's background uploads run until
// Commit or Cancel, independently of ctx's cancellation.
func (s *Store) Create(ctx context.Context) (imsd.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newWriter(ctx, s, s.stagingPrefix()+uuid.NewString()), nil
}

// CreateResumable starts an unhashed staged write.
func (s *Store) CreateResumable(ctx context.Context) (imsd.ResumableWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w := newWriter(ctx, s, s.stagingPrefix()+uuid.NewString())
	w.h, w.md5 = nil, nil
	return w, nil
}

// Resume continues the multipart upload of a checkpoint with its parts;
// parts uploaded after the checkpoint are overwritten or left out.
func (s *Store) Resume(ctx context.Context, checkpoint []byte) (imsd.ResumableWriter, error) {
	var tok checkpointToken
	if err := json.Unmarshal(checkpoint, &tok); err != nil || !strings.HasPrefix(tok.Key, s.stagingPrefix()) || tok.Size < 0 {
		return nil, fmt.Errorf("s3: resume: invalid checkpoint %q", checkpoint)
	}
	w := newWriter(ctx, s, tok.Key)
	w.h, w.md5, w.size = nil, nil, tok.Size
	if tok.UploadID == "" {
		if tok.Size != 0 {
			return nil, fmt.Errorf("s3: resume: invalid checkpoint %q", checkpoint)
		}
		return w, nil
	}
	w.uploadID = aws.String(tok.UploadID)
	_, err := s.client.ListParts(ctx, &awss3.ListPartsInput{Bucket: &s.bucket, Key: &tok.Key, UploadId: w.uploadID, MaxParts: aws.Int32(1)})
	if isNoSuchUpload(err) {
		return nil, fmt.Errorf("s3: resume: upload of %s: %w", tok.Key, imsd.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: resume: %w", err)
	}
	for i, etag := range tok.ETags {
		w.parts = append(w.parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: aws.String(etag)})
	}
	return w, nil
}

// Open reads length bytes of blob digest from offset with a ranged GET; a
// negative length, or one past the end, reads to the end. An offset beyond
// the end is an error.
func (s *Store) Open(ctx context.Context, digest string, offset, length int64) (io.ReadCloser, error) {
	if !validDigest(digest) {
		return nil, invalidDigest(digest)
	}
	if offset < 0 {
		return nil, fmt.Errorf("s3: blob %s: negative offset %d", digest, offset)
	}
	if length == 0 {
		return s.emptyAt(ctx, digest, offset)
	}
	in := &awss3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.blobKey(digest))}
	switch {
	case length > 0 && offset+length > offset: // not overflowing
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", offset, offset+length-1))
	case offset > 0:
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := s.client.GetObject(ctx, in)
	if errorCode(err) == "InvalidRange" {
		// The range starts at or past the end: empty at the end, else
		// an error.
		return s.emptyAt(ctx, digest, offset)
	}
	if err != nil {
		return nil, blobErr(digest, err)
	}
	return out.Body, nil
}

// emptyAt returns an empty reader if blob digest exists and offset is
// within it or at its end.
func (s *Store) emptyAt(ctx context.Context, digest string, offset int64) (io.ReadCloser, error) {
	info, err := s.Stat(ctx, digest)
	if err != nil {
		return nil, err
	}
	if offset > info.Size {
		return nil, fmt.Errorf("s3: blob %s: offset %d beyond size %d", digest, offset, info.Size)
	}
	return io.NopCloser(strings.NewReader("")), nil
}

// Stat describes blob digest.
func (s *Store) Stat(ctx context.Context, digest string) (imsd.BlobInfo, error) {
	if !validDigest(digest) {
		return imsd.BlobInfo{}, invalidDigest(digest)
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &s.bucket, Key: aws.String(s.blobKey(digest))})
	if err != nil {
		return imsd.BlobInfo{}, blobErr(digest, err)
	}
	return imsd.BlobInfo{Digest: digest, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Delete removes blob digest. S3 deletes are idempotent, so the blob is
// checked for first; a concurrent Delete of the same blob may thus both
// succeed.
func (s *Store) Delete(ctx context.Context, digest string) error {
	if _, err := s.Stat(ctx, digest); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: aws.String(s.blobKey(digest))})
	if err != nil {
		return blobErr(digest, err)
	}
	return nil
}

// Walk lists the blob prefix and calls fn for every committed blob. Keys
// under it that are not digests are ignored. An error from fn stops the
// walk and is returned as is.
func (s *Store) Walk(ctx context.Context, fn func(imsd.BlobInfo) error) error {
	pfx := s.blobPrefix()
	p := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &pfx})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3: walk: %w", err)
		}
		for _, o := range page.Contents {
			d := strings.TrimPrefix(aws.ToString(o.Key), pfx)
			if !validDigest(d) {
				continue
			}
			info := imsd.BlobInfo{Digest: d, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// blobErr maps an S3 error about blob digest to the store contract.
func blobErr(digest string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("s3: blob %s: %w", digest, imsd.ErrNotFound)
	}
	return fmt.Errorf("s3: blob %s: %w", digest, err)
}

// invalidDigest is the error for a malformed digest, which names no blob.
func invalidDigest(digest string) error {
	return fmt.Errorf("s3: invalid digest %q: %w", digest, imsd.ErrNotFound)
}

// isNotFound reports whether err says the object does not exist.
func isNotFound(err error) bool {
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	}
	return false
}

// errorCode returns the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// copySource is the x-amz-copy-source value naming key in the bucket.
func (s *Store) copySource(key string) *string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return aws.String(s.bucket + "/" + strings.Join(segs, "/"))
}

// validDigest reports whether d is a lower-case hex SHA-256 digest.
func validDigest(d string) bool {
	if len(d) != 64 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// cleanupContext is for cleanup after a failure: it survives the
// cancellation of ctx, for a bounded time.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
}
