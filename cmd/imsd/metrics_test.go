package main

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/metrics/metricstest"
)

// TestMetricsListenServesPrometheus: the real binary started with
// --metrics-listen serves /metrics there, counting the /healthz probes
// under their route name, with the runtime and process collectors, and the
// API listener does not serve it.
func TestMetricsListenServesPrometheus(t *testing.T) {
	dir := t.TempDir()
	bin := imsdBinary(t)
	addr, metricsAddr := freePort(t), freePort(t)
	for metricsAddr == addr {
		metricsAddr = freePort(t)
	}
	startImsd(t, bin, dir, addr, "--metrics-listen", metricsAddr)
	url := "http://" + metricsAddr + "/metrics"
	var f metricstest.Families
	imstest.WaitFor(t, 10*time.Second, "/healthz to be counted", func() bool {
		f = metricstest.Scrape(t, url)
		n, _ := f.Value("imsd_http_requests_total", "route", "Health", "method", "GET", "code", "200")
		return n >= 1
	})
	for _, name := range []string{"imsd_jobs_queued", "imsd_jobs_running", "imsd_copy_jobs_finished_total", "go_goroutines", "process_start_time_seconds"} {
		if _, ok := f.Value(name); !ok {
			t.Errorf("%s missing from the scrape", name)
		}
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "imsd_http_requests_total") {
		t.Fatal("the API listener serves the metrics")
	}
}

// TestHelpDocumentsMetricsListen: `imsd --help` names the flag and its
// environment variable.
func TestHelpDocumentsMetricsListen(t *testing.T) {
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"--metrics-listen", "IMSD_METRICS_LISTEN", "/metrics"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("imsd --help does not mention %s", s)
		}
	}
}

// TestMetricsListenFromEnvironment: IMSD_METRICS_LISTEN sets the flag's
// default, and metrics stay off without it.
func TestMetricsListenFromEnvironment(t *testing.T) {
	t.Setenv("IMSD_METRICS_LISTEN", "")
	if v, _ := newRootCmd().Flags().GetString("metrics-listen"); v != "" {
		t.Fatalf("--metrics-listen defaults to %q, want empty (disabled)", v)
	}
	t.Setenv("IMSD_METRICS_LISTEN", "127.0.0.1:9293")
	if v, _ := newRootCmd().Flags().GetString("metrics-listen"); v != "127.0.0.1:9293" {
		t.Fatalf("--metrics-listen with IMSD_METRICS_LISTEN set is %q", v)
	}
}
