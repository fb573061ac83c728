package sqldb

import (
	"context"
	"errors"
	"strings"

	"github.com/imsd/imsd"
)

// Groups, memberships, custom policies and grants. Group and policy names
// are unique per domain. Deleting a group removes its memberships and
// grants (foreign keys with ON DELETE CASCADE); deleting a policy removes
// its grants explicitly, since grants may name system policies that are not
// stored and so carry no foreign key.

const groupCols = `id, domain_id, name, description, created_at`

func scanGroup(s scanner) (*imsd.Group, error) {
	var g imsd.Group
	err := s.Scan(&g.ID, &g.DomainID, &g.Name, &g.Description, timeDst{&g.CreatedAt})
	return &g, err
}

// GroupInsert inserts a group; a duplicate id or name in the domain is
// ErrConflict, a missing domain ErrNotFound.
func (q *queries) GroupInsert(ctx context.Context, g *imsd.Group) error {
	return q.insert(ctx, "insert group "+g.ID,
		`INSERT INTO iam_groups (`+groupCols+`) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		g.ID, g.DomainID, g.Name, g.Description, q.t(g.CreatedAt))
}

// GroupGet returns the group with the id.
func (q *queries) GroupGet(ctx context.Context, id string) (*imsd.Group, error) {
	return getOne(ctx, q, q.read, scanGroup, "group "+id, `SELECT `+groupCols+` FROM iam_groups WHERE id = ?`, id)
}

// GroupGetByName returns the group of the domain with the name.
func (q *queries) GroupGetByName(ctx context.Context, domainID, name string) (*imsd.Group, error) {
	return getOne(ctx, q, q.read, scanGroup, "group named "+name,
		`SELECT `+groupCols+` FROM iam_groups WHERE domain_id = ? AND name = ?`, domainID, name)
}

// GroupList returns the groups of the domain by name.
func (q *queries) GroupList(ctx context.Context, domainID string) ([]*imsd.Group, error) {
	return getAll(ctx, q, scanGroup, "list groups",
		`SELECT `+groupCols+` FROM iam_groups WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// GroupUpdate replaces the name and description of the group.
func (q *queries) GroupUpdate(ctx context.Context, g *imsd.Group) error {
	return q.change(ctx, "update group "+g.ID, `UPDATE iam_groups SET name = ?, description = ? WHERE id = ?`,
		g.Name, g.Description, g.ID)
}

// GroupDelete deletes the group with its memberships and grants.
func (q *queries) GroupDelete(ctx context.Context, id string) error {
	return q.withTx(ctx, func(q *queries) error {
		if _, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM iam_group_members WHERE group_id = ?`), id); err != nil {
			return q.mapErr("delete memberships of group "+id, err)
		}
		if _, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM iam_grants WHERE group_id = ?`), id); err != nil {
			return q.mapErr("delete grants of group "+id, err)
		}
		return q.change(ctx, "delete group "+id, `DELETE FROM iam_groups WHERE id = ?`, id)
	})
}

// GroupMemberAdd adds a user to a group; adding twice is not an error, a
// missing group or user is ErrNotFound.
func (q *queries) GroupMemberAdd(ctx context.Context, groupID, userID string) error {
	err := q.insert(ctx, "add user "+userID+" to group "+groupID,
		`INSERT INTO iam_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, groupID, userID)
	if errors.Is(err, imsd.ErrConflict) {
		return nil // already a member
	}
	return err
}

// GroupMemberRemove removes a user from a group; ErrNotFound when the user
// is not a member.
func (q *queries) GroupMemberRemove(ctx context.Context, groupID, userID string) error {
	return q.change(ctx, "remove user "+userID+" from group "+groupID,
		`DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
}

// GroupListForUser returns the groups the user belongs to, by name.
func (q *queries) GroupListForUser(ctx context.Context, userID string) ([]*imsd.Group, error) {
	return getAll(ctx, q, scanGroup, "list groups of user "+userID,
		`SELECT g.id, g.domain_id, g.name, g.description, g.created_at FROM iam_groups g
	JOIN iam_group_members m ON m.group_id = g.id WHERE m.user_id = ? ORDER BY g.name, g.id`, userID)
}

// UserListForGroup returns the members of the group, by name.
func (q *queries) UserListForGroup(ctx context.Context, groupID string) ([]*imsd.User, error) {
	return getAll(ctx, q, scanUser, "list users of group "+groupID,
		`SELECT u.id, u.domain_id, u.name, u.password_hash, u.enabled, u.is_root, u.description, u.email,
	u.password_changed_at, u.created_at FROM users u JOIN iam_group_members m ON m.user_id = u.id
	WHERE m.group_id = ? ORDER BY u.name, u.id`, groupID)
}

const policyCols = `id, domain_id, name, description, type, document, created_at, updated_at`

func scanPolicy(s scanner) (*imsd.Policy, error) {
	var p imsd.Policy
	var doc string
	err := s.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &p.Type, &doc, timeDst{&p.CreatedAt}, timeDst{&p.UpdatedAt})
	p.Document = []byte(doc)
	return &p, err
}

// PolicyInsert inserts a custom policy; a duplicate id or name in the
// domain is ErrConflict.
func (q *queries) PolicyInsert(ctx context.Context, p *imsd.Policy) error {
	return q.insert(ctx, "insert policy "+p.ID,
		`INSERT INTO iam_policies (`+policyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.ID, p.DomainID, p.Name, p.Description, p.Type, string(p.Document), q.t(p.CreatedAt), q.t(p.UpdatedAt))
}

// PolicyGet returns the custom policy with the id.
func (q *queries) PolicyGet(ctx context.Context, id string) (*imsd.Policy, error) {
	return getOne(ctx, q, q.read, scanPolicy, "policy "+id, `SELECT `+policyCols+` FROM iam_policies WHERE id = ?`, id)
}

// PolicyList returns the custom policies of the domain, by name.
func (q *queries) PolicyList(ctx context.Context, domainID string) ([]*imsd.Policy, error) {
	return getAll(ctx, q, scanPolicy, "list policies",
		`SELECT `+policyCols+` FROM iam_policies WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// PolicyUpdate replaces the name, description, type, document and update
// time of the policy.
func (q *queries) PolicyUpdate(ctx context.Context, p *imsd.Policy) error {
	return q.change(ctx, "update policy "+p.ID,
		`UPDATE iam_policies SET name = ?, description = ?, type = ?, document = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Description, p.Type, string(p.Document), q.t(p.UpdatedAt), p.ID)
}

// PolicyDelete deletes the policy and every grant of it.
func (q *queries) PolicyDelete(ctx context.Context, id string) error {
	return q.withTx(ctx, func(q *queries) error {
		if _, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM iam_grants WHERE policy_id = ?`), id); err != nil {
			return q.mapErr("delete grants of policy "+id, err)
		}
		return q.change(ctx, "delete policy "+id, `DELETE FROM iam_policies WHERE id = ?`, id)
	})
}

const grantCols = `domain_id, group_id, policy_id, scope, scope_id, created_at`

func scanGrant(s scanner) (*imsd.Grant, error) {
	var g imsd.Grant
	var scope string
	err := s.Scan(&g.DomainID, &g.GroupID, &g.PolicyID, &scope, &g.ScopeID, timeDst{&g.CreatedAt})
	g.Scope = imsd.GrantScope(scope)
	return &g, err
}

// GrantInsert records a grant; an identical grant is not an error, a
// missing group is ErrNotFound.
func (q *queries) GrantInsert(ctx context.Context, g *imsd.Grant) error {
	res, err := q.write.ExecContext(ctx, q.rebind(`INSERT INTO iam_grants (`+grantCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		g.DomainID, g.GroupID, g.PolicyID, string(g.Scope), g.ScopeID, q.t(g.CreatedAt))
	if err != nil {
		return q.mapErr("insert grant", err)
	}
	_, err = res.RowsAffected()
	return q.mapErr("insert grant", err)
}

// GrantDelete removes a grant; ErrNotFound when there is none.
func (q *queries) GrantDelete(ctx context.Context, g *imsd.Grant) error {
	return q.change(ctx, "delete grant",
		`DELETE FROM iam_grants WHERE group_id = ? AND policy_id = ? AND scope = ? AND scope_id = ?`,
		g.GroupID, g.PolicyID, string(g.Scope), g.ScopeID)
}

// GrantList returns the grants matching every non-empty field of gq, in
// creation order.
func (q *queries) GrantList(ctx context.Context, gq imsd.GrantQuery) ([]*imsd.Grant, error) {
	w := &where{}
	for _, f := range []struct{ col, val string }{
		{"domain_id", gq.DomainID}, {"policy_id", gq.PolicyID}, {"scope", string(gq.Scope)}, {"scope_id", gq.ScopeID},
	} {
		if f.val != "" {
			w.add(f.col+" = ?", f.val)
		}
	}
	if gq.GroupIDs != nil {
		if len(gq.GroupIDs) == 0 {
			return []*imsd.Grant{}, nil
		}
		ph := strings.TrimSuffix(strings.Repeat("?, ", len(gq.GroupIDs)), ", ")
		args := make([]any, len(gq.GroupIDs))
		for i, id := range gq.GroupIDs {
			args[i] = id
		}
		w.conds = append(w.conds, "group_id IN ("+ph+")")
		w.args = append(w.args, args...)
	}
	query := `SELECT ` + grantCols + ` FROM iam_grants`
	if len(w.conds) > 0 {
		query += " WHERE " + w.sql()
	}
	return getAll(ctx, q, scanGrant, "list grants", query+` ORDER BY created_at, group_id, policy_id, scope, scope_id`, w.args...)
}
