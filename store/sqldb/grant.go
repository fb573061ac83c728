package sqldb

import (
	"context"
	"fmt"

	"github.com/imsd/imsd"
)

// Grants. A grant is identified by its domain, group, policy, scope and
// scope id; its creation time is data. The group must exist in the grant's
// domain and goes with its grants (ON DELETE CASCADE); the policy is not
// checked, since it may be a system policy, which is not stored. Lists are
// ordered by creation time, then by the identifying columns.

const grantCols = `domain_id, group_id, policy_id, scope, scope_id, created_at`

func scanGrant(s scanner) (*imsd.Grant, error) {
	var g imsd.Grant
	err := s.Scan(&g.DomainID, &g.GroupID, &g.PolicyID, &g.Scope, &g.ScopeID, timeDst{&g.CreatedAt})
	return &g, err
}

// GrantInsert records a grant; recording it again is not an error and
// keeps the first creation time. A group that does not exist in the
// grant's domain is ErrNotFound. As in GroupMemberAdd, the check comes
// first so that it does not abort a PostgreSQL transaction.
func (q *queries) GrantInsert(ctx context.Context, g *imsd.Grant) error {
	what := fmt.Sprintf("insert grant of %s to group %s", g.PolicyID, g.GroupID)
	n, err := q.count(ctx, what, `SELECT COUNT(*) FROM iam_groups WHERE id = ? AND domain_id = ?`, g.GroupID, g.DomainID)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: group of domain %s: %w", what, g.DomainID, imsd.ErrNotFound)
	}
	_, err = q.write.ExecContext(ctx,
		q.rebind(`INSERT INTO iam_grants (`+grantCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		g.DomainID, g.GroupID, g.PolicyID, string(g.Scope), g.ScopeID, q.t(g.CreatedAt))
	return q.mapErr(what, err) // no row written: the grant exists
}

// GrantDelete deletes the grant with g's domain, group, policy, scope and
// scope id; ErrNotFound when there is none.
func (q *queries) GrantDelete(ctx context.Context, g *imsd.Grant) error {
	return q.change(ctx, fmt.Sprintf("delete grant of %s to group %s", g.PolicyID, g.GroupID),
		`DELETE FROM iam_grants
	WHERE domain_id = ? AND group_id = ? AND policy_id = ? AND scope = ? AND scope_id = ?`,
		g.DomainID, g.GroupID, g.PolicyID, string(g.Scope), g.ScopeID)
}

// GrantList returns the grants matching every non-empty field of gq.
// GroupIDs follows ImageQuery.EnterpriseProjects: nil means any group, an
// empty non-nil slice none, so a caller that filtered a principal's groups
// down to nothing never receives every grant of the domain.
func (q *queries) GrantList(ctx context.Context, gq imsd.GrantQuery) ([]*imsd.Grant, error) {
	w := &where{}
	for _, f := range []struct{ col, val string }{
		{"domain_id", gq.DomainID},
		{"policy_id", gq.PolicyID},
		{"scope", string(gq.Scope)},
		{"scope_id", gq.ScopeID},
	} {
		if f.val != "" {
			w.add(f.col+" = ?", f.val)
		}
	}
	if gq.GroupIDs != nil {
		if len(gq.GroupIDs) == 0 {
			w.add("1 = 0")
		} else {
			args := make([]any, len(gq.GroupIDs))
			for n, id := range gq.GroupIDs {
				args[n] = id
			}
			w.add("group_id IN ("+placeholders(len(args))+")", args...)
		}
	}
	query := `SELECT ` + grantCols + ` FROM iam_grants`
	if len(w.conds) > 0 {
		query += ` WHERE ` + w.sql()
	}
	return getAll(ctx, q, scanGrant, "list grants",
		query+` ORDER BY created_at, group_id, policy_id, scope, scope_id`, w.args...)
}
