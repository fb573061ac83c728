// Command imsbench measures imsd against baselines taken in the same run:
// upload and download throughput of a file versus `cp` of the same file,
// and the time and disk space of an in-region copy for a small and a large
// source. It starts an in-process server on a temporary data directory.
//
//	go run ./cmd/imsbench -size 2GiB -copy-small 16MiB -copy-large 4GiB
//
// With -mode scaleout it compares 1 and 3 nodes, and listing on SQLite and
// PostgreSQL (scaleout.go).
//
// -encrypted SIZE measures encrypted images instead: upload and download
// against plain ones and `cp`, a re-key copy against `cp` + sync of the
// same file, and same-key copies. -rekey-crash SIZE (with -imsd) kills the
// server during a re-key copy of that size and checks the resumed result.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/identity"
)

func parseSize(s string) int64 {
	mult := int64(1)
	for suf, m := range map[string]int64{"GiB": 1 << 30, "MiB": 1 << 20, "KiB": 1 << 10} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		log.Fatalf("bad size %q", s)
	}
	return n * mult
}

type client struct {
	endpoint string
	creds    identity.AccountCredentials
}

func (c *client) do(method, path, ctype string, body io.Reader, size int64) (*http.Response, error) {
	path, rawQuery, _ := strings.Cut(path, "?")
	b := request.NewHttpRequestBuilder().WithEndpoint(c.endpoint).WithPath(path).WithMethod(method)
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	for k, vs := range query {
		b.AddQueryParam(k, reflect.ValueOf(vs[0]))
	}
	b.AddHeaderParam("Content-Type", ctype)
	b.AddHeaderParam("X-Project-Id", c.creds.ProjectID)
	var jsonBody []byte
	if ctype == "application/json" && body != nil {
		jsonBody, _ = io.ReadAll(body)
		b.WithBody("", string(jsonBody))
		body = bytes.NewReader(jsonBody)
		size = int64(len(jsonBody))
	}
	sreq := b.Build()
	extra, err := signer.Sign(sreq, c.creds.AccessKey, c.creds.SecretKey)
	if err != nil {
		return nil, err
	}
	for k, v := range extra {
		sreq.AddHeaderParam(k, v)
	}
	hr, err := sreq.ConvertRequest()
	if err != nil {
		return nil, err
	}
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequest(method, hr.URL.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header = hr.Header.Clone()
	req.ContentLength = size
	return http.DefaultClient.Do(req)
}

func (c *client) json(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	resp, err := c.do(method, path, "application/json", body, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func makeFile(path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	buf := make([]byte, 8<<20)
	for written := int64(0); written < size; {
		n := min(int64(len(buf)), size-written)
		_, _ = rand.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			log.Fatal(err)
		}
		written += n
	}
	if err := f.Sync(); err != nil {
		log.Fatal(err)
	}
	f.Close()
}

func dropCaches() {
	_ = exec.Command("sync").Run()
	_ = os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0o200)
}

func timeCp(src, dst string) time.Duration {
	dropCaches()
	start := time.Now()
	if out, err := exec.Command("cp", src, dst).CombinedOutput(); err != nil {
		log.Fatalf("cp: %v %s", err, out)
	}
	_ = exec.Command("sync").Run()
	d := time.Since(start)
	os.Remove(dst)
	return d
}

func (c *client) upload(name, path string) (string, time.Duration) {
	var img struct {
		ID string `json:"id"`
	}
	if err := c.json("POST", "/v2/images", map[string]string{"name": name, "disk_format": "raw"}, &img); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	dropCaches()
	start := time.Now()
	resp, err := c.do("PUT", "/v2/images/"+img.ID+"/file", "application/octet-stream", f, fi.Size())
	if err != nil || resp.StatusCode != 204 {
		log.Fatalf("upload: %v %v", err, resp)
	}
	resp.Body.Close()
	_ = exec.Command("sync").Run()
	return img.ID, time.Since(start)
}

func (c *client) copyImage(id string) time.Duration {
	start := time.Now()
	var job struct {
		JobID string `json:"job_id"`
	}
	if err := c.json("POST", "/v1/cloudimages/"+id+"/copy", map[string]string{"name": "bench-copy"}, &job); err != nil {
		log.Fatal(err)
	}
	for {
		var st struct {
			Status string `json:"status"`
		}
		if err := c.json("GET", "/v1/cloudimages/job/"+job.JobID, nil, &st); err != nil {
			log.Fatal(err)
		}
		if st.Status == "SUCCESS" {
			return time.Since(start)
		}
		if st.Status == "FAIL" {
			log.Fatalf("copy failed")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func diskUsed(path string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		log.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}

func mbps(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }

func main() {
	size := flag.String("size", "2GiB", "upload/download file size")
	small := flag.String("copy-small", "16MiB", "small copy source")
	large := flag.String("copy-large", "4GiB", "large copy source")
	dir := flag.String("dir", "", "work directory (default a temp dir on the data filesystem)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the upload phase (with -encrypted: of the re-key copy) to this file (in-process server only)")
	imsdBin := flag.String("imsd", "", "run this imsd binary as a separate process (so its peak RSS is measured alone) instead of in-process; -mode scaleout and -rekey-crash need it")
	mode := flag.String("mode", "transfer", "transfer: upload, download and copy against cp; scaleout: 1 vs 3 nodes, and listing on SQLite vs PostgreSQL; load: a mixed load and signed GETs against /healthz (load.go)")
	encrypted := flag.String("encrypted", "", "measure encrypted images of this size (upload, download, re-key copy, same-key copies) instead")
	rekeyCrash := flag.String("rekey-crash", "", "with -imsd: kill the server during a re-key copy of an image of this size, restart it, and check the result")
	var so scaleoutFlags
	so.register()
	var lf loadFlags
	lf.register()
	flag.Parse()
	work := *dir
	if work == "" {
		work, _ = os.MkdirTemp(".", "imsbench-")
		defer os.RemoveAll(work)
	}
	switch *mode {
	case "scaleout":
		runScaleout(so, *imsdBin, work)
		return
	case "load":
		runLoad(lf, *imsdBin, work)
		return
	}
	if *rekeyCrash != "" {
		runRekeyCrash(*imsdBin, work, parseSize(*rekeyCrash))
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dataDir := filepath.Join(work, "data")
	var endpoint string
	serverRSS := peakRSS
	serverCPU := func() time.Duration { return 0 }
	serverPID := 0
	if *imsdBin != "" {
		endpoint = freeAddr()
		cmd := exec.CommandContext(ctx, *imsdBin, "--data-dir", dataDir, "--listen", endpoint, "--log-level", envOr("IMSBENCH_LOG_LEVEL", "warn"))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			log.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		endpoint = "http://" + endpoint
		serverRSS = func() string { return procRSS(cmd.Process.Pid) }
		serverCPU = func() time.Duration { return procCPU(cmd.Process.Pid) }
		serverPID = cmd.Process.Pid
	} else {
		cfg := app.DefaultConfig()
		cfg.DataDir, cfg.Listen = dataDir, "127.0.0.1:0"
		a, err := app.Open(ctx, cfg)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := a.Listen(); err != nil {
			log.Fatal(err)
		}
		go func() { _ = a.Run(ctx) }()
		endpoint = a.Endpoint()
	}
	for {
		if resp, err := http.Get(endpoint + "/healthz"); err == nil && resp.StatusCode == 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	var c client
	c.endpoint = endpoint
	b, _ := os.ReadFile(filepath.Join(dataDir, "bootstrap.json"))
	_ = json.Unmarshal(b, &c.creds)
	fmt.Printf("imsbench %s, GOMAXPROCS=%d, %s\n", time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.Version())
	if *encrypted != "" {
		runEncrypted(&c, work, parseSize(*encrypted), parseSize(*small), serverRSS, *cpuProfile, serverPID)
		return
	}

	n := parseSize(*size)
	src := filepath.Join(work, "upload.img")
	makeFile(src, n)
	cpTime := timeCp(src, filepath.Join(work, "cp.img"))
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	cpuBefore := serverCPU()
	id, upTime := c.upload("bench", src)
	upCPU := serverCPU() - cpuBefore
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	dropCaches()
	start := time.Now()
	resp, err := c.do("GET", "/v2/images/"+id+"/file", "application/json", nil, 0)
	if err != nil {
		log.Fatal(err)
	}
	got, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	downTime := time.Since(start)
	if got != n {
		log.Fatalf("download returned %d bytes, want %d", got, n)
	}
	fmt.Printf("file %s: cp %.0f MB/s | upload %.0f MB/s (%.2fx cp) | download %.0f MB/s (%.2fx cp)\n", *size,
		mbps(n, cpTime), mbps(n, upTime), cpTime.Seconds()/upTime.Seconds(), mbps(n, downTime), cpTime.Seconds()/downTime.Seconds())
	if *imsdBin != "" {
		// CPU time is what the upload costs whatever else the machine
		// runs; throughput on a shared machine is also a scheduling result.
		fmt.Printf("upload CPU of the imsd process: %.2f s (%.2f s/GiB)\n", upCPU.Seconds(), upCPU.Seconds()/(float64(n)/(1<<30)))
	}
	os.Remove(src)

	type result struct {
		label string
		size  int64
		d     time.Duration
		disk  int64
		cp    time.Duration
	}
	var res []result
	for _, s := range []string{*small, *large} {
		n := parseSize(s)
		f := filepath.Join(work, "copy-"+s+".img")
		makeFile(f, n)
		id, _ := c.upload("copy-src-"+s, f)
		cpT := timeCp(f, filepath.Join(work, "cp.img"))
		os.Remove(f)
		_ = exec.Command("sync").Run()
		before := diskUsed(work)
		d := c.copyImage(id)
		_ = exec.Command("sync").Run()
		res = append(res, result{s, n, d, diskUsed(work) - before, cpT})
	}
	for _, r := range res {
		fmt.Printf("copy %s: POST→SUCCESS %.1f ms | cp of the same file %.0f ms (%.0fx faster) | new disk space %d KiB\n",
			r.label, float64(r.d.Microseconds())/1000, float64(r.cp.Milliseconds()), r.cp.Seconds()/r.d.Seconds(), r.disk/1024)
	}
	fmt.Printf("copy time ratio %s/%s: %.2f\n", res[1].label, res[0].label, res[1].d.Seconds()/res[0].d.Seconds())
	if *imsdBin != "" {
		fmt.Printf("peak RSS of the imsd process: %s\n", serverRSS())
	} else {
		fmt.Printf("peak RSS of the process (server + benchmark client): %s\n", serverRSS())
	}
}

// procCPU returns the user+system CPU time another process has used so
// far, from /proc/<pid>/stat (in clock ticks of 1/100 s, as on Linux).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14 and stime 15.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// procRSS returns VmHWM of another process.
func procRSS(pid int) string { return hwm(fmt.Sprintf("/proc/%d/status", pid)) }

// peakRSS returns VmHWM from /proc/self/status.
func peakRSS() string { return hwm("/proc/self/status") }

func hwm(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

// envOr returns the environment variable k, or def when it is unset.
func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
