// Package postgres is the scale-out metadata store: imsd.Store on
// PostgreSQL through pgx's database/sql driver.
//
// Transactions run at READ COMMITTED. Job claims use FOR UPDATE SKIP
// LOCKED so concurrent runners never take the same job; claims with a
// per-project limit, migrations and client-token lookups inside a
// transaction additionally take transaction-scoped advisory locks, keyed by
// the current schema so that stores in different schemas of one database
// never wait for each other. The blob lock (imsd.Store.LockBlobsShared) is
// a session-level advisory lock on a small pool of its own.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/imsd/imsd/store/sqldb"
)

// maxConns caps the connections of a store's pool.
const maxConns = 16

//go:embed migrations/*.sql
var migrations embed.FS

// PostgreSQL error codes (SQLSTATE) the store translates.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeDuplicateSchema     = "42P06"
	// codeCharacterNotInRepertoire is a NUL character or invalid UTF-8 in
	// a text value; codeUntranslatableCharacter its cousin for conversions.
	codeCharacterNotInRepertoire = "22021"
	codeUntranslatableCharacter  = "22P05"
)

// dialect is the PostgreSQL dialect of the shared SQL.
var dialect = &sqldb.Dialect{
	Name:                 "postgres",
	NumberedPlaceholders: true,
	JSONValue: func(col string) string {
		return "(" + col + "::jsonb ->> CAST(? AS text))"
	},
	JSONArrayContains: func(col string) string {
		return "(" + col + "::jsonb @> jsonb_build_array(CAST(? AS text)))"
	},
	LockRows:              " FOR UPDATE SKIP LOCKED",
	LockKey:               "SELECT pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || ':' || CAST(? AS text)))",
	Time:                  sqldb.TimeValue,
	IsUniqueViolation:     isCode(codeUniqueViolation),
	IsForeignKeyViolation: isCode(codeForeignKeyViolation),
	IsInvalidText:         isCode(codeCharacterNotInRepertoire, codeUntranslatableCharacter),
}

// isCode returns a function reporting whether an error is a PostgreSQL
// error with one of the SQLSTATE codes.
func isCode(codes ...string) func(error) bool {
	return func(err error) bool {
		var e *pgconn.PgError
		return errors.As(err, &e) && slices.Contains(codes, e.Code)
	}
}

// Store is the PostgreSQL metadata store.
type Store struct {
	*sqldb.DB
	// locks is the pool of the blob lock's connections (sqldb.AdvisoryBlobLock).
	locks *sql.DB
}

// Options tune OpenOptions. The zero value is what Open does.
type Options struct {
	// Schema sets every connection's search_path to this schema, which is
	// created when missing; empty keeps the URL's search_path. Tests use it
	// to isolate themselves.
	Schema string
	// Migrate selects the pending migrations to apply (default
	// sqldb.MigrateCompatible: up to the first breaking one).
	Migrate sqldb.MigrateMode
	// Migrations replaces the embedded migrations; tests use it to play an
	// older or newer release.
	Migrations fs.FS
	// Report, when set, receives what the migration step found and did.
	Report *sqldb.MigrationReport
}

// Migrations returns the embedded migration files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded tree always has the directory
	}
	return sub
}

// Open connects to the database at url (a postgres:// URL or key=value
// DSN, as pgx accepts) and applies pending compatible migrations to the
// schema the connection's search_path selects.
func Open(ctx context.Context, url string) (*Store, error) {
	return OpenOptions(ctx, url, Options{})
}

// OpenSchema is Open with every connection's search_path set to schema,
// which is created when missing. The empty schema keeps the URL's
// search_path. Tests use it to isolate themselves in a fresh schema.
func OpenSchema(ctx context.Context, url, schema string) (*Store, error) {
	return OpenOptions(ctx, url, Options{Schema: schema})
}

// OpenOptions is Open with options. A database holding a breaking
// migration this binary does not know is refused (sqldb.ErrSchemaTooNew).
func OpenOptions(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	schema := opts.Schema
	if schema != "" {
		cfg.RuntimeParams["search_path"] = quoteIdent(schema)
	}
	// pgx prepares and caches statements; after five runs PostgreSQL may
	// switch a statement to a generic plan, and for the image list's keyset
	// page (filters on domain and project, order by time) the generic plan
	// misjudges the filter as selecting one row and sorts the whole project
	// instead of walking the (domain_id, created_at) index: 75-350 ms
	// instead of under 1 ms a page with 100k images. Plan with the values.
	if _, set := cfg.RuntimeParams["plan_cache_mode"]; !set {
		cfg.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if schema != "" {
		// IF NOT EXISTS still races with a concurrent creator; losing
		// that race is fine.
		_, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+quoteIdent(schema))
		if err != nil && !isCode(codeUniqueViolation)(err) && !isCode(codeDuplicateSchema)(err) {
			db.Close()
			return nil, fmt.Errorf("postgres: create schema %s: %w", schema, err)
		}
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	fsys := opts.Migrations
	if fsys == nil {
		fsys = Migrations()
	}
	known, err := sqldb.LoadMigrations(fsys)
	if err != nil {
		db.Close()
		return nil, err
	}
	rep, err := sqldb.Migrate(ctx, db, dialect, fsys, opts.Migrate)
	if err != nil {
		db.Close()
		return nil, err
	}
	if opts.Report != nil {
		*opts.Report = *rep
	}
	lockDB := stdlib.OpenDB(*cfg)
	lockDB.SetMaxOpenConns(lockConns)
	lockDB.SetMaxIdleConns(2)
	st := &Store{DB: sqldb.New(dialect, db, nil), locks: lockDB}
	st.SetKnownMigrations(known)
	st.SetBlobLocker(&sqldb.AdvisoryBlobLock{Pool: lockDB,
		SharedSQL:          "SELECT pg_advisory_lock_shared(" + blobLockKey + ")",
		UnlockSharedSQL:    "SELECT pg_advisory_unlock_shared(" + blobLockKey + ")",
		TryExclusiveSQL:    "SELECT pg_try_advisory_lock(" + blobLockKey + ")",
		UnlockExclusiveSQL: "SELECT pg_advisory_unlock(" + blobLockKey + ")"})
	return st, nil
}

// lockConns caps the connections holding the blob lock, and so the blob
// commits of a process running at once.
const lockConns = 8

// Close closes the store's pools.
func (s *Store) Close() error {
	return errors.Join(s.DB.Close(), s.locks.Close())
}

// blobLockKey is the advisory lock key of the blob lock, per schema like
// the dialect's other locks.
const blobLockKey = "hashtext(coalesce(current_schema(), '') || ':imsd.blobs')"

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
