// Package kms is the key service (a subset of Huawei KMS v2): customer
// master keys per project and their aliases. Keys encrypt images
// (service/encryption.go); their master keys stay in an imsd.KeyProvider
// (kms/local is the embedded one). api/kmshttp serves it.
//
// Authorization follows the rest of the service: a caller with no grant
// for the action anywhere gets 403 before the request is examined; keys of
// other projects and accounts are 404 (KMS.0205) exactly like missing
// ones; a denied action on a visible key is 403 (KMS.0403). Actions are
// Huawei's: kms:cmk:create, list, get, enable, disable and update (the
// deletion schedule and aliases).
package kms

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/imsd/imsd"
)

// Key service limits and values.
const (
	maxKeysPerProject  = 100
	maxKeyAlias        = 255
	maxKeyDescription  = 255
	minPendingDays     = 7
	maxPendingDays     = 1096
	maxKeyListLimit    = 1000
	keySpecAES256      = "AES_256"
	keyUsageEncrypt    = "ENCRYPT_DECRYPT"
	keyOriginKMS       = "kms"
	aliasPrefix        = "alias/"
	maxAliasesPerKey   = 5
	maxAliasListLimit  = 100
	defaultKeyAliasEnd = "/default"
)

// KeyCreateInput is the body of CreateKey.
type KeyCreateInput struct {
	Alias               string
	KeySpec             string
	KeyUsage            string
	Description         string
	Origin              string
	EnterpriseProjectID string
}

// KeyListInput is the body of ListKeys. Limit and Marker are strings on
// the wire (decimal numbers); empty fields do not filter.
type KeyListInput struct {
	Limit               string
	Marker              string
	KeyState            string
	KeySpec             string
	EnterpriseProjectID string
}

// KeyPage is one page of ListKeys.
type KeyPage struct {
	Keys []*imsd.Key
	// NextMarker is the marker of the next page; "" on the last page.
	NextMarker string
	Truncated  bool
	Total      int
}

// authorizeKMS decides a key-service action on a key's enterprise project,
// answering a denial with the KMS forbidden code.
func (s *Service) authorizeKMS(ctx context.Context, p *imsd.Principal, action, ep string) error {
	err := s.authorize(ctx, p, imsd.Check{Action: action, EnterpriseProject: ep})
	if imsd.ErrorCode(err) != imsd.CodeForbidden {
		return err
	}
	return imsd.Errorf(imsd.CodeKMSForbidden, "Policy doesn't allow %s to be performed.", action)
}

// precheckKMS is precheck with the KMS forbidden code.
func (s *Service) precheckKMS(ctx context.Context, p *imsd.Principal, action string) error {
	err := imsd.Precheck(ctx, s.authz, p, action)
	if imsd.ErrorCode(err) != imsd.CodeForbidden {
		return err
	}
	return imsd.Errorf(imsd.CodeKMSForbidden, "Policy doesn't allow %s to be performed.", action)
}

// RejectKMS is what the HTTP layer answers when a key-service request
// cannot be decoded: the authorization error when the caller may not
// perform action anywhere, otherwise err.
func (s *Service) RejectKMS(ctx context.Context, p *imsd.Principal, action string, err error) error {
	if perr := s.precheckKMS(ctx, p, action); perr != nil {
		return perr
	}
	return err
}

// keyNotFound is the answer for a missing or invisible key.
func keyNotFound(id string) error {
	return imsd.Errorf(imsd.CodeKMSKeyNotFound, "The key %q does not exist.", id)
}

// projectKey loads a key of the caller's project; anything else is 404.
func (s *Service) projectKey(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Key, error) {
	if id == "" {
		return nil, imsd.Errorf(imsd.CodeKMSMissingParam, "key_id is required.")
	}
	if !imsd.PlausibleID(id) {
		return nil, keyNotFound(id)
	}
	k, err := q.KeyGet(ctx, id)
	if errors.Is(err, imsd.ErrNotFound) || (err == nil && (k.DomainID != p.DomainID || k.ProjectID != p.ProjectID)) {
		return nil, keyNotFound(id)
	}
	if err != nil {
		return nil, imsd.Internal(err, "get key")
	}
	return k, nil
}

// visibleKey answers a request naming one key: the action is prechecked,
// the key loaded (404 when invisible) and the action decided on the key's
// enterprise project.
func (s *Service) visibleKey(ctx context.Context, q imsd.Queries, p *imsd.Principal, action, id string) (*imsd.Key, error) {
	if err := s.precheckKMS(ctx, p, action); err != nil {
		return nil, err
	}
	k, err := s.projectKey(ctx, q, p, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeKMS(ctx, p, action, k.EnterpriseProjectID); err != nil {
		return nil, err
	}
	return k, nil
}

// validKeyAlias reports whether a is a valid key_alias: 1–255 letters,
// digits, '_', '-', ':' and '/', not a default-key alias ("…/default").
func validKeyAlias(a string) bool {
	if a == "" || len(a) > maxKeyAlias || strings.HasSuffix(a, defaultKeyAliasEnd) {
		return false
	}
	for _, r := range a {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '_' || r == '-' || r == ':' || r == '/':
		default:
			return false
		}
	}
	return true
}

// KeyCreate creates a key (enabled) with a new master key.
func (s *Service) KeyCreate(ctx context.Context, p *imsd.Principal, in KeyCreateInput) (*imsd.Key, error) {
	ep := in.EnterpriseProjectID
	if ep == "" {
		ep = imsd.DefaultEnterpriseProject
	}
	if err := s.precheckKMS(ctx, p, "kms:cmk:create"); err != nil {
		return nil, err
	}
	switch {
	case in.Alias == "":
		return nil, imsd.Errorf(imsd.CodeKMSMissingParam, "key_alias is required.")
	case !validKeyAlias(in.Alias):
		return nil, imsd.Errorf(imsd.CodeKMSBadAlias, "key_alias must be 1 to 255 letters, digits, '_', '-', ':' or '/', and must not end with %q.", defaultKeyAliasEnd)
	case in.KeySpec != "" && in.KeySpec != keySpecAES256:
		return nil, imsd.Errorf(imsd.CodeKMSBadParam, "key_spec %q is not supported; this key service makes %s keys only.", in.KeySpec, keySpecAES256)
	case in.KeyUsage != "" && in.KeyUsage != keyUsageEncrypt:
		return nil, imsd.Errorf(imsd.CodeKMSBadParam, "key_usage %q is not supported; keys here are for %s.", in.KeyUsage, keyUsageEncrypt)
	case in.Origin != "" && in.Origin != keyOriginKMS:
		return nil, imsd.Errorf(imsd.CodeKMSBadParam, "origin %q is not supported; key material is always generated here (origin %q).", in.Origin, keyOriginKMS)
	case utf8.RuneCountInString(in.Description) > maxKeyDescription:
		return nil, imsd.Errorf(imsd.CodeKMSBadParam, "key_description cannot exceed %d characters.", maxKeyDescription)
	}
	if err := s.authorizeKMS(ctx, p, "kms:cmk:create", ep); err != nil {
		return nil, err
	}
	if s.keys == nil {
		return nil, imsd.Internal(errors.New("no key provider configured"), "create key")
	}
	now := s.Now()
	k := &imsd.Key{ID: uuid.NewString(), DomainID: p.DomainID, ProjectID: p.ProjectID, Alias: in.Alias,
		Description: in.Description, State: imsd.KeyEnabled, EnterpriseProjectID: ep, Provider: s.keys.Name(),
		CreatedAt: now, UpdatedAt: now}
	var err error
	if k.Material, err = s.keys.NewMasterKey(ctx, k.ID); err != nil {
		return nil, imsd.Internal(err, "new master key")
	}
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		if err := imsd.CheckTargetEnterpriseProject(ctx, q, p.DomainID, ep); err != nil {
			return imsd.Errorf(imsd.CodeKMSBadParam, "%s", imsd.ErrorMessage(err))
		}
		keys, err := q.KeyList(ctx, p.ProjectID)
		if err != nil {
			return imsd.Internal(err, "list keys")
		}
		if len(keys) >= maxKeysPerProject {
			return imsd.Errorf(imsd.CodeKMSTooManyKeys, "A project may hold at most %d keys; delete keys you no longer need.", maxKeysPerProject)
		}
		err = q.KeyInsert(ctx, k)
		if errors.Is(err, imsd.ErrConflict) {
			return imsd.Errorf(imsd.CodeKMSAliasTaken, "A key with the alias %q exists in this project.", in.Alias)
		}
		return imsd.Internal(err, "insert key")
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("key created", "key_id", k.ID, "project_id", p.ProjectID)
	return k, nil
}

// KeyGet returns a key of the caller's project (DescribeKey).
func (s *Service) KeyGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.Key, error) {
	return s.visibleKey(ctx, s.store, p, "kms:cmk:get", id)
}

// parseDecimal parses an optional non-negative decimal string parameter.
func parseDecimal(name, v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, imsd.Errorf(imsd.CodeKMSBadParam, "%s must be a number from %d to %d, given as a string.", name, lo, hi)
	}
	return n, nil
}

// KeyList lists the caller project's keys that the caller may list, in
// creation order, paged by Limit and Marker (an offset).
func (s *Service) KeyList(ctx context.Context, p *imsd.Principal, in KeyListInput) (*KeyPage, error) {
	all, eps, err := s.kmsListScope(ctx, p)
	if err != nil {
		return nil, err
	}
	limit, err := parseDecimal("limit", in.Limit, maxKeyListLimit, 1, maxKeyListLimit)
	if err != nil {
		return nil, err
	}
	offset, err := parseDecimal("marker", in.Marker, 0, 0, 1<<30)
	if err != nil {
		return nil, err
	}
	switch in.KeyState {
	case "", "1", "2", "3", "4", "5":
	default:
		return nil, imsd.Errorf(imsd.CodeKMSBadParam, "key_state must be one of 1 to 5.")
	}
	keys, err := s.store.KeyList(ctx, p.ProjectID)
	if err != nil {
		return nil, imsd.Internal(err, "list keys")
	}
	allowed := map[string]bool{}
	for _, ep := range eps {
		allowed[ep] = true
	}
	var match []*imsd.Key
	for _, k := range keys {
		switch {
		case k.DomainID != p.DomainID:
		case !all && !allowed[k.EnterpriseProjectID]:
		case in.KeyState != "" && string(k.State) != in.KeyState:
		case in.KeySpec != "" && in.KeySpec != "ALL" && in.KeySpec != keySpecAES256:
		case in.EnterpriseProjectID != "" && in.EnterpriseProjectID != "all_granted_eps" && k.EnterpriseProjectID != in.EnterpriseProjectID:
		default:
			match = append(match, k)
		}
	}
	page := &KeyPage{Total: len(match)}
	if offset < len(match) {
		end := min(offset+limit, len(match))
		page.Keys = match[offset:end]
		if end < len(match) {
			page.Truncated, page.NextMarker = true, strconv.Itoa(end)
		}
	}
	return page, nil
}

// kmsListScope asks where the caller may list keys; no grant at all is 403.
func (s *Service) kmsListScope(ctx context.Context, p *imsd.Principal) (bool, []string, error) {
	if err := s.authorize(ctx, p, imsd.Check{Action: "kms:cmk:list"}); err == nil {
		return true, nil, nil
	} else if imsd.ErrorCode(err) != imsd.CodeForbidden {
		return false, nil, err
	}
	all, eps, err := s.authz.Scope(ctx, p, "kms:cmk:list")
	if err != nil {
		return false, nil, imsd.Internal(err, "authorization scope")
	}
	if !all && len(eps) == 0 {
		return false, nil, imsd.Errorf(imsd.CodeKMSForbidden, "Policy doesn't allow kms:cmk:list to be performed.")
	}
	return all, eps, nil
}

// changeKey runs change on a visible key under its lock and stores it.
func (s *Service) changeKey(ctx context.Context, p *imsd.Principal, action, id string, change func(q imsd.Queries, k *imsd.Key) error) (*imsd.Key, error) {
	var out *imsd.Key
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		k, err := s.visibleKey(ctx, q, p, action, id)
		if err != nil {
			return err
		}
		if err := q.KeyLock(ctx, k.ID); err != nil {
			return imsd.Internal(err, "lock key")
		}
		if k, err = q.KeyGet(ctx, k.ID); err != nil { // as of the lock
			return imsd.Internal(err, "get key")
		}
		if err := change(q, k); err != nil {
			return err
		}
		k.UpdatedAt = s.Now()
		out = k
		return imsd.Internal(q.KeyUpdate(ctx, k), "update key")
	})
	return out, err
}

// KeyEnable enables a key; enabling an enabled key changes nothing.
func (s *Service) KeyEnable(ctx context.Context, p *imsd.Principal, id string) (*imsd.Key, error) {
	return s.changeKey(ctx, p, "kms:cmk:enable", id, func(_ imsd.Queries, k *imsd.Key) error {
		if k.State == imsd.KeyPendingDeletion {
			return imsd.Errorf(imsd.CodeKMSPendingDeletion, "The key is pending deletion; cancel the deletion first (it then becomes disabled).")
		}
		k.State = imsd.KeyEnabled
		return nil
	})
}

// KeyDisable disables a key: images encrypted with it can then neither be
// downloaded nor copied, and no new image may use it.
func (s *Service) KeyDisable(ctx context.Context, p *imsd.Principal, id string) (*imsd.Key, error) {
	return s.changeKey(ctx, p, "kms:cmk:disable", id, func(_ imsd.Queries, k *imsd.Key) error {
		if k.State == imsd.KeyPendingDeletion {
			return imsd.Errorf(imsd.CodeKMSPendingDeletion, "The key is pending deletion and cannot be disabled.")
		}
		k.State = imsd.KeyDisabled
		return nil
	})
}

// KeyScheduleDeletion schedules a key's destruction in pendingDays (7 to
// 1096, a decimal string on the wire). A key that any image (of any
// status, copies in progress included) is encrypted with is refused with
// KMS.9001: destroying it would make those images unreadable for good.
func (s *Service) KeyScheduleDeletion(ctx context.Context, p *imsd.Principal, id, pendingDays string) (*imsd.Key, error) {
	if pendingDays == "" {
		if err := s.precheckKMS(ctx, p, "kms:cmk:update"); err != nil {
			return nil, err
		}
		return nil, imsd.Errorf(imsd.CodeKMSMissingParam, "pending_days is required.")
	}
	days, err := strconv.Atoi(pendingDays)
	if err != nil || days < minPendingDays || days > maxPendingDays {
		if err := s.precheckKMS(ctx, p, "kms:cmk:update"); err != nil {
			return nil, err
		}
		return nil, imsd.Errorf(imsd.CodeKMSBadParam, "Set the pending deletion period between %d to %d days (pending_days is a string).", minPendingDays, maxPendingDays)
	}
	return s.changeKey(ctx, p, "kms:cmk:update", id, func(q imsd.Queries, k *imsd.Key) error {
		if k.State == imsd.KeyPendingDeletion {
			return imsd.Errorf(imsd.CodeKMSPendingDeletion, "The key is already in Pending deletion state.")
		}
		users, err := q.ImageList(ctx, imsd.ImageQuery{DomainID: k.DomainID, CmkID: k.ID, SortKey: "created_at", SortAsc: true, Limit: 3})
		if err != nil {
			return imsd.Internal(err, "list images using the key")
		}
		if len(users) > 0 {
			n, err := q.ImageCount(ctx, imsd.ImageQuery{DomainID: k.DomainID, CmkID: k.ID})
			if err != nil {
				return imsd.Internal(err, "count images using the key")
			}
			ids := make([]string, len(users))
			for i, img := range users {
				ids[i] = img.ID
			}
			if n > len(ids) {
				ids = append(ids, "…")
			}
			return imsd.Errorf(imsd.CodeKMSKeyInUse, "The key encrypts %d image(s) (%s); deleting it would make them unreadable. Delete those images, or copy them under another key and delete the originals, first.",
				n, strings.Join(ids, ", "))
		}
		k.State = imsd.KeyPendingDeletion
		k.DeletionDate = s.Now().Add(time.Duration(days) * 24 * time.Hour)
		return nil
	})
}

// KeyCancelDeletion cancels a scheduled deletion; the key becomes disabled.
func (s *Service) KeyCancelDeletion(ctx context.Context, p *imsd.Principal, id string) (*imsd.Key, error) {
	return s.changeKey(ctx, p, "kms:cmk:update", id, func(_ imsd.Queries, k *imsd.Key) error {
		if k.State != imsd.KeyPendingDeletion {
			return imsd.Errorf(imsd.CodeKMSNotPending, "")
		}
		k.State, k.DeletionDate = imsd.KeyDisabled, time.Time{}
		return nil
	})
}

// PurgeDueKeys destroys keys whose deletion date has passed. A key that an
// image references after all (which scheduling refuses) is kept and
// logged.
func (s *Service) PurgeDueKeys(ctx context.Context) (int, error) {
	due, err := s.store.KeyListDue(ctx, s.Now())
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range due {
		deleted := false
		err := s.store.InTx(ctx, func(q imsd.Queries) error {
			if err := q.KeyLock(ctx, k.ID); err != nil {
				return err
			}
			cur, err := q.KeyGet(ctx, k.ID)
			if err != nil {
				return err
			}
			if cur.State != imsd.KeyPendingDeletion || !cur.DeletionDate.Before(s.Now()) {
				return nil
			}
			used, err := q.ImageCount(ctx, imsd.ImageQuery{DomainID: k.DomainID, CmkID: k.ID})
			if err != nil {
				return err
			}
			if used > 0 {
				s.log.Error("key due for deletion is used by images; kept", "key_id", k.ID, "images", used)
				return nil
			}
			deleted = true
			return q.KeyDelete(ctx, k.ID)
		})
		if err != nil && !errors.Is(err, imsd.ErrNotFound) {
			return n, err
		}
		if deleted && err == nil {
			n++
			s.log.Info("key destroyed after its pending deletion", "key_id", k.ID)
		}
	}
	return n, nil
}

// validAlias reports whether a is a valid alias: "alias/" and then 1 to
// 249 letters, digits, '_', '-' or '/'.
func validAlias(a string) bool {
	rest, ok := strings.CutPrefix(a, aliasPrefix)
	if !ok || rest == "" || len(a) > maxKeyAlias {
		return false
	}
	for _, r := range rest {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '_' || r == '-' || r == '/':
		default:
			return false
		}
	}
	return true
}

func badAlias(a string) error {
	return imsd.Errorf(imsd.CodeKMSBadAlias, "The alias %q is invalid: it must start with %q followed by letters, digits, '_', '-' or '/', at most %d characters in all.", a, aliasPrefix, maxKeyAlias)
}

// AliasCreate gives a key of the caller's project another name.
func (s *Service) AliasCreate(ctx context.Context, p *imsd.Principal, keyID, alias string) (*imsd.KeyAlias, error) {
	if alias == "" || keyID == "" {
		if err := s.precheckKMS(ctx, p, "kms:cmk:update"); err != nil {
			return nil, err
		}
		return nil, imsd.Errorf(imsd.CodeKMSMissingParam, "key_id and alias are required.")
	}
	var out *imsd.KeyAlias
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		k, err := s.visibleKey(ctx, q, p, "kms:cmk:update", keyID)
		if err != nil {
			return err
		}
		if !validAlias(alias) {
			return badAlias(alias)
		}
		have, err := q.KeyAliasList(ctx, p.ProjectID, k.ID)
		if err != nil {
			return imsd.Internal(err, "list aliases")
		}
		if len(have) >= maxAliasesPerKey {
			return imsd.Errorf(imsd.CodeKMSBadParam, "A key may have at most %d aliases.", maxAliasesPerKey)
		}
		now := s.Now()
		a := &imsd.KeyAlias{Alias: alias, DomainID: p.DomainID, ProjectID: p.ProjectID, KeyID: k.ID, CreatedAt: now, UpdatedAt: now}
		err = q.KeyAliasInsert(ctx, a)
		if errors.Is(err, imsd.ErrConflict) {
			return imsd.Errorf(imsd.CodeKMSAliasTaken, "The alias %q exists in this project.", alias)
		}
		out = a
		return imsd.Internal(err, "insert alias")
	})
	return out, err
}

// AliasList lists the aliases of the caller's project, or of one key,
// paged by Limit and Marker (the last alias of the previous page).
func (s *Service) AliasList(ctx context.Context, p *imsd.Principal, keyID, limitS, marker string) ([]*imsd.KeyAlias, string, error) {
	if keyID != "" {
		if _, err := s.visibleKey(ctx, s.store, p, "kms:cmk:list", keyID); err != nil {
			return nil, "", err
		}
	} else if err := s.authorizeKMS(ctx, p, "kms:cmk:list", ""); err != nil {
		return nil, "", err
	}
	limit, err := parseDecimal("limit", limitS, maxAliasListLimit, 1, maxAliasListLimit)
	if err != nil {
		return nil, "", err
	}
	list, err := s.store.KeyAliasList(ctx, p.ProjectID, keyID)
	if err != nil {
		return nil, "", imsd.Internal(err, "list aliases")
	}
	start := 0
	if marker != "" {
		start = sort.Search(len(list), func(i int) bool { return list[i].Alias > marker })
	}
	list = list[start:]
	next := ""
	if len(list) > limit {
		list = list[:limit]
		next = list[limit-1].Alias
	}
	return list, next, nil
}

// AliasDelete removes aliases of one key of the caller's project; an alias
// that does not name that key is 404 and nothing is removed.
func (s *Service) AliasDelete(ctx context.Context, p *imsd.Principal, keyID string, aliases []string) error {
	if keyID == "" || len(aliases) == 0 {
		if err := s.precheckKMS(ctx, p, "kms:cmk:update"); err != nil {
			return err
		}
		return imsd.Errorf(imsd.CodeKMSMissingParam, "key_id and aliases are required.")
	}
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		k, err := s.visibleKey(ctx, q, p, "kms:cmk:update", keyID)
		if err != nil {
			return err
		}
		for _, a := range aliases {
			cur, err := q.KeyAliasGet(ctx, p.ProjectID, a)
			if errors.Is(err, imsd.ErrNotFound) || (err == nil && cur.KeyID != k.ID) {
				return imsd.Errorf(imsd.CodeKMSAliasNotFound, "The alias %q does not name key %s.", a, k.ID)
			}
			if err != nil {
				return imsd.Internal(err, "get alias")
			}
			if err := q.KeyAliasDelete(ctx, p.ProjectID, a); err != nil && !errors.Is(err, imsd.ErrNotFound) {
				return imsd.Internal(err, "delete alias")
			}
		}
		return nil
	})
}

// AliasAssociate points an existing alias at another key of the project.
func (s *Service) AliasAssociate(ctx context.Context, p *imsd.Principal, alias, targetKeyID string) (*imsd.KeyAlias, error) {
	if alias == "" || targetKeyID == "" {
		if err := s.precheckKMS(ctx, p, "kms:cmk:update"); err != nil {
			return nil, err
		}
		return nil, imsd.Errorf(imsd.CodeKMSMissingParam, "alias and target_key_id are required.")
	}
	var out *imsd.KeyAlias
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		k, err := s.visibleKey(ctx, q, p, "kms:cmk:update", targetKeyID)
		if err != nil {
			return err
		}
		a, err := q.KeyAliasGet(ctx, p.ProjectID, alias)
		if errors.Is(err, imsd.ErrNotFound) {
			return imsd.Errorf(imsd.CodeKMSAliasNotFound, "The alias %q does not exist.", alias)
		}
		if err != nil {
			return imsd.Internal(err, "get alias")
		}
		old, err := q.KeyGet(ctx, a.KeyID)
		if err != nil {
			return imsd.Internal(err, "get key")
		}
		if err := s.authorizeKMS(ctx, p, "kms:cmk:update", old.EnterpriseProjectID); err != nil {
			return err
		}
		a.KeyID, a.UpdatedAt = k.ID, s.Now()
		out = a
		return imsd.Internal(q.KeyAliasUpdate(ctx, a), "update alias")
	})
	return out, err
}
