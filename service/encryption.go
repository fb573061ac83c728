package service

// Envelope encryption of image data. An image created with a key (cmk_id)
// gets, with each upload, a fresh 256-bit data key; its data is stored
// sealed in authenticated segments under that key (package blobcrypt), and
// the data key is kept with the image wrapped by the key's master key,
// which never leaves the KeyProvider. Reading decrypts only the segments a
// range needs. The sealed blob's address is derived from the data's
// SHA-256 and the data key (blobcrypt.Address), so the store does not hash
// ciphertext and no stored name reveals the data's digest.

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/blobcrypt"
)

// newDataKey makes a data key for new data under k and returns it in the
// clear and wrapped.
func (s *Service) newDataKey(ctx context.Context, k *imsd.Key) (plain, wrapped []byte, err error) {
	if s.keys == nil {
		return nil, nil, errors.New("no key provider configured")
	}
	plain = make([]byte, blobcrypt.KeySize)
	if _, err := rand.Read(plain); err != nil {
		return nil, nil, err
	}
	wrapped, err = s.keys.WrapDataKey(ctx, k, plain)
	if err != nil {
		clear(plain)
		return nil, nil, fmt.Errorf("wrap data key under %s: %w", k.ID, err)
	}
	return plain, wrapped, nil
}

// openDataKey unwraps a data key under k and returns its cipher.
func (s *Service) openDataKey(ctx context.Context, k *imsd.Key, wrapped []byte) (*blobcrypt.Cipher, error) {
	if s.keys == nil {
		return nil, errors.New("no key provider configured")
	}
	dk, err := s.keys.UnwrapDataKey(ctx, k, wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key under %s: %w", k.ID, err)
	}
	defer clear(dk)
	return blobcrypt.New(dk)
}

// storedSize is the size of an image's blob: its data size, or the sealed
// size of encrypted data.
func storedSize(img *imsd.Image) int64 {
	if img.Encrypted() {
		return blobcrypt.SealedSize(img.Size)
	}
	return img.Size
}

// openSealedRange opens plaintext bytes [offset, offset+length) of an
// encrypted image's blob, decrypting as it reads.
func (s *Service) openSealedRange(ctx context.Context, img *imsd.Image, c *blobcrypt.Cipher, offset, length int64) (io.ReadCloser, error) {
	so, sl, _ := blobcrypt.SealedRange(img.Size, offset, length)
	rc, err := s.blobs.Open(ctx, img.BlobDigest, so, sl)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{blobcrypt.NewReader(c, rc, img.Size, offset, length), rc}, nil
}

// imageCipher checks that the caller may read an encrypted image's data
// (its key exists and is enabled, and the caller may decrypt with it) and
// returns the cipher of its data key.
func (s *Service) imageCipher(ctx context.Context, p *imsd.Principal, img *imsd.Image) (*blobcrypt.Cipher, error) {
	k, err := s.keyOfImage(ctx, s.store, img, imsd.CodeKeyNotFound, imsd.CodeKeyDisabled)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeKeyUse(ctx, p, k, imsd.CodeKeyForbidden, kmsDecryptDataKey); err != nil {
		return nil, err
	}
	c, err := s.openDataKey(ctx, k, img.DataKey)
	if err != nil {
		return nil, internal(err, "open data key of image "+img.ID)
	}
	return c, nil
}
