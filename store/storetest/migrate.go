package storetest

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/store/sqldb"
)

// MigrationOpener opens a store on one database (the same on every call)
// with the migrations in fsys, applied as mode says, and fills rep.
type MigrationOpener func(t *testing.T, fsys fs.FS, mode sqldb.MigrateMode, rep *sqldb.MigrationReport) (imsd.Store, error)

// RunMigrations checks the rolling-upgrade rules of sqldb.Migrate on a
// backend: real is the backend's embedded migrations; fresh returns an
// opener on a new, empty database. Releases are played by adding migration
// files to real: an older node keeps working while a newer one applies a
// compatible migration, a breaking one waits for MigrateAll, and once it is
// applied the older node is refused.
func RunMigrations(t *testing.T, real fs.FS, fresh func(t *testing.T) MigrationOpener) {
	newer := func(extra map[string]string) fs.FS {
		m := fstest.MapFS{}
		entries, err := fs.ReadDir(real, ".")
		must(t, err)
		for _, e := range entries {
			b, err := fs.ReadFile(real, e.Name())
			must(t, err)
			m[e.Name()] = &fstest.MapFile{Data: b}
		}
		for name, body := range extra {
			m[name] = &fstest.MapFile{Data: []byte(body)}
		}
		return m
	}
	knownNames := func() []string {
		ms, err := sqldb.LoadMigrations(real)
		must(t, err)
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}

	t.Run("OlderNodeToleratesCompatibleMigration", func(t *testing.T) {
		open := fresh(t)
		var rep sqldb.MigrationReport
		old, err := open(t, real, sqldb.MigrateCompatible, &rep)
		must(t, err)
		if !slices.Equal(rep.Applied, knownNames()) {
			t.Fatalf("first open applied %v, want every embedded migration", rep.Applied)
		}
		useStore(t, old, 1)
		// A newer release starts beside the running older node and adds a
		// column and a table, online.
		next := newer(map[string]string{"9000_newer_release.sql": `-- a compatible change
ALTER TABLE images ADD COLUMN newer_note TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN newer_priority INTEGER NOT NULL DEFAULT 0;
CREATE TABLE newer_things (id TEXT PRIMARY KEY);`})
		_, err = open(t, next, sqldb.MigrateCompatible, &rep)
		must(t, err)
		if !slices.Equal(rep.Applied, []string{"9000_newer_release.sql"}) {
			t.Fatalf("the newer node applied %v", rep.Applied)
		}
		// The older node, still running, keeps working on the new schema.
		must(t, old.Ping(t.Context()))
		useStore(t, old, 2)
		// And an older node starting now accepts the schema, reporting it.
		again, err := open(t, real, sqldb.MigrateCompatible, &rep)
		must(t, err)
		if !slices.Equal(rep.Unknown, []string{"9000_newer_release.sql"}) || len(rep.UnknownBreaking) != 0 || len(rep.Applied) != 0 {
			t.Fatalf("older node's report %+v", rep)
		}
		useStore(t, again, 3)
	})

	t.Run("BreakingMigrationWaitsAndThenRefusesOlderNodes", func(t *testing.T) {
		open := fresh(t)
		old, err := open(t, real, sqldb.MigrateCompatible, nil)
		must(t, err)
		next := newer(map[string]string{
			"9001_contract.sql": "-- drops what the previous release still read\n" + sqldb.BreakingMarker + "\nCREATE TABLE contract_done (id TEXT PRIMARY KEY);",
			"9002_after.sql":    "CREATE TABLE after_contract (id TEXT PRIMARY KEY);",
		})
		var rep sqldb.MigrationReport
		_, err = open(t, next, sqldb.MigrateCompatible, &rep)
		must(t, err)
		if len(rep.Applied) != 0 || !slices.Equal(rep.Pending, []string{"9001_contract.sql", "9002_after.sql"}) ||
			!slices.Equal(rep.Breaking, []string{"9001_contract.sql"}) {
			t.Fatalf("a starting node must stop before a breaking migration: %+v", rep)
		}
		must(t, old.Ping(t.Context()))
		// Dry run: reports, applies nothing.
		_, err = open(t, next, sqldb.MigrateNone, &rep)
		must(t, err)
		if !slices.Equal(rep.Pending, []string{"9001_contract.sql", "9002_after.sql"}) || len(rep.Applied) != 0 {
			t.Fatalf("dry run: %+v", rep)
		}
		// `imsd migrate`, once every node runs the newer release.
		newStore, err := open(t, next, sqldb.MigrateAll, &rep)
		must(t, err)
		if !slices.Equal(rep.Applied, []string{"9001_contract.sql", "9002_after.sql"}) || len(rep.Pending) != 0 {
			t.Fatalf("migrate all: %+v", rep)
		}
		must(t, newStore.Ping(t.Context()))
		useStore(t, newStore, 4)
		// A forgotten older node stops being ready, and cannot start again.
		err = old.Ping(t.Context())
		if !errors.Is(err, sqldb.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9001_contract.sql") {
			t.Fatalf("older node's Ping after a breaking migration: %v", err)
		}
		_, err = open(t, real, sqldb.MigrateCompatible, nil)
		if !errors.Is(err, sqldb.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9001_contract.sql") || !strings.Contains(err.Error(), "upgrade") {
			t.Fatalf("older node opening a contracted schema: %v", err)
		}
	})

	t.Run("DryRunOnEmptyDatabase", func(t *testing.T) {
		open := fresh(t)
		for range 2 {
			var rep sqldb.MigrationReport
			_, err := open(t, real, sqldb.MigrateNone, &rep)
			must(t, err)
			if !slices.Equal(rep.Pending, knownNames()) || len(rep.Applied) != 0 {
				t.Fatalf("dry run on an empty database: %+v", rep)
			}
		}
	})
}

// useStore exercises an image and a job through st: insert, read, list,
// update and claim, as a running node does.
func useStore(t *testing.T, st imsd.Store, n int) {
	t.Helper()
	ctx := t.Context()
	d := id("domain", 1)
	img := newImage(n, d)
	must(t, st.ImageInsert(ctx, img))
	got, err := st.ImageGet(ctx, img.ID)
	must(t, err)
	check(t, "image", got, img)
	got.Status = imsd.ImageActive
	must(t, st.ImageUpdate(ctx, got))
	list, err := st.ImageList(ctx, imsd.ImageQuery{DomainID: d})
	must(t, err)
	if !slices.ContainsFunc(list, func(i *imsd.Image) bool { return i.ID == img.ID }) {
		t.Fatalf("the image is missing from the list of %d", len(list))
	}
	j := newJob(n, id("project", 1))
	j.CreatedAt = time.Now().Add(-time.Hour)
	must(t, st.JobInsert(ctx, j))
	c, err := st.JobClaim(ctx, "node", time.Now(), time.Minute, 0)
	must(t, err)
	if c.ID != j.ID {
		t.Fatalf("claimed %s, want %s", c.ID, j.ID)
	}
	c.Status = imsd.JobSuccess
	must(t, st.JobUpdate(ctx, c))
}
