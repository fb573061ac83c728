// Package app wires imsd together: it opens the configured store and blob
// backends, the service, the job runner and the HTTP server, performs the
// first-start bootstrap, and runs until its context ends. cmd/imsd only
// parses flags into a Config; end-to-end tests start an App directly.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/iamhttp"
	"github.com/imsd/imsd/api/imshttp"
	"github.com/imsd/imsd/api/kmshttp"
	"github.com/imsd/imsd/audit"
	"github.com/imsd/imsd/auth"
	"github.com/imsd/imsd/auth/sigv"
	"github.com/imsd/imsd/authz"
	blobs3 "github.com/imsd/imsd/blob/s3"
	"github.com/imsd/imsd/identity"
	"github.com/imsd/imsd/jobs"
	"github.com/imsd/imsd/kms"
	kmslocal "github.com/imsd/imsd/kms/local"
	"github.com/imsd/imsd/metrics"
	objs3 "github.com/imsd/imsd/objstore/s3"
	"github.com/imsd/imsd/service"
	"github.com/imsd/imsd/store/sqldb"
)

// Config is everything an App needs. DefaultConfig gives the embedded
// single-node setup.
type Config struct {
	// DataDir holds the SQLite database, local blobs, the master key and
	// bootstrap.json (default ./imsd-data).
	DataDir string
	// Listen is the HTTP listen address (default 127.0.0.1:9292); port 0
	// picks a free port.
	Listen string
	// MetricsListen, when set, serves Prometheus metrics at /metrics on
	// this address, a listener of its own outside the API; port 0 picks a
	// free port. Empty disables metrics.
	MetricsListen string
	// Region is the region id of the bootstrap project (default local-1).
	Region string
	// PostgresURL selects PostgreSQL for metadata instead of SQLite.
	PostgresURL string
	// S3 selects an S3-compatible blob store instead of DataDir/blobs when
	// its Endpoint is set.
	S3 blobs3.Config
	// ImportS3, when its Endpoint is set, is the object storage images are
	// created from ("bucket:key" image_url) and exported to.
	ImportS3 objs3.Config
	// BlobDirectIO writes local blobs with O_DIRECT (fs.Options.DirectIO).
	BlobDirectIO bool
	// Service tunes the service (quota, size limit, ...).
	Service service.Config
	// Jobs tunes the job runner.
	Jobs jobs.Config
	// GCInterval is how often garbage collection runs (default 10 min);
	// GCGrace is the age below which unreferenced data is kept (default 1 h).
	GCInterval time.Duration
	GCGrace    time.Duration
	// NodeName names this node in job leases, logs and metrics (default
	// the host name). Nodes sharing a database should have distinct names.
	NodeName string
	// PublicURL is the URL clients reach the service at (a load balancer
	// in front of several nodes), written into bootstrap.json; default the
	// listen address.
	PublicURL string
	// MasterKeyFile is the 32-byte key sealing secret keys and tokens
	// (default DataDir/master.key, created when missing). Every node of a
	// database needs the same key; a node with another key refuses to
	// start.
	MasterKeyFile string
	// AuditRetention is how long audit events are kept (default 90 days).
	AuditRetention time.Duration
	// FailPoints, for crash tests only (env IMSD_FAILPOINTS), name the
	// steps at which the process kills itself with SIGKILL (see
	// imsd.FailPoint).
	FailPoints []string
	// Log receives the server log; nil discards it.
	Log *slog.Logger
}

// DefaultConfig returns the embedded defaults.
func DefaultConfig() Config {
	return Config{DataDir: "./imsd-data", Listen: "127.0.0.1:9292", Region: "local-1",
		GCInterval: 10 * time.Minute, GCGrace: time.Hour, AuditRetention: 90 * 24 * time.Hour}
}

// App is a running (or ready to run) imsd.
type App struct {
	cfg     Config
	log     *slog.Logger
	Store   imsd.Store
	Blobs   imsd.BlobStore
	Service *service.Service
	// Identity serves accounts, IAM, EPS and tokens.
	Identity *identity.Service
	// KMS serves keys and aliases.
	KMS *kms.Service
	// Audit records the audit trail.
	Audit    *audit.Recorder
	Runner   *jobs.Runner
	Sealer   *auth.Sealer
	Authz    *authz.Authorizer
	listener net.Listener
	server   *http.Server
	ready    atomic.Bool
	draining atomic.Bool
	// Node is this node's name (Config.NodeName or the host name).
	Node string
	// Metrics is the Prometheus collectors, nil unless Config.MetricsListen
	// is set.
	Metrics         *metrics.Set
	metricsListener net.Listener
	metricsServer   *http.Server
	// HTTP is the server's handler, for tests that serve it themselves.
	HTTP http.Handler
	// Server is the HTTP front, for tests that set its hooks.
	Server *imshttp.Server
}

// Open opens the backends and builds every component; it does not listen
// yet. Close releases what Open acquired.
func Open(ctx context.Context, cfg Config) (*App, error) {
	def := DefaultConfig()
	if cfg.DataDir == "" {
		cfg.DataDir = def.DataDir
	}
	if cfg.Listen == "" {
		cfg.Listen = def.Listen
	}
	if cfg.Region == "" {
		cfg.Region = def.Region
	}
	if cfg.GCInterval == 0 {
		cfg.GCInterval = def.GCInterval
	}
	if cfg.AuditRetention == 0 {
		cfg.AuditRetention = def.AuditRetention
	}
	if cfg.GCGrace == 0 {
		cfg.GCGrace = def.GCGrace
	}
	cfg.Service.Region = cfg.Region
	node, err := nodeName(cfg.NodeName)
	if err != nil {
		return nil, err
	}
	if cfg.Jobs.Owner == "" {
		// The process id in the lease tells a restarted node's leases
		// from those of the process that died.
		cfg.Jobs.Owner = node + "/" + imsd.NewHexID()[:8]
	}
	a := &App{cfg: cfg, log: cfg.Log, Node: node}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("node", node)
	if a.Sealer, err = loadSealer(cfg); err != nil {
		return nil, err
	}
	var rep sqldb.MigrationReport
	if a.Store, err = OpenStore(ctx, cfg, sqldb.MigrateCompatible, &rep); err != nil {
		return nil, err
	}
	logMigrations(a.log, &rep)
	if err := checkMasterKey(ctx, a.Store, a.Sealer, a.masterKeyPath()); err != nil {
		a.Store.Close()
		return nil, err
	}
	if a.Blobs, err = OpenBlobs(ctx, cfg); err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Authz = authz.New(a.Store, nil, a.log)
	fail := killAt(cfg.FailPoints, a.log)
	var objects imsd.ObjectStorage
	if cfg.ImportS3.Endpoint != "" {
		if objects, err = objs3.New(cfg.ImportS3); err != nil {
			a.Store.Close()
			return nil, fmt.Errorf("import object storage: %w", err)
		}
	}
	keys, err := kmslocal.New(a.Sealer)
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Service, err = service.New(service.Options{Store: a.Store, Blobs: a.Blobs, Authz: a.Authz, Log: a.log, Config: cfg.Service, Sealer: a.Sealer,
		Objects: objects, Keys: keys, FailPoint: fail})
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Identity, err = identity.New(identity.Options{Store: a.Store, Authz: a.Authz, Sealer: a.Sealer, Log: a.log, FailPoint: fail,
		Config: identity.Config{Region: cfg.Region}})
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	a.KMS, err = kms.New(kms.Options{Store: a.Store, Authz: a.Authz, Keys: keys, Log: a.log})
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Runner = jobs.New(a.Store, a.Service.Finish, nil, a.log, cfg.Jobs)
	a.Runner.Handle(imsd.JobTypeCopyInRegion, a.Service.RunCopyJob)
	for _, t := range []string{imsd.JobTypeImportImage, imsd.JobTypeImportDataImage, imsd.JobTypeRegisterImage, imsd.JobTypeGlanceImport, imsd.JobTypeGlanceTask} {
		a.Runner.Handle(t, a.Service.RunImportJob)
	}
	a.Runner.Handle(imsd.JobTypeExportImage, a.Service.RunExportJob)
	a.Service.SetWakeup(a.Runner.Wakeup)
	authn := auth.NewAuthenticator(a.Store, a.Sealer, &sigv.Verifier{Region: cfg.Region}, a.log)
	a.Server = imshttp.New(a.Service, authn, a.log)
	a.Server.Mount(iamhttp.New(a.Identity, a.log).Handlers())
	a.Server.Mount(kmshttp.New(a.KMS, cfg.Region, a.log).Handlers())
	a.Audit = audit.NewRecorder(a.Store, a.log, nil)
	a.Server.SetAudit(a.Audit)
	a.Server.SetAuditLister(audit.NewService(a.Store, a.Authz))
	a.Server.SetReady(a.readiness)
	if cfg.MetricsListen != "" {
		if err := a.openMetrics(); err != nil {
			a.Store.Close()
			return nil, err
		}
	}
	if a.HTTP, err = a.Server.Handler(); err != nil {
		a.Store.Close()
		return nil, err
	}
	return a, nil
}

// openMetrics creates the registry and the collectors, and connects them to
// the HTTP server's and the job runner's hooks. Call before Server.Handler.
func (a *App) openMetrics() error {
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{JobCounts: a.jobCounts, Log: a.log, Node: a.Node})
	if err != nil {
		return err
	}
	a.Metrics = m
	a.Server.SetObserver(func(st imshttp.RequestStats) {
		m.ObserveRequest(st.Route, st.Method, st.Status, st.Duration)
		m.AddImageBytes(st.UploadedBytes, st.DownloadedBytes)
	})
	a.Runner.OnFinished(m.ObserveJob)
	return nil
}

// jobCounts counts the unfinished jobs in the store, for the metrics.
func (a *App) jobCounts(ctx context.Context) (queued, running int, err error) {
	js, err := a.Store.JobList(ctx, []imsd.JobStatus{imsd.JobInit, imsd.JobRunning})
	if err != nil {
		return 0, 0, err
	}
	for _, j := range js {
		if j.Status == imsd.JobInit {
			queued++
		} else {
			running++
		}
	}
	return queued, running, nil
}

// singleNode reports whether this process is the only user of its store
// (the embedded SQLite mode).
func (a *App) singleNode() bool { return a.cfg.PostgresURL == "" }

// Listen binds the HTTP listener, and the metrics listener when
// configured, and returns the HTTP listener's address.
func (a *App) Listen() (string, error) {
	l, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return "", err
	}
	if a.cfg.MetricsListen != "" {
		ml, err := net.Listen("tcp", a.cfg.MetricsListen)
		if err != nil {
			l.Close()
			return "", fmt.Errorf("metrics listener: %w", err)
		}
		a.metricsListener = ml
	}
	a.listener = l
	return l.Addr().String(), nil
}

// MetricsURL returns the URL of the Prometheus scrape endpoint once
// listening, or "" when metrics are disabled.
func (a *App) MetricsURL() string {
	if a.metricsListener == nil {
		return ""
	}
	return "http://" + a.metricsListener.Addr().String() + "/metrics"
}

// Endpoint returns the base URL clients use, once listening.
func (a *App) Endpoint() string {
	if a.listener == nil {
		return ""
	}
	return "http://" + a.listener.Addr().String()
}

// BootstrapPath is where the first start writes the account credentials.
func (a *App) BootstrapPath() string { return filepath.Join(a.cfg.DataDir, "bootstrap.json") }

// Bootstrap creates the first account on an empty store and writes
// bootstrap.json (mode 0600). On later starts it leaves both alone.
func (a *App) Bootstrap(ctx context.Context) error {
	domains, err := a.Store.DomainList(ctx)
	if err != nil {
		return err
	}
	if len(domains) > 0 {
		if _, err := os.Stat(a.BootstrapPath()); err == nil {
			a.log.Info("using existing account; credentials are in the bootstrap file", "path", a.BootstrapPath())
		}
		return nil
	}
	creds, err := a.Identity.CreateAccount(ctx, "imsd", a.Sealer)
	if err != nil {
		// Nodes started together on an empty database race to create
		// the first account; the losers find the winner's.
		if domains, lerr := a.Store.DomainList(ctx); lerr == nil && len(domains) > 0 {
			a.log.Info("another node created the first account; its credentials are in that node's bootstrap file")
			return nil
		}
		return fmt.Errorf("bootstrap: %w", err)
	}
	creds.Endpoint = a.Endpoint()
	if a.cfg.PublicURL != "" {
		creds.Endpoint = strings.TrimRight(a.cfg.PublicURL, "/")
	}
	b, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return err
	}
	tmp := a.BootstrapPath() + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, a.BootstrapPath()); err != nil {
		return err
	}
	a.log.Info("first start: account created; credentials written to the bootstrap file", "path", a.BootstrapPath(),
		"domain_name", creds.DomainName, "project_id", creds.ProjectID)
	return nil
}

// Run recovers from any crash, starts the job runner, GC and the HTTP
// server, and blocks until ctx ends; then it shuts down gracefully. Listen
// must have been called.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		return errors.New("app: Run before Listen")
	}
	if err := a.Bootstrap(ctx); err != nil {
		return err
	}
	if err := a.Identity.Recover(ctx); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	if err := a.Service.Recover(ctx, a.singleNode()); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.Runner.Start(runCtx)
	go a.gcLoop(runCtx)
	a.server = &http.Server{Handler: a.HTTP, ReadHeaderTimeout: 30 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- a.server.Serve(a.listener) }()
	if a.metricsListener != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", a.Metrics.Handler())
		a.metricsServer = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
		go func() { errc <- a.metricsServer.Serve(a.metricsListener) }()
	}
	a.ready.Store(true)
	ready := []any{"endpoint", a.Endpoint(), "data_dir", a.cfg.DataDir, "region", a.cfg.Region, "lease_owner", a.Runner.Owner()}
	if u := a.MetricsURL(); u != "" {
		ready = append(ready, "metrics", u)
	}
	a.log.Info("imsd ready", ready...)
	select {
	case err := <-errc:
		a.server.Close()
		if a.metricsServer != nil {
			a.metricsServer.Close()
		}
		cancel()
		a.Runner.Wait()
		return err
	case <-ctx.Done():
	}
	// Drain: /readyz fails at once so load balancers stop sending work;
	// running jobs are cancelled and handed back to the queue (another node
	// resumes them now, not when their lease expires); then in-flight
	// requests finish.
	a.draining.Store(true)
	a.ready.Store(false)
	a.log.Info("draining: handing running jobs back and finishing in-flight requests")
	cancel()
	a.Runner.Wait()
	shutdownCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	err := a.server.Shutdown(shutdownCtx)
	if a.metricsServer != nil { // last, so scrapes see the drain
		err = errors.Join(err, a.metricsServer.Shutdown(shutdownCtx))
	}
	a.log.Info("stopped")
	return err
}

// gcLoop runs the background maintenance: checksums for images stored
// before imsd computed them, at start and after every garbage collection,
// and garbage collection every GCInterval.
func (a *App) gcLoop(ctx context.Context) {
	a.fillChecksums(ctx)
	t := time.NewTicker(a.cfg.GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !a.singleNode() {
				// Uploads whose node died stay saving until a node
				// notices their heartbeat stopped.
				if err := a.Service.Recover(ctx, false); err != nil && ctx.Err() == nil {
					a.log.Error("recover abandoned uploads", "err", err)
				}
			}
			if n, err := a.KMS.PurgeDueKeys(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("destroy keys due for deletion", "err", err)
			} else if n > 0 {
				a.log.Info("keys destroyed after their pending deletion", "keys", n)
			}
			res, err := a.Service.GC(ctx, a.cfg.GCGrace)
			if err != nil && ctx.Err() == nil {
				a.log.Error("gc", "err", err)
				continue
			}
			a.log.Info("gc done", "blobs_deleted", res.BlobsDeleted, "bytes_freed", res.BytesFreed, "staging_purged", res.StagingPurged,
				"blobs_busy", res.BlobsBusy)
			if n, err := a.Audit.Prune(ctx, a.cfg.AuditRetention); err != nil && ctx.Err() == nil {
				a.log.Error("audit prune", "err", err)
			} else if n > 0 {
				a.log.Info("audit events pruned", "events", n, "older_than", a.cfg.AuditRetention.String())
			}
			a.fillChecksums(ctx)
		}
	}
}

func (a *App) fillChecksums(ctx context.Context) {
	if _, err := a.Service.FillChecksums(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("fill checksums", "err", err)
	}
}

// Close releases the store, and the listeners when Run never served them.
func (a *App) Close() error {
	if a.listener != nil && a.server == nil {
		a.listener.Close()
	}
	if a.metricsListener != nil && a.metricsServer == nil {
		a.metricsListener.Close()
	}
	return a.Store.Close()
}

// killAt returns the fail-point hook of the crash tests: reaching one of
// steps kills the process at once, as a power cut would. Nil when steps is
// empty.
func killAt(steps []string, log *slog.Logger) imsd.FailPoint {
	if len(steps) == 0 {
		return nil
	}
	log.Warn("fail points set: this process will kill itself at them (crash tests only)", "steps", strings.Join(steps, ","))
	return func(step string) {
		if !slices.Contains(steps, step) {
			return
		}
		log.Warn("fail point reached; killing the process", "step", step)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill()
		}
		select {} // the signal is on its way
	}
}
