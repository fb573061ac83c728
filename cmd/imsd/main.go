// Command imsd is the image service: a Huawei Cloud IMS compatible API
// server. With no flags it runs on an embedded SQLite store and local blob
// files in ./imsd-data, listening on 127.0.0.1:9292.
package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/imsd/imsd/app"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

// splitList splits a comma-separated environment value, dropping empty
// items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// envOr returns the environment variable or def.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func newRootCmd() *cobra.Command {
	cfg := app.DefaultConfig()
	var logLevel string
	cmd := &cobra.Command{
		Use:   "imsd",
		Short: "Huawei Cloud IMS compatible image service",
		Long: `imsd serves the Huawei Cloud IMS API (images, upload/download, in-region copy,
jobs) so the official SDKs, Terraform and scripts work against it unchanged.

On first start it creates an account and writes DATA_DIR/bootstrap.json (mode 0600)
with the endpoint, project id and an AK/SK for the SDK.

With --metrics-listen HOST:PORT it also serves Prometheus metrics at
http://HOST:PORT/metrics, on a listener of its own that needs no credentials:
bind it to an address only the monitoring system reaches.

Every flag can also be set through the environment variable named in its help.`,
		Example: `  imsd                                   # embedded store in ./imsd-data, port 9292
  imsd --data-dir /var/lib/imsd --listen 0.0.0.0:9292
  imsd --metrics-listen 127.0.0.1:9293   # Prometheus scrapes http://127.0.0.1:9293/metrics
  IMSD_POSTGRES_URL=postgres://... IMSD_S3_ENDPOINT=http://127.0.0.1:7070 imsd`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(logLevel)
			if err != nil {
				return err
			}
			cfg.Log = log
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			a, err := app.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			if _, err := a.Listen(); err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}
	f := cmd.Flags()
	backendFlags(cmd, &cfg)
	f.StringVar(&cfg.Listen, "listen", envOr("IMSD_LISTEN", cfg.Listen), "HTTP listen address host:port (env IMSD_LISTEN)")
	f.StringVar(&cfg.MetricsListen, "metrics-listen", os.Getenv("IMSD_METRICS_LISTEN"), "serve Prometheus metrics at http://HOST:PORT/metrics on this separate listener; empty disables (env IMSD_METRICS_LISTEN)")
	f.StringVar(&cfg.PublicURL, "public-url", os.Getenv("IMSD_PUBLIC_URL"), "URL clients reach the service at (a load balancer), written into bootstrap.json; default the listen address (env IMSD_PUBLIC_URL)")
	f.StringVar(&cfg.NodeName, "node-name", os.Getenv("IMSD_NODE_NAME"), "name of this node in job leases, logs and metrics; default the host name (env IMSD_NODE_NAME)")
	f.StringVar(&logLevel, "log-level", envOr("IMSD_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env IMSD_LOG_LEVEL)")
	f.StringVar(&cfg.ImportS3.Endpoint, "import-s3-endpoint", os.Getenv("IMSD_IMPORT_S3_ENDPOINT"), "S3-compatible object storage that images are created from (image_url \"bucket:key\") and exported to; empty disables both (env IMSD_IMPORT_S3_ENDPOINT)")
	f.StringVar(&cfg.ImportS3.Region, "import-s3-region", envOr("IMSD_IMPORT_S3_REGION", "us-east-1"), "region of the import object storage (env IMSD_IMPORT_S3_REGION)")
	f.StringVar(&cfg.ImportS3.AccessKey, "import-s3-access-key", os.Getenv("IMSD_IMPORT_S3_ACCESS_KEY"), "access key of the import object storage; its secret comes from IMSD_IMPORT_S3_SECRET_KEY (env IMSD_IMPORT_S3_ACCESS_KEY)")
	cfg.ImportS3.SecretKey = os.Getenv("IMSD_IMPORT_S3_SECRET_KEY")
	f.StringSliceVar(&cfg.ImportS3.Buckets, "import-s3-buckets", splitList(os.Getenv("IMSD_IMPORT_S3_BUCKETS")), "the only buckets imports and exports may name (comma-separated); empty allows every bucket the access key reaches (env IMSD_IMPORT_S3_BUCKETS)")
	f.StringSliceVar(&cfg.Service.WebDownloadAllow, "web-download-allow", splitList(os.Getenv("IMSD_WEB_DOWNLOAD_ALLOW")), "URL prefixes Glance web-download imports and import tasks may fetch from (comma-separated, e.g. https://cloud-images.ubuntu.com/); empty disables web-download (env IMSD_WEB_DOWNLOAD_ALLOW)")
	quota, _ := strconv.Atoi(envOr("IMSD_IMAGE_QUOTA", "1000"))
	f.IntVar(&cfg.Service.ImageQuota, "image-quota", quota, "private images per project (env IMSD_IMAGE_QUOTA)")
	maxSize, _ := strconv.ParseInt(envOr("IMSD_MAX_IMAGE_SIZE", strconv.FormatInt(128<<30, 10)), 10, 64)
	f.Int64Var(&cfg.Service.MaxImageSize, "max-image-size", maxSize, "largest image accepted by upload and copy, in bytes (env IMSD_MAX_IMAGE_SIZE)")
	workers, _ := strconv.Atoi(envOr("IMSD_JOB_WORKERS", "4"))
	f.IntVar(&cfg.Jobs.Workers, "job-workers", workers, "jobs run at once (env IMSD_JOB_WORKERS)")
	perProject, _ := strconv.Atoi(envOr("IMSD_JOBS_PER_PROJECT", "2"))
	f.IntVar(&cfg.Jobs.MaxPerProject, "jobs-per-project", perProject, "jobs of one project run at once; more wait queued (env IMSD_JOBS_PER_PROJECT)")
	cpBytes, _ := strconv.ParseInt(envOr("IMSD_COPY_CHECKPOINT_BYTES", strconv.FormatInt(128<<20, 10)), 10, 64)
	f.Int64Var(&cfg.Service.CopyCheckpointBytes, "copy-checkpoint-bytes", cpBytes, "data a re-encrypting copy processes between checkpoints: at most this much is redone after a crash (env IMSD_COPY_CHECKPOINT_BYTES)")
	rate, _ := strconv.ParseInt(envOr("IMSD_COPY_RATE_LIMIT", "0"), 10, 64)
	f.Int64Var(&cfg.Service.CopyRateLimit, "copy-rate-limit", rate, "bytes per second a re-encrypting copy may move; 0 for no limit (env IMSD_COPY_RATE_LIMIT)")
	f.BoolVar(&cfg.BlobDirectIO, "blob-direct-io", envOr("IMSD_BLOB_DIRECT_IO", "") == "true", "write local image data with O_DIRECT, bypassing the page cache (env IMSD_BLOB_DIRECT_IO=true)")
	f.DurationVar(&cfg.Jobs.Lease, "job-lease", envDuration("IMSD_JOB_LEASE", 30*time.Second), "how long a job stays claimed by a node that stopped renewing it (killed, cut off) before another node takes it over (env IMSD_JOB_LEASE)")
	f.DurationVar(&cfg.GCInterval, "gc-interval", envDuration("IMSD_GC_INTERVAL", cfg.GCInterval), "how often unreferenced image data is collected (env IMSD_GC_INTERVAL)")
	f.DurationVar(&cfg.GCGrace, "gc-grace", envDuration("IMSD_GC_GRACE", cfg.GCGrace), "age below which unreferenced data and staged uploads are kept (env IMSD_GC_GRACE)")
	f.DurationVar(&cfg.AuditRetention, "audit-retention", envDuration("IMSD_AUDIT_RETENTION", cfg.AuditRetention), "how long audit events are kept; GC prunes older ones (env IMSD_AUDIT_RETENTION)")
	cmd.AddCommand(newAccountCmd(), newMigrateCmd(), newGCCmd(), newBackupCmd(), newRestoreCmd())
	return cmd
}

// envDuration returns the duration in the environment variable, or def
// (with a warning) when it is not a duration.
func envDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(os.Stderr, "imsd: ignoring %s=%q: not a duration such as 30s or 10m\n", name, v)
	}
	return def
}

// backendFlags registers the flags naming the data directory, the master
// key and the metadata and blob backends, shared by the server and the
// operator commands so they always open the same stores.
func backendFlags(cmd *cobra.Command, cfg *app.Config) {
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", envOr("IMSD_DATA_DIR", cfg.DataDir), "data directory: SQLite database, blobs, master key, bootstrap.json (env IMSD_DATA_DIR)")
	f.StringVar(&cfg.MasterKeyFile, "master-key-file", os.Getenv("IMSD_MASTER_KEY_FILE"), "32-byte key sealing secret keys and tokens, the same on every node; default DATA_DIR/master.key, created when missing (env IMSD_MASTER_KEY_FILE)")
	f.StringVar(&cfg.Region, "region", envOr("IMSD_REGION", cfg.Region), "region id of the account's project (env IMSD_REGION)")
	f.StringVar(&cfg.PostgresURL, "postgres-url", os.Getenv("IMSD_POSTGRES_URL"), "use PostgreSQL for metadata instead of SQLite (env IMSD_POSTGRES_URL)")
	f.StringVar(&cfg.S3.Endpoint, "s3-endpoint", os.Getenv("IMSD_S3_ENDPOINT"), "use an S3-compatible server for image data instead of DATA_DIR/blobs (env IMSD_S3_ENDPOINT)")
	f.StringVar(&cfg.S3.Bucket, "s3-bucket", envOr("IMSD_S3_BUCKET", "imsd"), "S3 bucket (env IMSD_S3_BUCKET)")
	f.StringVar(&cfg.S3.Region, "s3-region", envOr("IMSD_S3_REGION", "us-east-1"), "S3 region (env IMSD_S3_REGION)")
	f.StringVar(&cfg.S3.AccessKey, "s3-access-key", os.Getenv("IMSD_S3_ACCESS_KEY"), "S3 access key; the secret key is read from IMSD_S3_SECRET_KEY only (env IMSD_S3_ACCESS_KEY)")
	cfg.S3.SecretKey = os.Getenv("IMSD_S3_SECRET_KEY") // secrets only from the environment, never argv
	if fp := os.Getenv("IMSD_FAILPOINTS"); fp != "" {  // crash tests only; not a flag, so not in --help
		cfg.FailPoints = strings.Split(fp, ",")
	}
}

func newAccountCmd() *cobra.Command {
	account := &cobra.Command{Use: "account", Short: "Manage accounts (operator commands)"}
	cfg := app.DefaultConfig()
	var name string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an account and print its credentials as JSON",
		Long: `Creates an account (domain) with its region project, root user and an AK/SK,
and prints JSON with the keys of bootstrap.json. Works while the server runs.
Give it the same data dir, master key and database flags as the server.`,
		Example:      `  imsd account create --data-dir ./imsd-data --name team-a`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := app.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			creds, err := a.Identity.CreateAccount(cmd.Context(), name, a.Sealer)
			if err != nil {
				return err
			}
			if b, err := os.ReadFile(a.BootstrapPath()); err == nil {
				var boot struct {
					Endpoint string `json:"endpoint"`
				}
				if json.Unmarshal(b, &boot) == nil {
					creds.Endpoint = boot.Endpoint
				}
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(creds)
		},
	}
	backendFlags(create, &cfg)
	create.Flags().StringVar(&name, "name", "", "account name (letters, digits, '-' and '_')")
	_ = create.MarkFlagRequired("name")
	account.AddCommand(create)
	return account
}
