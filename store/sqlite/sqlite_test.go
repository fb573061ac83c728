package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/store/sqldb"
	"github.com/imsd/imsd/store/sqlite"
	"github.com/imsd/imsd/store/storetest"
)

// mustOpen opens a store on path and closes it when the test ends.
func mustOpen(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) imsd.Store {
		return mustOpen(t, filepath.Join(t.TempDir(), "imsd.db"))
	})
}

func TestStoreInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) imsd.Store {
		return mustOpen(t, ":memory:")
	})
}

func TestOpen(t *testing.T) {
	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "imsd.db")
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		d := &imsd.Domain{ID: "d1", Name: "acme", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
		if err := s.DomainInsert(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = mustOpen(t, path) // migrations are not applied twice
		if _, err := s.DomainGet(t.Context(), "d1"); err != nil {
			t.Fatal(err)
		}
		db := rawDB(t, path)
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := countMigrations(t); n != want {
			t.Fatalf("%d migrations recorded, want %d", n, want)
		}
		var mode string
		if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(mode, "wal") {
			t.Fatalf("journal_mode = %s, want wal", mode)
		}
	})
	t.Run("BadPath", func(t *testing.T) {
		for _, path := range []string{"", filepath.Join(t.TempDir(), "x.db?mode=ro"), filepath.Join(t.TempDir(), "missing", "x.db")} {
			if s, err := sqlite.Open(path); err == nil {
				s.Close()
				t.Errorf("Open(%q) succeeded", path)
			}
		}
	})
}

// TestTwoProcesses writes concurrently through two stores on one file, as
// two processes would: the busy timeout must absorb the contention.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imsd.db")
	stores := []*sqlite.Store{mustOpen(t, path), mustOpen(t, path)}
	var wg sync.WaitGroup
	for n := range 40 {
		s := stores[n%2]
		wg.Go(func() {
			err := s.InTx(t.Context(), func(q imsd.Queries) error {
				// Read first: a deferred transaction would take a read
				// snapshot here and fail its write with SQLITE_BUSY, without
				// waiting, once the other store has committed.
				if _, err := q.ImageCount(t.Context(), imsd.ImageQuery{DomainID: "d1"}); err != nil {
					return err
				}
				img := &imsd.Image{ID: fmt.Sprint("img-", n), DomainID: "d1", Status: imsd.ImageQueued}
				if err := q.ImageInsert(t.Context(), img); err != nil {
					return err
				}
				img.Status = imsd.ImageActive
				return q.ImageUpdate(t.Context(), img)
			})
			if err != nil {
				t.Errorf("writer %d: %v", n, err)
			}
		})
	}
	wg.Wait()
	n, err := stores[0].ImageCount(t.Context(), imsd.ImageQuery{DomainID: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	if n != 40 {
		t.Fatalf("%d images, want 40", n)
	}
}

// rawDB opens the database file directly, for inspection.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// countMigrations counts the embedded migration files: each is recorded
// exactly once however often the store is opened.
func countMigrations(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestMigrations plays rolling upgrades on one database file.
func TestMigrations(t *testing.T) {
	storetest.RunMigrations(t, sqlite.Migrations(), func(t *testing.T) storetest.MigrationOpener {
		path := filepath.Join(t.TempDir(), "imsd.db")
		return func(t *testing.T, fsys fs.FS, mode sqldb.MigrateMode, rep *sqldb.MigrationReport) (imsd.Store, error) {
			s, err := sqlite.OpenOptions(path, sqlite.Options{Migrations: fsys, Migrate: mode, Report: rep})
			if err == nil {
				t.Cleanup(func() { s.Close() })
			}
			return s, err
		}
	})
}

// TestBlobLockAcrossProcesses: two stores on one file, as the server and
// `imsd gc` would be, share the blob lock.
func TestBlobLockAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imsd.db")
	a, b := mustOpen(t, path), mustOpen(t, path)
	unlock, err := a.LockBlobsShared(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.TryLockBlobsExclusive(t.Context()); !errors.Is(err, imsd.ErrConflict) {
		t.Fatalf("exclusive lock beside another process's shared one: %v", err)
	}
	unlock()
	excl, err := b.TryLockBlobsExclusive(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.TryLockBlobsExclusive(t.Context()); !errors.Is(err, imsd.ErrConflict) {
		t.Fatalf("two exclusive holders: %v", err)
	}
	excl()
}
