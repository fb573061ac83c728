package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/store/postgres"
	"github.com/imsd/imsd/store/sqldb"
	"github.com/imsd/imsd/store/sqlite"
)

// A backup is a directory:
//
//	backup.json   the manifest (BackupManifest)
//	imsd.db       the SQLite database (VACUUM INTO), or
//	imsd.pgdump   the PostgreSQL schema (pg_dump --format=custom)
//	master.key    the key that seals the secret keys: guard the backup like it
//	blobs/DIGEST  every blob, named by its SHA-256
//
// Backup takes the store's blob lock shared for its whole run, so garbage
// collection (on any node, or `imsd gc`) deletes nothing meanwhile: every
// blob the database snapshot references is still there when the blobs are
// copied afterwards. Blobs already in the directory are kept, so backing up
// into the same directory again copies only new blobs.

// BackupManifest describes a backup directory.
type BackupManifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	// Metadata is the store the backup was taken from: sqlite or postgres.
	Metadata string `json:"metadata"`
	// Database is the file holding the metadata.
	Database string `json:"database"`
	// Blobs and BlobBytes count the blobs of the backup.
	Blobs     int   `json:"blobs"`
	BlobBytes int64 `json:"blob_bytes"`
}

// BackupResult reports a backup or a restore.
type BackupResult struct {
	BackupManifest
	// BlobsCopied counts the blobs copied by this run; the others were
	// there already.
	BlobsCopied int `json:"blobs_copied"`
}

// BackupOptions tune Backup and Restore.
type BackupOptions struct {
	// PgDump and PgRestore name the PostgreSQL tools (default from PATH).
	PgDump, PgRestore string
}

const (
	manifestFile = "backup.json"
	sqliteFile   = "imsd.db"
	pgDumpFile   = "imsd.pgdump"
)

// Backup writes a consistent backup of the configured metadata store, blob
// store and master key into dir while servers keep running.
func Backup(ctx context.Context, cfg Config, dir string, o BackupOptions) (*BackupResult, error) {
	if cfg.PostgresURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, sqliteFile)); err != nil {
			return nil, fmt.Errorf("backup: no database in %s: %w", cfg.DataDir, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs"), 0o700); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	st, err := OpenStore(ctx, cfg, sqldb.MigrateNone, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	blobs, err := OpenBlobs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	unlock, err := st.LockBlobsShared(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: blob lock: %w", err)
	}
	defer unlock()

	res := &BackupResult{BackupManifest: BackupManifest{Format: 1, CreatedAt: time.Now().UTC()}}
	if cfg.PostgresURL == "" {
		res.Metadata, res.Database = "sqlite", sqliteFile
		tmp := filepath.Join(dir, sqliteFile+".tmp")
		_ = os.Remove(tmp)
		if err := st.(*sqlite.Store).BackupTo(ctx, tmp); err != nil {
			return nil, err
		}
		if err := syncRename(tmp, filepath.Join(dir, sqliteFile)); err != nil {
			return nil, err
		}
	} else {
		res.Metadata, res.Database = "postgres", pgDumpFile
		tmp := filepath.Join(dir, pgDumpFile+".tmp")
		if err := postgres.Dump(ctx, cfg.PostgresURL, tmp, o.PgDump); err != nil {
			return nil, err
		}
		if err := syncRename(tmp, filepath.Join(dir, pgDumpFile)); err != nil {
			return nil, err
		}
	}
	err = blobs.Walk(ctx, func(b imsd.BlobInfo) error {
		res.Blobs++
		res.BlobBytes += b.Size
		dst := filepath.Join(dir, "blobs", b.Digest)
		if fi, err := os.Stat(dst); err == nil && fi.Size() == b.Size {
			return nil
		}
		res.BlobsCopied++
		return copyBlobOut(ctx, blobs, b, dst)
	})
	if err != nil {
		return nil, fmt.Errorf("backup: blobs: %w", err)
	}
	key, err := os.ReadFile(masterKeyPath(cfg))
	if err != nil {
		return nil, fmt.Errorf("backup: master key: %w", err)
	}
	if err := writeFileSync(filepath.Join(dir, "master.key"), key); err != nil {
		return nil, err
	}
	m, _ := json.MarshalIndent(res.BackupManifest, "", "  ")
	if err := writeFileSync(filepath.Join(dir, manifestFile), append(m, '\n')); err != nil {
		return nil, err
	}
	return res, nil
}

// copyBlobOut copies a blob to the file dst, checking its digest on the way.
func copyBlobOut(ctx context.Context, blobs imsd.BlobStore, b imsd.BlobInfo, dst string) error {
	rc, err := blobs.Open(ctx, b.Digest, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp := dst + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), rc)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && (n != b.Size || hex.EncodeToString(h.Sum(nil)) != b.Digest) {
		err = fmt.Errorf("blob %s read back with another size or digest: the blob store holds damaged data", b.Digest)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}

// Restore loads a backup directory into the configured stores, which must
// hold no database yet (a new data directory, or an empty PostgreSQL
// database); the servers must not run. The master key is restored too,
// unless the configured one exists already, in which case it must be the
// backup's.
func Restore(ctx context.Context, cfg Config, dir string, o BackupOptions) (*BackupResult, error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	res := &BackupResult{}
	if err := json.Unmarshal(raw, &res.BackupManifest); err != nil || res.Format != 1 {
		return nil, fmt.Errorf("restore: %s is not an imsd backup manifest (format 1): %v", manifestFile, err)
	}
	want := "sqlite"
	if cfg.PostgresURL != "" {
		want = "postgres"
	}
	if res.Metadata != want {
		return nil, fmt.Errorf("restore: the backup holds a %s database, but the configuration selects %s", res.Metadata, want)
	}
	if err := restoreKey(cfg, filepath.Join(dir, "master.key")); err != nil {
		return nil, err
	}
	if err := restoreMetadata(ctx, cfg, dir, res.Database, o); err != nil {
		return nil, err
	}
	blobs, err := OpenBlobs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || len(e.Name()) != 64 {
			continue
		}
		copied, err := copyBlobIn(ctx, blobs, filepath.Join(dir, "blobs", e.Name()), e.Name())
		if err != nil {
			return nil, fmt.Errorf("restore: blob %s: %w", e.Name(), err)
		}
		if copied {
			res.BlobsCopied++
		}
	}
	// The restored database must accept this key (the check recorded at
	// its first start), and be usable by this release.
	st, err := OpenStore(ctx, cfg, sqldb.MigrateCompatible, nil)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	sealer, err := loadSealer(cfg)
	if err != nil {
		return nil, err
	}
	if err := checkMasterKey(ctx, st, sealer, masterKeyPath(cfg)); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return res, nil
}

func restoreKey(cfg Config, src string) error {
	key, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("restore: master key: %w", err)
	}
	dst := masterKeyPath(cfg)
	if cur, err := os.ReadFile(dst); err == nil {
		if !bytes.Equal(cur, key) {
			return fmt.Errorf("restore: %s exists and is not the backup's master key; move it away or point --master-key-file elsewhere", dst)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return writeFileSync(dst, key)
}

func restoreMetadata(ctx context.Context, cfg Config, dir, file string, o BackupOptions) error {
	if cfg.PostgresURL == "" {
		dst := filepath.Join(cfg.DataDir, sqliteFile)
		if _, err := os.Stat(dst); err == nil {
			return fmt.Errorf("restore: %s exists; restore into a new data directory", dst)
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		return writeFileSync(dst, b)
	}
	var rep sqldb.MigrationReport
	st, err := OpenStore(ctx, cfg, sqldb.MigrateNone, &rep)
	if err != nil {
		return err
	}
	st.Close()
	known, err := sqldb.LoadMigrations(postgres.Migrations())
	if err != nil {
		return err
	}
	if len(rep.Pending) != len(known) || len(rep.Unknown) > 0 {
		return errors.New("restore: the PostgreSQL database already holds an imsd schema; restore into a new, empty database")
	}
	return postgres.Restore(ctx, cfg.PostgresURL, filepath.Join(dir, file), o.PgRestore)
}

// copyBlobIn stores the file as a blob unless the store has it; the commit
// checks the digest.
func copyBlobIn(ctx context.Context, blobs imsd.BlobStore, path, digest string) (bool, error) {
	if _, err := blobs.Stat(ctx, digest); err == nil {
		return false, nil
	} else if !errors.Is(err, imsd.ErrNotFound) {
		return false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	w, err := blobs.Create(ctx)
	if err != nil {
		return false, err
	}
	if _, err := io.Copy(w, f); err != nil {
		_ = w.Cancel(ctx)
		return false, err
	}
	if _, err := w.Commit(ctx, digest); err != nil {
		_ = w.Cancel(ctx)
		return false, err
	}
	return true, nil
}

// writeFileSync writes a file of mode 0600 durably, through a temporary
// file renamed into place.
func writeFileSync(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// syncRename fsyncs a finished file and renames it into place.
func syncRename(tmp, path string) error {
	f, err := os.Open(tmp)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
