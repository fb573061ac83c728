package blobcrypt

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"
)

// Transform streams data through decryption and/or encryption in batches of
// whole segments, feeding the plaintext to hashes in order, with every step
// on its own goroutine: one reads, Workers open and seal batches in
// parallel, one hashes, and the caller's goroutine writes. On two cores a
// re-encrypting copy thus runs at about the speed of its slowest step (the
// hash) instead of the sum of all of them. Memory is Slots batches,
// whatever the data size.
type Transform struct {
	// Src is the input: sealed data (starting at segment FirstSegment)
	// when From is set, plaintext otherwise.
	Src io.Reader
	// From opens the input; nil when the input is plaintext.
	From *Cipher
	// To seals the output; nil writes plaintext.
	To *Cipher
	// Dst receives the output in order.
	Dst io.Writer
	// Hashes are fed the plaintext in order.
	Hashes []hash.Hash
	// FirstSegment is the index of the first segment Src holds; non-zero
	// when a transform resumes.
	FirstSegment int64
	// PlainSize is the plaintext size of the whole data (not just of this
	// run). A negative value means unknown: Src is then plaintext that ends
	// at EOF (an upload).
	PlainSize int64
	// Workers is the number of crypto goroutines (default 2).
	Workers int
	// Batch is the number of segments per batch (default 16, 1 MiB).
	Batch int
	// Slots is the number of batches in flight (default 4).
	Slots int
	// Snapshot asks for the hashes' state (encoding.BinaryMarshaler) after
	// every batch, for OnBatch.
	Snapshot bool
	// OnBatch, when set, is called in order after each batch was written
	// to Dst, with the plaintext bytes done since the start of the data and,
	// with Snapshot, the hashes' state after them. An error stops the
	// transform and is returned by Run.
	OnBatch func(done int64, hashState [][]byte) error

	// Stats is filled in by Run: where the time went.
	Stats TransformStats
}

// TransformStats says where a transform spent its time, to tell which step
// bounds it: a step that never waits for its input is the bottleneck.
type TransformStats struct {
	// ReadTime is the time spent reading Src; ReadWait waiting for a free
	// batch (the later steps were behind).
	ReadTime, ReadWait time.Duration
	// HashTime is the time spent hashing; HashWait waiting for plaintext.
	HashTime, HashWait time.Duration
	// WriteTime is the time spent in Dst.Write and OnBatch; WriteWait
	// waiting for sealed batches.
	WriteTime, WriteWait time.Duration
}

// batch is one slot of the pipeline.
type batch struct {
	in, plain, out []byte
	inN, n         int   // sealed input bytes, plaintext bytes
	seg            int64 // index of the first segment
	final          bool
	err            error
	opened         chan struct{} // plaintext ready
	done           chan struct{} // output ready
	state          [][]byte
}

// ErrShortInput means the input ended before the data did.
var ErrShortInput = errors.New("blobcrypt: input ends before the data")

// Run performs the transform and returns the plaintext bytes it processed.
// It stops at the first error, at ctx's end, or when OnBatch fails; it
// always waits for its goroutines before returning.
func (t *Transform) Run(ctx context.Context) (int64, error) {
	if t.From != nil && t.PlainSize < 0 {
		return 0, errors.New("blobcrypt: decrypting needs the plaintext size")
	}
	workers, segs, slots := t.Workers, t.Batch, t.Slots
	if workers <= 0 {
		workers = 2
	}
	if segs <= 0 {
		segs = 16
	}
	if slots <= 0 {
		slots = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan *batch, slots)
	for range slots {
		b := &batch{plain: make([]byte, segs*SegmentSize)}
		if t.From != nil {
			b.in = make([]byte, segs*SealedSegmentSize)
		}
		if t.To != nil {
			b.out = make([]byte, 0, segs*SealedSegmentSize)
		}
		free <- b
	}
	cryptoQ := make(chan *batch, slots)
	hashQ := make(chan *batch, slots)
	sinkQ := make(chan *batch, slots)
	var wg sync.WaitGroup
	fail := func(err error) { cancel(err) }
	wg.Go(func() {
		defer close(cryptoQ)
		defer close(hashQ)
		if err := t.read(ctx, segs, free, cryptoQ, hashQ); err != nil {
			fail(err)
		}
	})
	for range workers {
		wg.Go(func() {
			for b := range cryptoQ {
				t.crypt(b)
			}
		})
	}
	wg.Go(func() {
		defer close(sinkQ)
		for b := range hashQ {
			start := time.Now()
			select {
			case <-b.opened:
			case <-ctx.Done():
				return
			}
			hashing := time.Now()
			t.Stats.HashWait += hashing.Sub(start)
			if b.err != nil {
				fail(b.err)
				return
			}
			for _, h := range t.Hashes {
				h.Write(b.plain[:b.n])
			}
			t.Stats.HashTime += time.Since(hashing)
			if t.Snapshot {
				b.state = b.state[:0]
				for _, h := range t.Hashes {
					st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
					if err != nil {
						fail(err)
						return
					}
					b.state = append(b.state, st)
				}
			}
			sinkQ <- b
		}
	})
	total, err := t.sink(ctx, sinkQ, free)
	if err != nil {
		fail(err)
	}
	wg.Wait()
	return total, err
}

// sink writes finished batches in order.
func (t *Transform) sink(ctx context.Context, sinkQ <-chan *batch, free chan<- *batch) (int64, error) {
	var total int64
	done := t.FirstSegment * SegmentSize
	for b := range sinkQ {
		start := time.Now()
		select {
		case <-b.done:
		case <-ctx.Done():
			return total, context.Cause(ctx)
		}
		writing := time.Now()
		t.Stats.WriteWait += writing.Sub(start)
		if b.err != nil {
			return total, b.err
		}
		out := b.plain[:b.n]
		if t.To != nil {
			out = b.out
		}
		if _, err := t.Dst.Write(out); err != nil {
			return total, err
		}
		total += int64(b.n)
		done += int64(b.n)
		if t.OnBatch != nil {
			if err := t.OnBatch(done, b.state); err != nil {
				return total, err
			}
		}
		t.Stats.WriteTime += time.Since(writing)
		free <- b
	}
	return total, context.Cause(ctx)
}

// crypt opens and seals one batch.
func (t *Transform) crypt(b *batch) {
	defer close(b.done)
	if t.From != nil {
		plain, err := t.From.Open(b.plain[:0], b.in[:b.inN], b.seg, b.final)
		if err == nil && (len(plain) != b.n || (b.n > 0 && &plain[0] != &b.plain[0])) {
			err = fmt.Errorf("%w: batch at segment %d opened to %d bytes, want %d", ErrAuth, b.seg, len(plain), b.n)
		}
		b.err = err
		close(b.opened)
		if err != nil {
			return
		}
	}
	if t.To != nil {
		b.out = t.To.Seal(b.out[:0], b.plain[:b.n], b.seg, b.final)
	}
}

// read fills batches from Src in order.
func (t *Transform) read(ctx context.Context, segs int, free <-chan *batch, cryptoQ, hashQ chan<- *batch) error {
	batchPlain := int64(segs) * SegmentSize
	seg := t.FirstSegment
	take := func() (*batch, error) {
		start := time.Now()
		defer func() { t.Stats.ReadWait += time.Since(start) }()
		select {
		case b := <-free:
			b.opened, b.done, b.err, b.final = make(chan struct{}), make(chan struct{}), nil, false
			if t.From == nil {
				close(b.opened)
			}
			return b, nil
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	send := func(b *batch) {
		b.seg = seg
		seg += Segments(int64(b.n))
		cryptoQ <- b
		hashQ <- b
	}
	if t.PlainSize >= 0 {
		remaining := t.PlainSize - t.FirstSegment*SegmentSize
		if remaining < 0 || (remaining == 0 && t.PlainSize > 0) {
			return fmt.Errorf("blobcrypt: segment %d is past the end of %d bytes", t.FirstSegment, t.PlainSize)
		}
		for {
			b, err := take()
			if err != nil {
				return err
			}
			n := min(batchPlain, remaining)
			b.n, b.final = int(n), n == remaining
			dst := b.plain[:n]
			if t.From != nil {
				b.inN = int(n + Segments(n)*TagSize)
				dst = b.in[:b.inN]
			}
			start := time.Now()
			_, err = io.ReadFull(t.Src, dst)
			t.Stats.ReadTime += time.Since(start)
			if err != nil {
				if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
					return fmt.Errorf("%w (segment %d)", ErrShortInput, seg)
				}
				return err
			}
			remaining -= n
			send(b)
			if b.final {
				return nil
			}
		}
	}
	// Unknown size: read one batch ahead, so the batch that ends the data
	// is known to be final when it is sealed.
	var pending *batch
	for {
		b, err := take()
		if err != nil {
			return err
		}
		start := time.Now()
		n, err := io.ReadFull(t.Src, b.plain[:batchPlain])
		t.Stats.ReadTime += time.Since(start)
		b.n = n
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return err
		}
		switch {
		case eof && n == 0 && pending != nil:
			pending.final = true
			send(pending)
			return nil // b is not needed: the data ended with the pending batch
		case eof:
			if pending != nil {
				send(pending)
			}
			b.final = true
			send(b)
			return nil
		}
		if pending != nil {
			send(pending)
		}
		pending = b
	}
}
