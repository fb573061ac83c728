package imsd

import (
	"context"
	"io"
	"time"
)

// BlobInfo describes a committed blob.
type BlobInfo struct {
	// Digest is the lower-case hex SHA-256 of the content; it is the
	// blob's address.
	Digest  string
	Size    int64
	ModTime time.Time
	// MD5 is the lower-case hex MD5 of the content. Only BlobWriter.Commit
	// reports it (computed while writing); Stat and Walk leave it empty.
	MD5 string
}

// BlobStore is a content-addressed store of image data. Writes are staged:
// nothing is visible until Commit, and a crash before Commit leaves only
// staging data that PurgeStaging removes. Committing content that already
// exists keeps the existing blob (deduplication).
//
// Every method returns ErrNotFound (wrapped or not) for a missing blob.
type BlobStore interface {
	// Create starts a staged write.
	Create(ctx context.Context) (BlobWriter, error)
	// Open reads length bytes starting at offset; a negative length reads
	// to the end.
	Open(ctx context.Context, digest string, offset, length int64) (io.ReadCloser, error)
	// Stat describes a committed blob.
	Stat(ctx context.Context, digest string) (BlobInfo, error)
	// Delete removes a committed blob. Deleting a missing blob returns ErrNotFound.
	Delete(ctx context.Context, digest string) error
	// Walk calls fn for every committed blob, in no particular order.
	Walk(ctx context.Context, fn func(BlobInfo) error) error
	// PurgeStaging removes staged writes last touched before olderThan and
	// reports how many it removed.
	PurgeStaging(ctx context.Context, olderThan time.Time) (int, error)
}

// Pinger is implemented by backends that can check they are reachable
// (the blob stores, for readiness probes).
type Pinger interface {
	Ping(ctx context.Context) error
}

// BlobWriter is one staged write. It hashes what it is given, with SHA-256
// (the blob's address) and MD5 (the checksum Glance clients verify).
type BlobWriter interface {
	io.Writer
	// Size is the number of bytes written so far.
	Size() int64
	// Commit makes the data visible under its SHA-256 digest and reports
	// the data's MD5 too. When expectDigest is not empty and differs,
	// nothing becomes visible and ErrDigestMismatch is returned.
	Commit(ctx context.Context, expectDigest string) (BlobInfo, error)
	// Cancel discards the staged data. It is safe after Commit (no-op).
	Cancel(ctx context.Context) error
}
