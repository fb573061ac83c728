package sqldb

import (
	"context"

	"github.com/imsd/imsd"
)

// Domains, projects and users. Names are unique (domains globally, projects
// and users per domain); a project or user of a missing domain is
// ErrNotFound. Lists are ordered by name, then id.

const domainCols = `id, name, created_at`

func scanDomain(s scanner) (*imsd.Domain, error) {
	var d imsd.Domain
	err := s.Scan(&d.ID, &d.Name, timeDst{&d.CreatedAt})
	return &d, err
}

// DomainInsert inserts a domain; a duplicate id or name is ErrConflict.
func (q *queries) DomainInsert(ctx context.Context, d *imsd.Domain) error {
	return q.insert(ctx, "insert domain "+d.ID,
		`INSERT INTO domains (`+domainCols+`) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		d.ID, d.Name, q.t(d.CreatedAt))
}

// DomainGet returns the domain with the id.
func (q *queries) DomainGet(ctx context.Context, id string) (*imsd.Domain, error) {
	return getOne(ctx, q, q.read, scanDomain, "domain "+id,
		`SELECT `+domainCols+` FROM domains WHERE id = ?`, id)
}

// DomainGetByName returns the domain with the name.
func (q *queries) DomainGetByName(ctx context.Context, name string) (*imsd.Domain, error) {
	return getOne(ctx, q, q.read, scanDomain, "domain named "+name,
		`SELECT `+domainCols+` FROM domains WHERE name = ?`, name)
}

// DomainList returns every domain.
func (q *queries) DomainList(ctx context.Context) ([]*imsd.Domain, error) {
	return getAll(ctx, q, scanDomain, "list domains",
		`SELECT `+domainCols+` FROM domains ORDER BY name, id`)
}

const projectCols = `id, domain_id, name, description, enabled, created_at`

func scanProject(s scanner) (*imsd.Project, error) {
	var p imsd.Project
	err := s.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &p.Enabled, timeDst{&p.CreatedAt})
	return &p, err
}

// ProjectInsert inserts a project; a duplicate id, or a name already used
// in the domain, is ErrConflict.
func (q *queries) ProjectInsert(ctx context.Context, p *imsd.Project) error {
	return q.insert(ctx, "insert project "+p.ID,
		`INSERT INTO projects (`+projectCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.ID, p.DomainID, p.Name, p.Description, p.Enabled, q.t(p.CreatedAt))
}

// ProjectGet returns the project with the id.
func (q *queries) ProjectGet(ctx context.Context, id string) (*imsd.Project, error) {
	return getOne(ctx, q, q.read, scanProject, "project "+id,
		`SELECT `+projectCols+` FROM projects WHERE id = ?`, id)
}

// ProjectGetByName returns the project of the domain with the name.
func (q *queries) ProjectGetByName(ctx context.Context, domainID, name string) (*imsd.Project, error) {
	return getOne(ctx, q, q.read, scanProject, "project named "+name,
		`SELECT `+projectCols+` FROM projects WHERE domain_id = ? AND name = ?`, domainID, name)
}

// ProjectList returns the projects of the domain.
func (q *queries) ProjectList(ctx context.Context, domainID string) ([]*imsd.Project, error) {
	return getAll(ctx, q, scanProject, "list projects",
		`SELECT `+projectCols+` FROM projects WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// ProjectUpdate replaces the name, description and enabled flag of the
// project; the domain and creation time never change.
func (q *queries) ProjectUpdate(ctx context.Context, p *imsd.Project) error {
	return q.change(ctx, "update project "+p.ID,
		`UPDATE projects SET name = ?, description = ?, enabled = ? WHERE id = ?`,
		p.Name, p.Description, p.Enabled, p.ID)
}

const userCols = `id, domain_id, name, password_hash, enabled, is_root, description, email, password_changed_at, created_at`

func scanUser(s scanner) (*imsd.User, error) {
	var u imsd.User
	err := s.Scan(&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Enabled, &u.IsRoot,
		&u.Description, &u.Email, timeDst{&u.PasswordChangedAt}, timeDst{&u.CreatedAt})
	return &u, err
}

// UserInsert inserts a user; a duplicate id, or a name already used in the
// domain, is ErrConflict.
func (q *queries) UserInsert(ctx context.Context, u *imsd.User) error {
	return q.insert(ctx, "insert user "+u.ID,
		`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		u.ID, u.DomainID, u.Name, u.PasswordHash, u.Enabled, u.IsRoot, u.Description, u.Email,
		q.t(u.PasswordChangedAt), q.t(u.CreatedAt))
}

// UserGet returns the user with the id.
func (q *queries) UserGet(ctx context.Context, id string) (*imsd.User, error) {
	return getOne(ctx, q, q.read, scanUser, "user "+id,
		`SELECT `+userCols+` FROM users WHERE id = ?`, id)
}

// UserGetByName returns the user of the domain with the name.
func (q *queries) UserGetByName(ctx context.Context, domainID, name string) (*imsd.User, error) {
	return getOne(ctx, q, q.read, scanUser, "user named "+name,
		`SELECT `+userCols+` FROM users WHERE domain_id = ? AND name = ?`, domainID, name)
}

// UserList returns the users of the domain.
func (q *queries) UserList(ctx context.Context, domainID string) ([]*imsd.User, error) {
	return getAll(ctx, q, scanUser, "list users",
		`SELECT `+userCols+` FROM users WHERE domain_id = ? ORDER BY name, id`, domainID)
}

// UserUpdate replaces every field of the user but its id, domain and
// creation time.
func (q *queries) UserUpdate(ctx context.Context, u *imsd.User) error {
	return q.change(ctx, "update user "+u.ID,
		`UPDATE users SET name = ?, password_hash = ?, enabled = ?, is_root = ?, description = ?,
	email = ?, password_changed_at = ? WHERE id = ?`,
		u.Name, u.PasswordHash, u.Enabled, u.IsRoot, u.Description, u.Email, q.t(u.PasswordChangedAt), u.ID)
}

// UserDelete deletes the user and, with it, its access keys and group
// memberships.
func (q *queries) UserDelete(ctx context.Context, id string) error {
	return q.change(ctx, "delete user "+id, `DELETE FROM users WHERE id = ?`, id)
}
