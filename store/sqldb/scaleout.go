package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/imsd/imsd"
)

// What several processes sharing one store need: blob pins, the blob lock,
// releasing a job, server settings and a liveness check of the database.

// BlobPin records (or moves forward) the pin of a committed blob.
func (q *queries) BlobPin(ctx context.Context, digest string, at time.Time) error {
	_, err := q.write.ExecContext(ctx, q.rebind(`INSERT INTO blob_pins (digest, pinned_at) VALUES (?, ?)
	ON CONFLICT (digest) DO UPDATE SET pinned_at = excluded.pinned_at`), digest, q.t(at))
	return q.mapErr("pin blob "+digest, err)
}

// BlobPinned reports whether digest was pinned at or after since.
func (q *queries) BlobPinned(ctx context.Context, digest string, since time.Time) (bool, error) {
	n, err := q.count(ctx, "check blob pin",
		`SELECT COUNT(*) FROM blob_pins WHERE digest = ? AND pinned_at >= ?`, digest, q.t(since))
	return n > 0, err
}

// BlobUnpin removes the pin of digest made at exactly at.
func (q *queries) BlobUnpin(ctx context.Context, digest string, at time.Time) error {
	_, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM blob_pins WHERE digest = ? AND pinned_at = ?`), digest, q.t(at))
	return q.mapErr("unpin blob "+digest, err)
}

// BlobPinsPurge removes pins older than before.
func (q *queries) BlobPinsPurge(ctx context.Context, before time.Time) (int, error) {
	res, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM blob_pins WHERE pinned_at < ?`), q.t(before))
	if err != nil {
		return 0, q.mapErr("purge blob pins", err)
	}
	n, err := res.RowsAffected()
	return int(n), q.mapErr("purge blob pins", err)
}

// JobRelease ends the lease of a RUNNING job held by owner and takes back
// the attempt its claim counted. The lease is set to the zero time, so
// every claimer sees it expired whatever its clock.
func (q *queries) JobRelease(ctx context.Context, id, owner string) error {
	what := "release job " + id
	err := q.change(ctx, what, `UPDATE jobs SET lease_expires = ?, attempts = attempts - 1
	WHERE id = ? AND lease_owner = ? AND status = ? AND attempts > 0`,
		q.t(time.Time{}), id, owner, string(imsd.JobRunning))
	if !errors.Is(err, imsd.ErrNotFound) {
		return err
	}
	var cur string
	row := q.write.QueryRowContext(ctx, q.rebind(`SELECT lease_owner FROM jobs WHERE id = ?`), id)
	if err := row.Scan(&cur); err != nil {
		return q.mapErr(what, err)
	}
	return fmt.Errorf("%s: not running under %q (lease owner %q): %w", what, owner, cur, imsd.ErrConflict)
}

// SettingGet returns a server setting.
func (q *queries) SettingGet(ctx context.Context, name string) (string, error) {
	return getOne(ctx, q, q.read, func(s scanner) (string, error) {
		var v string
		return v, s.Scan(&v)
	}, "setting "+name, `SELECT value FROM settings WHERE name = ?`, name)
}

// SettingInsert stores a setting unless it is set.
func (q *queries) SettingInsert(ctx context.Context, name, value string) error {
	return q.insert(ctx, "insert setting "+name,
		`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, name, value)
}

// Ping checks both pools, and that the schema holds no breaking migration
// the binary does not know (CheckSchema).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("%s: ping: %w", db.d.Name, err)
	}
	if db.read != db.write {
		if err := db.read.PingContext(ctx); err != nil {
			return fmt.Errorf("%s: ping: %w", db.d.Name, err)
		}
	}
	return db.CheckSchema(ctx)
}

// BlobLocker is the blob lock of a backend (see imsd.Store.LockBlobsShared).
type BlobLocker interface {
	// Shared takes the lock shared, waiting for an exclusive holder.
	Shared(ctx context.Context) (unlock func(), err error)
	// TryExclusive takes it exclusively or fails with imsd.ErrConflict.
	TryExclusive(ctx context.Context) (unlock func(), err error)
}

// LockBlobsShared implements imsd.Store.
func (db *DB) LockBlobsShared(ctx context.Context) (func(), error) { return db.blobLock.Shared(ctx) }

// TryLockBlobsExclusive implements imsd.Store.
func (db *DB) TryLockBlobsExclusive(ctx context.Context) (func(), error) {
	return db.blobLock.TryExclusive(ctx)
}

// SetBlobLocker replaces the blob lock, which is by default only shared
// within the process. Call before the store is used.
func (db *DB) SetBlobLocker(l BlobLocker) { db.blobLock = l }

// ProcessBlobLock is a blob lock shared by the users of one process.
type ProcessBlobLock struct{ mu sync.RWMutex }

// Shared implements BlobLocker.
func (l *ProcessBlobLock) Shared(ctx context.Context) (func(), error) {
	for !l.mu.TryRLock() {
		if err := waitPoll(ctx); err != nil {
			return nil, err
		}
	}
	return sync.OnceFunc(l.mu.RUnlock), nil
}

// TryExclusive implements BlobLocker.
func (l *ProcessBlobLock) TryExclusive(context.Context) (func(), error) {
	if !l.mu.TryLock() {
		return nil, fmt.Errorf("blob lock held: %w", imsd.ErrConflict)
	}
	return sync.OnceFunc(l.mu.Unlock), nil
}

// waitPoll waits a moment before a lock is tried again, or returns the
// context's error.
func waitPoll(ctx context.Context) error {
	t := time.NewTimer(2 * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// AdvisoryBlobLock is the blob lock as session-level advisory locks of the
// database (PostgreSQL), taken on connections of a pool of their own: a
// holder keeps its connection until it unlocks, and while it holds the lock
// it uses the store's other connections (to pin, to count references), so
// sharing one pool would let enough concurrent holders take every
// connection and wait forever for one more.
type AdvisoryBlobLock struct {
	// Pool holds the lock connections; its size bounds the concurrent
	// blob commits of the process.
	Pool *sql.DB
	// SharedSQL waits for the lock shared; TryExclusiveSQL returns one
	// boolean, whether it got the lock exclusively; the unlock statements
	// release them.
	SharedSQL, UnlockSharedSQL, TryExclusiveSQL, UnlockExclusiveSQL string
}

// Shared implements BlobLocker.
func (l *AdvisoryBlobLock) Shared(ctx context.Context) (func(), error) {
	conn, err := l.Pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("blob lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, l.SharedSQL); err != nil {
		discard(conn)
		return nil, fmt.Errorf("blob lock: %w", err)
	}
	return l.unlocker(conn, l.UnlockSharedSQL), nil
}

// TryExclusive implements BlobLocker.
func (l *AdvisoryBlobLock) TryExclusive(ctx context.Context) (func(), error) {
	conn, err := l.Pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("blob lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, l.TryExclusiveSQL).Scan(&ok); err != nil {
		discard(conn)
		return nil, fmt.Errorf("blob lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("blob lock held: %w", imsd.ErrConflict)
	}
	return l.unlocker(conn, l.UnlockExclusiveSQL), nil
}

// unlocker releases a session lock and returns the connection; a
// connection that cannot say it released the lock is closed, which
// releases it.
func (l *AdvisoryBlobLock) unlocker(conn *sql.Conn, unlock string) func() {
	return sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var released bool
		if err := conn.QueryRowContext(ctx, unlock).Scan(&released); err != nil || !released {
			discard(conn)
			return
		}
		conn.Close()
	})
}

// discard closes the connection for good instead of returning it to the
// pool (with whatever session state it holds).
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
