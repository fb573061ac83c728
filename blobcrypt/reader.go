package blobcrypt

import (
	"errors"
	"fmt"
	"io"
)

// SealedRange returns the part of the sealed data that holds plaintext
// bytes [offset, offset+length) of a plaintext of plainSize bytes: the
// sealed offset and length to read, and the index of its first segment.
func SealedRange(plainSize, offset, length int64) (sealedOffset, sealedLength, firstSegment int64) {
	if offset < 0 {
		offset = 0
	}
	if length < 0 || offset+length > plainSize {
		length = plainSize - offset
	}
	first := offset / SegmentSize
	if length <= 0 {
		return first * SealedSegmentSize, 0, first
	}
	last := (offset + length - 1) / SegmentSize
	end := min((last+1)*SealedSegmentSize, SealedSize(plainSize))
	return first * SealedSegmentSize, end - first*SealedSegmentSize, first
}

// readerBatch is how many segments a reader reads and opens at once.
const readerBatch = 16

// reader decrypts a plaintext range, readerBatch segments at a time.
type reader struct {
	c         *Cipher
	src       io.Reader // the sealed range from SealedRange
	seg       int64     // index of the next segment to read
	lastSeg   int64     // index of the final segment of the data
	skip      int64     // plaintext bytes to drop from the next segment
	left      int64     // plaintext bytes still to return
	sealed    []byte
	buf       []byte // opened segments
	plain     []byte // the part of buf still to return
	pos       int    // next unread byte of plain
	err       error
	finalSize int64 // sealed size of the final segment
}

// NewReader returns a reader of plaintext bytes [offset, offset+length) of
// a plaintext of plainSize bytes (a negative length reads to the end),
// decrypting src, which must yield exactly the sealed range SealedRange
// names. Data that fails authentication is reported as ErrAuth, never
// returned.
func NewReader(c *Cipher, src io.Reader, plainSize, offset, length int64) io.Reader {
	if length < 0 || offset+length > plainSize {
		length = plainSize - offset
	}
	_, _, first := SealedRange(plainSize, offset, length)
	r := &reader{c: c, src: src, seg: first, lastSeg: Segments(plainSize) - 1, skip: offset - first*SegmentSize,
		left: max(length, 0), sealed: make([]byte, readerBatch*SealedSegmentSize), buf: make([]byte, 0, readerBatch*SegmentSize)}
	r.finalSize = SealedSize(plainSize) - r.lastSeg*SealedSegmentSize
	return r
}

func (r *reader) Read(p []byte) (int, error) {
	for r.pos >= len(r.plain) {
		if r.err != nil {
			return 0, r.err
		}
		if r.left == 0 {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			r.err = err
			return 0, err
		}
	}
	n := copy(p, r.plain[r.pos:])
	r.pos += n
	return n, nil
}

// next reads, opens and trims the next segments.
func (r *reader) next() error {
	if r.seg > r.lastSeg {
		return fmt.Errorf("%w: read past the final segment", ErrAuth)
	}
	// Only the segments the range still needs: left plus what is skipped.
	need := (r.skip + r.left + SegmentSize - 1) / SegmentSize
	count := min(int64(readerBatch), r.lastSeg-r.seg+1, max(need, 1))
	final := r.seg+count-1 == r.lastSeg
	size := count * SealedSegmentSize
	if final {
		size = (count-1)*SealedSegmentSize + r.finalSize
	}
	if _, err := io.ReadFull(r.src, r.sealed[:size]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: sealed data ends inside segments %d to %d", ErrAuth, r.seg, r.seg+count-1)
		}
		return err
	}
	plain, err := r.c.Open(r.buf[:0], r.sealed[:size], r.seg, final)
	if err != nil {
		return err
	}
	r.seg += count
	plain = plain[min(r.skip, int64(len(plain))):]
	r.skip = 0
	if int64(len(plain)) > r.left {
		plain = plain[:r.left]
	}
	r.left -= int64(len(plain))
	r.plain, r.pos = plain, 0
	return nil
}
