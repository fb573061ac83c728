package service

import (
	"context"
	"errors"

	"github.com/imsd/imsd"
)

// The KMS questions IMS calls ask about keys. An image encrypted with a key
// gets its own data key, made (and wrapped) under the key: Huawei's
// kms:dek:create. Reading such an image unwraps its data key:
// kms:dek:decrypt, or kms:dek:crypto which covers both directions.
var (
	kmsCreateDataKey  = []string{"kms:dek:create"}
	kmsDecryptDataKey = []string{"kms:dek:decrypt", "kms:dek:crypto"}
)

// keyForNewData loads the key named as cmk_id for data about to be
// encrypted: a key of the caller's project (IMG.0095 otherwise, the same
// for another project's key as for a missing one) that is enabled
// (IMG.0097 when disabled or pending deletion). Inside a transaction the
// key is locked until it ends, so it cannot be scheduled for deletion
// while the image that will use it is being recorded.
func (s *Service) keyForNewData(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Key, error) {
	if !imsd.PlausibleID(id) {
		return nil, imsd.Errorf(imsd.CodeKeyNotFound, "The KMS key %q does not exist.", id)
	}
	if err := q.KeyLock(ctx, id); err != nil {
		return nil, internal(err, "lock key")
	}
	k, err := q.KeyGet(ctx, id)
	if errors.Is(err, imsd.ErrNotFound) || (err == nil && (k.DomainID != p.DomainID || k.ProjectID != p.ProjectID)) {
		return nil, imsd.Errorf(imsd.CodeKeyNotFound, "The KMS key %q does not exist.", id)
	}
	if err != nil {
		return nil, internal(err, "get key")
	}
	if err := keyUsable(k, imsd.CodeKeyDisabled); err != nil {
		return nil, err
	}
	return k, nil
}

// keyUsable fails with code unless k is enabled.
func keyUsable(k *imsd.Key, code imsd.Code) error {
	switch k.State {
	case imsd.KeyEnabled:
		return nil
	case imsd.KeyPendingDeletion:
		return imsd.Errorf(code, "The KMS key %s is pending deletion; cancel its deletion and enable it to use it.", k.ID)
	}
	return imsd.Errorf(code, "The KMS key %s is disabled; enable it to use it.", k.ID)
}

// keyOfImage loads the key an encrypted image's data is encrypted with and
// checks it is enabled; the codes are the caller's (for a copy's source:
// IMG.0101 missing, IMG.0102 not enabled).
func (s *Service) keyOfImage(ctx context.Context, q imsd.Queries, img *imsd.Image, missing, disabled imsd.Code) (*imsd.Key, error) {
	k, err := q.KeyGet(ctx, img.CmkID)
	if errors.Is(err, imsd.ErrNotFound) || (err == nil && k.DomainID != img.DomainID) {
		return nil, imsd.Errorf(missing, "The KMS key %s the image is encrypted with no longer exists.", img.CmkID)
	}
	if err != nil {
		return nil, internal(err, "get key")
	}
	if err := keyUsable(k, disabled); err != nil {
		return nil, err
	}
	return k, nil
}

// authorizeKeyUse asks whether the caller may perform one of actions on k
// with their own permissions (the v2.1 "safe mode" of IMS). A denial is
// answered with code (IMG.0099 for the key of new data, IMG.0103 for a
// source's key).
func (s *Service) authorizeKeyUse(ctx context.Context, p *imsd.Principal, k *imsd.Key, code imsd.Code, actions []string) error {
	var err error
	for _, a := range actions {
		err = s.authorize(ctx, p, Check{Action: a, EnterpriseProject: k.EnterpriseProjectID})
		if err == nil || imsd.ErrorCode(err) != imsd.CodeForbidden {
			return err
		}
	}
	return imsd.Errorf(code, "Policy doesn't allow %s on the KMS key %s.", actions[0], k.ID)
}
