// Package local is the embedded imsd.KeyProvider: each key's master key is
// 32 random bytes, stored with the key row sealed (AES-256-GCM) under the
// data dir's master.key, and data keys are wrapped with AES-256-GCM under
// the master key. Both seals bind the key id, so sealed material and
// wrapped data keys cannot be moved between keys.
package local

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

// Name is the provider name stored in imsd.Key.Provider.
const Name = "local"

// Provider is the embedded key provider.
type Provider struct {
	sealer *auth.Sealer
}

var _ imsd.KeyProvider = (*Provider)(nil)

// New returns a provider sealing master keys with sealer.
func New(sealer *auth.Sealer) (*Provider, error) {
	if sealer == nil {
		return nil, errors.New("kms/local: a sealer is required")
	}
	return &Provider{sealer: sealer}, nil
}

// Name implements imsd.KeyProvider.
func (p *Provider) Name() string { return Name }

func materialAD(keyID string) []byte { return []byte("imsd/kms/master-key:" + keyID) }
func dataKeyAD(keyID string) []byte  { return []byte("imsd/kms/data-key:" + keyID) }

// NewMasterKey makes a random 256-bit master key and returns it sealed.
func (p *Provider) NewMasterKey(_ context.Context, keyID string) ([]byte, error) {
	mk := make([]byte, 32)
	if _, err := rand.Read(mk); err != nil {
		return nil, err
	}
	defer clear(mk)
	return p.sealer.Seal(mk, materialAD(keyID)), nil
}

// aead opens the master key of k.
func (p *Provider) aead(k *imsd.Key) (cipher.AEAD, error) {
	if k.Provider != Name {
		return nil, fmt.Errorf("kms/local: key %s belongs to provider %q", k.ID, k.Provider)
	}
	mk, err := p.sealer.Open(k.Material, materialAD(k.ID))
	if err != nil {
		return nil, fmt.Errorf("kms/local: open master key of %s: %w", k.ID, err)
	}
	defer clear(mk)
	block, err := aes.NewCipher(mk)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// WrapDataKey seals dataKey under k's master key: nonce || ciphertext || tag.
func (p *Provider) WrapDataKey(_ context.Context, k *imsd.Key, dataKey []byte) ([]byte, error) {
	a, err := p.aead(k)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(dataKey)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return a.Seal(nonce, nonce, dataKey, dataKeyAD(k.ID)), nil
}

// UnwrapDataKey opens a data key wrapped by WrapDataKey under k.
func (p *Provider) UnwrapDataKey(_ context.Context, k *imsd.Key, wrapped []byte) ([]byte, error) {
	a, err := p.aead(k)
	if err != nil {
		return nil, err
	}
	n := a.NonceSize()
	if len(wrapped) < n+a.Overhead() {
		return nil, errors.New("kms/local: wrapped data key too short")
	}
	dk, err := a.Open(nil, wrapped[:n], wrapped[n:], dataKeyAD(k.ID))
	if err != nil {
		return nil, fmt.Errorf("kms/local: unwrap data key under %s: %w", k.ID, err)
	}
	return dk, nil
}
