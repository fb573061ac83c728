package diskfmt

import "bytes"

// tailSize is how many trailing bytes are kept: the VHD footer is the last
// 512 bytes; the streamOptimized VMDK footer is the 1536 bytes before the
// end rounded down to a sector, so up to 2047 bytes from the end.
const tailSize = 2048

// Sniffer detects the format of a stream written through it:
//
//	var s diskfmt.Sniffer
//	n, err := io.Copy(io.MultiWriter(dst, &s), upload)
//	info := s.Result()
//
// It keeps the first HeadSize bytes, a rolling window of the last 2 KiB
// and, while the stream passes, the few pieces of metadata the header
// points to (at most 64 KiB each; a VHDX needs four). Its memory stays
// under 300 KiB whatever the stream size, and once the head is full a
// Write costs a copy of at most 2 KiB and no allocation.
//
// The zero value is ready to use. A Sniffer is not safe for concurrent use.
type Sniffer struct {
	probe
	headSize int   // 0 means HeadSize; tests set it lower
	n        int64 // bytes written so far
	probed   bool  // probeHead has run on a full head
	reqs     []*request
	ring     [tailSize]byte // byte at offset o is at ring[o%tailSize]
}

// Write records p. It never fails, so the Sniffer can sit in an
// io.MultiWriter beside the real destination.
func (s *Sniffer) Write(p []byte) (int, error) {
	base, end := s.n, s.n+int64(len(p))
	hs := s.headSize
	if hs <= 0 {
		hs = HeadSize
	}
	if s.head == nil {
		s.head = make([]byte, 0, hs)
		s.src = s
	}
	if len(s.head) < hs {
		s.head = append(s.head, p[:min(len(p), hs-len(s.head))]...)
		if len(s.head) == hs && !s.probed {
			s.probed = true
			s.pos = int64(hs)
			s.probeHead()
		}
	}
	s.serve(p, base, end)
	s.keepTail(p, end)
	s.n = end
	return len(p), nil
}

// serve copies the bytes of p, which sit at [base, end) in the stream, into
// the pending fetches, and completes those that are full. A completion may
// add fetches further on; the loop picks them up from p too.
func (s *Sniffer) serve(p []byte, base, end int64) {
	if len(s.reqs) == 0 {
		return
	}
	done := false
	for i := 0; i < len(s.reqs); i++ {
		q := s.reqs[i]
		next := q.off + int64(q.got)
		if next < base || next >= end {
			continue
		}
		q.got += copy(q.buf[q.got:], p[next-base:])
		if q.got == len(q.buf) {
			done = true
			s.complete(q)
		}
	}
	if done {
		kept := s.reqs[:0]
		for _, q := range s.reqs {
			if q.got < len(q.buf) {
				kept = append(kept, q)
			}
		}
		clear(s.reqs[len(kept):])
		s.reqs = kept
	}
}

// keepTail updates the ring of the last tailSize bytes.
func (s *Sniffer) keepTail(p []byte, end int64) {
	if len(p) > tailSize {
		p = p[len(p)-tailSize:]
	}
	i := int((end - int64(len(p))) % tailSize)
	n := copy(s.ring[i:], p)
	copy(s.ring[:], p[n:])
}

// load queues a fetch to be filled by later writes.
func (s *Sniffer) load(_ *probe, q *request) { s.reqs = append(s.reqs, q) }

// Result reports the format of the bytes written so far. Call it once the
// whole stream has been written; it may be called more than once and does
// not disturb further writes.
func (s *Sniffer) Result() Info {
	if !s.probed {
		// The whole stream fits in the head: inspect it in memory.
		info, _ := detect(bytes.NewReader(s.head), int64(len(s.head)), len(s.head)+1)
		return info
	}
	return s.finish(s.tail(), s.n)
}

// tail returns the last min(n, tailSize) bytes written.
func (s *Sniffer) tail() []byte {
	n := min(s.n, tailSize)
	out := make([]byte, n)
	i := int((s.n - n) % tailSize)
	k := copy(out, s.ring[i:])
	copy(out[k:], s.ring[:])
	return out
}
