package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/store/postgres"
	"github.com/imsd/imsd/store/sqldb"
	"github.com/imsd/imsd/store/storetest"
)

// admin connects to the test database, or skips (fails in CI) when it is
// unreachable.
func admin(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", imstest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		imstest.Unavailable(t, "PostgreSQL", err)
	}
	return db
}

// freshSchema returns the name of a new schema that is dropped when t ends.
func freshSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	schema := "imsd_test_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// mustOpen opens a store on schema and closes it when t ends (before the
// schema is dropped).
func mustOpen(t *testing.T, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.OpenSchema(t.Context(), imstest.PostgresURL(), schema)
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
	db := admin(t)
	storetest.Run(t, func(t *testing.T) imsd.Store {
		return mustOpen(t, freshSchema(t, db))
	})
}

func TestOpenSchema(t *testing.T) {
	db := admin(t)
	t.Run("ConcurrentOpeners", func(t *testing.T) {
		schema := freshSchema(t, db)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				s, err := postgres.OpenSchema(t.Context(), imstest.PostgresURL(), schema)
				if err != nil {
					t.Error(err)
					return
				}
				s.Close()
			})
		}
		wg.Wait()
		var n int
		err := db.QueryRow(`SELECT COUNT(*) FROM "` + schema + `".schema_migrations`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if want := countMigrations(t); n != want {
			t.Fatalf("%d migrations recorded, want %d", n, want)
		}
	})
	t.Run("Isolation", func(t *testing.T) {
		a, b := mustOpen(t, freshSchema(t, db)), mustOpen(t, freshSchema(t, db))
		d := &imsd.Domain{ID: "d1", Name: "acme"}
		if err := a.DomainInsert(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if _, err := b.DomainGet(t.Context(), "d1"); err == nil {
			t.Fatal("a domain of one schema is visible in another")
		}
		if err := b.DomainInsert(t.Context(), d); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("BadURL", func(t *testing.T) {
		if _, err := postgres.Open(t.Context(), "postgres://127.0.0.1:1/none?connect_timeout=2"); err == nil {
			t.Fatal("Open of an unreachable server succeeded")
		}
	})
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

// TestMigrations plays rolling upgrades on one schema.
func TestMigrations(t *testing.T) {
	db := admin(t)
	storetest.RunMigrations(t, postgres.Migrations(), func(t *testing.T) storetest.MigrationOpener {
		schema := freshSchema(t, db)
		return func(t *testing.T, fsys fs.FS, mode sqldb.MigrateMode, rep *sqldb.MigrationReport) (imsd.Store, error) {
			s, err := postgres.OpenOptions(t.Context(), imstest.PostgresURL(), postgres.Options{Schema: schema, Migrations: fsys, Migrate: mode, Report: rep})
			if err == nil {
				t.Cleanup(func() { s.Close() })
			}
			return s, err
		}
	})
}

// TestBlobLockAcrossProcesses: two stores on one schema, as two nodes
// would be, share the blob lock; stores of other schemas do not.
func TestBlobLockAcrossProcesses(t *testing.T) {
	db := admin(t)
	schema := freshSchema(t, db)
	a, b, other := mustOpen(t, schema), mustOpen(t, schema), mustOpen(t, freshSchema(t, db))
	unlock, err := a.LockBlobsShared(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.TryLockBlobsExclusive(t.Context()); !errors.Is(err, imsd.ErrConflict) {
		t.Fatalf("exclusive lock beside another node's shared one: %v", err)
	}
	o, err := other.TryLockBlobsExclusive(t.Context())
	if err != nil {
		t.Fatalf("the lock of another schema: %v", err)
	}
	o()
	unlock()
	excl, err := b.TryLockBlobsExclusive(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	excl()
}
