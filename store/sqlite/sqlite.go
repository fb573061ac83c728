// Package sqlite is the embedded metadata store: imsd.Store on one SQLite
// database file through the pure-Go modernc.org/sqlite driver.
//
// The database runs in WAL mode with synchronous=NORMAL, foreign keys on
// and a busy timeout. Writes are serialised in the process: all writes and
// every transaction go through a pool of exactly one connection whose
// transactions begin IMMEDIATE, so concurrent InTx callers queue in Go
// instead of failing with SQLITE_BUSY or deadlocking on a lock upgrade.
// Reads outside transactions use a separate pool of read-only connections,
// which WAL lets run alongside the writer. The busy timeout only matters
// for other processes that open the same file.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"

	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/imsd/imsd/store/sqldb"
)

// busyTimeoutMillis is how long a connection waits for a lock held by
// another process before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10000

//go:embed migrations/*.sql
var migrations embed.FS

// dialect is the SQLite dialect of the shared SQL.
var dialect = &sqldb.Dialect{
	Name: "sqlite",
	JSONValue: func(col string) string {
		return "(SELECT json_each.value FROM json_each(" + col + ") WHERE json_each.key = ?)"
	},
	JSONArrayContains: func(col string) string {
		return "EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE json_each.value = ?)"
	},
	Time:                  sqldb.UnixMicro,
	IsUniqueViolation:     isCode(sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY),
	IsForeignKeyViolation: isCode(sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY),
	CacheStatements:       true,
}

// isCode returns a function reporting whether an error is a SQLite error
// with one of the extended result codes.
func isCode(codes ...int) func(error) bool {
	return func(err error) bool {
		var e *msqlite.Error
		if !errors.As(err, &e) {
			return false
		}
		for _, c := range codes {
			if e.Code() == c {
				return true
			}
		}
		return false
	}
}

// Store is the SQLite metadata store.
type Store struct {
	*sqldb.DB
	write *sql.DB
}

// BackupTo writes a consistent copy of the database to path (which must not
// exist) with VACUUM INTO, while other connections and processes keep
// reading and writing.
func (s *Store) BackupTo(ctx context.Context, path string) error {
	if _, err := s.write.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("sqlite: backup to %s: %w", path, err)
	}
	return nil
}

// Options tune OpenOptions. The zero value is what Open does.
type Options struct {
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

// Open opens (creating it when missing) the database file at path and
// applies pending compatible migrations. The path ":memory:" opens a
// private in-memory database on a single connection, for tests.
func Open(path string) (*Store, error) { return OpenOptions(path, Options{}) }

// OpenOptions is Open with options. A database holding a breaking
// migration this binary does not know is refused (sqldb.ErrSchemaTooNew).
func OpenOptions(path string, opts Options) (*Store, error) {
	ctx := context.Background()
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	memory := path == ":memory:"
	write, err := openPool(path, url.Values{
		"_txlock":       {"immediate"},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"NORMAL"},
	})
	if err != nil {
		return nil, err
	}
	// One writer connection, kept for the life of the store (an in-memory
	// database lives exactly as long as its connection).
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	fsys := opts.Migrations
	if fsys == nil {
		fsys = Migrations()
	}
	known, err := sqldb.LoadMigrations(fsys)
	if err != nil {
		write.Close()
		return nil, err
	}
	rep, err := sqldb.Migrate(ctx, write, dialect, fsys, opts.Migrate)
	if err != nil {
		write.Close()
		return nil, err
	}
	if opts.Report != nil {
		*opts.Report = *rep
	}
	if memory {
		st := &Store{DB: sqldb.New(dialect, write, nil), write: write}
		st.SetKnownMigrations(known)
		return st, nil
	}
	read, err := openPool(path, url.Values{"_query_only": {"1"}})
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	st := &Store{DB: sqldb.New(dialect, write, read), write: write}
	st.SetKnownMigrations(known)
	st.SetBlobLocker(&fileBlobLock{path: path + "-blobs.lock"})
	return st, nil
}

// openPool opens a pool on path whose connections all get the common
// settings plus extra.
func openPool(path string, extra url.Values) (*sql.DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain '?' or '#'", path)
	}
	v := url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMillis)},
		"_foreign_keys": {"1"},
	}
	for k, vs := range extra {
		v[k] = vs
	}
	db, err := sql.Open("sqlite", path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}
