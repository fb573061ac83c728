package identity

import (
	"context"
	"errors"

	"github.com/imsd/imsd"
)

// CreatedKey is a new permanent access key with its secret key, which is
// shown this once and never again.
type CreatedKey struct {
	*imsd.AccessKey
	Secret string
}

// AccessKeyUpdateInput is the body of UpdatePermanentAccessKey; nil fields
// are left alone.
type AccessKeyUpdateInput struct {
	// Status is "active" or "inactive".
	Status      *string
	Description *string
}

// maxKeysPerUser is Huawei's limit of permanent access keys per user.
const maxKeysPerUser = 2

// Access key statuses.
const (
	keyActive   = "active"
	keyInactive = "inactive"
)

// AccessKeyCreate creates a permanent AK/SK for a user: the caller's own, or
// any user's with iam:credentials:createCredential. The secret is sealed at
// rest and returned only here.
func (s *Service) AccessKeyCreate(ctx context.Context, p *imsd.Principal, userID, description string) (*CreatedKey, error) {
	if err := s.authorizeSelfOr(ctx, p, userID, "iam:credentials:createCredential"); err != nil {
		return nil, err
	}
	if userID == "" {
		return nil, iamInvalid("user_id is required.")
	}
	if err := validateDescription("access key", description, 255); err != nil {
		return nil, err
	}
	if s.sealer == nil {
		return nil, imsd.Internal(errors.New("service has no sealer"), "create access key")
	}
	var out *CreatedKey
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		u, err := s.getUser(ctx, q, p, userID)
		if err != nil {
			return err
		}
		if err := s.guardPrivileged(ctx, q, p, u, false); err != nil {
			return err
		}
		keys, err := q.AccessKeyList(ctx, u.ID)
		if err != nil {
			return imsd.Internal(err, "list access keys")
		}
		if len(keys) >= maxKeysPerUser {
			return iamInvalid("A user can have at most %d access keys; delete one first.", maxKeysPerUser)
		}
		ak, sk := NewAccessKeyPair()
		k := &imsd.AccessKey{AccessKey: ak, UserID: u.ID, DomainID: u.DomainID, Status: keyActive,
			Description: description, CreatedAt: s.Now(), SecretSealed: s.sealer.Seal([]byte(sk), []byte(ak))}
		if err := q.AccessKeyInsert(ctx, k); err != nil {
			return imsd.Internal(err, "insert access key")
		}
		out = &CreatedKey{AccessKey: k, Secret: sk}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("access key created", "domain_id", p.DomainID, "user_id", userID, "access_key", out.AccessKey.AccessKey, "by", p.UserID)
	return out, nil
}

// AccessKeyList lists a user's access keys, without secrets. A caller
// naming themselves (userID) may always list their own; any other request,
// including one naming no user (which lists the caller's keys), needs
// iam:credentials:listCredentials.
func (s *Service) AccessKeyList(ctx context.Context, p *imsd.Principal, userID string) ([]*imsd.AccessKey, error) {
	if err := s.authorizeSelfOr(ctx, p, userID, "iam:credentials:listCredentials"); err != nil {
		return nil, err
	}
	if userID == "" {
		userID = p.UserID
	}
	if _, err := s.getUser(ctx, s.store, p, userID); err != nil {
		return nil, err
	}
	keys, err := s.store.AccessKeyList(ctx, userID)
	if err != nil {
		return nil, imsd.Internal(err, "list access keys")
	}
	return nonNil(keys), nil
}

// AccessKeyGet returns one access key, without its secret
// (iam:credentials:getCredential, or the caller's own key).
func (s *Service) AccessKeyGet(ctx context.Context, p *imsd.Principal, ak string) (*imsd.AccessKey, error) {
	return s.accessKey(ctx, s.store, p, ak, "iam:credentials:getCredential")
}

// AccessKeyUpdate activates, deactivates or re-describes an access key
// (iam:credentials:updateCredential, or the caller's own key). An inactive
// key fails authentication at once.
func (s *Service) AccessKeyUpdate(ctx context.Context, p *imsd.Principal, ak string, in AccessKeyUpdateInput) (*imsd.AccessKey, error) {
	var out *imsd.AccessKey
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		k, err := s.accessKey(ctx, q, p, ak, "iam:credentials:updateCredential")
		if err != nil {
			return err
		}
		if err := s.guardKeyOwner(ctx, q, p, k); err != nil {
			return err
		}
		if in.Status != nil {
			if *in.Status != keyActive && *in.Status != keyInactive {
				return iamInvalid("status must be active or inactive.")
			}
			k.Status = *in.Status
		}
		if in.Description != nil {
			if err := validateDescription("access key", *in.Description, 255); err != nil {
				return err
			}
			k.Description = *in.Description
		}
		if err := q.AccessKeyUpdate(ctx, k); err != nil {
			return imsd.Internal(err, "update access key")
		}
		out = k
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("access key updated", "domain_id", p.DomainID, "access_key", ak, "status", out.Status, "by", p.UserID)
	return out, nil
}

// AccessKeyDelete deletes an access key (iam:credentials:deleteCredential,
// or the caller's own key).
func (s *Service) AccessKeyDelete(ctx context.Context, p *imsd.Principal, ak string) error {
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		k, err := s.accessKey(ctx, q, p, ak, "iam:credentials:deleteCredential")
		if err != nil {
			return err
		}
		if err := s.guardKeyOwner(ctx, q, p, k); err != nil {
			return err
		}
		return imsd.Internal(q.AccessKeyDelete(ctx, ak), "delete access key")
	})
	if err == nil {
		s.log.Info("access key deleted", "domain_id", p.DomainID, "access_key", ak, "by", p.UserID)
	}
	return err
}

// accessKey loads an access key for an operation: the caller's own key is
// always theirs to manage; for any other key the action is decided first
// (so a caller without it gets 403 whatever the key), then a key of
// another account is as missing as a key that does not exist.
func (s *Service) accessKey(ctx context.Context, q imsd.Queries, p *imsd.Principal, ak, action string) (*imsd.AccessKey, error) {
	var k *imsd.AccessKey
	if imsd.PlausibleID(ak) {
		got, err := q.AccessKeyGet(ctx, ak)
		if err != nil && !errors.Is(err, imsd.ErrNotFound) {
			return nil, imsd.Internal(err, "get access key")
		}
		if err == nil && got.DomainID == p.DomainID {
			k = got
		}
	}
	owner := ""
	if k != nil {
		owner = k.UserID
	}
	if err := s.authorizeSelfOr(ctx, p, owner, action); err != nil {
		return nil, err
	}
	if k == nil {
		return nil, iamNotFound("access key", ak)
	}
	return k, nil
}

// guardKeyOwner applies guardPrivileged to the owner of an access key.
func (s *Service) guardKeyOwner(ctx context.Context, q imsd.Queries, p *imsd.Principal, k *imsd.AccessKey) error {
	owner, err := q.UserGet(ctx, k.UserID)
	if err != nil {
		return imsd.Internal(err, "get access key owner")
	}
	return s.guardPrivileged(ctx, q, p, owner, false)
}
