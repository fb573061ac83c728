package main

// Encrypted images: upload and download of an encrypted image, a re-key
// copy and same-key copies, each against baselines of the same run; and
// the kill -9 test of a large re-key copy.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"
)

// createKey makes a KMS key and returns its id.
func (c *client) createKey(alias string) string {
	var out struct {
		KeyInfo struct {
			KeyID string `json:"key_id"`
		} `json:"key_info"`
	}
	if err := c.json("POST", "/v1.0/"+c.creds.ProjectID+"/kms/create-key", map[string]string{"key_alias": alias}, &out); err != nil {
		log.Fatal(err)
	}
	return out.KeyInfo.KeyID
}

// uploadEncrypted creates an image with __system__cmkid and uploads path.
func (c *client) uploadEncrypted(name, key, path string) (string, time.Duration) {
	var img struct {
		ID string `json:"id"`
	}
	if err := c.json("POST", "/v2/images", map[string]string{"name": name, "disk_format": "raw", "__system__cmkid": key}, &img); err != nil {
		log.Fatal(err)
	}
	return img.ID, c.uploadInto(img.ID, path)
}

// uploadInto uploads path into image id and returns the time to 204 and
// sync.
func (c *client) uploadInto(id, path string) time.Duration {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	dropCaches()
	start := time.Now()
	resp, err := c.do("PUT", "/v2/images/"+id+"/file", "application/octet-stream", f, fi.Size())
	if err != nil || resp.StatusCode != 204 {
		log.Fatalf("upload: %v %v", err, resp)
	}
	resp.Body.Close()
	_ = exec.Command("sync").Run()
	return time.Since(start)
}

// download reads image id and returns its SHA-256 and the time taken.
func (c *client) download(id string, size int64) (string, time.Duration) {
	dropCaches()
	start := time.Now()
	resp, err := c.do("GET", "/v2/images/"+id+"/file", "application/json", nil, 0)
	if err != nil || resp.StatusCode != 200 {
		log.Fatalf("download: %v %v", err, resp)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	resp.Body.Close()
	if err != nil || n != size {
		log.Fatalf("download returned %d bytes (%v), want %d", n, err, size)
	}
	return hex.EncodeToString(h.Sum(nil)), time.Since(start)
}

// startCopy starts a copy (with cmk_id when key is set) and returns the job.
func (c *client) startCopy(id, name, key string) string {
	body := map[string]string{"name": name}
	if key != "" {
		body["cmk_id"] = key
	}
	var job struct {
		JobID string `json:"job_id"`
	}
	if err := c.json("POST", "/v1/cloudimages/"+id+"/copy", body, &job); err != nil {
		log.Fatal(err)
	}
	return job.JobID
}

// jobState is ShowJobProgress's answer.
type jobState struct {
	Status   string `json:"status"`
	Entities struct {
		ImageID string  `json:"image_id"`
		Percent float64 `json:"process_percent"`
	} `json:"entities"`
	FailReason *string `json:"fail_reason"`
}

func (c *client) job(id string) (jobState, error) {
	var st jobState
	err := c.json("GET", "/v1/cloudimages/job/"+id, nil, &st)
	return st, err
}

// waitJob polls a job until it ends, and returns its final state and how
// often process_percent changed.
func (c *client) waitJob(id string, every time.Duration) (jobState, int) {
	changes, last := 0, -1.0
	for {
		st, err := c.job(id)
		if err != nil {
			log.Fatal(err)
		}
		if st.Entities.Percent != last {
			changes++
			last = st.Entities.Percent
		}
		switch st.Status {
		case "SUCCESS":
			return st, changes
		case "FAIL":
			log.Fatalf("job %s failed: %v", id, *st.FailReason)
		}
		time.Sleep(every)
	}
}

// runEncrypted measures the encrypted-image paths on files of size n, each
// against baselines measured in the same run.
func runEncrypted(c *client, work string, n int64, smallN int64, serverRSS func() string, cpuProfile string, serverPID int) {
	// phaseRSS returns the server's peak RSS since the last call (VmHWM,
	// reset through clear_refs) when it is a process of its own.
	phaseRSS := func() string {
		if serverPID == 0 {
			return "n/a (in-process)"
		}
		rss := procRSS(serverPID)
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", serverPID), []byte("5"), 0)
		return rss
	}
	keyA, keyB := c.createKey("bench-a"), c.createKey("bench-b")
	src := filepath.Join(work, "enc.img")
	makeFile(src, n)
	cpTime := timeCp(src, filepath.Join(work, "cp.img"))
	phaseRSS()
	plainID, plainUp := c.upload("plain", src)
	encID, encUp := c.uploadEncrypted("enc", keyA, src)
	upRSS := phaseRSS()
	sum, plainDown := c.download(plainID, n)
	encSum, encDown := c.download(encID, n)
	downRSS := phaseRSS()
	if encSum != sum {
		log.Fatalf("encrypted download differs from the plain one")
	}
	fmt.Printf("encrypted file %s: cp %.0f MB/s\n", humanSize(n), mbps(n, cpTime))
	fmt.Printf("  upload:   plain %.0f MB/s (%.2fx cp) | encrypted %.0f MB/s (%.2fx cp, %.2fx plain upload) | peak RSS %s\n",
		mbps(n, plainUp), cpTime.Seconds()/plainUp.Seconds(), mbps(n, encUp), cpTime.Seconds()/encUp.Seconds(), plainUp.Seconds()/encUp.Seconds(), upRSS)
	fmt.Printf("  download: plain %.0f MB/s (%.2fx cp) | encrypted %.0f MB/s (%.2fx cp, %.2fx plain download) | peak RSS %s\n",
		mbps(n, plainDown), cpTime.Seconds()/plainDown.Seconds(), mbps(n, encDown), cpTime.Seconds()/encDown.Seconds(), plainDown.Seconds()/encDown.Seconds(), downRSS)

	// The re-key copy, against cp + sync of the same file measured again
	// right before it.
	cpTime = timeCp(src, filepath.Join(work, "cp.img"))
	os.Remove(src)
	_ = exec.Command("sync").Run()
	dropCaches()
	phaseRSS()
	stop := startProfile(cpuProfile)
	start := time.Now()
	job := c.startCopy(encID, "rekeyed", keyB)
	st, changes := c.waitJob(job, 50*time.Millisecond)
	rekey := time.Since(start)
	stop()
	rekeyRSS := phaseRSS()
	copySum, _ := c.download(st.Entities.ImageID, n)
	if copySum != sum {
		log.Fatalf("the re-keyed copy downloads different data")
	}
	fmt.Printf("  re-key copy (key A → key B), POST→SUCCESS: %.2f s = %.0f MB/s | cp + sync of the same file %.2f s | %.2fx cp | process_percent changed %d times (%.1f/s) | peak RSS %s\n",
		rekey.Seconds(), mbps(n, rekey), cpTime.Seconds(), cpTime.Seconds()/rekey.Seconds(), changes, float64(changes)/rekey.Seconds(), rekeyRSS)

	// Same-key copies of a large and a small encrypted image.
	small := filepath.Join(work, "small.img")
	makeFile(small, smallN)
	smallID, _ := c.uploadEncrypted("small", keyA, small)
	os.Remove(small)
	t0 := time.Now()
	c.waitJob(c.startCopy(smallID, "same-small", ""), 2*time.Millisecond)
	ds := time.Since(t0)
	t0 = time.Now()
	c.waitJob(c.startCopy(encID, "same-large", ""), 2*time.Millisecond)
	dl := time.Since(t0)
	fmt.Printf("  same-key copy of an encrypted image, POST→SUCCESS: %s %.1f ms | %s %.1f ms | ratio %.2f\n",
		humanSize(smallN), float64(ds.Microseconds())/1000, humanSize(n), float64(dl.Microseconds())/1000, dl.Seconds()/ds.Seconds())
	fmt.Printf("  peak RSS of the imsd process over this run: %s\n", serverRSS())
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	}
	return fmt.Sprintf("%dB", n)
}

// server is an imsd process on a data dir, restartable.
type server struct {
	bin, dataDir, addr string
	cmd                *exec.Cmd
	log                *os.File
}

func (s *server) start(extra ...string) {
	var err error
	if s.log, err = os.OpenFile(filepath.Join(s.dataDir, "imsd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err != nil {
		log.Fatal(err)
	}
	args := append([]string{"--data-dir", s.dataDir, "--listen", s.addr}, extra...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		log.Fatal(err)
	}
	for {
		if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.log.Close()
}

// runRekeyCrash kills imsd with SIGKILL while it re-encrypts a copy of an
// image of size n, restarts it, and checks that the job resumed from a
// checkpoint and that the copy is byte-identical to the source.
func runRekeyCrash(bin, work string, n int64) {
	if bin == "" {
		log.Fatal("-rekey-crash needs -imsd BINARY: the server must be a process of its own to be killed")
	}
	s := &server{bin: bin, dataDir: filepath.Join(work, "crash-data"), addr: freeAddr()}
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		log.Fatal(err)
	}
	s.start()
	c := &client{endpoint: "http://" + s.addr}
	b, _ := os.ReadFile(filepath.Join(s.dataDir, "bootstrap.json"))
	if err := json.Unmarshal(b, &c.creds); err != nil {
		log.Fatal(err)
	}
	keyA, keyB := c.createKey("crash-a"), c.createKey("crash-b")
	src := filepath.Join(work, "crash.img")
	makeFile(src, n)
	f, _ := os.Open(src)
	h := sha256.New()
	_, _ = io.Copy(h, f)
	f.Close()
	want := hex.EncodeToString(h.Sum(nil))
	id, _ := c.uploadEncrypted("crash-src", keyA, src)
	os.Remove(src)
	start := time.Now()
	job := c.startCopy(id, "crash-copy", keyB)
	var at float64
	for {
		st, err := c.job(job)
		if err != nil {
			log.Fatal(err)
		}
		if st.Status != "RUNNING" && st.Status != "INIT" {
			log.Fatalf("the copy ended (%s) before the kill; use a larger size", st.Status)
		}
		if at = st.Entities.Percent; at >= 0.5 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.kill()
	killedAfter := time.Since(start)
	doneAtKill := int64((at - 0.05) / 0.9 * float64(n))
	s.start()
	restarted := time.Now()
	st, _ := c.waitJob(job, 100*time.Millisecond)
	resumeTime := time.Since(restarted)
	logs, _ := os.ReadFile(filepath.Join(s.dataDir, "imsd.log"))
	m := regexp.MustCompile(`copy resumed from its checkpoint.*offset=(\d+)`).FindSubmatch(logs)
	if m == nil {
		log.Fatalf("the restarted server did not resume from a checkpoint")
	}
	offset, _ := strconv.ParseInt(string(m[1]), 10, 64)
	got, _ := c.download(st.Entities.ImageID, n)
	if got != want {
		log.Fatalf("the copy's SHA-256 %s differs from the source's %s", got, want)
	}
	fmt.Printf("re-key crash %s: killed (SIGKILL) %.1f s into the copy at process_percent %.2f (~%d MiB done); restarted, resumed at byte %d (%d MiB); finished %.1f s after the restart; redone at most %d MiB; copy SHA-256 equals the source's (%s)\n",
		humanSize(n), killedAfter.Seconds(), at, doneAtKill>>20, offset, offset>>20, resumeTime.Seconds(), max(doneAtKill-offset, 0)>>20, want[:16])
	s.kill()
}

// freeAddr returns a loopback address with a port that was free a moment
// ago (several benchmarks may run side by side).
func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startProfile starts a CPU profile into path ("" for none) and returns
// its stop function.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
