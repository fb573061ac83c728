// Package fs is a content-addressed imsd.BlobStore on a local filesystem.
//
// Writes go to a staging file that is hashed while it is written and renamed
// into its content address on Commit; paths.go documents the layout. Reads
// are served straight from the blob file, and a reader handed to io.Copy
// towards a socket or a file lets the kernel move the bytes (sendfile(2),
// copy_file_range(2)).
package fs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/imsd/imsd"
)

// Store is a content-addressed blob store rooted at a directory. It is safe
// for concurrent use, also by several processes sharing the directory.
type Store struct {
	root string
	// direct turns direct I/O on (Options.DirectIO).
	direct bool
}

// Options tune a Store.
type Options struct {
	// DirectIO writes the full buffers of staged data with O_DIRECT where
	// the filesystem supports it (see writer.go): far less CPU per byte
	// when the page cache is under pressure, but every write waits for
	// the device and new blobs are not cached. Off by default.
	DirectIO bool
}

var _ imsd.BlobStore = (*Store)(nil)

// New opens the store rooted at root, creating the directory layout if it
// does not exist yet.
func New(root string) (*Store, error) { return NewWithOptions(root, Options{}) }

// NewWithOptions is New with options.
func NewWithOptions(root string, o Options) (*Store, error) {
	if root == "" {
		return nil, errors.New("fs: root directory is required")
	}
	s := &Store{root: root, direct: o.DirectIO}
	for _, dir := range []string{blobsDir, stagingDir} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			return nil, fmt.Errorf("fs: create layout: %w", err)
		}
	}
	return s, nil
}

// Ping checks that the store's directories are there, for readiness
// probes.
func (s *Store) Ping(ctx context.Context) error {
	for _, dir := range []string{blobsDir, stagingDir} {
		fi, err := os.Stat(filepath.Join(s.root, dir))
		if err != nil {
			return fmt.Errorf("fs: %w", err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("fs: %s is not a directory", filepath.Join(s.root, dir))
		}
	}
	return nil
}

// Root returns the directory the store is rooted at.
func (s *Store) Root() string { return s.root }

// Create starts a staged write into a new file under staging/.
func (s *Store) Create(ctx context.Context) (imsd.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(s.root, stagingDir, uuid.NewString())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("fs: create staging file: %w", err)
	}
	return newWriter(s, f, s.openDirect(path), path), nil
}

// openDirect opens an O_DIRECT descriptor of a staging file, or returns
// nil when direct I/O is off or unsupported here.
func (s *Store) openDirect(path string) *os.File {
	if !s.direct {
		return nil
	}
	df, err := openDirect(path)
	if err != nil {
		return nil
	}
	return df
}

// CreateResumable starts an unhashed staged write under staging/.
func (s *Store) CreateResumable(ctx context.Context) (imsd.ResumableWriter, error) {
	w, err := s.Create(ctx)
	if err != nil {
		return nil, err
	}
	fw := w.(*writer)
	fw.h, fw.md5 = nil, nil
	return fw, nil
}

// Resume reopens the staging file of a checkpoint, cut back to the
// checkpoint's size.
func (s *Store) Resume(ctx context.Context, checkpoint []byte) (imsd.ResumableWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var tok checkpointToken
	if err := json.Unmarshal(checkpoint, &tok); err != nil || uuid.Validate(tok.Staging) != nil || tok.Size < 0 {
		return nil, fmt.Errorf("fs: resume: invalid checkpoint %q", checkpoint)
	}
	path := filepath.Join(s.root, stagingDir, tok.Staging)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, fmt.Errorf("fs: resume: staged write %s: %w", tok.Staging, imsd.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("fs: resume: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && fi.Size() < tok.Size {
		err = fmt.Errorf("staged write %s has %d bytes, the checkpoint %d: %w", tok.Staging, fi.Size(), tok.Size, imsd.ErrNotFound)
	}
	if err == nil {
		err = f.Truncate(tok.Size)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fs: resume: %w", err)
	}
	w := newWriter(s, f, s.openDirect(path), path)
	w.h, w.md5, w.size = nil, nil, tok.Size
	// The partial buffer at the checkpoint goes back into memory, so that
	// it is written whole, at its aligned offset, once full.
	w.base = tok.Size &^ (bufSize - 1)
	w.cur, w.nbuf = blockPool.Get().(*block), 1
	w.fill = int(tok.Size - w.base)
	if _, err := f.ReadAt(w.cur[:w.fill], w.base); err != nil {
		w.closeFiles()
		return nil, fmt.Errorf("fs: resume: read back the partial buffer: %w", err)
	}
	return w, nil
}

// Open reads length bytes of blob digest starting at offset; a negative
// length, or one that runs past the end, reads to the end. An offset beyond
// the end is an error. The returned reader also implements io.Seeker,
// io.ReaderAt and io.WriterTo; WriteTo hands the copy to the kernel when the
// destination is a socket or a file.
func (s *Store) Open(ctx context.Context, digest string, offset, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validDigest(digest) {
		return nil, invalidDigest(digest)
	}
	f, err := os.Open(s.blobPath(digest))
	if err != nil {
		return nil, pathErr(digest, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("fs: stat blob %s: %w", digest, err)
	}
	size := fi.Size()
	if offset < 0 || offset > size {
		f.Close()
		return nil, fmt.Errorf("fs: blob %s: offset %d outside [0, %d]", digest, offset, size)
	}
	if length < 0 || length > size-offset {
		length = size - offset
	}
	adviseSequential(f, offset, length)
	return newReader(f, offset, length), nil
}

// Stat describes blob digest.
func (s *Store) Stat(ctx context.Context, digest string) (imsd.BlobInfo, error) {
	if err := ctx.Err(); err != nil {
		return imsd.BlobInfo{}, err
	}
	if !validDigest(digest) {
		return imsd.BlobInfo{}, invalidDigest(digest)
	}
	fi, err := os.Stat(s.blobPath(digest))
	if err != nil {
		return imsd.BlobInfo{}, pathErr(digest, err)
	}
	return imsd.BlobInfo{Digest: digest, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes blob digest. Readers that have it open keep reading the
// old content until they close it.
func (s *Store) Delete(ctx context.Context, digest string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validDigest(digest) {
		return invalidDigest(digest)
	}
	if err := os.Remove(s.blobPath(digest)); err != nil {
		return pathErr(digest, err)
	}
	return nil
}

// Walk calls fn for every committed blob, fan-out directory by fan-out
// directory. Blobs committed or deleted while Walk runs may or may not be
// reported. An error from fn stops the walk and is returned as is.
func (s *Store) Walk(ctx context.Context, fn func(imsd.BlobInfo) error) error {
	top := filepath.Join(s.root, blobsDir)
	fanouts, err := os.ReadDir(top)
	if err != nil {
		return fmt.Errorf("fs: walk: %w", err)
	}
	for _, fo := range fanouts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !fo.IsDir() || len(fo.Name()) != 2 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(top, fo.Name()))
		if err != nil {
			return fmt.Errorf("fs: walk: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || !validDigest(name) || name[:2] != fo.Name() {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, iofs.ErrNotExist) {
				continue // deleted meanwhile
			} else if err != nil {
				return fmt.Errorf("fs: walk: %w", err)
			}
			if err := fn(imsd.BlobInfo{Digest: name, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// PurgeStaging removes staging files last modified before olderThan. A
// writer that is still in use keeps its file's modification time fresh with
// every write that reaches the disk.
func (s *Store) PurgeStaging(ctx context.Context, olderThan time.Time) (int, error) {
	dir := filepath.Join(s.root, stagingDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("fs: purge staging: %w", err)
	}
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, iofs.ErrNotExist) {
			continue
		} else if err != nil {
			return n, fmt.Errorf("fs: purge staging: %w", err)
		}
		if !fi.ModTime().Before(olderThan) {
			continue
		}
		err = os.Remove(filepath.Join(dir, e.Name()))
		if errors.Is(err, iofs.ErrNotExist) {
			continue // committed or cancelled meanwhile
		} else if err != nil {
			return n, fmt.Errorf("fs: purge staging: %w", err)
		}
		n++
	}
	return n, nil
}

// pathErr turns an error about blob digest's file into the store contract:
// a missing file is imsd.ErrNotFound.
func pathErr(digest string, err error) error {
	if errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("fs: blob %s: %w", digest, imsd.ErrNotFound)
	}
	return fmt.Errorf("fs: blob %s: %w", digest, err)
}

// invalidDigest is the error for a malformed digest, which names no blob.
func invalidDigest(digest string) error {
	return fmt.Errorf("fs: invalid digest %q: %w", digest, imsd.ErrNotFound)
}

// syncDir makes the entries of directory dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
