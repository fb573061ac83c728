package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
)

// Schema migrations and rolling upgrades.
//
// Migrations are the *.sql files of a binary, applied in name order and
// recorded by name in schema_migrations. While several nodes share a
// database, a node of the previous release keeps running beside upgraded
// ones, so every migration must by default be compatible with older nodes:
// add tables, add columns with defaults, add indexes — never drop, rename
// or tighten what older code reads or writes (every query names its
// columns, so added ones are ignored).
//
// A migration that older nodes cannot work with carries the line
//
//	-- imsd:breaking
//
// Nodes never apply a breaking migration when they start (MigrateCompatible
// stops before the first one); the operator applies it with `imsd migrate`
// once every node runs the release that ships it. It is recorded in
// schema_migrations_breaking too, and from then on a node that does not
// know it refuses to start (ErrSchemaTooNew) and reports itself not ready.

// BreakingMarker is the line that marks a migration as breaking.
const BreakingMarker = "-- imsd:breaking"

// ErrSchemaTooNew means the database holds a breaking migration this binary
// does not know: a newer release migrated it.
var ErrSchemaTooNew = errors.New("the database schema was migrated by a newer imsd release that this one cannot work with")

// MigrateMode selects which pending migrations Migrate applies.
type MigrateMode int

const (
	// MigrateCompatible applies pending migrations in order up to the
	// first breaking one; what a node does when it starts.
	MigrateCompatible MigrateMode = iota
	// MigrateAll applies every pending migration (`imsd migrate`).
	MigrateAll
	// MigrateNone applies nothing and only reports (`imsd migrate
	// --dry-run`); it creates no table either.
	MigrateNone
)

// MigrationReport describes a database's migrations against a binary's.
type MigrationReport struct {
	// Applied lists the migrations applied by this call, in order.
	Applied []string
	// Pending lists the migrations this binary knows that are (still) not
	// applied, in order; Breaking those of them that are breaking.
	Pending  []string
	Breaking []string
	// Unknown lists migrations recorded in the database that this binary
	// does not know (a newer release applied them); UnknownBreaking those
	// of them that are breaking, which make the binary refuse the database.
	Unknown         []string
	UnknownBreaking []string
}

// Migration is one migration file.
type Migration struct {
	Name     string
	SQL      string
	Breaking bool
}

// LoadMigrations reads every *.sql file at the root of fsys, in name order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, name := range names {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", name, err)
		}
		m := Migration{Name: path.Base(name), SQL: string(body)}
		for _, line := range strings.Split(m.SQL, "\n") {
			if strings.TrimSpace(line) == BreakingMarker {
				m.Breaking = true
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// Migrate brings the database to the binary's migrations in fsys as mode
// says. All of it runs in one transaction under the dialect's lock, so
// concurrent openers of the same database apply each migration exactly
// once and a failing migration leaves the schema untouched. A file may hold
// several statements; it is executed without arguments.
//
// Before applying anything it checks the migrations recorded in the
// database: one this binary does not know and that is breaking fails with
// ErrSchemaTooNew; unknown compatible ones are only reported.
func Migrate(ctx context.Context, db *sql.DB, d *Dialect, fsys fs.FS, mode MigrateMode) (*MigrationReport, error) {
	ms, err := LoadMigrations(fsys)
	if err != nil {
		return nil, fmt.Errorf("%s: migrations: %w", d.Name, err)
	}
	q := &queries{d: d, read: db, write: db, begin: db}
	var rep *MigrationReport
	err = q.withTx(ctx, func(q *queries) error {
		if err := q.lock(ctx, "imsd.migrate"); err != nil {
			return err
		}
		if mode != MigrateNone {
			if err := createMigrationTables(ctx, q); err != nil {
				return err
			}
		}
		var err error
		if rep, err = migrationStatus(ctx, q, ms); err != nil {
			return err
		}
		if len(rep.UnknownBreaking) > 0 {
			return fmt.Errorf("%s: %w: it holds the breaking migration %s; upgrade this node to the release that ships it",
				d.Name, ErrSchemaTooNew, strings.Join(rep.UnknownBreaking, ", "))
		}
		if mode == MigrateNone {
			return nil
		}
		byName := map[string]Migration{}
		for _, m := range ms {
			byName[m.Name] = m
		}
		var still []string
		for _, name := range rep.Pending {
			m := byName[name]
			if len(still) > 0 || (m.Breaking && mode == MigrateCompatible) {
				still = append(still, name)
				continue
			}
			if err := apply(ctx, q, m); err != nil {
				return err
			}
			rep.Applied = append(rep.Applied, name)
		}
		rep.Pending = still
		rep.Breaking = slices.DeleteFunc(rep.Breaking, func(n string) bool { return !slices.Contains(still, n) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func createMigrationTables(ctx context.Context, q *queries) error {
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS schema_migrations (
	name TEXT PRIMARY KEY,
	applied_at TEXT NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS schema_migrations_breaking (
	name TEXT PRIMARY KEY
)`,
	} {
		if _, err := q.write.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: create migration tables: %w", q.d.Name, err)
		}
	}
	return nil
}

// migrationStatus compares the recorded migrations with ms. Missing
// migration tables count as empty.
func migrationStatus(ctx context.Context, q *queries, ms []Migration) (*MigrationReport, error) {
	applied, err := recordedNames(ctx, q, "schema_migrations")
	if err != nil {
		return nil, err
	}
	breaking, err := recordedNames(ctx, q, "schema_migrations_breaking")
	if err != nil {
		return nil, err
	}
	rep := &MigrationReport{}
	known := map[string]bool{}
	for _, m := range ms {
		known[m.Name] = true
		if applied[m.Name] {
			continue
		}
		rep.Pending = append(rep.Pending, m.Name)
		if m.Breaking {
			rep.Breaking = append(rep.Breaking, m.Name)
		}
	}
	for name := range applied {
		if !known[name] {
			rep.Unknown = append(rep.Unknown, name)
			if breaking[name] {
				rep.UnknownBreaking = append(rep.UnknownBreaking, name)
			}
		}
	}
	sort.Strings(rep.Unknown)
	sort.Strings(rep.UnknownBreaking)
	return rep, nil
}

// recordedNames reads the names in a migration table. A missing table
// holds none; the catalog is asked first, so a missing table never fails
// (and, on PostgreSQL, aborts) the surrounding transaction.
func recordedNames(ctx context.Context, q *queries, table string) (map[string]bool, error) {
	exists, err := q.tableExists(ctx, table)
	if err != nil || !exists {
		return map[string]bool{}, err
	}
	names, err := getAll(ctx, q, func(s scanner) (string, error) {
		var n string
		return n, s.Scan(&n)
	}, "list "+table, `SELECT name FROM `+table)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// tableExists reports whether a table of that name is visible.
func (q *queries) tableExists(ctx context.Context, table string) (bool, error) {
	query := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if q.d.NumberedPlaceholders { // PostgreSQL: the schemas on the search path
		query = `SELECT COUNT(*) FROM information_schema.tables
	WHERE table_name = ? AND table_schema = ANY (current_schemas(false))`
	}
	n, err := q.count(ctx, "look up table "+table, query, table)
	return n > 0, err
}

func apply(ctx context.Context, q *queries, m Migration) error {
	if _, err := q.write.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("%s: migration %s: %w", q.d.Name, m.Name, err)
	}
	_, err := q.write.ExecContext(ctx, q.rebind(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`),
		m.Name, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("%s: record migration %s: %w", q.d.Name, m.Name, err)
	}
	if m.Breaking {
		if _, err := q.write.ExecContext(ctx, q.rebind(`INSERT INTO schema_migrations_breaking (name) VALUES (?)`), m.Name); err != nil {
			return fmt.Errorf("%s: record migration %s: %w", q.d.Name, m.Name, err)
		}
	}
	return nil
}

// CheckSchema fails with ErrSchemaTooNew when the database holds a breaking
// migration that is not among known; readiness probes call it, so a node
// left running after `imsd migrate` applied such a migration stops taking
// traffic.
func (db *DB) CheckSchema(ctx context.Context) error {
	if db.known == nil {
		return nil
	}
	breaking, err := recordedNames(ctx, &db.queries, "schema_migrations_breaking")
	if err != nil {
		return err
	}
	var unknown []string
	for n := range breaking {
		if !db.known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s: %w: it holds the breaking migration %s; upgrade this node",
			db.d.Name, ErrSchemaTooNew, strings.Join(unknown, ", "))
	}
	return nil
}

// SetKnownMigrations records the migrations the binary knows, for
// CheckSchema. Call before the store is used.
func (db *DB) SetKnownMigrations(ms []Migration) {
	db.known = make(map[string]bool, len(ms))
	for _, m := range ms {
		db.known[m.Name] = true
	}
}
