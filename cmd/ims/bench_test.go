package main

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

// BenchmarkUploadThroughput compares `ims image upload` (the whole process:
// start, config, signed streaming PUT, final show) with a raw HTTP PUT of
// the same file signed by the SDK signer, whose body is the *os.File itself
// (so net/http may use sendfile). Opt-in, it moves gigabytes:
//
//	go test -run '^$' -bench UploadThroughput -benchtime 1x -v ./cmd/ims/
//
// IMS_BENCH_MB sets the file size (default 512) and IMS_BENCH_ROUNDS the
// rounds of each kind (default 3). Every upload gets distinct content so
// the server never deduplicates; the medians are logged.
func BenchmarkUploadThroughput(tb *testing.B) {
	t := testing.TB(tb)
	mb := envInt("IMS_BENCH_MB", 512)
	rounds := envInt("IMS_BENCH_ROUNDS", 3)
	e := startServer(t)
	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))
	var boot bootstrap
	b, err := os.ReadFile(filepath.Join(e.dataDir, "bootstrap.json"))
	if err != nil || json.Unmarshal(b, &boot) != nil {
		t.Fatalf("bootstrap.json: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bench.raw")
	size := int64(mb) << 20
	writeRandomFile(t, path, size)
	stamp := uint64(0)
	restamp := func() { // distinct content for each upload
		stamp++
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], stamp)
		if _, err := f.WriteAt(b[:], 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	newImage := func() string {
		r := e.ok(t, "image", "create", "--name", "bench", "--disk-format", "raw", "-o", "json")
		return jsonOut[map[string]any](t, r)["id"].(string)
	}
	rawPut := func(id string) time.Duration {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sreq := request.NewHttpRequestBuilder().WithEndpoint(boot.Endpoint).WithPath("/v2/images/"+id+"/file").WithMethod("PUT").
			AddHeaderParam("Content-Type", "application/octet-stream").AddHeaderParam("X-Project-Id", boot.ProjectID).Build()
		extra, err := signer.Sign(sreq, boot.AccessKey, boot.SecretKey)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range extra {
			sreq.AddHeaderParam(k, v)
		}
		hr, err := sreq.ConvertRequest()
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("PUT", hr.URL.String(), f)
		if err != nil {
			t.Fatal(err)
		}
		req.Header, req.ContentLength = hr.Header.Clone(), size
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("raw PUT: status %d", resp.StatusCode)
		}
		return d
	}
	cliPut := func(id string) time.Duration {
		start := time.Now()
		e.ok(t, "image", "upload", id, path)
		return time.Since(start)
	}
	mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
	var raws, clis []float64
	for i := 0; i < rounds+1; i++ { // round 0 warms up
		for _, kind := range []string{"raw", "cli"} {
			restamp()
			id := newImage()
			var d time.Duration
			if kind == "raw" {
				d = rawPut(id)
			} else {
				d = cliPut(id)
			}
			e.ok(t, "image", "delete", id)
			if i == 0 {
				continue
			}
			t.Logf("round %d %s: %.0f MB/s (%v)", i, kind, mbps(d), d.Round(time.Millisecond))
			if kind == "raw" {
				raws = append(raws, mbps(d))
			} else {
				clis = append(clis, mbps(d))
			}
		}
	}
	raw, cli := median(raws), median(clis)
	t.Logf("upload of %d MiB, median of %d: raw signed PUT %.0f MB/s, ims image upload %.0f MB/s, ratio %.2f (target >= 0.90)",
		mb, rounds, raw, cli, cli/raw)
}

func envInt(k string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(k)); err == nil && n > 0 {
		return n
	}
	return def
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// writeRandomFile writes size pseudo-random bytes (incompressible, fast).
func writeRandomFile(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	buf := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		_, _ = rng.Read(buf)
		if _, err := f.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			t.Fatal(err)
		}
	}
}
