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

	// CreateResumable starts a staged write that the store does not hash:
	// the caller commits it under an address it derives itself, for data
	// whose integrity is protected otherwise (encrypted data, whose
	// segments carry authentication tags). It can make checkpoints to
	// resume from after a crash.
	CreateResumable(ctx context.Context) (ResumableWriter, error)
	// Resume reopens the staged write of a checkpoint made by
	// ResumableWriter.Checkpoint, positioned at the checkpoint's size: data
	// written after the checkpoint is discarded. It returns ErrNotFound
	// when the staged write is gone (cancelled, committed or purged).
	Resume(ctx context.Context, checkpoint []byte) (ResumableWriter, error)
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

// ResumableWriter is a staged write that is not hashed, is committed under
// an address its caller chooses, and can be resumed from checkpoints.
type ResumableWriter interface {
	io.Writer
	// Size is the number of bytes written so far, checkpointed ones
	// included.
	Size() int64
	// Checkpoint makes everything written so far durable and returns a
	// token for BlobStore.Resume. A store that cannot checkpoint at the
	// current size returns ErrCheckpointLater and changes nothing; the
	// caller writes more and tries again.
	Checkpoint(ctx context.Context) ([]byte, error)
	// CommitAs makes the data visible under address, a lower-case hex
	// string of 64 digits, unless a blob with that address exists already
	// (which then is kept, as a deduplicated Commit does).
	CommitAs(ctx context.Context, address string) (BlobInfo, error)
	// Cancel discards the staged data. It is safe after CommitAs (no-op).
	Cancel(ctx context.Context) error
	// Release stops the writer and frees its resources but keeps the
	// staged data, at least up to the last checkpoint, for Resume (a job
	// interrupted by a shutdown). It is a no-op after CommitAs, Cancel or
	// Release.
	Release(ctx context.Context) error
}
