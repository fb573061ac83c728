package metrics_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/metrics"
	"github.com/imsd/imsd/metrics/metricstest"
)

func serve(t *testing.T, opts metrics.Options) (*metrics.Set, string) {
	t.Helper()
	s, err := metrics.New(prometheus.NewRegistry(), opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func want(t *testing.T, f metricstest.Families, v float64, name string, labels ...string) {
	t.Helper()
	got, ok := f.Value(name, labels...)
	if !ok || got != v {
		t.Errorf("%s%v = %v (present %v), want %v", name, labels, got, ok, v)
	}
}

// TestSetExposesWhatItObserved: every observation shows up in a scrape
// with its labels, next to the runtime and process collectors.
func TestSetExposesWhatItObserved(t *testing.T) {
	s, url := serve(t, metrics.Options{JobCounts: func(context.Context) (int, int, error) { return 3, 2, nil }})
	s.ObserveRequest("UploadImageFile", "PUT", 204, 1500*time.Millisecond)
	s.ObserveRequest("UploadImageFile", "PUT", 204, time.Millisecond)
	s.ObserveRequest("GlanceShowImage", "GET", 404, time.Millisecond)
	s.AddImageBytes(1000, 0)
	s.AddImageBytes(24, 4096)
	begin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.ObserveJob(&imsd.Job{Type: imsd.JobTypeCopyInRegion, Status: imsd.JobSuccess, BeginTime: begin, EndTime: begin.Add(2 * time.Second)})
	s.ObserveJob(&imsd.Job{Type: imsd.JobTypeCopyInRegion, Status: imsd.JobFail, BeginTime: begin, EndTime: begin.Add(time.Second)})
	s.ObserveJob(&imsd.Job{Type: "other", Status: imsd.JobSuccess})
	s.ObserveJob(&imsd.Job{Type: imsd.JobTypeCopyInRegion, Status: imsd.JobRunning})

	f := metricstest.Scrape(t, url)
	want(t, f, 2, "imsd_http_requests_total", "route", "UploadImageFile", "method", "PUT", "code", "204")
	want(t, f, 1, "imsd_http_requests_total", "route", "GlanceShowImage", "method", "GET", "code", "404")
	want(t, f, 2, "imsd_http_request_duration_seconds", "route", "UploadImageFile")
	want(t, f, 1000+24, "imsd_image_uploaded_bytes_total")
	want(t, f, 4096, "imsd_image_downloaded_bytes_total")
	want(t, f, 1, "imsd_copy_jobs_finished_total", "status", "SUCCESS")
	want(t, f, 1, "imsd_copy_jobs_finished_total", "status", "FAIL")
	want(t, f, 1, "imsd_copy_job_duration_seconds", "status", "SUCCESS")
	want(t, f, 3, "imsd_jobs_queued")
	want(t, f, 2, "imsd_jobs_running")
	if h := f["imsd_copy_job_duration_seconds"]; h != nil {
		for _, m := range h.GetMetric() {
			if m.GetLabel()[0].GetValue() == "SUCCESS" && m.GetHistogram().GetSampleSum() != 2 {
				t.Errorf("SUCCESS copy duration sum %v, want 2 s", m.GetHistogram().GetSampleSum())
			}
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := f.Value(name); !ok {
			t.Errorf("%s missing: the runtime and process collectors are not registered", name)
		}
	}
}

// TestJobCountErrorKeepsTheScrape: a failing store query drops the job
// gauges, not the whole scrape.
func TestJobCountErrorKeepsTheScrape(t *testing.T) {
	s, url := serve(t, metrics.Options{JobCounts: func(context.Context) (int, int, error) { return 0, 0, errors.New("database is locked") }})
	s.ObserveRequest("Health", "GET", 200, time.Millisecond)
	f := metricstest.Scrape(t, url)
	want(t, f, 1, "imsd_http_requests_total", "route", "Health")
	if _, ok := f.Value("imsd_jobs_queued"); ok {
		t.Error("imsd_jobs_queued reported although counting failed")
	}
}

// TestJobCountsHonourTimeout: the store query gets a context with the
// configured deadline.
func TestJobCountsHonourTimeout(t *testing.T) {
	_, url := serve(t, metrics.Options{JobCountsTimeout: time.Millisecond, JobCounts: func(ctx context.Context) (int, int, error) {
		<-ctx.Done()
		return 0, 0, ctx.Err()
	}})
	if _, ok := metricstest.Scrape(t, url).Value("imsd_jobs_running"); ok {
		t.Error("imsd_jobs_running reported although counting timed out")
	}
}

// TestNewRejectsASharedRegistry: two Sets cannot share one registry.
func TestNewRejectsASharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg, metrics.Options{}); err == nil {
		t.Fatal("a second Set registered in the same registry")
	}
}
