package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/store/sqlite"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type proc struct {
	cmd *exec.Cmd
	log *os.File
}

// startImsd runs the binary on dir and addr, with extra flags appended, and
// waits until /healthz answers 200. GC runs every 100 ms with a 1 s grace:
// short, yet longer than a small upload keeps its staged file untouched
// (a grace of 1 ms let GC purge an upload in flight).
func startImsd(t *testing.T, bin, dir, addr string, extra ...string) *proc {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(dir, "imsd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--data-dir", dir, "--listen", addr, "--job-workers", "1", "--jobs-per-project", "1",
		"--gc-interval", "100ms", "--gc-grace", "1s"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logf}
	t.Cleanup(func() {
		p.kill()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("last lines of the server log in %s:\n%s", dir, strings.Join(lines[max(0, len(lines)-15):], "\n"))
		}
	})
	imstest.WaitFor(t, 20*time.Second, "imsd /healthz", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return p
}

func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// TestCrashRecovery kills a real imsd with SIGKILL in the middle of an
// upload and with copy jobs queued or running, restarts it, and checks:
// every job ends (SUCCESS or FAIL), no image is left saving, the
// interrupted upload is killed (never active), and GC removes the staged
// data of the interrupted upload.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	bin := imsdBinary(t)
	addr := freePort(t)
	p := startImsd(t, bin, dir, addr)
	env := &sdktest.Env{Endpoint: "http://" + addr}
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &env.Creds); err != nil {
		t.Fatal(err)
	}
	env.IMS = env.Client(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID)

	newImage := func(name string) string {
		r, err := env.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: &name}})
		if err != nil {
			t.Fatal(err)
		}
		return *r.Id
	}
	src := newImage("source")
	resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + src + "/file", ContentType: "application/octet-stream",
		Body: strings.NewReader(strings.Repeat("imsd", 1<<18))})
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("upload %d", resp.StatusCode)
	}

	// An upload that is still streaming when the server dies.
	partial := newImage("partial")
	pr, pw := io.Pipe()
	uploadDone := make(chan struct{})
	go func() {
		defer close(uploadDone)
		req := env.Signed(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID,
			sdktest.Request{Method: "PUT", Path: "/v2/images/" + partial + "/file", ContentType: "application/octet-stream", Body: pr})
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	chunk := make([]byte, 1<<20)
	for i := 0; i < 8; i++ {
		if _, err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	imstest.WaitFor(t, 10*time.Second, "upload to reach saving", func() bool {
		s, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: partial})
		return err == nil && s.Status.Value() == "saving"
	})

	// Copy jobs queued behind a one-worker runner.
	var jobs []string
	for i := 0; i < 30; i++ {
		r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: fmt.Sprintf("copy-%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, *r.JobId)
	}
	p.kill()
	pw.CloseWithError(io.ErrClosedPipe)
	<-uploadDone

	stagedBefore := countFiles(t, filepath.Join(dir, "blobs", "staging"))
	startImsd(t, bin, dir, addr)
	for _, j := range jobs {
		imstest.WaitFor(t, 30*time.Second, "job "+j+" to end", func() bool {
			r, err := env.IMS.ShowJob(&model.ShowJobRequest{JobId: j})
			return err == nil && (r.Status.Value() == "SUCCESS" || r.Status.Value() == "FAIL")
		})
	}
	s, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: partial})
	if err != nil || (s.Status.Value() != "killed" && s.Status.Value() != "queued") {
		t.Fatalf("interrupted upload is %v (%v); want killed or queued", s.Status, err)
	}
	list, err := env.IMS.ListImages(&model.ListImagesRequest{Status: ptr(model.GetListImagesRequestStatusEnum().SAVING)})
	if err != nil || len(*list.Images) != 0 {
		t.Fatalf("images left saving: %v %d", err, len(*list.Images))
	}
	imstest.WaitFor(t, 30*time.Second, "GC to purge staged uploads", func() bool {
		return countFiles(t, filepath.Join(dir, "blobs", "staging")) == 0
	})
	t.Logf("staged files before restart: %d, jobs checked: %d", stagedBefore, len(jobs))

	// The restart kept the source image and its data.
	resp = env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + src + "/file"})
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != strings.Repeat("imsd", 1<<18) {
		t.Fatalf("after restart the source downloads %d bytes (status %d)", len(got), resp.StatusCode)
	}

	// Every committed blob is referenced by an image.
	if n := checkNoOrphans(t, dir); n == 0 {
		t.Fatal("no blobs at all: the source's data is missing")
	}
}

func ptr[T any](v T) *T { return &v }

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// checkNoOrphans opens the stopped server's store read-only-ish and
// verifies every blob file is referenced.
func checkNoOrphans(t *testing.T, dir string) int {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(dir, "imsd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	imstest.WaitFor(t, 30*time.Second, "GC to remove unreferenced blobs", func() bool {
		n = 0
		ok := true
		_ = filepath.Walk(filepath.Join(dir, "blobs", "blobs"), func(path string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			n++
			refs, err := st.BlobRefCount(context.Background(), filepath.Base(path))
			if err != nil || refs == 0 {
				ok = false
			}
			return nil
		})
		return ok
	})
	return n
}

// TestSIGTERMShutsDownGracefully: the server exits 0 on SIGTERM, and a
// restart reuses the account from bootstrap.json.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	bin := imsdBinary(t)
	addr := freePort(t)
	p := startImsd(t, bin, dir, addr)
	first, err := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "bootstrap.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap.json mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("imsd exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("imsd did not exit within 30 s of SIGTERM")
	}
	startImsd(t, bin, dir, addr)
	again, _ := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	if string(again) != string(first) {
		t.Fatal("restart rewrote bootstrap.json")
	}
	log, _ := os.ReadFile(filepath.Join(dir, "imsd.log"))
	var creds struct {
		SecretKey string `json:"secret_key"`
		Password  string `json:"password"`
	}
	_ = json.Unmarshal(first, &creds)
	if strings.Contains(string(log), creds.SecretKey) || strings.Contains(string(log), creds.Password) {
		t.Fatal("the log contains a secret from bootstrap.json")
	}
	if !strings.Contains(string(log), "bootstrap.json") {
		t.Fatal("the log does not say where bootstrap.json is")
	}
}

// TestAccountCreateWhileRunning: `imsd account create` works against the
// data dir of a running server and prints credentials the server accepts,
// isolated from the first account.
func TestAccountCreateWhileRunning(t *testing.T) {
	dir := t.TempDir()
	bin := imsdBinary(t)
	addr := freePort(t)
	startImsd(t, bin, dir, addr)
	out, err := exec.Command(bin, "account", "create", "--data-dir", dir, "--name", "team-a").Output()
	if err != nil {
		t.Fatalf("account create: %v", err)
	}
	var creds map[string]string
	if err := json.Unmarshal(out, &creds); err != nil {
		t.Fatalf("account create printed %q: %v", out, err)
	}
	for _, k := range []string{"endpoint", "region", "domain_id", "domain_name", "project_id", "project_name", "user_id", "user_name", "password", "access_key", "secret_key"} {
		if creds[k] == "" {
			t.Fatalf("account create output lacks %q: %s", k, out)
		}
	}
	if creds["domain_name"] != "team-a" || creds["endpoint"] != "http://"+addr {
		t.Fatalf("account create output: %s", out)
	}
	env := &sdktest.Env{Endpoint: "http://" + addr}
	c := env.Client(t, creds["access_key"], creds["secret_key"], creds["project_id"])
	list, err := c.ListImages(&model.ListImagesRequest{})
	if err != nil || len(*list.Images) != 0 {
		t.Fatalf("the new account's first call: %v", err)
	}
	if dup, err := exec.Command(bin, "account", "create", "--data-dir", dir, "--name", "team-a").CombinedOutput(); err == nil {
		t.Fatalf("a second account with the same name was created: %s", dup)
	}
}

// built is the server binary shared by the tests that run it.
var built struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// imsdBinary builds the server once per test run and returns its path.
// The tests that run the real binary are skipped under -short only.
func imsdBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "imsd-test-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "imsd")
		built.out, built.err = exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
	})
	if built.err != nil {
		t.Fatalf("go build: %v\n%s", built.err, built.out)
	}
	return built.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
	}
	os.Exit(code)
}
