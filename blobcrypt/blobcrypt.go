// Package blobcrypt is the at-rest format of encrypted image data:
// AES-256-GCM in fixed-size authenticated segments under a per-image data
// key, so that any byte range is read by decrypting only the segments that
// hold it, and a copy can be resumed at any segment.
//
// The plaintext is cut into segments of SegmentSize bytes (the last one
// shorter, at least one segment even for empty data). Segment i is sealed
// with AES-256-GCM under the data key with the 12-byte nonce
// BE64(i) || 0x00 0x00 0x00 || last, where last is 1 for the final segment
// and 0 otherwise, and no associated data. The stored blob is the
// concatenation of the sealed segments (ciphertext || 16-byte tag), with no
// header: the plaintext size, which says where the final segment is, is
// kept with the image. Each data key encrypts exactly one plaintext, so a
// nonce is never used twice with different data; re-encrypting the same
// segment after a crash yields the same bytes.
//
// Reordering, truncating, extending or splicing segments fails
// authentication: the index and the final flag are bound into each nonce.
package blobcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

const (
	// SegmentSize is the plaintext size of every segment but the last.
	SegmentSize = 64 << 10
	// TagSize is what sealing adds to each segment.
	TagSize = 16
	// SealedSegmentSize is the stored size of a full segment.
	SealedSegmentSize = SegmentSize + TagSize
	// KeySize is the size of a data key (AES-256).
	KeySize = 32
)

// ErrAuth means stored data failed authentication: it was changed,
// truncated or reordered, or the data key is wrong.
var ErrAuth = errors.New("blobcrypt: data failed authentication")

// Segments returns the number of segments of a plaintext of n bytes.
func Segments(n int64) int64 {
	if n <= 0 {
		return 1
	}
	return (n + SegmentSize - 1) / SegmentSize
}

// SealedSize returns the stored size of a plaintext of n bytes.
func SealedSize(n int64) int64 {
	if n < 0 {
		n = 0
	}
	return n + Segments(n)*TagSize
}

// Cipher seals and opens the segments of one data key's plaintext. It is
// safe for concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// New returns the Cipher of a 32-byte data key.
func New(dataKey []byte) (*Cipher, error) {
	if len(dataKey) != KeySize {
		return nil, fmt.Errorf("blobcrypt: data key must be %d bytes, got %d", KeySize, len(dataKey))
	}
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Cipher{aead: aead}, nil
}

// nonce returns the nonce of segment i.
func nonce(i int64, last bool) [12]byte {
	var n [12]byte
	binary.BigEndian.PutUint64(n[:8], uint64(i))
	if last {
		n[11] = 1
	}
	return n
}

// Seal appends to dst the sealed form of plain, which holds consecutive
// segments starting with segment first; final says plain ends the data (its
// last segment is the final one). plain must be a whole number of full
// segments unless final.
func (c *Cipher) Seal(dst, plain []byte, first int64, final bool) []byte {
	if len(plain) == 0 && !final {
		return dst
	}
	// Grow dst once: GCM's own growth is exact, which would copy dst
	// again for every segment.
	dst = slices.Grow(dst, len(plain)+int(Segments(int64(len(plain))))*TagSize)
	i := first
	for {
		n := min(len(plain), SegmentSize)
		last := final && n == len(plain)
		if !final && n < SegmentSize {
			panic("blobcrypt: Seal of a partial segment that is not final")
		}
		nc := nonce(i, last)
		dst = c.aead.Seal(dst, nc[:], plain[:n], nil)
		plain = plain[n:]
		i++
		if len(plain) == 0 && (!final || last) {
			return dst
		}
	}
}

// Open appends to dst the plaintext of sealed, which holds consecutive
// sealed segments starting with segment first; final says sealed ends the
// data. It fails with ErrAuth on any mismatch.
func (c *Cipher) Open(dst, sealed []byte, first int64, final bool) ([]byte, error) {
	if len(sealed) == 0 && !final {
		return dst, nil
	}
	segs := (len(sealed) + SealedSegmentSize - 1) / SealedSegmentSize
	dst = slices.Grow(dst, max(len(sealed)-segs*TagSize, 0))
	i := first
	for {
		n := min(len(sealed), SealedSegmentSize)
		if n < TagSize || (!final && n < SealedSegmentSize) {
			return dst, fmt.Errorf("%w: segment %d is %d bytes", ErrAuth, i, n)
		}
		last := final && n == len(sealed)
		nc := nonce(i, last)
		var err error
		if dst, err = c.aead.Open(dst, nc[:], sealed[:n], nil); err != nil {
			return dst, fmt.Errorf("%w: segment %d", ErrAuth, i)
		}
		sealed = sealed[n:]
		i++
		if len(sealed) == 0 {
			return dst, nil
		}
	}
}

// Address returns the content address of sealed data: the hex SHA-256 of
// a domain tag, the plaintext's SHA-256, a fingerprint of the data key
// (HMAC-SHA256 keyed by it, which reveals nothing about the key or the
// plaintext) and the plaintext size. Equal addresses mean equal data key
// and plaintext, and so, the format being deterministic, equal stored
// bytes; the store need not hash the ciphertext itself, whose integrity
// the segment tags protect.
func Address(plainSHA256 []byte, dataKey []byte, plainSize int64) string {
	fp := hmac.New(sha256.New, dataKey)
	fp.Write([]byte("imsd blob address v1"))
	h := sha256.New()
	h.Write([]byte("imsd/blobcrypt/v1\x00"))
	h.Write(plainSHA256)
	h.Write(fp.Sum(nil))
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(plainSize))
	binary.BigEndian.PutUint32(b[8:], SegmentSize)
	h.Write(b[:])
	return hex.EncodeToString(h.Sum(nil))
}
