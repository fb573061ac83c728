package imsd

import (
	"context"
	"time"
)

// KeyState is the state of a KMS key, as KMS's key_state on the wire.
type KeyState string

// Key states. Huawei KMS also has 1 (pending creation) and 5 (pending
// import), which keys made here never enter.
const (
	KeyEnabled         KeyState = "2"
	KeyDisabled        KeyState = "3"
	KeyPendingDeletion KeyState = "4"
)

// Key is a customer master key (CMK) of the key service. Its master key
// never leaves its KeyProvider: the provider wraps and unwraps the data
// keys of encrypted images with it.
type Key struct {
	// ID is a UUID, the key_id (cmk_id) clients name the key by.
	ID        string
	DomainID  string
	ProjectID string
	// Alias is the key's key_alias, unique within its project.
	Alias       string
	Description string
	State       KeyState
	// EnterpriseProjectID decides which enterprise-project grants apply
	// to the key ("0" is the default enterprise project).
	EnterpriseProjectID string
	// Provider names the KeyProvider that holds the master key.
	Provider string
	// Material is the master key as its provider keeps it: sealed key
	// bytes for the embedded provider, a reference for an external one.
	Material  []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	// DeletionDate is when a key pending deletion is destroyed; zero
	// unless State is KeyPendingDeletion.
	DeletionDate time.Time
}

// KeyAlias is an alias ("alias/name") naming a key of the same project.
type KeyAlias struct {
	Alias     string
	DomainID  string
	ProjectID string
	KeyID     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// KeyProvider keeps master keys and wraps data keys with them. The
// embedded default (kms/local) seals master keys under the data dir's key
// and stores them with the key row; an external key service (a Vault
// transit engine, a cloud KMS) implements the same four calls and stores
// only a reference in Key.Material.
type KeyProvider interface {
	// Name identifies the provider in Key.Provider.
	Name() string
	// NewMasterKey creates the master key of a new key with the given id
	// and returns what Key.Material stores.
	NewMasterKey(ctx context.Context, keyID string) ([]byte, error)
	// WrapDataKey encrypts dataKey under the master key of k.
	WrapDataKey(ctx context.Context, k *Key, dataKey []byte) ([]byte, error)
	// UnwrapDataKey decrypts a data key wrapped under the master key of
	// k. A wrapped key that is not authentic under k is an error.
	UnwrapDataKey(ctx context.Context, k *Key, wrapped []byte) ([]byte, error)
}

// KeyQueries are the key service's data operations, part of Queries.
type KeyQueries interface {
	// KeyLock serialises, until the end of the transaction it runs in,
	// everything that changes a key's state or starts using it for an
	// image, so that "no image uses this key" cannot turn false between
	// its check and the key's scheduled deletion. Outside a transaction it
	// is a no-op.
	KeyLock(ctx context.Context, id string) error
	// KeyInsert inserts a key; a duplicate id, or an alias already used in
	// the project, is ErrConflict.
	KeyInsert(ctx context.Context, k *Key) error
	KeyGet(ctx context.Context, id string) (*Key, error)
	// KeyList returns the keys of a project, oldest first.
	KeyList(ctx context.Context, projectID string) ([]*Key, error)
	// KeyListDue returns the keys of every project pending deletion with a
	// deletion date before t.
	KeyListDue(ctx context.Context, t time.Time) ([]*Key, error)
	// KeyUpdate replaces the mutable fields of a key (alias, description,
	// state, enterprise project, updated and deletion dates).
	KeyUpdate(ctx context.Context, k *Key) error
	// KeyDelete removes a key and its aliases.
	KeyDelete(ctx context.Context, id string) error

	// KeyAliasInsert inserts an alias; an alias already used in the
	// project is ErrConflict, a missing key ErrNotFound.
	KeyAliasInsert(ctx context.Context, a *KeyAlias) error
	KeyAliasGet(ctx context.Context, projectID, alias string) (*KeyAlias, error)
	// KeyAliasList returns the aliases of a project, or of one key of it
	// when keyID is set, in alias order.
	KeyAliasList(ctx context.Context, projectID, keyID string) ([]*KeyAlias, error)
	// KeyAliasUpdate points an alias at another key (KeyID, UpdatedAt).
	KeyAliasUpdate(ctx context.Context, a *KeyAlias) error
	KeyAliasDelete(ctx context.Context, projectID, alias string) error
}
