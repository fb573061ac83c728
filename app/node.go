package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/imshttp"
	"github.com/imsd/imsd/auth"
	"github.com/imsd/imsd/blob/fs"
	blobs3 "github.com/imsd/imsd/blob/s3"
	"github.com/imsd/imsd/store/postgres"
	"github.com/imsd/imsd/store/sqldb"
	"github.com/imsd/imsd/store/sqlite"
)

// What a node of a multi-node deployment adds to a single server: a name,
// the shared master key and its check, readiness, and the opening of the
// backends that commands (`imsd migrate`, `imsd gc`, `imsd backup`) share.

// nodeNamePattern is what a node name may hold: it appears in lease owners
// ("NODE/INSTANCE"), log lines and metric labels.
var nodeNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$`)

// nodeName returns the configured node name, or the host name.
func nodeName(configured string) (string, error) {
	name := configured
	if name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "imsd"
		}
		name = strings.ReplaceAll(h, "/", "-")
		if !nodeNamePattern.MatchString(name) {
			name = "imsd"
		}
	}
	if !nodeNamePattern.MatchString(name) {
		return "", fmt.Errorf("node name %q: use 1-63 letters, digits, '.', '_', ':' or '-', starting with a letter or digit", name)
	}
	return name, nil
}

// masterKeyPath is where the node's master key lives.
func (a *App) masterKeyPath() string { return masterKeyPath(a.cfg) }

func masterKeyPath(cfg Config) string {
	if cfg.MasterKeyFile != "" {
		return cfg.MasterKeyFile
	}
	return filepath.Join(cfg.DataDir, "master.key")
}

// loadSealer creates the data directory, then loads (or creates) the
// master key.
func loadSealer(cfg Config) (*auth.Sealer, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	key, err := auth.LoadOrCreateKey(masterKeyPath(cfg))
	if err != nil {
		return nil, err
	}
	return auth.NewSealer(key)
}

// masterKeyCheck is the setting holding a value sealed with the master key
// of the database's first node.
const masterKeyCheck = "master_key_check"

// checkMasterKey makes sure every node of a database seals with the same
// key: the first node to start records a value sealed with its key, and a
// node whose key cannot open it refuses to start — otherwise it would
// answer every AK/SK request and token of the other nodes with 401.
func checkMasterKey(ctx context.Context, st imsd.Store, sealer *auth.Sealer, path string) error {
	aad := []byte("imsd/" + masterKeyCheck)
	sealed := base64.StdEncoding.EncodeToString(sealer.Seal([]byte("imsd master key check"), aad))
	err := st.SettingInsert(ctx, masterKeyCheck, sealed)
	if err == nil {
		return nil
	}
	if !errors.Is(err, imsd.ErrConflict) {
		return fmt.Errorf("record the master key check: %w", err)
	}
	stored, err := st.SettingGet(ctx, masterKeyCheck)
	if err != nil {
		return fmt.Errorf("read the master key check: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(stored)
	if err == nil {
		_, err = sealer.Open(raw, aad)
	}
	if err != nil {
		return fmt.Errorf("the master key %s is not the key this database was set up with: every node of a database needs the same key; copy master.key from a node that works (or point --master-key-file at it)", path)
	}
	return nil
}

// OpenStore opens the configured metadata store (PostgreSQL when
// PostgresURL is set, else DataDir/imsd.db), applying migrations as mode
// says, and fills rep when it is not nil.
func OpenStore(ctx context.Context, cfg Config, mode sqldb.MigrateMode, rep *sqldb.MigrationReport) (imsd.Store, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultConfig().DataDir
	}
	var st imsd.Store
	var err error
	if cfg.PostgresURL != "" {
		st, err = postgres.OpenOptions(ctx, cfg.PostgresURL, postgres.Options{Migrate: mode, Report: rep})
	} else {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir: %w", err)
		}
		st, err = sqlite.OpenOptions(filepath.Join(cfg.DataDir, "imsd.db"), sqlite.Options{Migrate: mode, Report: rep})
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

// OpenBlobs opens the configured blob store (S3 when S3.Endpoint is set,
// else DataDir/blobs).
func OpenBlobs(ctx context.Context, cfg Config) (imsd.BlobStore, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultConfig().DataDir
	}
	var b imsd.BlobStore
	var err error
	if cfg.S3.Endpoint != "" {
		b, err = blobs3.New(ctx, cfg.S3)
	} else {
		b, err = fs.NewWithOptions(filepath.Join(cfg.DataDir, "blobs"), fs.Options{DirectIO: cfg.BlobDirectIO})
	}
	if err != nil {
		return nil, fmt.Errorf("open blob store: %w", err)
	}
	return b, nil
}

// logMigrations reports what the start-up migration step found.
func logMigrations(log *slog.Logger, rep *sqldb.MigrationReport) {
	if len(rep.Applied) > 0 {
		log.Info("schema migrations applied", "migrations", strings.Join(rep.Applied, ","))
	}
	if len(rep.Pending) > 0 {
		log.Warn("breaking schema migrations are pending; run `imsd migrate` once every node runs this release",
			"pending", strings.Join(rep.Pending, ","))
	}
	if len(rep.Unknown) > 0 {
		log.Warn("the database has compatible schema migrations of a newer release; upgrade this node soon",
			"migrations", strings.Join(rep.Unknown, ","))
	}
}

// readiness is the check behind /readyz: started and not draining, the
// database answering with a schema this binary can use, the blob store
// answering.
func (a *App) readiness(ctx context.Context) error {
	if !a.ready.Load() {
		if a.draining.Load() {
			return &imshttp.NotReadyError{Reason: "draining"}
		}
		return &imshttp.NotReadyError{Reason: "starting"}
	}
	if err := a.Store.Ping(ctx); err != nil {
		if errors.Is(err, sqldb.ErrSchemaTooNew) {
			return &imshttp.NotReadyError{Reason: "database schema is newer than this node", Err: err}
		}
		return &imshttp.NotReadyError{Reason: "database unreachable", Err: err}
	}
	if p, ok := a.Blobs.(imsd.Pinger); ok {
		if err := p.Ping(ctx); err != nil {
			return &imshttp.NotReadyError{Reason: "blob store unreachable", Err: err}
		}
	}
	return nil
}
