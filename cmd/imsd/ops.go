package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/service"
	"github.com/imsd/imsd/store/sqldb"
)

// The operator commands besides `account create`: migrate, gc, backup and
// restore. Each takes the server's backend flags (backendFlags) and works
// while servers run, except restore.

func newMigrateCmd() *cobra.Command {
	cfg := app.DefaultConfig()
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations, breaking ones included",
		Long: `Brings the database schema to this release. Nodes apply compatible migrations
themselves when they start, and older nodes keep working beside them. Migrations
marked breaking (older nodes cannot work with them) are applied only by this
command: run it once every node runs this release. Afterwards older nodes refuse
to start and report themselves not ready. With --dry-run it only lists what it
would apply.`,
		Example: `  imsd migrate --dry-run --postgres-url postgres://imsd@db/imsd
  imsd migrate --postgres-url postgres://imsd@db/imsd`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode := sqldb.MigrateAll
			if dryRun {
				mode = sqldb.MigrateNone
			}
			var rep sqldb.MigrationReport
			st, err := app.OpenStore(cmd.Context(), cfg, mode, &rep)
			if err != nil {
				return err
			}
			defer st.Close()
			printMigrations(cmd.OutOrStdout(), &rep, dryRun)
			return nil
		},
	}
	backendFlags(cmd, &cfg)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list the pending migrations, apply nothing")
	return cmd
}

func printMigrations(w io.Writer, rep *sqldb.MigrationReport, dryRun bool) {
	breaking := map[string]bool{}
	for _, n := range rep.Breaking {
		breaking[n] = true
	}
	mark := func(n string) string {
		if breaking[n] {
			return n + " (breaking)"
		}
		return n
	}
	for _, n := range rep.Applied {
		fmt.Fprintln(w, "applied:", n)
	}
	for _, n := range rep.Pending {
		if dryRun {
			fmt.Fprintln(w, "would apply:", mark(n))
		} else {
			fmt.Fprintln(w, "pending:", mark(n))
		}
	}
	for _, n := range rep.Unknown {
		fmt.Fprintln(w, "newer release's migration, kept:", n)
	}
	if len(rep.Applied) == 0 && len(rep.Pending) == 0 {
		fmt.Fprintln(w, "the schema is up to date")
	}
}

func newGCCmd() *cobra.Command {
	cfg := app.DefaultConfig()
	var o service.GCOptions
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Collect unreferenced image data once (--dry-run: only list it)",
		Long: `Deletes the blobs no image references that are older than --grace, and staged
uploads abandoned for as long, like the server's periodic collection. Safe while
servers run: a blob being committed by any node is never deleted. With --dry-run
it lists what it would delete and deletes nothing.`,
		Example: `  imsd gc --dry-run --data-dir /var/lib/imsd
  imsd gc --grace 24h --postgres-url postgres://... --s3-endpoint http://...`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := app.RunGC(cmd.Context(), cfg, o)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if jsonOut {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(gcView(res, o.DryRun))
			}
			verb := "deleted"
			if o.DryRun {
				verb = "would delete"
			}
			for _, b := range res.Deleted {
				fmt.Fprintf(w, "%s sha256:%s %d bytes\n", verb, b.Digest, b.Size)
			}
			fmt.Fprintf(w, "%s %d blobs, %d bytes; %d blobs in use", verb, res.BlobsDeleted, res.BytesFreed, res.BlobsReferenced)
			if !o.DryRun {
				fmt.Fprintf(w, "; %d staged uploads purged", res.StagingPurged)
			}
			if res.BlobsBusy > 0 {
				fmt.Fprintf(w, "; %d left for the next run (a commit held the blob lock)", res.BlobsBusy)
			}
			fmt.Fprintln(w)
			return nil
		},
	}
	backendFlags(cmd, &cfg)
	cmd.Flags().BoolVar(&o.DryRun, "dry-run", false, "list what would be deleted, delete nothing")
	cmd.Flags().DurationVar(&o.Grace, "grace", envDuration("IMSD_GC_GRACE", time.Hour), "keep unreferenced data younger than this (env IMSD_GC_GRACE)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the result as JSON")
	return cmd
}

// gcView is the JSON form of a GC result.
func gcView(r service.GCResult, dryRun bool) map[string]any {
	digests := make([]string, 0, len(r.Deleted))
	for _, b := range r.Deleted {
		digests = append(digests, b.Digest)
	}
	return map[string]any{"dry_run": dryRun, "blobs_deleted": r.BlobsDeleted, "bytes_freed": r.BytesFreed,
		"blobs_in_use": r.BlobsReferenced, "blobs_busy": r.BlobsBusy, "staging_purged": r.StagingPurged,
		"deleted": digests}
}

func newBackupCmd() *cobra.Command {
	cfg := app.DefaultConfig()
	var o app.BackupOptions
	var to string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent backup of the database, image data and master key",
		Long: `Writes into --to: the database (SQLite: an online VACUUM INTO copy; PostgreSQL:
pg_dump, which must be installed), every blob, the master key and backup.json.
Runs while servers run; garbage collection deletes nothing meanwhile, so every
blob the database copy references is in the backup. Running it again into the
same directory copies only new blobs. The backup holds the master key: keep it
as safe as the key itself.`,
		Example: `  imsd backup --data-dir /var/lib/imsd --to /backup/imsd-$(date +%F)
  imsd backup --postgres-url postgres://... --s3-endpoint http://... --to /backup/imsd`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := app.Backup(cmd.Context(), cfg, to, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup of the %s database and %d blobs (%d bytes, %d copied now) in %s\n",
				res.Metadata, res.Blobs, res.BlobBytes, res.BlobsCopied, to)
			return nil
		},
	}
	backendFlags(cmd, &cfg)
	cmd.Flags().StringVar(&to, "to", "", "backup directory (created when missing)")
	cmd.Flags().StringVar(&o.PgDump, "pg-dump", "", "pg_dump binary (PostgreSQL mode; default from PATH)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

func newRestoreCmd() *cobra.Command {
	cfg := app.DefaultConfig()
	var o app.BackupOptions
	var from string
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Load a backup into a new data directory or an empty database",
		Long: `Restores a directory written by imsd backup: the database (SQLite into
DATA_DIR/imsd.db, which must not exist; PostgreSQL with pg_restore into an empty
database), the blobs into the configured blob store, and the master key (unless
the configured key file exists, in which case it must be the backup's). Stop the
servers first; start them on the restored stores afterwards.`,
		Example:      `  imsd restore --from /backup/imsd-2026-11-27 --data-dir /var/lib/imsd-restored`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := app.Restore(cmd.Context(), cfg, from, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored the %s database of %s and %d blobs (%d copied now)\n",
				res.Metadata, res.CreatedAt.Format(time.RFC3339), res.Blobs, res.BlobsCopied)
			return nil
		},
	}
	backendFlags(cmd, &cfg)
	cmd.Flags().StringVar(&from, "from", "", "backup directory written by imsd backup")
	cmd.Flags().StringVar(&o.PgRestore, "pg-restore", "", "pg_restore binary (PostgreSQL mode; default from PATH)")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}
