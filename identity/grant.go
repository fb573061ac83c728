package identity

import (
	"context"
	"errors"
	"sort"

	"github.com/imsd/imsd"
)

// GrantTarget says where a grant applies, as the grant APIs' paths name it.
type GrantTarget struct {
	Scope imsd.GrantScope
	// ScopeID is the project, the domain (for ScopeDomain and
	// ScopeAllProjects) or the enterprise project.
	ScopeID string
}

// Grant operations, for the action table.
type grantOp int

const (
	opGrant grantOp = iota
	opCheck
	opList
	opRevoke
)

// grantActions are the IAM actions of the grant APIs per scope, in grantOp
// order. The all-projects names are [inferred].
var grantActions = map[imsd.GrantScope][4]string{
	imsd.ScopeProject: {"iam:permissions:grantRoleToGroupOnProject", "iam:permissions:checkRoleForGroupOnProject",
		"iam:permissions:listRolesForGroupOnProject", "iam:permissions:revokeRoleFromGroupOnProject"},
	imsd.ScopeDomain: {"iam:permissions:grantRoleToGroupOnDomain", "iam:permissions:checkRoleForGroupOnDomain",
		"iam:permissions:listRolesForGroupOnDomain", "iam:permissions:revokeRoleFromGroupOnDomain"},
	imsd.ScopeAllProjects: {"iam:permissions:grantRoleToAllProjects", "iam:permissions:checkRoleForAllProjects",
		"iam:permissions:listRolesForAllProjects", "iam:permissions:revokeRoleFromAllProjects"},
	imsd.ScopeEnterpriseProject: {"iam:permissions:grantRoleToGroupOnEnterpriseProject", "",
		"iam:permissions:listRolesForGroupOnEnterpriseProject", "iam:permissions:revokeRoleFromGroupOnEnterpriseProject"},
}

// checkTarget validates the scope of a grant: the project, domain or
// enterprise project must be the caller's (404 otherwise).
func (s *Service) checkTarget(ctx context.Context, q imsd.Queries, p *imsd.Principal, t GrantTarget) error {
	switch t.Scope {
	case imsd.ScopeProject:
		_, err := s.getProject(ctx, q, p, t.ScopeID)
		return err
	case imsd.ScopeDomain, imsd.ScopeAllProjects:
		if t.ScopeID != p.DomainID {
			return iamNotFound("domain", t.ScopeID)
		}
		return nil
	case imsd.ScopeEnterpriseProject:
		if t.ScopeID == imsd.DefaultEnterpriseProject {
			return nil
		}
		if _, err := s.getEnterpriseProject(ctx, q, p, t.ScopeID); err != nil {
			return iamNotFound("enterprise project", t.ScopeID)
		}
		return nil
	}
	return iamInvalid("Unknown grant scope %q.", t.Scope)
}

// checkGrantable applies the display-mode rules: project-level permissions
// (XA) are granted in projects and enterprise projects, global ones (AX) on
// the domain; AA permissions anywhere; all projects takes either. Enterprise
// projects take fine-grained policies only, no 1.0 roles.
func checkGrantable(perm Permission, scope imsd.GrantScope) error {
	switch {
	case (scope == imsd.ScopeProject || scope == imsd.ScopeEnterpriseProject) && perm.Type == "AX":
		return iamInvalid("%s is a permission of global services (AX); grant it on the domain or on all projects.", perm.DisplayName)
	case scope == imsd.ScopeDomain && perm.Type == "XA":
		return iamInvalid("%s is a permission of project-level services (XA); grant it in a project, an enterprise project or all projects.", perm.DisplayName)
	case scope == imsd.ScopeEnterpriseProject && perm.System() && perm.Flag != "fine_grained":
		return iamInvalid("%s is a role; enterprise projects accept policies only.", perm.DisplayName)
	}
	return nil
}

// grantParts loads and checks the group, permission and target of a grant
// operation after deciding its action.
func (s *Service) grantParts(ctx context.Context, q imsd.Queries, p *imsd.Principal, groupID, roleID string, t GrantTarget, op grantOp) (*imsd.Group, Permission, error) {
	action := grantActions[t.Scope][op]
	if action == "" {
		action = grantActions[t.Scope][opList]
	}
	if err := s.authorizeIAM(ctx, p, action); err != nil {
		return nil, Permission{}, err
	}
	if err := s.checkTarget(ctx, q, p, t); err != nil {
		return nil, Permission{}, err
	}
	g, err := s.getGroup(ctx, q, p, groupID)
	if err != nil {
		return nil, Permission{}, err
	}
	if op == opList {
		return g, Permission{}, nil
	}
	perm, err := s.permission(ctx, q, p, roleID)
	if err != nil {
		return nil, Permission{}, err
	}
	if (op == opGrant || op == opRevoke) && g.Name == imsd.AdminGroupName {
		return nil, Permission{}, iamInvalid("The permissions of the admin group cannot be changed.")
	}
	return g, perm, nil
}

// GrantAdd grants a permission to a group at a scope. Granting it again is
// not an error. It takes effect with the group members' next request.
func (s *Service) GrantAdd(ctx context.Context, p *imsd.Principal, groupID, roleID string, t GrantTarget) error {
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		g, perm, err := s.grantParts(ctx, q, p, groupID, roleID, t, opGrant)
		if err != nil {
			return err
		}
		if err := checkGrantable(perm, t.Scope); err != nil {
			return err
		}
		err = q.GrantInsert(ctx, &imsd.Grant{DomainID: p.DomainID, GroupID: g.ID, PolicyID: perm.ID, Scope: t.Scope,
			ScopeID: t.ScopeID, CreatedAt: s.Now()})
		if err != nil {
			return imsd.Internal(err, "insert grant")
		}
		s.log.Info("permission granted", "domain_id", p.DomainID, "group_id", g.ID, "policy_id", perm.ID,
			"scope", string(t.Scope), "scope_id", t.ScopeID, "by", p.UserID)
		return nil
	})
}

// GrantCheck answers whether a group holds a permission at a scope: nil
// when it does, 404 otherwise.
func (s *Service) GrantCheck(ctx context.Context, p *imsd.Principal, groupID, roleID string, t GrantTarget) error {
	g, perm, err := s.grantParts(ctx, s.store, p, groupID, roleID, t, opCheck)
	if err != nil {
		return err
	}
	grants, err := s.store.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, GroupIDs: []string{g.ID},
		PolicyID: perm.ID, Scope: t.Scope, ScopeID: t.ScopeID})
	if err != nil {
		return imsd.Internal(err, "list grants")
	}
	if len(grants) == 0 {
		return iamNotFound("role assignment", perm.ID)
	}
	return nil
}

// GrantRemove revokes a permission from a group at a scope (404 when the
// group does not hold it there). It takes effect at once.
func (s *Service) GrantRemove(ctx context.Context, p *imsd.Principal, groupID, roleID string, t GrantTarget) error {
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		g, perm, err := s.grantParts(ctx, q, p, groupID, roleID, t, opRevoke)
		if err != nil {
			return err
		}
		err = q.GrantDelete(ctx, &imsd.Grant{DomainID: p.DomainID, GroupID: g.ID, PolicyID: perm.ID, Scope: t.Scope, ScopeID: t.ScopeID})
		if errors.Is(err, imsd.ErrNotFound) {
			return iamNotFound("role assignment", perm.ID)
		}
		if err != nil {
			return imsd.Internal(err, "delete grant")
		}
		s.log.Info("permission revoked", "domain_id", p.DomainID, "group_id", g.ID, "policy_id", perm.ID,
			"scope", string(t.Scope), "scope_id", t.ScopeID, "by", p.UserID)
		return nil
	})
}

// GrantList lists the permissions a group holds at a scope.
func (s *Service) GrantList(ctx context.Context, p *imsd.Principal, groupID string, t GrantTarget) ([]Permission, error) {
	g, _, err := s.grantParts(ctx, s.store, p, groupID, "", t, opList)
	if err != nil {
		return nil, err
	}
	grants, err := s.store.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, GroupIDs: []string{g.ID}, Scope: t.Scope, ScopeID: t.ScopeID})
	if err != nil {
		return nil, imsd.Internal(err, "list grants")
	}
	out := []Permission{}
	for _, gr := range grants {
		perm, err := s.permission(ctx, s.store, p, gr.PolicyID)
		if imsd.ErrorCode(err) == imsd.CodeIAMNotFound {
			continue // a grant of a deleted policy
		}
		if err != nil {
			return nil, err
		}
		out = append(out, perm)
	}
	return out, nil
}

// GroupEnterpriseProjects lists the enterprise projects in which a group
// holds permissions (iam:permissions:listEnterpriseProjectsForGroup).
func (s *Service) GroupEnterpriseProjects(ctx context.Context, p *imsd.Principal, groupID string) ([]string, error) {
	if err := s.authorizeIAM(ctx, p, "iam:permissions:listEnterpriseProjectsForGroup"); err != nil {
		return nil, err
	}
	g, err := s.getGroup(ctx, s.store, p, groupID)
	if err != nil {
		return nil, err
	}
	grants, err := s.store.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, GroupIDs: []string{g.ID}, Scope: imsd.ScopeEnterpriseProject})
	if err != nil {
		return nil, imsd.Internal(err, "list grants")
	}
	seen := map[string]bool{}
	out := []string{}
	for _, gr := range grants {
		if !seen[gr.ScopeID] {
			seen[gr.ScopeID] = true
			out = append(out, gr.ScopeID)
		}
	}
	sort.Strings(out)
	return out, nil
}

// EnterpriseProjectGroups lists the groups that hold permissions in an
// enterprise project (iam:permissions:listGroupsForEnterpriseProject).
func (s *Service) EnterpriseProjectGroups(ctx context.Context, p *imsd.Principal, epID string) ([]*imsd.Group, error) {
	if err := s.authorizeIAM(ctx, p, "iam:permissions:listGroupsForEnterpriseProject"); err != nil {
		return nil, err
	}
	t := GrantTarget{Scope: imsd.ScopeEnterpriseProject, ScopeID: epID}
	if err := s.checkTarget(ctx, s.store, p, t); err != nil {
		return nil, err
	}
	grants, err := s.store.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, Scope: t.Scope, ScopeID: epID})
	if err != nil {
		return nil, imsd.Internal(err, "list grants")
	}
	seen := map[string]bool{}
	out := []*imsd.Group{}
	for _, gr := range grants {
		if seen[gr.GroupID] {
			continue
		}
		seen[gr.GroupID] = true
		g, err := s.getGroup(ctx, s.store, p, gr.GroupID)
		if imsd.ErrorCode(err) == imsd.CodeIAMNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}
