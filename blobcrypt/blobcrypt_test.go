package blobcrypt

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	mrand "math/rand/v2"
	"testing"
)

func key(t testing.TB, b byte) *Cipher {
	t.Helper()
	c, err := New(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func data(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

var sizes = []int{0, 1, SegmentSize - 1, SegmentSize, SegmentSize + 1, 3*SegmentSize + 5, 6 * SegmentSize, 7*SegmentSize + 7}

func TestSealOpen(t *testing.T) {
	c := key(t, 1)
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := data(t, n)
			sealed := c.Seal(nil, p, 0, true)
			if int64(len(sealed)) != SealedSize(int64(n)) {
				t.Fatalf("sealed %d bytes, SealedSize says %d", len(sealed), SealedSize(int64(n)))
			}
			if n >= 32 && bytes.Contains(sealed, p[:32]) {
				t.Fatal("the sealed data holds plaintext")
			}
			got, err := c.Open(nil, sealed, 0, true)
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("open: %v", err)
			}
			// Sealing in pieces of whole segments gives the same bytes.
			if n > SegmentSize {
				piece := c.Seal(nil, p[:SegmentSize], 0, false)
				piece = c.Seal(piece, p[SegmentSize:], 1, true)
				if !bytes.Equal(piece, sealed) {
					t.Fatal("sealing in pieces differs")
				}
			}
		})
	}
}

func TestTamperingFails(t *testing.T) {
	c := key(t, 1)
	p := data(t, 3*SegmentSize+100)
	sealed := c.Seal(nil, p, 0, true)
	seg := func(i int) []byte {
		return sealed[i*SealedSegmentSize : min((i+1)*SealedSegmentSize, len(sealed))]
	}
	flipped := bytes.Clone(sealed)
	flipped[SealedSegmentSize+10] ^= 1
	cases := []struct {
		name   string
		sealed []byte
		final  bool
	}{
		{"bit flip", flipped, true},
		{"truncated at a segment boundary", sealed[:3*SealedSegmentSize], true},
		{"truncated inside a segment", sealed[:len(sealed)-1], true},
		{"segments swapped", bytes.Join([][]byte{seg(1), seg(0), seg(2), seg(3)}, nil), true},
		{"final segment dropped, rest claimed final", sealed[:3*SealedSegmentSize], true},
		{"extended", append(bytes.Clone(sealed), seg(0)...), true},
		{"wrong key", sealed, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := c
			if tc.name == "wrong key" {
				cc = key(t, 2)
			}
			if _, err := cc.Open(nil, tc.sealed, 0, tc.final); !errors.Is(err, ErrAuth) {
				t.Fatalf("err = %v, want ErrAuth", err)
			}
		})
	}
	// The right segments opened at the wrong index fail too.
	if _, err := c.Open(nil, seg(1), 0, false); !errors.Is(err, ErrAuth) {
		t.Fatalf("segment 1 opened as segment 0: %v", err)
	}
}

func TestRangeReader(t *testing.T) {
	c := key(t, 3)
	r := mrand.New(mrand.NewPCG(1, 2))
	for _, n := range sizes[1:] {
		p := data(t, n)
		sealed := c.Seal(nil, p, 0, true)
		ranges := [][2]int64{{0, -1}, {0, int64(n)}, {int64(n) - 1, 1}}
		for range 8 {
			off := r.Int64N(int64(n))
			ranges = append(ranges, [2]int64{off, r.Int64N(int64(n)-off) + 1})
		}
		for _, rg := range ranges {
			so, sl, _ := SealedRange(int64(n), rg[0], rg[1])
			got, err := io.ReadAll(NewReader(c, bytes.NewReader(sealed[so:so+sl]), int64(n), rg[0], rg[1]))
			want := p[rg[0]:]
			if rg[1] >= 0 {
				want = p[rg[0] : rg[0]+rg[1]]
			}
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("size %d range %v: %d bytes, %v", n, rg, len(got), err)
			}
			if sl > int64(len(want))+2*SealedSegmentSize {
				t.Fatalf("size %d range %v reads %d sealed bytes", n, rg, sl)
			}
		}
	}
	p := data(t, 5*SegmentSize)
	sealed := c.Seal(nil, p, 0, true)
	sealed[2*SealedSegmentSize+3] ^= 1
	if _, err := io.ReadAll(NewReader(c, bytes.NewReader(sealed), int64(len(p)), 0, -1)); !errors.Is(err, ErrAuth) {
		t.Fatalf("reading tampered data: %v", err)
	}
	if _, err := io.ReadAll(NewReader(c, bytes.NewReader(sealed[:SealedSegmentSize]), int64(len(p)), 0, -1)); !errors.Is(err, ErrAuth) {
		t.Fatalf("reading short data: %v", err)
	}
}

// onlyReader hides io.WriterTo and friends, like a socket.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestTransform(t *testing.T) {
	a, b := key(t, 4), key(t, 5)
	for _, n := range sizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := data(t, n)
			want := sha256.Sum256(p)
			// Encrypt a stream of unknown size, as an upload does.
			var sealedA bytes.Buffer
			h := sha256.New()
			tr := &Transform{Src: onlyReader{bytes.NewReader(p)}, To: a, Dst: &sealedA, Hashes: []hash.Hash{h}, PlainSize: -1, Batch: 3}
			done, err := tr.Run(t.Context())
			if err != nil || done != int64(n) || !bytes.Equal(h.Sum(nil), want[:]) {
				t.Fatalf("encrypt: %d %v", done, err)
			}
			if !bytes.Equal(sealedA.Bytes(), a.Seal(nil, p, 0, true)) {
				t.Fatal("streamed sealing differs from Seal")
			}
			// Re-key, as a copy does.
			var sealedB bytes.Buffer
			h2 := sha256.New()
			var calls int
			tr = &Transform{Src: bytes.NewReader(sealedA.Bytes()), From: a, To: b, Dst: &sealedB, Hashes: []hash.Hash{h2},
				PlainSize: int64(n), Batch: 2, Snapshot: true, OnBatch: func(d int64, st [][]byte) error {
					calls++
					if len(st) != 1 || d > int64(n) {
						return fmt.Errorf("OnBatch(%d, %d states)", d, len(st))
					}
					return nil
				}}
			if _, err := tr.Run(t.Context()); err != nil || !bytes.Equal(h2.Sum(nil), want[:]) || calls == 0 {
				t.Fatalf("re-key: %v (%d batches)", err, calls)
			}
			if !bytes.Equal(sealedB.Bytes(), b.Seal(nil, p, 0, true)) {
				t.Fatal("re-keyed data differs from Seal under the new key")
			}
			// Decrypt.
			var plain bytes.Buffer
			tr = &Transform{Src: bytes.NewReader(sealedB.Bytes()), From: b, Dst: &plain, PlainSize: int64(n)}
			if _, err := tr.Run(t.Context()); err != nil || !bytes.Equal(plain.Bytes(), p) {
				t.Fatalf("decrypt: %v", err)
			}
		})
	}
}

func TestTransformResumeAndStop(t *testing.T) {
	a, b := key(t, 6), key(t, 7)
	n := 6*SegmentSize + 123
	p := data(t, n)
	sealedA := a.Seal(nil, p, 0, true)
	full := b.Seal(nil, p, 0, true)

	// Stop after the first batch, remembering the hash state there.
	var out bytes.Buffer
	var state []byte
	var at int64
	stop := errors.New("stop")
	h := sha256.New()
	tr := &Transform{Src: bytes.NewReader(sealedA), From: a, To: b, Dst: &out, Hashes: []hash.Hash{h}, PlainSize: int64(n),
		Batch: 4, Snapshot: true, OnBatch: func(done int64, st [][]byte) error {
			at, state = done, bytes.Clone(st[0])
			return stop
		}}
	if _, err := tr.Run(t.Context()); !errors.Is(err, stop) || at != 4*SegmentSize {
		t.Fatalf("stop: %v at %d", err, at)
	}
	// Resume from there with the saved hash state.
	h2 := sha256.New()
	if err := h2.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	rest := bytes.NewBuffer(bytes.Clone(out.Bytes()[:4*SealedSegmentSize]))
	tr = &Transform{Src: bytes.NewReader(sealedA[4*SealedSegmentSize:]), From: a, To: b, Dst: rest, Hashes: []hash.Hash{h2},
		PlainSize: int64(n), FirstSegment: 4, Batch: 4}
	if _, err := tr.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(p)
	if !bytes.Equal(rest.Bytes(), full) || !bytes.Equal(h2.Sum(nil), want[:]) {
		t.Fatal("resumed output or hash differs")
	}

	// Short input, tampered input and a cancelled context fail.
	for name, tr := range map[string]*Transform{
		"short":    {Src: bytes.NewReader(sealedA[:len(sealedA)-1]), From: a, To: b, Dst: io.Discard, PlainSize: int64(n)},
		"tampered": {Src: bytes.NewReader(append(bytes.Clone(sealedA[:100]), sealedA[100:]...)[:len(sealedA)]), From: b, To: a, Dst: io.Discard, PlainSize: int64(n)},
	} {
		if _, err := tr.Run(t.Context()); err == nil {
			t.Fatalf("%s: no error", name)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := (&Transform{Src: bytes.NewReader(sealedA), From: a, To: b, Dst: io.Discard, PlainSize: int64(n)}).Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestAddress(t *testing.T) {
	d := sha256.Sum256([]byte("x"))
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	a := Address(d[:], k1, 1)
	if len(a) != 64 || a != Address(d[:], k1, 1) || a == Address(d[:], k2, 1) || a == Address(d[:], k1, 2) {
		t.Fatal("Address is not a deterministic function of digest, key and size")
	}
}

func BenchmarkReKey(b *testing.B) {
	x, y := key(b, 1), key(b, 2)
	p := data(b, 64<<20)
	sealed := x.Seal(nil, p, 0, true)
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		tr := &Transform{Src: bytes.NewReader(sealed), From: x, To: y, Dst: io.Discard, Hashes: []hash.Hash{sha256.New()}, PlainSize: int64(len(p))}
		if _, err := tr.Run(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
