// Package s3 is imsd.ObjectStorage on an S3-compatible server, using
// aws-sdk-go-v2 with path-style addressing: the operator's object storage
// that images are imported from and exported to ("bucket:key", where
// Huawei Cloud has OBS).
//
// Reads are plain GetObject streams. Put writes an object of known size
// and SHA-256 up to 5 GiB as one PutObject the server verifies (put.go). A
// staged write (Create) is a multipart upload to the
// object's own key, in parts of Config.PartSize with at most
// Config.Concurrency parts in flight (over https the part bodies go as
// UNSIGNED-PAYLOAD, TLS protecting them, which spares a SHA-256 pass; over
// plain http they are signed): S3 shows nothing under the key until
// CompleteMultipartUpload (Commit), and AbortMultipartUpload (Cancel)
// leaves no trace. A write smaller than one part is kept in memory and put
// with one PutObject at Commit. Create first aborts the unfinished
// multipart uploads of the same key, which is what a crashed export leaves
// behind.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/imsd/imsd"
)

// Limits of the S3 API and the defaults.
const (
	minPartSize    = 5 << 20
	maxPartSize    = 5 << 30
	maxParts       = 10000
	defaultRegion  = "us-east-1"
	defaultPart    = 16 << 20
	defaultWorkers = 4
)

// Config configures a Store.
type Config struct {
	// Endpoint is the S3 endpoint URL, for example "http://127.0.0.1:7070".
	// Empty means AWS S3 itself.
	Endpoint string
	// Region is the signing region (default us-east-1).
	Region string
	// AccessKey and SecretKey are the static credentials imsd uses for
	// every account's imports and exports.
	AccessKey string
	// SecretKey is the secret matching AccessKey.
	SecretKey string
	// Buckets, when not empty, are the only buckets imports and exports may
	// name; any other is reported as missing (ErrNoSuchBucket).
	Buckets []string
	// PartSize is the size of each uploaded part (default 16 MiB, at least
	// 5 MiB); it bounds the largest export to 10,000 parts.
	PartSize int64
	// Concurrency is how many parts one write uploads at once (default 4).
	Concurrency int
}

// Store is imsd.ObjectStorage on S3. It is safe for concurrent use.
type Store struct {
	client      *awss3.Client
	buckets     []string
	partSize    int64
	concurrency int
	bufs        sync.Pool // *[]byte of partSize
	// unsignedParts sends part bodies as UNSIGNED-PAYLOAD, saving a
	// SHA-256 pass per byte: only over https, where TLS protects them.
	unsignedParts bool
	// singlePutLimit is the largest Put done with one PutObject
	// (overridable by tests to reach the multipart path cheaply).
	singlePutLimit int64
}

var _ imsd.ObjectStorage = (*Store)(nil)

// New returns a Store for cfg. It does not contact the server.
func New(cfg Config) (*Store, error) {
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
	opts := awss3.Options{
		Region:       cfg.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, ""),
		// Only where an API demands one: not every S3-compatible server
		// supports the newer flexible checksums, and SigV4 signs each
		// request's payload.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	if cfg.Endpoint != "" {
		opts.BaseEndpoint = aws.String(cfg.Endpoint)
	}
	s := &Store{client: awss3.New(opts), buckets: slices.Clone(cfg.Buckets), partSize: cfg.PartSize, concurrency: cfg.Concurrency,
		unsignedParts:  cfg.Endpoint == "" || strings.HasPrefix(strings.ToLower(cfg.Endpoint), "https://"),
		singlePutLimit: maxSinglePut}
	s.bufs.New = func() any { b := make([]byte, s.partSize); return &b }
	return s, nil
}

// allowed reports whether the bucket may be used at all.
func (s *Store) allowed(bucket string) error {
	if bucket == "" || (len(s.buckets) > 0 && !slices.Contains(s.buckets, bucket)) {
		return fmt.Errorf("s3: bucket %q: %w", bucket, imsd.ErrNoSuchBucket)
	}
	return nil
}

// Stat describes an object with HeadObject. A 404 to HEAD does not say
// whether the bucket or the object is missing, so the bucket is asked
// about then.
func (s *Store) Stat(ctx context.Context, bucket, key string) (imsd.ObjectInfo, error) {
	if err := s.allowed(bucket); err != nil {
		return imsd.ObjectInfo{}, err
	}
	out, err := s.client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return imsd.ObjectInfo{}, s.objectErr(ctx, bucket, key, err)
	}
	return imsd.ObjectInfo{Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag), ModTime: aws.ToTime(out.LastModified)}, nil
}

// Open reads an object with GetObject.
func (s *Store) Open(ctx context.Context, bucket, key string) (io.ReadCloser, imsd.ObjectInfo, error) {
	if err := s.allowed(bucket); err != nil {
		return nil, imsd.ObjectInfo{}, err
	}
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return nil, imsd.ObjectInfo{}, s.objectErr(ctx, bucket, key, err)
	}
	info := imsd.ObjectInfo{Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag), ModTime: aws.ToTime(out.LastModified)}
	return out.Body, info, nil
}

// Create starts a staged write of an object after aborting the unfinished
// multipart uploads of the same key.
func (s *Store) Create(ctx context.Context, bucket, key string) (imsd.ObjectWriter, error) {
	if err := s.allowed(bucket); err != nil {
		return nil, err
	}
	if err := s.abortUnfinished(ctx, bucket, key); err != nil {
		return nil, err
	}
	return newWriter(ctx, s, bucket, key), nil
}

// abortUnfinished aborts the multipart uploads of exactly key.
func (s *Store) abortUnfinished(ctx context.Context, bucket, key string) error {
	out, err := s.client.ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: &key})
	if err != nil {
		return s.objectErr(ctx, bucket, key, err)
	}
	for _, u := range out.Uploads {
		if aws.ToString(u.Key) != key {
			continue
		}
		_, err := s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: u.UploadId})
		if err != nil && errorCode(err) != "NoSuchUpload" {
			return fmt.Errorf("s3: abort unfinished upload of %s/%s: %w", bucket, key, err)
		}
	}
	return nil
}

// objectErr translates an S3 error about bucket/key into the sentinels.
func (s *Store) objectErr(ctx context.Context, bucket, key string, err error) error {
	switch errorCode(err) {
	case "NoSuchBucket", "InvalidBucketName":
		return fmt.Errorf("s3: bucket %q: %w: %w", bucket, imsd.ErrNoSuchBucket, err)
	case "NoSuchKey":
		return fmt.Errorf("s3: object %s/%s: %w", bucket, key, imsd.ErrNotFound)
	case "NotFound":
		if _, herr := s.client.HeadBucket(ctx, &awss3.HeadBucketInput{Bucket: &bucket}); herr != nil && httpStatus(herr) == 404 {
			return fmt.Errorf("s3: bucket %q: %w", bucket, imsd.ErrNoSuchBucket)
		}
		return fmt.Errorf("s3: object %s/%s: %w", bucket, key, imsd.ErrNotFound)
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		return fmt.Errorf("s3: %s/%s: %w: %w", bucket, key, imsd.ErrAccessDenied, err)
	}
	if httpStatus(err) == 403 {
		return fmt.Errorf("s3: %s/%s: %w: %w", bucket, key, imsd.ErrAccessDenied, err)
	}
	return fmt.Errorf("s3: %s/%s: %w", bucket, key, err)
}

// errorCode returns the S3 error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// httpStatus returns the HTTP status of an S3 error, or 0.
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
