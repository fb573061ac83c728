package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// binaries are the ims and imsd programs built once for all end-to-end
// tests, into a directory TestMain removes.
var binaries struct {
	once      sync.Once
	dir       string
	ims, imsd string
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// buildBinaries builds ./cmd/ims and ./cmd/imsd with go build -o.
func buildBinaries(t testing.TB) (ims, imsd string) {
	t.Helper()
	binaries.once.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			binaries.err = err
			return
		}
		if binaries.dir, err = os.MkdirTemp("", "ims-e2e-"); err != nil {
			binaries.err = err
			return
		}
		binaries.ims, binaries.imsd = filepath.Join(binaries.dir, "ims"), filepath.Join(binaries.dir, "imsd")
		for _, b := range []struct{ out, pkg string }{{binaries.ims, "."}, {binaries.imsd, "../imsd"}} {
			out, err := exec.Command(gobin, "build", "-o", b.out, b.pkg).CombinedOutput()
			if err != nil {
				binaries.err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if binaries.err != nil {
		t.Fatal(binaries.err)
	}
	return binaries.ims, binaries.imsd
}

// e2e is a running imsd process and an ims configured for it.
type e2e struct {
	ims      string
	dataDir  string
	endpoint string
	config   string
	home     string
	env      []string
}

// startServer starts imsd on a free loopback port with a fresh data
// directory and the extra flags, waits for /healthz and kills the process
// at cleanup.
func startServer(t testing.TB, extra ...string) *e2e {
	t.Helper()
	imsBin, imsdBin := buildBinaries(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e := &e2e{ims: imsBin, dataDir: t.TempDir(), endpoint: "http://" + addr, home: t.TempDir()}
	e.config = filepath.Join(e.home, "ims", "config.yaml")
	var logs bytes.Buffer
	cmd := exec.Command(imsdBin, append([]string{"--data-dir", e.dataDir, "--listen", addr, "--log-level", "warn"}, extra...)...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start imsd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("imsd output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(e.endpoint + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("imsd exited before it was ready: %v\n%s", err, logs.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("imsd not healthy after 20s: %v\n%s", err, logs.String())
		}
	}
	// The client's environment: nothing that would override the config.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "HUAWEICLOUD_SDK_") || strings.HasPrefix(k, "IMS_") || k == "XDG_CONFIG_HOME" {
			continue
		}
		e.env = append(e.env, kv)
	}
	e.env = append(e.env, "XDG_CONFIG_HOME="+e.home)
	return e
}

// result is one ims invocation.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("ims %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs the ims binary with extra environment variables (KEY=VALUE).
func (e *e2e) run(t testing.TB, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(e.ims, args...)
	cmd.Env = append(append([]string(nil), e.env...), env...)
	var o, er bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &er
	err := cmd.Run()
	r := result{args: args, stdout: o.String(), stderr: er.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run ims: %v", err)
	}
	return r
}

// ok runs ims and fails the test unless it exits 0.
func (e *e2e) ok(t testing.TB, args ...string) result {
	t.Helper()
	r := e.run(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("%v", r)
	}
	return r
}
