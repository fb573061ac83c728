// Package sqldb implements imsd.Store once, over database/sql, for every SQL
// backend. The backends (store/sqlite, store/postgres) differ only in a small
// Dialect and in their migrations; every query is written here, once, with
// '?' placeholders that are rewritten to "$n" for dialects that need it.
//
// Conventions shared by all queries:
//   - Times are stored in UTC with microsecond precision in the dialect's own
//     representation (Dialect.Time); a zero time.Time is stored as its literal
//     value, not as NULL, so it round-trips exactly and sorts first.
//   - Inserts use ON CONFLICT DO NOTHING and report ErrConflict when no row
//     was written, so a duplicate never aborts the surrounding transaction.
//   - Updates and deletes of a missing row report ErrNotFound.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/imsd/imsd"
)

// Dialect holds everything that differs between SQL backends. All SQL
// fragments it returns use '?' placeholders.
type Dialect struct {
	// Name names the backend in error messages, e.g. "sqlite".
	Name string
	// NumberedPlaceholders rewrites every '?' to $1, $2, ... before a query
	// is sent (PostgreSQL). Queries never contain a literal '?' otherwise.
	NumberedPlaceholders bool
	// JSONValue returns an expression for the string stored under a key of
	// the JSON object held in TEXT column col, NULL when the key is absent.
	// The key is bound to the expression's only placeholder.
	JSONValue func(col string) string
	// JSONArrayContains returns a condition that holds when the JSON array
	// of strings held in TEXT column col contains the string bound to the
	// condition's only placeholder.
	JSONArrayContains func(col string) string
	// LockRows is appended to the SELECT that picks the job to claim, e.g.
	// " FOR UPDATE SKIP LOCKED"; "" when writers are already serialised.
	LockRows string
	// LockKey is a statement that takes an exclusive lock on the string key
	// bound to its only placeholder, held until the transaction ends; ""
	// when write transactions already exclude each other (SQLite).
	LockKey string
	// Time converts a time, already in UTC, to the value stored in a time
	// column. Scanning accepts int64 (unix microseconds) and time.Time.
	Time func(time.Time) any
	// IsUniqueViolation reports whether err is the driver's error for a
	// violated unique or primary-key constraint.
	IsUniqueViolation func(error) bool
	// IsForeignKeyViolation reports whether err is the driver's error for a
	// violated foreign-key constraint.
	IsForeignKeyViolation func(error) bool
	// IsInvalidText reports whether err is the driver's refusal of a text
	// value (a NUL character, invalid UTF-8); nil when the database takes
	// any text.
	IsInvalidText func(error) bool
	// CacheStatements prepares each query text once per pool (outside
	// transactions) instead of at every call: for drivers that do not
	// cache statements themselves (SQLite; pgx does).
	CacheStatements bool
}

// DB is an imsd.Store over one or two database/sql pools.
type DB struct {
	queries
	write    *sql.DB
	read     *sql.DB
	blobLock BlobLocker
	// known names the migrations of the binary (SetKnownMigrations).
	known map[string]bool
}

var _ imsd.Store = (*DB)(nil)

// New returns a store that runs writes and transactions on write and
// reads outside transactions on read. read may be nil or equal to write when
// the backend has a single pool. The store owns both pools: Close closes
// them.
func New(d *Dialect, write, read *sql.DB) *DB {
	if read == nil {
		read = write
	}
	var r, w execer = read, write
	if d.CacheStatements {
		wc := newStmtCache(write)
		r, w = wc, wc
		if read != write {
			r = newStmtCache(read)
		}
	}
	return &DB{
		queries:  queries{d: d, read: r, write: w, begin: write},
		write:    write,
		read:     read,
		blobLock: &ProcessBlobLock{},
	}
}

// InTx runs fn in one transaction on the write pool; it commits when fn
// returns nil and rolls back when fn returns an error or panics. Inside fn
// only the given Queries may be used: on a single-writer backend, calling
// the store itself for a write would wait for the transaction forever.
func (db *DB) InTx(ctx context.Context, fn func(q imsd.Queries) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", db.d.Name, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()
	if err := fn(db.txQueries(tx)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", db.d.Name, err)
	}
	committed = true
	return nil
}

// Close closes the store's pools.
func (db *DB) Close() error {
	for _, e := range []execer{db.queries.read, db.queries.write} {
		if c, ok := e.(*stmtCache); ok {
			c.close()
		}
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

func (db *DB) txQueries(tx *sql.Tx) *queries {
	return &queries{d: db.d, read: tx, write: tx}
}

// execer is what *sql.DB and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements imsd.Queries on a pool (begin set) or inside a
// transaction (begin nil, read and write the same *sql.Tx).
type queries struct {
	d     *Dialect
	read  execer
	write execer
	// begin starts a transaction on the write pool; nil inside one.
	begin *sql.DB
}

// inTx reports whether q runs inside a transaction.
func (q *queries) inTx() bool { return q.begin == nil }

// withTx runs fn inside a transaction: q's own when there is one, a new one
// otherwise.
func (q *queries) withTx(ctx context.Context, fn func(q *queries) error) error {
	if q.inTx() {
		return fn(q)
	}
	tx, err := q.begin.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", q.d.Name, err)
	}
	if err := fn(&queries{d: q.d, read: tx, write: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", q.d.Name, err)
	}
	return nil
}

// lock takes the dialect's transaction-scoped lock on key, if it has one.
// It must run inside a transaction.
func (q *queries) lock(ctx context.Context, key string) error {
	if q.d.LockKey == "" {
		return nil
	}
	if _, err := q.write.ExecContext(ctx, q.rebind(q.d.LockKey), key); err != nil {
		return fmt.Errorf("%s: lock %q: %w", q.d.Name, key, err)
	}
	return nil
}

// rebind rewrites '?' placeholders for dialects with numbered ones.
func (q *queries) rebind(query string) string {
	if !q.d.NumberedPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// t converts a time for storage: UTC, then the dialect's representation.
func (q *queries) t(t time.Time) any { return q.d.Time(t.UTC()) }

// mapErr translates a driver error of the statement about what into the
// store's sentinels, keeping the driver error in the chain.
func (q *queries) mapErr(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, imsd.ErrNotFound)
	case q.d.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w: %w", what, imsd.ErrConflict, err)
	case q.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: referenced row: %w: %w", what, imsd.ErrNotFound, err)
	case q.d.IsInvalidText != nil && q.d.IsInvalidText(err):
		return fmt.Errorf("%s: %w: %w", what, imsd.ErrInvalidText, err)
	}
	return fmt.Errorf("%s: %s: %w", q.d.Name, what, err)
}

// insert runs an INSERT ... ON CONFLICT DO NOTHING and reports ErrConflict
// when it wrote nothing.
func (q *queries) insert(ctx context.Context, what, query string, args ...any) error {
	res, err := q.write.ExecContext(ctx, q.rebind(query), args...)
	if err != nil {
		return q.mapErr(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return q.mapErr(what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, imsd.ErrConflict)
	}
	return nil
}

// change runs an UPDATE or DELETE of one row and reports ErrNotFound when
// it matched none.
func (q *queries) change(ctx context.Context, what, query string, args ...any) error {
	res, err := q.write.ExecContext(ctx, q.rebind(query), args...)
	if err != nil {
		return q.mapErr(what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return q.mapErr(what, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, imsd.ErrNotFound)
	}
	return nil
}

// count runs a query returning one integer.
func (q *queries) count(ctx context.Context, what, query string, args ...any) (int, error) {
	var n int
	if err := q.read.QueryRowContext(ctx, q.rebind(query), args...).Scan(&n); err != nil {
		return 0, q.mapErr(what, err)
	}
	return n, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// getOne runs a query for one row on ex and scans it.
func getOne[T any](ctx context.Context, q *queries, ex execer, scan func(scanner) (T, error), what, query string, args ...any) (T, error) {
	v, err := scan(ex.QueryRowContext(ctx, q.rebind(query), args...))
	if err != nil {
		var zero T
		return zero, q.mapErr(what, err)
	}
	return v, nil
}

// getAll runs a query on the read side and scans every row.
func getAll[T any](ctx context.Context, q *queries, scan func(scanner) (T, error), what, query string, args ...any) ([]T, error) {
	rows, err := q.read.QueryContext(ctx, q.rebind(query), args...)
	if err != nil {
		return nil, q.mapErr(what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, q.mapErr(what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, q.mapErr(what, err)
	}
	return out, nil
}
