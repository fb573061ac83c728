package sqldb

import (
	"context"
	"fmt"

	"github.com/imsd/imsd"
)

// Groups and group memberships. Group names are unique per domain; a
// member must be a user of the group's domain. Memberships go with their
// group or user (ON DELETE CASCADE), as do the group's grants. Lists are
// ordered by name, then id.

const groupCols = `id, domain_id, name, description, created_at`

// groupColsG is groupCols qualified by the alias g, for joins.
const groupColsG = `g.id, g.domain_id, g.name, g.description, g.created_at`

// userColsU is userCols qualified by the alias u, for joins.
const userColsU = `u.id, u.domain_id, u.name, u.password_hash, u.enabled, u.is_root, u.description, u.email,
	u.password_changed_at, u.created_at`

func scanGroup(s scanner) (*imsd.Group, error) {
	var g imsd.Group
	err := s.Scan(&g.ID, &g.DomainID, &g.Name, &g.Description, timeDst{&g.CreatedAt})
	return &g, err
}

// GroupInsert inserts a group; a duplicate id, or a name already used in
// the domain, is ErrConflict and a missing domain ErrNotFound.
// LockDomain takes the dialect's transaction lock on the account's identity
// key.
func (q *queries) LockDomain(ctx context.Context, domainID string) error {
	return q.lock(ctx, "imsd.domain:"+domainID)
}

func (q *queries) GroupInsert(ctx context.Context, g *imsd.Group) error {
	return q.insert(ctx, "insert group "+g.ID,
		`INSERT INTO iam_groups (`+groupCols+`) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		g.ID, g.DomainID, g.Name, g.Description, q.t(g.CreatedAt))
}

// GroupGet returns the group with the id.
func (q *queries) GroupGet(ctx context.Context, id string) (*imsd.Group, error) {
	return getOne(ctx, q, q.read, scanGroup, "group "+id,
		`SELECT `+groupCols+` FROM iam_groups WHERE id = ?`, id)
}

// GroupGetByName returns the group of the domain with the name.
func (q *queries) GroupGetByName(ctx context.Context, domainID, name string) (*imsd.Group, error) {
	return getOne(ctx, q, q.read, scanGroup, "group named "+name,
		`SELECT `+groupCols+` FROM iam_groups WHERE domain_id = ? AND name = ?`, domainID, name)
}

// GroupList returns the groups of the domain.
func (q *queries) GroupList(ctx context.Context, domainID string) ([]*imsd.Group, error) {
	return getAll(ctx, q, scanGroup, "list groups",
		`SELECT `+groupCols+` FROM iam_groups WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// GroupUpdate replaces the name and description of the group; the domain
// and creation time never change.
func (q *queries) GroupUpdate(ctx context.Context, g *imsd.Group) error {
	return q.change(ctx, "update group "+g.ID,
		`UPDATE iam_groups SET name = ?, description = ? WHERE id = ?`,
		g.Name, g.Description, g.ID)
}

// GroupDelete deletes the group and, with it, its memberships and grants.
func (q *queries) GroupDelete(ctx context.Context, id string) error {
	return q.change(ctx, "delete group "+id, `DELETE FROM iam_groups WHERE id = ?`, id)
}

// GroupMemberAdd makes the user a member of the group; adding a member
// again is not an error. A missing group, or a user that does not exist in
// the group's domain, is ErrNotFound. The existence check comes first so
// that, on PostgreSQL, a missing group or user does not abort the
// surrounding transaction; the foreign keys still catch a concurrent
// delete.
func (q *queries) GroupMemberAdd(ctx context.Context, groupID, userID string) error {
	what := "add user " + userID + " to group " + groupID
	n, err := q.count(ctx, what, `SELECT COUNT(*) FROM iam_groups g JOIN users u ON u.domain_id = g.domain_id
	WHERE g.id = ? AND u.id = ?`, groupID, userID)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: group or user of its domain: %w", what, imsd.ErrNotFound)
	}
	_, err = q.write.ExecContext(ctx,
		q.rebind(`INSERT INTO iam_group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`),
		groupID, userID)
	return q.mapErr(what, err) // no row written: already a member
}

// GroupMemberRemove removes the user from the group; ErrNotFound when the
// user is not a member.
func (q *queries) GroupMemberRemove(ctx context.Context, groupID, userID string) error {
	return q.change(ctx, "remove user "+userID+" from group "+groupID,
		`DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?`, groupID, userID)
}

// GroupListForUser returns the groups the user is a member of.
func (q *queries) GroupListForUser(ctx context.Context, userID string) ([]*imsd.Group, error) {
	return getAll(ctx, q, scanGroup, "list groups of user "+userID,
		`SELECT `+groupColsG+` FROM iam_groups g JOIN iam_group_members m ON m.group_id = g.id
	WHERE m.user_id = ? ORDER BY g.name, g.id`, userID)
}

// UserListForGroup returns the members of the group.
func (q *queries) UserListForGroup(ctx context.Context, groupID string) ([]*imsd.User, error) {
	return getAll(ctx, q, scanUser, "list members of group "+groupID,
		`SELECT `+userColsU+` FROM users u JOIN iam_group_members m ON m.user_id = u.id
	WHERE m.group_id = ? ORDER BY u.name, u.id`, groupID)
}
