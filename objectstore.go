package imsd

import (
	"context"
	"errors"
	"io"
	"time"
)

// ObjectStorage is the operator's S3-compatible object storage that stands
// in for Huawei OBS: images are created from objects named "bucket:key"
// (image_url) and exported to them (bucket_url). Unlike BlobStore it holds
// the users' own files under the names they choose.
//
// Every method returns ErrNoSuchBucket for a bucket that does not exist or
// that this server may not use, ErrNotFound (wrapped or not) for a missing
// object, and ErrAccessDenied when the storage refuses the request.
type ObjectStorage interface {
	// Stat describes an object.
	Stat(ctx context.Context, bucket, key string) (ObjectInfo, error)
	// Open reads an object from its start.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, ObjectInfo, error)
	// Create starts a staged write of an object: nothing is visible under
	// the key until Commit, and Cancel leaves no trace.
	Create(ctx context.Context, bucket, key string) (ObjectWriter, error)
	// Put writes an object of known size and SHA-256 (lower-case hex) from
	// r: it appears only if exactly size bytes arrived and their SHA-256 is
	// sha256; otherwise nothing is visible and the error wraps
	// ErrDigestMismatch when the data did not match.
	Put(ctx context.Context, bucket, key string, r io.Reader, size int64, sha256 string) (ObjectInfo, error)
}

// ObjectInfo describes an object.
type ObjectInfo struct {
	Size    int64
	ETag    string
	ModTime time.Time
}

// ObjectWriter is one staged object write.
type ObjectWriter interface {
	io.Writer
	// Commit makes the object visible under its key, replacing any object
	// there.
	Commit(ctx context.Context) (ObjectInfo, error)
	// Cancel discards the staged data. It is safe after Commit (no-op).
	Cancel(ctx context.Context) error
}

// Object-storage sentinel errors (besides ErrNotFound).
var (
	// ErrNoSuchBucket means the bucket does not exist or this server may
	// not use it.
	ErrNoSuchBucket = errors.New("no such bucket")
	// ErrAccessDenied means the object storage refused the request.
	ErrAccessDenied = errors.New("access denied")
)
