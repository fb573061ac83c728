package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/policy"
)

// GroupCreateInput is the body of KeystoneCreateGroup.
type GroupCreateInput struct {
	Name        string
	Description string
	// DomainID, when set, must be the caller's account.
	DomainID string
}

// GroupUpdateInput is the body of KeystoneUpdateGroup; nil fields are left
// alone.
type GroupUpdateInput struct {
	Name        *string
	Description *string
	DomainID    *string
}

// createAdminGroup creates the account's admin group in q: FullAccess
// granted at domain scope (so every IAM and EPS action), the given users as
// members.
func createAdminGroup(ctx context.Context, q imsd.Queries, domainID string, members []string, now time.Time) (*imsd.Group, error) {
	g := imsd.Group{ID: imsd.NewHexID(), DomainID: domainID, Name: imsd.AdminGroupName, CreatedAt: now,
		Description: "Administrators of the account: every IAM and EPS action."}
	if err := q.GroupInsert(ctx, &g); err != nil {
		return nil, err
	}
	full, _ := policy.SystemPolicyByName(policy.FullAccess)
	if err := q.GrantInsert(ctx, &imsd.Grant{DomainID: domainID, GroupID: g.ID, PolicyID: full.ID,
		Scope: imsd.ScopeDomain, ScopeID: domainID, CreatedAt: g.CreatedAt}); err != nil {
		return nil, err
	}
	for _, u := range members {
		if err := q.GroupMemberAdd(ctx, g.ID, u); err != nil {
			return nil, err
		}
	}
	return &g, nil
}

// ensureAdminGroups gives every account made before accounts got an admin
// group one, with its roots as members. It runs once at start-up
// (Recover), not on a request path.
func (s *Service) ensureAdminGroups(ctx context.Context) error {
	domains, err := s.store.DomainList(ctx)
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	for _, d := range domains {
		_, err := s.store.GroupGetByName(ctx, d.ID, imsd.AdminGroupName)
		if !errors.Is(err, imsd.ErrNotFound) {
			if err != nil {
				return fmt.Errorf("get admin group of %s: %w", d.ID, err)
			}
			continue
		}
		err = s.identityTx(ctx, &imsd.Principal{DomainID: d.ID}, func(q imsd.Queries) error {
			users, err := q.UserList(ctx, d.ID)
			if err != nil {
				return err
			}
			var roots []string
			for _, u := range users {
				if u.IsRoot {
					roots = append(roots, u.ID)
				}
			}
			_, err = createAdminGroup(ctx, q, d.ID, roots, s.Now())
			return err
		})
		switch {
		case errors.Is(err, imsd.ErrConflict): // created concurrently by another node
		case err != nil:
			return fmt.Errorf("create admin group of %s: %w", d.ID, err)
		default:
			s.log.Info("admin group created for an account made before admin groups", "domain_id", d.ID)
		}
	}
	return nil
}

// GroupCreate creates a user group (iam:groups:createGroup).
func (s *Service) GroupCreate(ctx context.Context, p *imsd.Principal, in GroupCreateInput) (*imsd.Group, error) {
	if err := s.authorizeIAM(ctx, p, "iam:groups:createGroup"); err != nil {
		return nil, err
	}
	if err := checkDomain(p, in.DomainID); err != nil {
		return nil, err
	}
	if err := validateName("group", in.Name, maxUserName); err != nil {
		return nil, err
	}
	if err := validateDescription("group", in.Description, 255); err != nil {
		return nil, err
	}
	g := imsd.Group{ID: imsd.NewHexID(), DomainID: p.DomainID, Name: in.Name, Description: in.Description, CreatedAt: s.Now()}
	if err := s.store.GroupInsert(ctx, &g); err != nil {
		return nil, conflictOr(err, "insert group", "A group named "+in.Name+" already exists.")
	}
	s.log.Info("group created", "domain_id", p.DomainID, "group_id", g.ID, "name", g.Name, "by", p.UserID)
	return &g, nil
}

// GroupList lists the account's groups, optionally only the one with name
// (iam:groups:listGroups).
func (s *Service) GroupList(ctx context.Context, p *imsd.Principal, domainID, name string) ([]*imsd.Group, error) {
	if err := s.authorizeIAM(ctx, p, "iam:groups:listGroups"); err != nil {
		return nil, err
	}
	if err := checkDomain(p, domainID); err != nil {
		return nil, err
	}
	all, err := s.store.GroupList(ctx, p.DomainID)
	if err != nil {
		return nil, imsd.Internal(err, "list groups")
	}
	out := []*imsd.Group{}
	for _, g := range all {
		if name == "" || g.Name == name {
			out = append(out, g)
		}
	}
	return out, nil
}

// GroupGet returns one group (iam:groups:getGroup).
func (s *Service) GroupGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.Group, error) {
	if err := s.authorizeIAM(ctx, p, "iam:groups:getGroup"); err != nil {
		return nil, err
	}
	return s.getGroup(ctx, s.store, p, id)
}

// GroupUpdate renames or re-describes a group (iam:groups:updateGroup). The
// admin group cannot be renamed.
func (s *Service) GroupUpdate(ctx context.Context, p *imsd.Principal, id string, in GroupUpdateInput) (*imsd.Group, error) {
	if err := s.authorizeIAM(ctx, p, "iam:groups:updateGroup"); err != nil {
		return nil, err
	}
	var out *imsd.Group
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		g, err := s.getGroup(ctx, q, p, id)
		if err != nil {
			return err
		}
		if in.DomainID != nil && *in.DomainID != p.DomainID {
			return iamInvalid("A group cannot be moved to another account.")
		}
		next := *g
		if in.Name != nil && *in.Name != g.Name {
			if g.Name == imsd.AdminGroupName {
				return iamInvalid("The admin group cannot be renamed.")
			}
			if err := validateName("group", *in.Name, maxUserName); err != nil {
				return err
			}
			next.Name = *in.Name
		}
		if in.Description != nil {
			if err := validateDescription("group", *in.Description, 255); err != nil {
				return err
			}
			next.Description = *in.Description
		}
		if err := q.GroupUpdate(ctx, &next); err != nil {
			return conflictOr(err, "update group", "A group named "+next.Name+" already exists.")
		}
		out = &next
		return nil
	})
	return out, err
}

// GroupDelete deletes a group with its memberships and grants
// (iam:groups:deleteGroup). The admin group cannot be deleted.
func (s *Service) GroupDelete(ctx context.Context, p *imsd.Principal, id string) error {
	if err := s.authorizeIAM(ctx, p, "iam:groups:deleteGroup"); err != nil {
		return err
	}
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		g, err := s.getGroup(ctx, q, p, id)
		if err != nil {
			return err
		}
		if g.Name == imsd.AdminGroupName {
			return iamInvalid("The admin group cannot be deleted.")
		}
		return imsd.Internal(q.GroupDelete(ctx, id), "delete group")
	})
	if err == nil {
		s.log.Info("group deleted", "domain_id", p.DomainID, "group_id", id, "by", p.UserID)
	}
	return err
}

// membership loads the group and the user of a membership question, both
// of the caller's account (404 otherwise).
func (s *Service) membership(ctx context.Context, q imsd.Queries, p *imsd.Principal, groupID, userID string) (*imsd.Group, *imsd.User, error) {
	g, err := s.getGroup(ctx, q, p, groupID)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.getUser(ctx, q, p, userID)
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}

// GroupAddUser adds a user to a group (iam:groups:addUserToGroup); adding a
// member again is not an error.
func (s *Service) GroupAddUser(ctx context.Context, p *imsd.Principal, groupID, userID string) error {
	if err := s.authorizeIAM(ctx, p, "iam:groups:addUserToGroup"); err != nil {
		return err
	}
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		g, u, err := s.membership(ctx, q, p, groupID, userID)
		if err != nil {
			return err
		}
		if err := s.guardPrivileged(ctx, q, p, u, g.Name == imsd.AdminGroupName); err != nil {
			return err
		}
		if err := q.GroupMemberAdd(ctx, groupID, userID); err != nil {
			return imsd.Internal(err, "add group member")
		}
		s.log.Info("user added to group", "domain_id", p.DomainID, "group_id", groupID, "user_id", userID, "by", p.UserID)
		return nil
	})
}

// GroupRemoveUser removes a user from a group
// (iam:groups:removeUserFromGroup); 404 when the user is not a member. The
// root stays in the admin group.
func (s *Service) GroupRemoveUser(ctx context.Context, p *imsd.Principal, groupID, userID string) error {
	if err := s.authorizeIAM(ctx, p, "iam:groups:removeUserFromGroup"); err != nil {
		return err
	}
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		g, u, err := s.membership(ctx, q, p, groupID, userID)
		if err != nil {
			return err
		}
		if u.IsRoot && g.Name == imsd.AdminGroupName {
			return iamInvalid("The account root cannot leave the admin group.")
		}
		if err := s.guardPrivileged(ctx, q, p, u, g.Name == imsd.AdminGroupName); err != nil {
			return err
		}
		err = q.GroupMemberRemove(ctx, groupID, userID)
		if errors.Is(err, imsd.ErrNotFound) {
			return iamNotFound("user in group", userID)
		}
		return imsd.Internal(err, "remove group member")
	})
}

// GroupHasUser answers whether a user is in a group
// (iam:groups:checkUserInGroup): nil when it is, 404 otherwise.
func (s *Service) GroupHasUser(ctx context.Context, p *imsd.Principal, groupID, userID string) error {
	if err := s.authorizeIAM(ctx, p, "iam:groups:checkUserInGroup"); err != nil {
		return err
	}
	if _, _, err := s.membership(ctx, s.store, p, groupID, userID); err != nil {
		return err
	}
	groups, err := s.store.GroupListForUser(ctx, userID)
	if err != nil {
		return imsd.Internal(err, "list groups of user")
	}
	for _, g := range groups {
		if g.ID == groupID {
			return nil
		}
	}
	return iamNotFound("user in group", userID)
}

// GroupListForUser lists the groups of a user: the caller's own, or any
// user's with iam:groups:listGroupsForUser.
func (s *Service) GroupListForUser(ctx context.Context, p *imsd.Principal, userID string) ([]*imsd.Group, error) {
	if err := s.authorizeSelfOr(ctx, p, userID, "iam:groups:listGroupsForUser"); err != nil {
		return nil, err
	}
	if _, err := s.getUser(ctx, s.store, p, userID); err != nil {
		return nil, err
	}
	groups, err := s.store.GroupListForUser(ctx, userID)
	if err != nil {
		return nil, imsd.Internal(err, "list groups of user")
	}
	return nonNil(groups), nil
}

// GroupUsers lists the members of a group (iam:users:listUsersForGroup).
func (s *Service) GroupUsers(ctx context.Context, p *imsd.Principal, groupID string) ([]*imsd.User, error) {
	if err := s.authorizeIAM(ctx, p, "iam:users:listUsersForGroup"); err != nil {
		return nil, err
	}
	if _, err := s.getGroup(ctx, s.store, p, groupID); err != nil {
		return nil, err
	}
	users, err := s.store.UserListForGroup(ctx, groupID)
	if err != nil {
		return nil, imsd.Internal(err, "list group members")
	}
	return nonNil(users), nil
}

// nonNil returns s, or an empty slice for nil, so lists encode as [].
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
