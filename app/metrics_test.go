package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/imshttp"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/metrics/metricstest"
)

func ptr[T any](v T) *T { return &v }

// uploadImage creates a raw image and uploads data to it.
func uploadImage(t *testing.T, env *sdktest.Env, name string, data []byte) string {
	t.Helper()
	df := model.GetGlanceCreateImageMetadataRequestBodyDiskFormatEnum().RAW
	r, err := env.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{
		Body: &model.GlanceCreateImageMetadataRequestBody{Name: ptr(name), DiskFormat: &df}})
	if err != nil {
		t.Fatalf("create image: %v", err)
	}
	resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + *r.Id + "/file",
		ContentType: "application/octet-stream", Body: bytes.NewReader(data)})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload: status %d", resp.StatusCode)
	}
	return *r.Id
}

// copyImage copies src and waits for the job to end with status want.
func copyImage(t *testing.T, env *sdktest.Env, src, name, want string) {
	t.Helper()
	r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
		Body: &model.CopyImageInRegionRequestBody{Name: name}})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	var status string
	imstest.WaitFor(t, 30*time.Second, "copy job to end", func() bool {
		j, err := env.IMS.ShowJob(&model.ShowJobRequest{JobId: *r.JobId})
		if err != nil {
			t.Fatalf("ShowJob: %v", err)
		}
		status = j.Status.Value()
		return status == "SUCCESS" || status == "FAIL"
	})
	if status != want {
		t.Fatalf("copy job ended %s, want %s", status, want)
	}
}

// TestMetricsEndpoint runs the real server with --metrics-listen, uploads,
// downloads and copies (one copy succeeds, one fails), and scrapes the
// metrics endpoint over HTTP: the counters moved under the route names of
// the route table, with the right status codes, and no raw path leaked into
// a label.
func TestMetricsEndpoint(t *testing.T) {
	env := sdktest.Start(t, func(c *app.Config) { c.MetricsListen = "127.0.0.1:0" })
	url := env.App.MetricsURL()
	if url == "" || strings.HasPrefix(url, env.Endpoint) {
		t.Fatalf("metrics URL %q: want a listener of its own (API at %s)", url, env.Endpoint)
	}
	data := make([]byte, 1<<20+7)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	src := uploadImage(t, env, "source", data)
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + src + "/file"})
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("download: status %d, %d bytes", resp.StatusCode, len(got))
	}
	copyImage(t, env, src, "good copy", "SUCCESS")

	// A copy whose source data vanished from the blob store fails.
	lost := uploadImage(t, env, "lost", []byte("some other data"))
	img, err := env.App.Store.ImageGet(context.Background(), lost)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.App.Blobs.Delete(context.Background(), img.BlobDigest); err != nil {
		t.Fatal(err)
	}
	copyImage(t, env, lost, "bad copy", "FAIL")

	// An unrouted path and a missing image (an authenticated 404).
	if r, err := http.Get(env.Endpoint + "/no/such/route/d41d8cd98f00b204"); err == nil {
		r.Body.Close()
	}
	if _, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: "00000000-0000-0000-0000-000000000000"}); err == nil {
		t.Fatal("showing a missing image succeeded")
	}

	type sample struct {
		name   string
		labels []string
		value  float64
	}
	wants := []sample{
		{"imsd_http_requests_total", []string{"route", "UploadImageFile", "method", "PUT", "code", "204"}, 2},
		{"imsd_http_requests_total", []string{"route", "DownloadImageFile", "method", "GET", "code", "200"}, 1},
		{"imsd_http_requests_total", []string{"route", "CopyImageInRegion", "method", "POST", "code", "200"}, 2},
		{"imsd_http_requests_total", []string{"route", "GlanceShowImage", "method", "GET", "code", "404"}, 1},
		{"imsd_http_requests_total", []string{"route", imshttp.RouteNotFound, "method", "GET", "code", "404"}, 1},
		{"imsd_http_request_duration_seconds", []string{"route", "UploadImageFile"}, 2},
		{"imsd_image_uploaded_bytes_total", nil, float64(len(data) + len("some other data"))},
		{"imsd_image_downloaded_bytes_total", nil, float64(len(data))},
		{"imsd_copy_jobs_finished_total", []string{"status", "SUCCESS"}, 1},
		{"imsd_copy_jobs_finished_total", []string{"status", "FAIL"}, 1},
		{"imsd_copy_job_duration_seconds", []string{"status", "SUCCESS"}, 1},
		{"imsd_copy_job_duration_seconds", []string{"status", "FAIL"}, 1},
		{"imsd_jobs_queued", nil, 0},
		{"imsd_jobs_running", nil, 0},
	}
	var f metricstest.Families
	var miss string
	t.Cleanup(func() {
		if t.Failed() && miss != "" {
			t.Logf("last scrape: %s", miss)
		}
	})
	// Metrics are recorded as a handler or job returns, which may be just
	// after the client saw the answer: poll.
	imstest.WaitFor(t, 10*time.Second, "the metrics to count every request and job", func() bool {
		f = metricstest.Scrape(t, url)
		for _, w := range wants {
			if v, ok := f.Value(w.name, w.labels...); !ok || v != w.value {
				miss = fmt.Sprintf("%s%v = %v (present %v), want %v", w.name, w.labels, v, ok, w.value)
				return false
			}
		}
		return true
	})

	known := map[string]bool{imshttp.RouteNotFound: true, imshttp.RouteMethodNotAllowed: true}
	for _, rt := range api.Routes() {
		known[rt.Name] = true
	}
	for _, route := range f.LabelValues("imsd_http_requests_total", "route") {
		if !known[route] {
			t.Errorf("route label %q is not a route name", route)
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := f.Value(name); !ok {
			t.Errorf("%s missing", name)
		}
	}

	// The API listener does not serve the metrics.
	r, err := http.Get(env.Endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if strings.Contains(string(body), "imsd_http_requests_total") {
		t.Fatal("the API listener serves the metrics")
	}
}

// TestMetricsDisabledByDefault: without MetricsListen nothing is collected
// or served.
func TestMetricsDisabledByDefault(t *testing.T) {
	env := sdktest.Start(t, nil)
	if env.App.Metrics != nil || env.App.MetricsURL() != "" {
		t.Fatalf("metrics enabled without MetricsListen: %q", env.App.MetricsURL())
	}
}
