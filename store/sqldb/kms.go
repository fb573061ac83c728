package sqldb

import (
	"context"
	"time"

	"github.com/imsd/imsd"
)

// Keys and aliases of the key service.

const keyCols = `id, domain_id, project_id, alias, description, state, enterprise_project_id, provider,
	material, created_at, updated_at, deletion_date`

func scanKey(s scanner) (*imsd.Key, error) {
	var k imsd.Key
	err := s.Scan(&k.ID, &k.DomainID, &k.ProjectID, &k.Alias, &k.Description, &k.State, &k.EnterpriseProjectID,
		&k.Provider, &k.Material, timeDst{&k.CreatedAt}, timeDst{&k.UpdatedAt}, timeDst{&k.DeletionDate})
	return &k, err
}

// KeyLock takes the dialect's transaction lock on the key.
func (q *queries) KeyLock(ctx context.Context, id string) error {
	if !q.inTx() {
		return nil
	}
	return q.lock(ctx, "imsd.kms.key:"+id)
}

// KeyInsert inserts a key; a duplicate id or alias is ErrConflict.
func (q *queries) KeyInsert(ctx context.Context, k *imsd.Key) error {
	return q.insert(ctx, "insert key "+k.ID,
		`INSERT INTO kms_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.ID, k.DomainID, k.ProjectID, k.Alias, k.Description, string(k.State), k.EnterpriseProjectID, k.Provider,
		bytesOrEmpty(k.Material), q.t(k.CreatedAt), q.t(k.UpdatedAt), q.t(k.DeletionDate))
}

// KeyGet returns the key with the id, whatever its project.
func (q *queries) KeyGet(ctx context.Context, id string) (*imsd.Key, error) {
	return getOne(ctx, q, q.read, scanKey, "key "+id, `SELECT `+keyCols+` FROM kms_keys WHERE id = ?`, id)
}

// KeyList returns the project's keys, oldest first.
func (q *queries) KeyList(ctx context.Context, projectID string) ([]*imsd.Key, error) {
	return getAll(ctx, q, scanKey, "list keys",
		`SELECT `+keyCols+` FROM kms_keys WHERE project_id = ? ORDER BY created_at, id`, projectID)
}

// KeyListDue returns the keys pending deletion whose date is before t.
func (q *queries) KeyListDue(ctx context.Context, t time.Time) ([]*imsd.Key, error) {
	return getAll(ctx, q, scanKey, "list keys due for deletion",
		`SELECT `+keyCols+` FROM kms_keys WHERE state = ? AND deletion_date < ? ORDER BY deletion_date, id`,
		string(imsd.KeyPendingDeletion), q.t(t))
}

// KeyUpdate replaces the mutable fields of the key.
func (q *queries) KeyUpdate(ctx context.Context, k *imsd.Key) error {
	return q.change(ctx, "update key "+k.ID,
		`UPDATE kms_keys SET alias = ?, description = ?, state = ?, enterprise_project_id = ?, updated_at = ?,
	deletion_date = ? WHERE id = ?`,
		k.Alias, k.Description, string(k.State), k.EnterpriseProjectID, q.t(k.UpdatedAt), q.t(k.DeletionDate), k.ID)
}

// KeyDelete removes the key; its aliases go with it (foreign key cascade).
func (q *queries) KeyDelete(ctx context.Context, id string) error {
	return q.withTx(ctx, func(q *queries) error {
		if _, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM kms_aliases WHERE key_id = ?`), id); err != nil {
			return q.mapErr("delete aliases of key "+id, err)
		}
		return q.change(ctx, "delete key "+id, `DELETE FROM kms_keys WHERE id = ?`, id)
	})
}

const aliasCols = `project_id, alias, domain_id, key_id, created_at, updated_at`

func scanAlias(s scanner) (*imsd.KeyAlias, error) {
	var a imsd.KeyAlias
	err := s.Scan(&a.ProjectID, &a.Alias, &a.DomainID, &a.KeyID, timeDst{&a.CreatedAt}, timeDst{&a.UpdatedAt})
	return &a, err
}

// KeyAliasInsert inserts an alias; a duplicate is ErrConflict, a missing
// key ErrNotFound.
func (q *queries) KeyAliasInsert(ctx context.Context, a *imsd.KeyAlias) error {
	return q.insert(ctx, "insert alias "+a.Alias,
		`INSERT INTO kms_aliases (`+aliasCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		a.ProjectID, a.Alias, a.DomainID, a.KeyID, q.t(a.CreatedAt), q.t(a.UpdatedAt))
}

// KeyAliasGet returns the project's alias.
func (q *queries) KeyAliasGet(ctx context.Context, projectID, alias string) (*imsd.KeyAlias, error) {
	return getOne(ctx, q, q.read, scanAlias, "alias "+alias,
		`SELECT `+aliasCols+` FROM kms_aliases WHERE project_id = ? AND alias = ?`, projectID, alias)
}

// KeyAliasList returns the aliases of the project (of one key when keyID
// is set), in alias order.
func (q *queries) KeyAliasList(ctx context.Context, projectID, keyID string) ([]*imsd.KeyAlias, error) {
	if keyID != "" {
		return getAll(ctx, q, scanAlias, "list aliases",
			`SELECT `+aliasCols+` FROM kms_aliases WHERE project_id = ? AND key_id = ? ORDER BY alias`, projectID, keyID)
	}
	return getAll(ctx, q, scanAlias, "list aliases",
		`SELECT `+aliasCols+` FROM kms_aliases WHERE project_id = ? ORDER BY alias`, projectID)
}

// KeyAliasUpdate points the alias at another key.
func (q *queries) KeyAliasUpdate(ctx context.Context, a *imsd.KeyAlias) error {
	return q.change(ctx, "update alias "+a.Alias,
		`UPDATE kms_aliases SET key_id = ?, updated_at = ? WHERE project_id = ? AND alias = ?`,
		a.KeyID, q.t(a.UpdatedAt), a.ProjectID, a.Alias)
}

// KeyAliasDelete removes the project's alias.
func (q *queries) KeyAliasDelete(ctx context.Context, projectID, alias string) error {
	return q.change(ctx, "delete alias "+alias,
		`DELETE FROM kms_aliases WHERE project_id = ? AND alias = ?`, projectID, alias)
}
