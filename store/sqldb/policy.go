package sqldb

import (
	"context"

	"github.com/imsd/imsd"
)

// Custom policies. Names are unique per domain; lists are ordered by name,
// then id. Grants carry no foreign key to policies (a grant may name a
// system policy, which is not stored), so deleting a policy deletes its
// grants explicitly.

const policyCols = `id, domain_id, name, description, type, document, created_at, updated_at`

func scanPolicy(s scanner) (*imsd.Policy, error) {
	var p imsd.Policy
	var doc string
	err := s.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &p.Type, &doc,
		timeDst{&p.CreatedAt}, timeDst{&p.UpdatedAt})
	p.Document = []byte(doc)
	return &p, err
}

// PolicyInsert inserts a custom policy; a duplicate id, or a name already
// used in the domain, is ErrConflict and a missing domain ErrNotFound.
func (q *queries) PolicyInsert(ctx context.Context, p *imsd.Policy) error {
	return q.insert(ctx, "insert policy "+p.ID,
		`INSERT INTO iam_policies (`+policyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.ID, p.DomainID, p.Name, p.Description, p.Type, string(p.Document), q.t(p.CreatedAt), q.t(p.UpdatedAt))
}

// PolicyGet returns the custom policy with the id.
func (q *queries) PolicyGet(ctx context.Context, id string) (*imsd.Policy, error) {
	return getOne(ctx, q, q.read, scanPolicy, "policy "+id,
		`SELECT `+policyCols+` FROM iam_policies WHERE id = ?`, id)
}

// PolicyList returns the custom policies of the domain.
func (q *queries) PolicyList(ctx context.Context, domainID string) ([]*imsd.Policy, error) {
	return getAll(ctx, q, scanPolicy, "list policies",
		`SELECT `+policyCols+` FROM iam_policies WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// PolicyUpdate replaces every field of the policy but its id, domain and
// creation time.
func (q *queries) PolicyUpdate(ctx context.Context, p *imsd.Policy) error {
	return q.change(ctx, "update policy "+p.ID,
		`UPDATE iam_policies SET name = ?, description = ?, type = ?, document = ?, updated_at = ? WHERE id = ?`,
		p.Name, p.Description, p.Type, string(p.Document), q.t(p.UpdatedAt), p.ID)
}

// PolicyDelete deletes the policy and every grant of it, in one
// transaction. A missing policy is ErrNotFound and deletes nothing, not
// even grants of a system policy that happens to share the id.
func (q *queries) PolicyDelete(ctx context.Context, id string) error {
	return q.withTx(ctx, func(q *queries) error {
		if err := q.change(ctx, "delete policy "+id, `DELETE FROM iam_policies WHERE id = ?`, id); err != nil {
			return err
		}
		_, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM iam_grants WHERE policy_id = ?`), id)
		return q.mapErr("delete grants of policy "+id, err)
	})
}
