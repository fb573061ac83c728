package fs

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/imsd/imsd"
)

// The write path is a four-stage pipeline: the caller's goroutine fills a
// buffer (ReadFrom reads a socket straight into it, with no extra copy), a
// hasher goroutine runs SHA-256 over full buffers in order, a second one
// MD5 (the checksum Glance clients verify), and flusher goroutines write
// them to the staging file. A write runs at close to the speed of the
// slowest stage instead of their sum: SHA-256 runs at ~1.6 GB/s, a socket
// read or a write(2) into the page cache at a similar speed, and MD5, which
// cannot be parallelised within one stream, at ~0.7 GB/s per core. A
// resumable write (sealed data, whose address is derived) hashes nothing.
//
// With Options.DirectIO, where the filesystem allows it, full buffers are
// written with O_DIRECT: buffer k of a write goes to file offset k × bufSize straight from the
// (page-aligned) buffer, bypassing the page cache. Measured on our VMs, a
// buffered write(2) of fresh data costs about 4 s of CPU per GiB in page
// allocation and reclaim once the page cache is full, an O_DIRECT write
// 0.2 s; on two cores that CPU is what the hashing and encrypting stages
// need. Partial buffers (a blob's tail, a checkpoint) go through a second,
// buffered descriptor of the same file.
const (
	// bufSize is the size of each buffer: the unit of reading, hashing
	// and handing over to the flusher.
	bufSize = 1 << 20
	// writeSize is the size of each write(2). Larger writes make the
	// kernel cache the file in larger folios, which in a VM with free page
	// reporting (virtio-balloon, as on our machines) come from memory the
	// host has taken back: 1 MiB writes then run at ~0.5 GB/s instead of
	// ~3.5 GB/s, while 256 KiB and 64 KiB writes keep full speed.
	writeSize = 256 << 10
	// maxBufs bounds the buffers, and so the memory, of one writer: two
	// per stage keep every stage busy.
	maxBufs = 8
	// writebackChunk is how much is written between two writeback
	// requests (see startWriteback).
	writebackChunk = 8 << 20
	// flushers is how many writes a writer keeps in flight.
	flushers = 3
)

// block is one pipeline buffer.
type block [bufSize]byte

// blockPool recycles buffers across writers, so that a write allocates
// nothing in the steady state.
var blockPool = sync.Pool{New: func() any { return new(block) }}

// chunk is a filled buffer on its way to the flusher: n bytes for file
// offset off (direct mode only).
type chunk struct {
	b   *block
	n   int
	off int64
}

// freed is a buffer on its way back from the flusher, with the flusher's
// sticky error at that moment.
type freed struct {
	b   *block
	err error
}

// errClosed is returned by a writer used after Commit or Cancel.
var errClosed = errors.New("fs: blob writer already committed or cancelled")

// writer is a staged write. It is not safe for concurrent use. It must be
// finished with Commit or Cancel, which stop its flusher goroutine.
type writer struct {
	s    *Store
	f    *os.File // the staging file: opened with O_DIRECT in direct mode
	bf   *os.File // the staging file, buffered (f itself unless direct)
	path string
	h    hash.Hash // SHA-256, the blob's address; nil for a resumable write
	md5  hash.Hash // MD5, reported with the commit; nil for a resumable write
	size int64     // bytes accepted
	// direct says full buffers are written with O_DIRECT. base is the file
	// offset of cur's first byte, a multiple of bufSize: buffers are
	// handed over full (all but a blob's last), each written at its offset.
	direct bool
	base   int64

	cur  *block // buffer being filled, or nil
	fill int    // bytes used in cur
	nbuf int    // buffers taken from the pool and not yet given back
	err  error  // sticky error seen by the caller's goroutine
	done bool   // committed or cancelled

	// The hashers and the flusher, started when the first buffer fills
	// up. Only the SHA-256 hasher touches h until it has exited (closing
	// md5q), only the MD5 hasher touches md5 until it has exited (closing
	// todo); only the flusher touches ferr, disk and wb until it has exited
	// (closing flushed); its errors reach the caller with the buffers it
	// frees.
	hashq   chan chunk
	md5q    chan chunk
	todo    chan chunk
	free    chan freed
	flushed chan struct{}
	fmu     sync.Mutex // guards ferr: direct mode runs several flushers
	ferr    error
}

// newWriter returns a writer of the staging file opened as bf, with a
// second O_DIRECT descriptor df when direct I/O is available (else nil).
func newWriter(s *Store, bf, df *os.File, path string) *writer {
	w := &writer{s: s, f: bf, bf: bf, path: path, h: sha256.New(), md5: md5.New()}
	if df != nil {
		w.f, w.direct = df, true
	}
	return w
}

// closeFiles closes the staging file's descriptors.
func (w *writer) closeFiles() error {
	err := w.bf.Close()
	if w.f != w.bf {
		err = errors.Join(w.f.Close(), err)
	}
	return err
}

// Size returns the number of bytes written so far.
func (w *writer) Size() int64 { return w.size }

// Write hashes p and queues it for the staging file.
func (w *writer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if err := w.buffer(); err != nil {
			return n - len(p), err
		}
		k := copy(w.cur[w.fill:], p)
		w.fill += k
		w.size += int64(k)
		p = p[k:]
	}
	return n, nil
}

// ReadFrom reads r to EOF straight into the writer's buffers, saving the
// copy Write would make. io.Copy uses it.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.buffer(); err != nil {
			return total, err
		}
		m, err := r.Read(w.cur[w.fill:])
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

// buffer makes sure w.cur has room, handing a full buffer to the flusher
// and waiting for a free one when all maxBufs are in flight.
func (w *writer) buffer() error {
	if w.done {
		return errClosed
	}
	if w.err != nil {
		return w.err
	}
	if w.cur != nil && w.fill < bufSize {
		return nil
	}
	if w.cur != nil {
		w.submit()
	}
	if w.nbuf < maxBufs {
		w.cur = blockPool.Get().(*block)
		w.nbuf++
		return nil
	}
	f := <-w.free
	w.cur = f.b
	if f.err != nil {
		w.err = f.err
	}
	return w.err
}

// submit hands the current buffer to the first hasher, starting the
// pipeline on first use.
func (w *writer) submit() {
	if w.hashq == nil {
		w.hashq = make(chan chunk, maxBufs)
		w.md5q = make(chan chunk, maxBufs)
		w.todo = make(chan chunk, maxBufs)
		w.free = make(chan freed, maxBufs)
		w.flushed = make(chan struct{})
		go hasher(w.h, w.hashq, w.md5q)
		go hasher(w.md5, w.md5q, w.todo)
		// Several writes in flight, each at its own offset, so order does
		// not matter: O_DIRECT writes wait for the device, and buffered
		// ones spend their CPU allocating page cache, on either core.
		var wg sync.WaitGroup
		for range flushers {
			wg.Go(w.flusher)
		}
		go func() { wg.Wait(); close(w.flushed) }()
	}
	w.hashq <- chunk{w.cur, w.fill, w.base}
	w.base += int64(w.fill)
	w.cur, w.fill = nil, 0
}

// hasher runs h (when not nil) over the buffers of in, in order, and
// passes each on to out, until in is closed; then it closes out.
func hasher(h hash.Hash, in <-chan chunk, out chan<- chunk) {
	defer close(out)
	for c := range in {
		if h != nil {
			h.Write(c.b[:c.n])
		}
		out <- c
	}
}

// flusher writes queued buffers to the staging file until todo is closed.
// After an error it keeps returning buffers without writing them.
func (w *writer) flusher() {
	for c := range w.todo {
		w.fmu.Lock()
		failed := w.ferr != nil
		w.fmu.Unlock()
		var err error
		if !failed {
			err = w.writeOut(c)
		}
		w.fmu.Lock()
		if w.ferr == nil {
			w.ferr = err
		}
		err = w.ferr
		w.fmu.Unlock()
		w.free <- freed{c.b, err}
	}
}

// writeOut writes a buffer at its offset of the staging file: with
// O_DIRECT when direct I/O is on and the buffer is full and aligned, else
// through the page cache in writeSize pieces, asking the kernel to start
// writeback of every writebackChunk that completes so that the fsync in
// Commit finds little left to do.
func (w *writer) writeOut(c chunk) error {
	p := c.b[:c.n]
	if w.direct && c.n == bufSize && c.off%bufSize == 0 && aligned(p) {
		if _, err := w.f.WriteAt(p, c.off); err != nil {
			return writeErr("write staging file", err)
		}
		return nil
	}
	for off := c.off; len(p) > 0; {
		k := min(len(p), writeSize)
		if _, err := w.bf.WriteAt(p[:k], off); err != nil {
			return writeErr("write staging file", err)
		}
		p, off = p[k:], off+int64(k)
	}
	if end := c.off + int64(c.n); !w.direct && c.n == bufSize && end%writebackChunk == 0 {
		startWriteback(w.bf, end-writebackChunk, writebackChunk)
	}
	return nil
}

// finish writes out what is buffered, stops the flusher and gives every
// buffer back to the pool. The writer is done afterwards.
func (w *writer) finish(write bool) error {
	w.done = true
	if w.cur != nil && w.fill > 0 && write && w.err == nil {
		if w.hashq == nil {
			// Small blob: no pipeline was ever needed.
			if w.h != nil {
				w.h.Write(w.cur[:w.fill])
				w.md5.Write(w.cur[:w.fill])
			}
			w.err = w.writeOut(chunk{w.cur, w.fill, w.base})
		} else {
			w.submit()
		}
	}
	if w.cur != nil {
		blockPool.Put(w.cur)
		w.cur = nil
		w.nbuf--
	}
	if w.hashq != nil {
		close(w.hashq)
		<-w.flushed
		for ; w.nbuf > 0; w.nbuf-- {
			blockPool.Put((<-w.free).b)
		}
		if w.err == nil {
			w.fmu.Lock()
			w.err = w.ferr
			w.fmu.Unlock()
		}
	}
	return w.err
}

// Commit makes the staged data durable and visible under its digest: the
// staging file is fsynced and renamed into place without replacing an
// existing blob, and the directory is fsynced. If the blob exists already
// the staged file is dropped and the existing blob described.
func (w *writer) Commit(ctx context.Context, expectDigest string) (imsd.BlobInfo, error) {
	if w.done {
		return imsd.BlobInfo{}, errClosed
	}
	digest, err := w.commit(ctx, expectDigest)
	if err != nil {
		w.closeFiles()
		os.Remove(w.path)
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
		return "", errors.New("fs: a resumable write is committed with CommitAs")
	}
	if err := w.finish(ctx.Err() == nil); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	digest := hex.EncodeToString(w.h.Sum(nil))
	if expectDigest != "" && !strings.EqualFold(expectDigest, digest) {
		return "", fmt.Errorf("fs: got %s, want %s: %w", digest, expectDigest, imsd.ErrDigestMismatch)
	}
	return digest, w.place(digest)
}

// place makes the finished staging file durable and renames it to blob d.
func (w *writer) place(digest string) error {
	if err := w.bf.Chmod(0o444); err != nil {
		return fmt.Errorf("fs: commit: %w", err)
	}
	if err := w.bf.Sync(); err != nil {
		return writeErr("commit: sync", err)
	}
	if err := w.closeFiles(); err != nil {
		return fmt.Errorf("fs: commit: %w", err)
	}
	dir := w.s.blobDir(digest)
	if err := os.Mkdir(dir, 0o755); err == nil {
		if err := syncDir(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("fs: commit: %w", err)
		}
	} else if !errors.Is(err, iofs.ErrExist) {
		return fmt.Errorf("fs: commit: %w", err)
	}
	switch err := renameNoReplace(w.path, w.s.blobPath(digest)); {
	case errors.Is(err, iofs.ErrExist):
		// Identical content is there already: keep it, drop ours, and
		// refresh its modification time so garbage collection, which
		// spares young blobs, cannot delete it before the caller records
		// a reference to it.
		os.Remove(w.path)
		now := time.Now()
		if err := os.Chtimes(w.s.blobPath(digest), now, now); err != nil {
			return fmt.Errorf("fs: commit: touch existing blob: %w", err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("fs: commit: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("fs: commit: %w", err)
	}
	return nil
}

// CommitAs finishes a resumable write and makes it visible under address.
func (w *writer) CommitAs(ctx context.Context, address string) (imsd.BlobInfo, error) {
	if w.done {
		return imsd.BlobInfo{}, errClosed
	}
	err := func() error {
		if !validDigest(address) {
			w.finish(false)
			return fmt.Errorf("fs: invalid address %q", address)
		}
		if err := w.finish(ctx.Err() == nil); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return w.place(address)
	}()
	if err != nil {
		w.closeFiles()
		os.Remove(w.path)
		return imsd.BlobInfo{}, err
	}
	return w.s.Stat(ctx, address)
}

// Release stops the writer and closes the staging file, keeping it.
func (w *writer) Release(context.Context) error {
	if w.done {
		return nil
	}
	w.finish(false)
	return w.closeFiles()
}

// checkpointToken is what Checkpoint returns: the staging file and the
// size up to which it is durable.
type checkpointToken struct {
	Staging string `json:"staging"`
	Size    int64  `json:"size"`
}

// Checkpoint waits for the buffers in flight, writes the partial current
// buffer at its offset (keeping it: once full it is written again, whole,
// so later buffers stay aligned) and fsyncs the staging file; everything
// written so far is then durable.
func (w *writer) Checkpoint(ctx context.Context) ([]byte, error) {
	if w.done {
		return nil, errClosed
	}
	if w.err != nil {
		return nil, w.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inFlight := w.nbuf
	if w.cur != nil {
		inFlight--
	}
	for ; inFlight > 0; inFlight-- {
		f := <-w.free
		blockPool.Put(f.b)
		w.nbuf--
		if f.err != nil && w.err == nil {
			w.err = f.err
		}
	}
	if w.err == nil && w.cur != nil && w.fill > 0 {
		if _, err := w.bf.WriteAt(w.cur[:w.fill], w.base); err != nil {
			w.err = writeErr("checkpoint", err)
		}
	}
	if w.err != nil {
		return nil, w.err
	}
	if err := w.bf.Sync(); err != nil {
		w.err = writeErr("checkpoint: sync", err)
		return nil, w.err
	}
	return json.Marshal(checkpointToken{Staging: filepath.Base(w.path), Size: w.size})
}

// Cancel discards the staged data. It is a no-op after Commit or Cancel.
func (w *writer) Cancel(ctx context.Context) error {
	if w.done {
		return nil
	}
	w.finish(false)
	w.closeFiles()
	if err := os.Remove(w.path); err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("fs: cancel: %w", err)
	}
	return nil
}

// directAlign is the alignment O_DIRECT needs of buffers and offsets.
const directAlign = 4096

// aligned reports whether p starts on a directAlign boundary (Go allocates
// the 1 MiB blocks page-aligned; this is checked, not assumed).
func aligned(p []byte) bool {
	return len(p) > 0 && uintptr(unsafe.Pointer(&p[0]))%directAlign == 0
}

// writeErr wraps an error of writing staged data; running out of space
// also matches imsd.ErrStorageFull, so callers answer 507 and not 500.
func writeErr(what string, err error) error {
	if outOfSpace(err) {
		return fmt.Errorf("fs: %s: %w: %w", what, imsd.ErrStorageFull, err)
	}
	return fmt.Errorf("fs: %s: %w", what, err)
}
