package sqldb

import (
	"context"
	"database/sql"
	"time"

	"github.com/imsd/imsd"
)

// Access keys and enterprise projects.

const accessKeyCols = `access_key, user_id, domain_id, secret_sealed, status, description, created_at`

func scanAccessKey(s scanner) (*imsd.AccessKey, error) {
	var k imsd.AccessKey
	err := s.Scan(&k.AccessKey, &k.UserID, &k.DomainID, &k.SecretSealed, &k.Status, &k.Description,
		timeDst{&k.CreatedAt})
	return &k, err
}

// AccessKeyInsert inserts an access key; a duplicate key is ErrConflict and
// a missing user ErrNotFound.
func (q *queries) AccessKeyInsert(ctx context.Context, k *imsd.AccessKey) error {
	return q.insert(ctx, "insert access key "+k.AccessKey,
		`INSERT INTO access_keys (`+accessKeyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.AccessKey, k.UserID, k.DomainID, bytesOrEmpty(k.SecretSealed), k.Status, k.Description, q.t(k.CreatedAt))
}

// AccessKeyGet returns the access key.
func (q *queries) AccessKeyGet(ctx context.Context, accessKey string) (*imsd.AccessKey, error) {
	return getOne(ctx, q, q.read, scanAccessKey, "access key "+accessKey,
		`SELECT `+accessKeyCols+` FROM access_keys WHERE access_key = ?`, accessKey)
}

// AccessKeyList returns the access keys of the user, oldest first.
func (q *queries) AccessKeyList(ctx context.Context, userID string) ([]*imsd.AccessKey, error) {
	return getAll(ctx, q, scanAccessKey, "list access keys",
		`SELECT `+accessKeyCols+` FROM access_keys WHERE user_id = ? ORDER BY created_at, access_key`, userID)
}

// AccessKeyUpdate replaces the sealed secret, status and description of
// the access key.
func (q *queries) AccessKeyUpdate(ctx context.Context, k *imsd.AccessKey) error {
	return q.change(ctx, "update access key "+k.AccessKey,
		`UPDATE access_keys SET secret_sealed = ?, status = ?, description = ? WHERE access_key = ?`,
		bytesOrEmpty(k.SecretSealed), k.Status, k.Description, k.AccessKey)
}

// AccessKeyDelete deletes the access key.
func (q *queries) AccessKeyDelete(ctx context.Context, accessKey string) error {
	return q.change(ctx, "delete access key "+accessKey,
		`DELETE FROM access_keys WHERE access_key = ?`, accessKey)
}

const enterpriseProjectCols = `id, domain_id, name, description, status, type, created_at, updated_at`

func scanEnterpriseProject(s scanner) (*imsd.EnterpriseProject, error) {
	var ep imsd.EnterpriseProject
	err := s.Scan(&ep.ID, &ep.DomainID, &ep.Name, &ep.Description, &ep.Status, &ep.Type,
		timeDst{&ep.CreatedAt}, timeDst{&ep.UpdatedAt})
	return &ep, err
}

// EnterpriseProjectInsert inserts an enterprise project; a duplicate id is
// ErrConflict and a missing domain ErrNotFound.
func (q *queries) EnterpriseProjectInsert(ctx context.Context, ep *imsd.EnterpriseProject) error {
	return q.insert(ctx, "insert enterprise project "+ep.ID,
		`INSERT INTO enterprise_projects (`+enterpriseProjectCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		ep.ID, ep.DomainID, ep.Name, ep.Description, ep.Status, ep.Type, q.t(ep.CreatedAt), q.t(ep.UpdatedAt))
}

// EnterpriseProjectGet returns the enterprise project with the id.
func (q *queries) EnterpriseProjectGet(ctx context.Context, id string) (*imsd.EnterpriseProject, error) {
	return getOne(ctx, q, q.read, scanEnterpriseProject, "enterprise project "+id,
		`SELECT `+enterpriseProjectCols+` FROM enterprise_projects WHERE id = ?`, id)
}

// EnterpriseProjectList returns the enterprise projects of the domain,
// ordered by name.
func (q *queries) EnterpriseProjectList(ctx context.Context, domainID string) ([]*imsd.EnterpriseProject, error) {
	return getAll(ctx, q, scanEnterpriseProject, "list enterprise projects",
		`SELECT `+enterpriseProjectCols+` FROM enterprise_projects WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// EnterpriseProjectUpdate replaces every field of the enterprise project
// but its id, domain and creation time.
func (q *queries) EnterpriseProjectUpdate(ctx context.Context, ep *imsd.EnterpriseProject) error {
	return q.change(ctx, "update enterprise project "+ep.ID,
		`UPDATE enterprise_projects SET name = ?, description = ?, status = ?, type = ?, updated_at = ? WHERE id = ?`,
		ep.Name, ep.Description, ep.Status, ep.Type, q.t(ep.UpdatedAt), ep.ID)
}

// AccessKeyResolve reads the access key, its user and domain, and the
// project of that domain named projectID, with one joined query: the
// authenticator runs it for every AK/SK request.
func (q *queries) AccessKeyResolve(ctx context.Context, accessKey, projectID string) (*imsd.AccessKeyOwner, error) {
	const query = `SELECT k.access_key, k.user_id, k.domain_id, k.secret_sealed, k.status, k.description, k.created_at,
	u.id, u.domain_id, u.name, u.password_hash, u.enabled, u.is_root, u.description, u.email, u.password_changed_at, u.created_at,
	d.id, d.name, d.created_at,
	p.id, p.domain_id, p.name, p.description, p.enabled, p.created_at
FROM access_keys k
JOIN users u ON u.id = k.user_id
JOIN domains d ON d.id = u.domain_id
LEFT JOIN projects p ON p.id = ? AND p.domain_id = d.id
WHERE k.access_key = ?`
	return getOne(ctx, q, q.read, func(s scanner) (*imsd.AccessKeyOwner, error) {
		var (
			k                       imsd.AccessKey
			u                       imsd.User
			d                       imsd.Domain
			pID, pDom, pName, pDesc sql.NullString
			pEnabled                sql.NullBool
			pCreated                time.Time
		)
		err := s.Scan(&k.AccessKey, &k.UserID, &k.DomainID, &k.SecretSealed, &k.Status, &k.Description, timeDst{&k.CreatedAt},
			&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Enabled, &u.IsRoot, &u.Description, &u.Email,
			timeDst{&u.PasswordChangedAt}, timeDst{&u.CreatedAt},
			&d.ID, &d.Name, timeDst{&d.CreatedAt},
			&pID, &pDom, &pName, &pDesc, &pEnabled, timeDst{&pCreated})
		o := &imsd.AccessKeyOwner{Key: &k, User: &u, Domain: &d}
		if pID.Valid {
			o.Project = &imsd.Project{ID: pID.String, DomainID: pDom.String, Name: pName.String, Description: pDesc.String,
				Enabled: pEnabled.Bool, CreatedAt: pCreated}
		}
		return o, err
	}, "resolve access key "+accessKey, query, projectID, accessKey)
}
