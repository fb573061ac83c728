package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/identity"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// The machinery of the multi-node test: imsd processes sharing one
// PostgreSQL schema and one S3 bucket (versitygw), reached through a proxy
// the test can make hold requests or fail.

// s3Proxy forwards to the S3 server. hold makes HEAD requests for paths
// containing a string wait until released (or their client goes away);
// down answers everything 503.
type s3Proxy struct {
	srv     *httptest.Server
	mu      sync.Mutex
	hold    string
	release chan struct{}
	down    bool
	held    atomic.Int64
}

func newS3Proxy(t *testing.T, target string) *s3Proxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u) // keeps the Host header the client signed
	p := &s3Proxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		hold, rel, down := p.hold, p.release, p.down
		p.mu.Unlock()
		if down {
			http.Error(w, "injected outage", http.StatusServiceUnavailable)
			return
		}
		if hold != "" && r.Method == http.MethodHead && strings.Contains(r.URL.Path, hold) {
			p.held.Add(1)
			select {
			case <-rel:
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		p.Release()
		p.srv.Close()
	})
	return p
}

// Hold makes HEAD requests of paths containing s wait.
func (p *s3Proxy) Hold(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hold, p.release = s, make(chan struct{})
	p.held.Store(0)
}

// Release lets held requests (and later ones) through.
func (p *s3Proxy) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.release != nil {
		close(p.release)
	}
	p.hold, p.release = "", nil
}

// SetDown switches the injected outage.
func (p *s3Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
}

// node is one imsd process of a cluster.
type node struct {
	name, dir, addr, metrics string
	extra                    []string
	p                        *proc
}

func (n *node) url() string     { return "http://" + n.addr }
func (n *node) logPath() string { return filepath.Join(n.dir, "imsd.log") }

func (n *node) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(n.logPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// cluster is the shared configuration of the nodes.
type cluster struct {
	bin       string
	pgURL     string
	s3        imstest.S3Config
	s3URL     string // the proxy's
	bucket    string
	keyFile   string
	nodes     []*node
	db        *sql.DB
	creds     identity.AccountCredentials
	s3Proxy   *s3Proxy
	baseFlags []string
	// root is the test that owns the cluster: processes started by its
	// subtests must outlive them.
	root *testing.T
}

// freshPostgresSchema creates a schema for one test and returns a URL whose
// search_path selects it, and a connection to inspect it.
func freshPostgresSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	db, err := sql.Open("pgx", imstest.PostgresURL())
	if err != nil {
		imstest.Unavailable(t, "PostgreSQL", err)
	}
	if err := db.PingContext(t.Context()); err != nil {
		imstest.Unavailable(t, "PostgreSQL", err)
	}
	schema := "cluster_" + imsd.NewHexID()[:12]
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u := imstest.PostgresURL()
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	pgURL := u + sep + "search_path=" + schema
	inspect, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inspect.Close() })
	return pgURL, inspect
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{bin: imsdBinary(t), root: t}
	c.pgURL, c.db = freshPostgresSchema(t)
	c.s3 = imstest.S3(t)
	c.s3Proxy = newS3Proxy(t, c.s3.Endpoint)
	c.s3URL = c.s3Proxy.srv.URL
	c.bucket = "imsd-cluster-" + imsd.NewHexID()[:12]
	c.keyFile = filepath.Join(t.TempDir(), "master.key")
	c.setFlags()
	return c
}

// setFlags derives the flags every process of the cluster gets.
func (c *cluster) setFlags() {
	c.baseFlags = []string{"--postgres-url", c.pgURL, "--s3-endpoint", c.s3URL, "--s3-bucket", c.bucket,
		"--s3-region", c.s3.Region, "--s3-access-key", c.s3.AccessKey, "--master-key-file", c.keyFile}
}

// run runs an operator command of the binary with the cluster's flags and
// returns its standard output, failing the test when it fails.
func (c *cluster) run(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(c.bin, append(args, c.baseFlags...)...)
	cmd.Env = c.env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("imsd %s: %v\n%s", strings.Join(args, " "), err, exitStderr(err))
	}
	return string(out)
}

// env is the environment of every imsd process: the S3 secret key only
// travels there.
func (c *cluster) env() []string {
	return append(os.Environ(), "IMSD_S3_SECRET_KEY="+c.s3.SecretKey)
}

// addNode describes a node; start runs it.
func (c *cluster) addNode(t *testing.T, name string, extra ...string) *node {
	t.Helper()
	n := &node{name: name, dir: t.TempDir(), addr: freePort(t), metrics: freePort(t), extra: extra}
	c.nodes = append(c.nodes, n)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(n.logPath())
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("last lines of %s's log (%s):\n%s", n.name, n.addr, strings.Join(lines[max(0, len(lines)-25):], "\n"))
		}
	})
	return n
}

// start launches the node's process without waiting for it.
func (c *cluster) start(t *testing.T, n *node, extra ...string) {
	t.Helper()
	logf, err := os.OpenFile(n.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--node-name", n.name, "--data-dir", n.dir, "--listen", n.addr, "--metrics-listen", n.metrics,
		"--job-workers", "2", "--jobs-per-project", "8", "--job-lease", "3s", "--gc-interval", "1h"}, c.baseFlags...)
	args = append(append(args, n.extra...), extra...)
	cmd := exec.Command(c.bin, args...)
	cmd.Env = c.env()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n.p = &proc{cmd: cmd, log: logf}
	p := n.p
	c.root.Cleanup(func() { p.kill(); logf.Close() })
}

// waitReady waits until the node's /readyz answers 200.
func (c *cluster) waitReady(t *testing.T, n *node) {
	t.Helper()
	imstest.WaitFor(t, 30*time.Second, n.name+" /readyz", func() bool {
		if n.p.cmd.ProcessState != nil {
			t.Fatalf("%s exited: %s", n.name, n.log(t))
		}
		resp, err := http.Get(n.url() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// sdk returns an SDK environment talking to node n with the bootstrap
// account.
func (c *cluster) sdk(t *testing.T, n *node) *sdktest.Env {
	t.Helper()
	e := &sdktest.Env{Endpoint: n.url(), Creds: c.creds}
	e.IMS = e.Client(t, c.creds.AccessKey, c.creds.SecretKey, c.creds.ProjectID)
	return e
}

// jobRow is what the test reads of a job in the shared database.
type jobRow struct {
	Status, Owner string
	Attempts      int
}

func (c *cluster) job(t *testing.T, id string) jobRow {
	t.Helper()
	var j jobRow
	err := c.db.QueryRowContext(t.Context(), `SELECT status, lease_owner, attempts FROM jobs WHERE id = $1`, id).
		Scan(&j.Status, &j.Owner, &j.Attempts)
	if err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	return j
}

// nodeOf returns the node whose name starts the lease owner.
func (c *cluster) nodeOf(t *testing.T, owner string) *node {
	t.Helper()
	name, _, _ := strings.Cut(owner, "/")
	for _, n := range c.nodes {
		if n.name == name {
			return n
		}
	}
	t.Fatalf("lease owner %q names no node", owner)
	return nil
}

// readBootstrap finds the one bootstrap.json the nodes wrote.
func (c *cluster) readBootstrap(t *testing.T) {
	t.Helper()
	var found []string
	for _, n := range c.nodes {
		b, err := os.ReadFile(filepath.Join(n.dir, "bootstrap.json"))
		if err != nil {
			continue
		}
		found = append(found, n.name)
		if err := json.Unmarshal(b, &c.creds); err != nil {
			t.Fatal(err)
		}
	}
	if len(found) != 1 {
		t.Fatalf("bootstrap.json written by %v, want exactly one node", found)
	}
}

// stop sends sig to the node and waits for it to exit, returning how it
// exited.
func (n *node) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if err := n.p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not exit within 60 s of %v", n.name, sig)
		return nil
	}
}

// countLines counts the log lines of n that contain every one of parts.
func countLines(log string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			n++
		}
	}
	return n
}

// waitJobDone polls a job in the database until it ends.
func waitJobDone(t *testing.T, c *cluster, id string, timeout time.Duration) jobRow {
	t.Helper()
	var j jobRow
	imstest.WaitFor(t, timeout, "job "+id+" to end", func() bool {
		j = c.job(t, id)
		return j.Status == "SUCCESS" || j.Status == "FAIL"
	})
	return j
}
