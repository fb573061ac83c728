package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Sealer encrypts secrets at rest with AES-256-GCM.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("auth: sealing key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// LoadOrCreateKey reads the 32-byte key file at path, creating it with
// mode 0600 from crypto/rand when it does not exist. An existing file with
// looser permissions is refused. Creation is atomic (a complete temporary
// file is linked into place), so processes starting together on a shared
// directory all end up with the one key that won.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if !errors.Is(err, os.ErrNotExist) {
		return key, err
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".master.key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(f.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return readKey(path) // another process created it first
		}
		return nil, err
	}
	return key, nil
}

// readKey reads an existing key file, checking its mode and length.
func readKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("auth: %s must not be readable by group or others (chmod 600)", path)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("auth: %s must hold exactly 32 bytes", path)
	}
	return key, nil
}

// Seal encrypts plaintext; associated binds the ciphertext to its owner
// (for a secret key: the access key id), so sealed values cannot be swapped
// between rows.
func (s *Sealer) Seal(plaintext, associated []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, plaintext, associated)
}

// Open decrypts a value produced by Seal with the same associated data.
func (s *Sealer) Open(sealed, associated []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errors.New("auth: sealed value too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], associated)
}
