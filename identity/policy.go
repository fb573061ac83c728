package identity

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/policy"
)

// Permission is a system permission (policy or role) or a custom policy,
// as the permission APIs show it.
type Permission struct {
	ID            string
	Name          string
	DisplayName   string
	Description   string
	DescriptionCN string
	Catalog       string
	// Type is the display mode: AX, XA, AA or XX.
	Type string
	// Flag is "fine_grained" for 1.1 system policies.
	Flag string
	// DomainID is "" for system permissions.
	DomainID string
	// Document is the permission's JSON document.
	Document  []byte
	CreatedAt time.Time
	UpdatedAt time.Time
	// References counts the grants of a custom policy (ShowCustomPolicy).
	References int
}

// System reports whether p is a system permission.
func (p Permission) System() bool { return p.DomainID == "" }

// PermissionQuery filters KeystoneListPermissions; empty fields do not
// filter. Page and PerPage page the result when both are positive.
type PermissionQuery struct {
	Name        string
	DisplayName string
	Type        string
	Catalog     string
	// PermissionType is "policy" (fine-grained) or "role".
	PermissionType string
	// DomainID lists only the custom policies (of the caller's account).
	DomainID string
	Page     int
	PerPage  int
}

// CustomPolicyInput is the role object of the custom-policy create and
// update APIs.
type CustomPolicyInput struct {
	DisplayName string
	// Type is AX (global services) or XA (project-level services).
	Type        string
	Description *string
	// Policy is the JSON document; nil leaves it alone on update.
	Policy []byte
}

// Limits of custom policies.
const (
	maxCustomPolicies  = 200
	maxPolicyNameLen   = 128
	maxPolicyDescLen   = 256
	customCatalog      = "CUSTOMED"
	maxPermissionsPage = 300
)

func systemPermission(sp policy.SystemPolicy) Permission {
	return Permission{ID: sp.ID, Name: sp.Name, DisplayName: sp.DisplayName, Description: sp.Description,
		DescriptionCN: sp.DescriptionCN, Catalog: sp.Catalog, Type: sp.Type, Flag: sp.Flag, Document: []byte(sp.Source)}
}

func customPermission(p *imsd.Policy) Permission {
	return Permission{ID: p.ID, Name: "custom_" + p.DomainID + "_" + p.ID[:min(8, len(p.ID))], DisplayName: p.Name,
		Description: p.Description, Catalog: customCatalog, Type: p.Type, DomainID: p.DomainID, Document: p.Document,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// permission finds a system permission, or a custom policy of the caller's
// account, by id (404 otherwise).
func (s *Service) permission(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (Permission, error) {
	if sp, ok := policy.SystemPolicyByID(id); ok {
		return systemPermission(sp), nil
	}
	pol, err := s.customPolicy(ctx, q, p, id)
	if err != nil {
		return Permission{}, err
	}
	return customPermission(pol), nil
}

// customPolicy loads a custom policy of the caller's account (404
// otherwise).
func (s *Service) customPolicy(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Policy, error) {
	return ownedBy(ctx, p, "policy", id, iamNotFound("role", id), q.PolicyGet, func(pol *imsd.Policy) string { return pol.DomainID })
}

// PermissionList lists the system permissions and the account's custom
// policies (iam:roles:listRoles). It returns the page and the total count.
func (s *Service) PermissionList(ctx context.Context, p *imsd.Principal, q PermissionQuery) ([]Permission, int, error) {
	if err := s.authorizeIAM(ctx, p, "iam:roles:listRoles"); err != nil {
		return nil, 0, err
	}
	if err := checkDomain(p, q.DomainID); err != nil {
		return nil, 0, err
	}
	var all []Permission
	if q.DomainID == "" {
		for _, sp := range policy.SystemPolicies() {
			all = append(all, systemPermission(sp))
		}
	}
	custom, err := s.store.PolicyList(ctx, p.DomainID)
	if err != nil {
		return nil, 0, imsd.Internal(err, "list policies")
	}
	for _, c := range custom {
		all = append(all, customPermission(c))
	}
	out := []Permission{}
	for _, perm := range all {
		fine := perm.Flag == "fine_grained" || !perm.System()
		switch {
		case q.Name != "" && perm.Name != q.Name,
			q.DisplayName != "" && perm.DisplayName != q.DisplayName,
			q.Type != "" && perm.Type != q.Type,
			q.Catalog != "" && perm.Catalog != q.Catalog,
			q.PermissionType == "policy" && !fine,
			q.PermissionType == "role" && fine:
			continue
		}
		out = append(out, perm)
	}
	page, err := pageOf(out, q.Page, q.PerPage)
	return page, len(out), err
}

// pageOf returns page (1-based) of perPage items; both zero means all.
func pageOf[T any](items []T, page, perPage int) ([]T, error) {
	if page == 0 && perPage == 0 {
		return items, nil
	}
	if page < 1 || perPage < 1 || perPage > maxPermissionsPage {
		return nil, iamInvalid("page and per_page must be given together; per_page is 1 to %d.", maxPermissionsPage)
	}
	// Compare before multiplying: a huge page number must not overflow.
	if page-1 >= (len(items)+perPage-1)/perPage {
		return []T{}, nil
	}
	start := (page - 1) * perPage
	return items[start:min(start+perPage, len(items))], nil
}

// PermissionGet returns a system permission or a custom policy of the
// account (iam:roles:getRole).
func (s *Service) PermissionGet(ctx context.Context, p *imsd.Principal, id string) (Permission, error) {
	if err := s.authorizeIAM(ctx, p, "iam:roles:getRole"); err != nil {
		return Permission{}, err
	}
	return s.permission(ctx, s.store, p, id)
}

// CustomPolicyCreate creates a custom policy (iam:roles:createRole). The
// document must be a valid 1.1 policy (policy.CustomPolicyOptions); it is
// stored in canonical form.
func (s *Service) CustomPolicyCreate(ctx context.Context, p *imsd.Principal, in CustomPolicyInput) (Permission, error) {
	if err := s.authorizeIAM(ctx, p, "iam:roles:createRole"); err != nil {
		return Permission{}, err
	}
	if err := validatePolicyName(in.DisplayName); err != nil {
		return Permission{}, err
	}
	if err := validatePolicyType(in.Type); err != nil {
		return Permission{}, err
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	if err := validateDescription("policy", desc, maxPolicyDescLen); err != nil {
		return Permission{}, err
	}
	doc, err := canonicalPolicy(in.Policy)
	if err != nil {
		return Permission{}, err
	}
	now := s.Now()
	pol := &imsd.Policy{ID: imsd.NewHexID(), DomainID: p.DomainID, Name: in.DisplayName, Description: desc, Type: in.Type,
		Document: doc, CreatedAt: now, UpdatedAt: now}
	err = s.identityTx(ctx, p, func(q imsd.Queries) error {
		existing, err := q.PolicyList(ctx, p.DomainID)
		if err != nil {
			return imsd.Internal(err, "list policies")
		}
		if len(existing) >= maxCustomPolicies {
			return iamInvalid("An account can have at most %d custom policies.", maxCustomPolicies)
		}
		return conflictOr(q.PolicyInsert(ctx, pol), "insert policy", "A custom policy named "+in.DisplayName+" already exists.")
	})
	if err != nil {
		return Permission{}, err
	}
	s.log.Info("custom policy created", "domain_id", p.DomainID, "policy_id", pol.ID, "name", pol.Name, "by", p.UserID)
	return customPermission(pol), nil
}

// CustomPolicyList lists the account's custom policies
// (iam:roles:listRoles), paged like PermissionList.
func (s *Service) CustomPolicyList(ctx context.Context, p *imsd.Principal, page, perPage int) ([]Permission, int, error) {
	return s.PermissionList(ctx, p, PermissionQuery{DomainID: p.DomainID, Page: page, PerPage: perPage})
}

// CustomPolicyGet returns a custom policy with the number of its grants
// (iam:roles:getRole).
func (s *Service) CustomPolicyGet(ctx context.Context, p *imsd.Principal, id string) (Permission, error) {
	if err := s.authorizeIAM(ctx, p, "iam:roles:getRole"); err != nil {
		return Permission{}, err
	}
	pol, err := s.customPolicy(ctx, s.store, p, id)
	if err != nil {
		return Permission{}, err
	}
	grants, err := s.store.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, PolicyID: id})
	if err != nil {
		return Permission{}, imsd.Internal(err, "list grants")
	}
	perm := customPermission(pol)
	perm.References = len(grants)
	return perm, nil
}

// CustomPolicyUpdate changes a custom policy (iam:roles:updateRole); empty
// DisplayName or Type and a nil Policy leave those alone. Grants of the
// policy apply the new document from the next request on.
func (s *Service) CustomPolicyUpdate(ctx context.Context, p *imsd.Principal, id string, in CustomPolicyInput) (Permission, error) {
	if err := s.authorizeIAM(ctx, p, "iam:roles:updateRole"); err != nil {
		return Permission{}, err
	}
	var out *imsd.Policy
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		pol, err := s.customPolicy(ctx, q, p, id)
		if err != nil {
			return err
		}
		if in.DisplayName != "" {
			if err := validatePolicyName(in.DisplayName); err != nil {
				return err
			}
			pol.Name = in.DisplayName
		}
		if in.Type != "" {
			if err := validatePolicyType(in.Type); err != nil {
				return err
			}
			if in.Type != pol.Type {
				// The type decides where a policy may be granted; changing
				// it under existing grants would slip past that check.
				grants, err := q.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, PolicyID: pol.ID})
				if err != nil {
					return imsd.Internal(err, "list grants of policy")
				}
				if len(grants) > 0 {
					return iamInvalid("The type of a granted policy cannot change; revoke its %d grants first.", len(grants))
				}
			}
			pol.Type = in.Type
		}
		if in.Description != nil {
			if err := validateDescription("policy", *in.Description, maxPolicyDescLen); err != nil {
				return err
			}
			pol.Description = *in.Description
		}
		if in.Policy != nil {
			if pol.Document, err = canonicalPolicy(in.Policy); err != nil {
				return err
			}
		}
		pol.UpdatedAt = s.Now()
		if err := q.PolicyUpdate(ctx, pol); err != nil {
			return conflictOr(err, "update policy", "A custom policy named "+pol.Name+" already exists.")
		}
		out = pol
		return nil
	})
	if err != nil {
		return Permission{}, err
	}
	s.log.Info("custom policy updated", "domain_id", p.DomainID, "policy_id", id, "by", p.UserID)
	return customPermission(out), nil
}

// CustomPolicyDelete deletes a custom policy and every grant of it
// (iam:roles:deleteRole).
func (s *Service) CustomPolicyDelete(ctx context.Context, p *imsd.Principal, id string) error {
	if err := s.authorizeIAM(ctx, p, "iam:roles:deleteRole"); err != nil {
		return err
	}
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		if _, err := s.customPolicy(ctx, q, p, id); err != nil {
			return err
		}
		return imsd.Internal(q.PolicyDelete(ctx, id), "delete policy")
	})
	if err == nil {
		s.log.Info("custom policy deleted", "domain_id", p.DomainID, "policy_id", id, "by", p.UserID)
	}
	return err
}

// canonicalPolicy parses and validates a custom policy document and returns
// its canonical JSON. A problem is a 400 carrying the policy engine's
// message.
func canonicalPolicy(raw []byte) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, iamInvalid("policy is required.")
	}
	doc, err := policy.ParseStrict(raw)
	if err == nil {
		err = doc.Validate(policy.CustomPolicyOptions())
	}
	if err != nil {
		return nil, iamInvalid("The policy is invalid: %s", err.Error())
	}
	out, err := doc.MarshalJSON()
	if err != nil {
		return nil, iamInvalid("The policy is invalid: %s", err.Error())
	}
	return out, nil
}

func validatePolicyName(name string) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxPolicyNameLen || strings.TrimSpace(name) != name {
		return iamInvalid("display_name must be 1 to %d characters, without leading or trailing spaces.", maxPolicyNameLen)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return iamInvalid("display_name contains a control character.")
		}
	}
	return nil
}

func validatePolicyType(t string) error {
	if t != "AX" && t != "XA" {
		return iamInvalid("type must be AX (global services) or XA (project-level services).")
	}
	return nil
}
