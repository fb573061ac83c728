package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"
)

// Migrate applies, in name order, every *.sql file at the root of fsys that
// is not yet recorded in the schema_migrations table, and records it. All of
// it runs in one transaction under the dialect's lock, so concurrent
// openers of the same database apply each migration exactly once and a
// failing migration leaves the schema untouched. A file may hold several
// statements; it is executed without arguments.
func Migrate(ctx context.Context, db *sql.DB, d *Dialect, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return fmt.Errorf("%s: migrations: %w", d.Name, err)
	}
	sort.Strings(names)
	q := &queries{d: d, read: db, write: db, begin: db}
	return q.withTx(ctx, func(q *queries) error {
		if err := q.lock(ctx, "imsd.migrate"); err != nil {
			return err
		}
		const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
	name TEXT PRIMARY KEY,
	applied_at TEXT NOT NULL
)`
		if _, err := q.write.ExecContext(ctx, create); err != nil {
			return fmt.Errorf("%s: create schema_migrations: %w", d.Name, err)
		}
		applied := map[string]bool{}
		done, err := getAll(ctx, q, func(s scanner) (string, error) {
			var n string
			return n, s.Scan(&n)
		}, "list migrations", `SELECT name FROM schema_migrations`)
		if err != nil {
			return err
		}
		for _, n := range done {
			applied[n] = true
		}
		for _, name := range names {
			if applied[name] {
				continue
			}
			body, err := fs.ReadFile(fsys, name)
			if err != nil {
				return fmt.Errorf("%s: migration %s: %w", d.Name, name, err)
			}
			if _, err := q.write.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: migration %s: %w", d.Name, name, err)
			}
			_, err = q.write.ExecContext(ctx, q.rebind(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`),
				path.Base(name), time.Now().UTC().Format(time.RFC3339Nano))
			if err != nil {
				return fmt.Errorf("%s: record migration %s: %w", d.Name, name, err)
			}
		}
		return nil
	})
}
