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
	"syscall"

	"github.com/spf13/cobra"

	"github.com/imsd/imsd/app"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		os.Exit(1)
	}
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
	f.StringVar(&cfg.DataDir, "data-dir", envOr("IMSD_DATA_DIR", cfg.DataDir), "data directory: SQLite database, blobs, master key, bootstrap.json (env IMSD_DATA_DIR)")
	f.StringVar(&cfg.Listen, "listen", envOr("IMSD_LISTEN", cfg.Listen), "HTTP listen address host:port (env IMSD_LISTEN)")
	f.StringVar(&cfg.MetricsListen, "metrics-listen", os.Getenv("IMSD_METRICS_LISTEN"), "serve Prometheus metrics at http://HOST:PORT/metrics on this separate listener; empty disables (env IMSD_METRICS_LISTEN)")
	f.StringVar(&cfg.Region, "region", envOr("IMSD_REGION", cfg.Region), "region id of the account's project (env IMSD_REGION)")
	f.StringVar(&logLevel, "log-level", envOr("IMSD_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env IMSD_LOG_LEVEL)")
	f.StringVar(&cfg.PostgresURL, "postgres-url", os.Getenv("IMSD_POSTGRES_URL"), "use PostgreSQL for metadata instead of SQLite (env IMSD_POSTGRES_URL)")
	f.StringVar(&cfg.S3.Endpoint, "s3-endpoint", os.Getenv("IMSD_S3_ENDPOINT"), "use an S3-compatible server for image data instead of DATA_DIR/blobs (env IMSD_S3_ENDPOINT)")
	f.StringVar(&cfg.S3.Bucket, "s3-bucket", envOr("IMSD_S3_BUCKET", "imsd"), "S3 bucket (env IMSD_S3_BUCKET)")
	f.StringVar(&cfg.S3.Region, "s3-region", envOr("IMSD_S3_REGION", "us-east-1"), "S3 region (env IMSD_S3_REGION)")
	f.StringVar(&cfg.S3.AccessKey, "s3-access-key", os.Getenv("IMSD_S3_ACCESS_KEY"), "S3 access key (env IMSD_S3_ACCESS_KEY)")
	cfg.S3.SecretKey = os.Getenv("IMSD_S3_SECRET_KEY") // secrets only from the environment, never argv
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
	f.DurationVar(&cfg.GCInterval, "gc-interval", cfg.GCInterval, "how often unreferenced image data is collected")
	f.DurationVar(&cfg.GCGrace, "gc-grace", cfg.GCGrace, "age below which unreferenced data and staged uploads are kept")
	cmd.AddCommand(newAccountCmd())
	return cmd
}

func newAccountCmd() *cobra.Command {
	account := &cobra.Command{Use: "account", Short: "Manage accounts (operator commands)"}
	var dataDir, name, postgresURL, region string
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an account and print its credentials as JSON",
		Long: `Creates an account (domain) with its region project, root user and an AK/SK,
and prints JSON with the keys of bootstrap.json. Works while the server runs.`,
		Example:      `  imsd account create --data-dir ./imsd-data --name team-a`,
		SilenceUsage: true,
		Args:         cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := app.DefaultConfig()
			cfg.DataDir, cfg.PostgresURL, cfg.Region = dataDir, postgresURL, region
			a, err := app.Open(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			creds, err := a.Service.CreateAccount(cmd.Context(), name, a.Sealer)
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
	create.Flags().StringVar(&dataDir, "data-dir", envOr("IMSD_DATA_DIR", "./imsd-data"), "data directory of the server (env IMSD_DATA_DIR)")
	create.Flags().StringVar(&name, "name", "", "account name (letters, digits, '-' and '_')")
	create.Flags().StringVar(&postgresURL, "postgres-url", os.Getenv("IMSD_POSTGRES_URL"), "PostgreSQL URL when the server uses PostgreSQL (env IMSD_POSTGRES_URL)")
	create.Flags().StringVar(&region, "region", envOr("IMSD_REGION", "local-1"), "region id of the new account's project (env IMSD_REGION)")
	_ = create.MarkFlagRequired("name")
	account.AddCommand(create)
	return account
}
