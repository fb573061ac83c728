package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	blobs3 "github.com/imsd/imsd/blob/s3"
	"github.com/imsd/imsd/blobcrypt"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/service"
)

// crashBackend is where a crash-matrix server keeps its data.
type crashBackend struct {
	name  string
	flags []string
	env   []string
	cfg   app.Config // the same backends, for inspecting them from the test
}

func sqliteBackend(t *testing.T) crashBackend {
	dir := t.TempDir()
	cfg := app.DefaultConfig()
	cfg.DataDir = dir
	return crashBackend{name: "sqlite", flags: []string{"--data-dir", dir}, cfg: cfg}
}

func postgresS3Backend(t *testing.T) crashBackend {
	dir := t.TempDir()
	pgURL, _ := freshPostgresSchema(t)
	s3 := imstest.S3(t)
	bucket := "imsd-crash-" + imsd.NewHexID()[:12]
	key := filepath.Join(dir, "master.key")
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.PostgresURL, cfg.MasterKeyFile = dir, pgURL, key
	cfg.S3 = blobs3.Config{Endpoint: s3.Endpoint, Bucket: bucket, Region: s3.Region, AccessKey: s3.AccessKey, SecretKey: s3.SecretKey}
	return crashBackend{name: "postgres+s3", cfg: cfg,
		flags: []string{"--data-dir", dir, "--postgres-url", pgURL, "--s3-endpoint", s3.Endpoint, "--s3-bucket", bucket,
			"--s3-region", s3.Region, "--s3-access-key", s3.AccessKey, "--master-key-file", key},
		env: []string{"IMSD_S3_SECRET_KEY=" + s3.SecretKey}}
}

// crashServer is one run of the binary on a backend.
type crashServer struct {
	cmd  *exec.Cmd
	addr string
	log  *bytes.Buffer
}

func startCrashServer(t *testing.T, bin string, b crashBackend, failPoint string, extra ...string) *crashServer {
	t.Helper()
	s := &crashServer{addr: freePort(t), log: &bytes.Buffer{}}
	args := append([]string{"--listen", s.addr, "--job-workers", "1", "--gc-interval", "1h"}, b.flags...)
	s.cmd = exec.Command(bin, append(args, extra...)...)
	s.cmd.Env = append(os.Environ(), b.env...)
	if failPoint != "" {
		s.cmd.Env = append(s.cmd.Env, "IMSD_FAILPOINTS="+failPoint)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			_ = s.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server log (%s):\n%s", failPoint, tail(s.log.String(), 20))
		}
	})
	imstest.WaitFor(t, 30*time.Second, "imsd /readyz", func() bool {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// env returns an SDK environment for the server, with the bootstrap account.
func (s *crashServer) env(t *testing.T, b crashBackend) *sdktest.Env {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(b.cfg.DataDir, "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := &sdktest.Env{Endpoint: "http://" + s.addr}
	if err := json.Unmarshal(raw, &e.Creds); err != nil {
		t.Fatal(err)
	}
	e.IMS = e.Client(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID)
	return e
}

// waitKilled waits until the fail point killed the process.
func (s *crashServer) waitKilled(t *testing.T, step string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("server ended with %v, want killed at %s", err, step)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("fail point %s was not reached", step)
	}
}

func (s *crashServer) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// crashStep is one fail point of the matrix: how to reach it, and what
// must hold after the restart beside the invariants every step shares.
type crashStep struct {
	step string
	// extra flags for the run that crashes.
	extra []string
	// trigger reaches the step (the request fails when the server dies).
	trigger func(t *testing.T, e *sdktest.Env, f *crashFixtures)
	// after checks the step's own outcome on the restarted server.
	after func(t *testing.T, e *sdktest.Env, f *crashFixtures)
}

// crashFixtures are made before the crashing run.
type crashFixtures struct {
	active  string // an active image with data
	ep      string // an enterprise project
	payload []byte
	big     []byte // data of a re-key copy (the rekey steps upload it)
}

// rekeyFlags make a re-key copy checkpoint every MiB (on S3 every part of
// at least 5 MiB), so that a 12 MiB copy checkpoints before it commits.
var rekeyFlags = []string{"--copy-checkpoint-bytes", "1048576"}

// startRekey uploads 12 MiB and copies it under a new key.
func startRekey(t *testing.T, e *sdktest.Env, f *crashFixtures) {
	t.Helper()
	f.big = bytes.Repeat([]byte("re-key me, "), 12<<20/11)
	src := uploadImage(t, e, "crash-rekey-source", f.big)
	startCopy(t, e, src, "crash-rekey", createKey(t, e, "crash-key"))
}

// startCopy asks for an in-region copy; the server may die before or after
// it answers.
func startCopy(t *testing.T, e *sdktest.Env, src, name, cmk string) {
	t.Helper()
	in := map[string]string{"name": name}
	if cmk != "" {
		in["cmk_id"] = cmk
	}
	body, _ := json.Marshal(in)
	req := e.Signed(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID,
		sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + src + "/copy", JSONBody: body})
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("copy %s: %d", name, resp.StatusCode)
		}
	}
}

// wantCopyOf waits for the copy named name to become active after the
// restart and checks that its data is want.
func wantCopyOf(t *testing.T, e *sdktest.Env, name string, want []byte) {
	t.Helper()
	var id string
	imstest.WaitFor(t, 60*time.Second, "copy "+name+" to become active", func() bool {
		for _, img := range imagesNamed(t, e, name) {
			if img.Status.Value() == "active" {
				id = img.Id
				return true
			}
		}
		return false
	})
	resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"})
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		t.Fatalf("copy %s after the crash: %d, %d bytes (want %d), equal %v, %v", name, resp.StatusCode, len(got), len(want), bytes.Equal(got, want), err)
	}
}

// TestCrashMatrix kills a real imsd with SIGKILL at each step of upload,
// delete, enterprise-project move, copy, re-key copy and GC, on the embedded default and on
// PostgreSQL + S3, restarts it, and checks what every crash must leave:
// no image still saving, no active image without its data, no job left
// RUNNING or INIT, the quota equal to the images that exist, and no data
// that GC cannot find (after a GC run as if the pins had expired, every
// stored blob is referenced) - plus each step's own outcome.
func TestCrashMatrix(t *testing.T) {
	bin := imsdBinary(t)
	upload := func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
		name := "crash-upload"
		r, err := e.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: &name}})
		if err != nil {
			t.Fatal(err)
		}
		req := e.Signed(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID,
			sdktest.Request{Method: "PUT", Path: "/v2/images/" + *r.Id + "/file", ContentType: "application/octet-stream", Body: bytes.NewReader(f.payload)})
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	steps := []crashStep{
		{step: "upload.saving", trigger: upload, after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			wantNoImageNamed(t, e, "crash-upload", "active")
		}},
		{step: "upload.committed", trigger: upload, after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			wantNoImageNamed(t, e, "crash-upload", "active")
		}},
		{step: "upload.activated", trigger: upload, after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			// The transaction committed before the crash: the image is whole.
			wantImageNamed(t, e, "crash-upload", "active")
		}},
		{step: "delete.deleted", trigger: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			_, _ = e.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: f.active})
		}, after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			if img, err := e.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: f.active}); err != nil || img.Status.Value() != "active" {
				t.Fatalf("the image whose delete crashed mid-transaction: %v %v", img, err)
			}
		}},
		{step: "ep.moved", trigger: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			body, _ := json.Marshal(map[string]string{"resource_type": "images", "resource_id": f.active, "region_id": "local-1"})
			resp, err := http.DefaultClient.Do(e.Signed(t, e.Creds.AccessKey, e.Creds.SecretKey, "",
				sdktest.Request{Method: "POST", Path: "/v1.0/enterprise-projects/" + f.ep + "/resources-migrate", JSONBody: body}))
			if err == nil {
				resp.Body.Close()
			}
		}, after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			img, err := e.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: f.active})
			if err != nil || *img.EnterpriseProjectId != "0" {
				t.Fatalf("the move crashed mid-transaction, yet the image is in %v (%v)", img.EnterpriseProjectId, err)
			}
		}},
		{step: "copy.running", trigger: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			startCopy(t, e, f.active, "crash-copy", "")
		}, after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
			wantCopyOf(t, e, "crash-copy", f.payload[:300_000])
		}},
		{step: "rekey.checkpointed", extra: rekeyFlags, trigger: startRekey,
			after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
				// Resumed from its checkpoint, the copy holds the same bytes.
				wantCopyOf(t, e, "crash-rekey", f.big)
			}},
		{step: "rekey.committed", extra: rekeyFlags, trigger: startRekey,
			after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
				wantCopyOf(t, e, "crash-rekey", f.big)
			}},
		{step: "gc.deleted", extra: []string{"--gc-interval", "50ms", "--gc-grace", "1ms"},
			trigger: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {}, // the GC loop gets there alone
			after: func(t *testing.T, e *sdktest.Env, f *crashFixtures) {
				if img, err := e.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: f.active}); err != nil || img.Status.Value() != "active" {
					t.Fatalf("GC crashed and the active image suffered: %v %v", img, err)
				}
			}},
	}
	for _, backend := range []func(*testing.T) crashBackend{sqliteBackend, postgresS3Backend} {
		for _, st := range steps {
			b := backend(t)
			t.Run(b.name+"/"+st.step, func(t *testing.T) {
				// Run 1: fixtures.
				s := startCrashServer(t, bin, b, "")
				e := s.env(t, b)
				f := &crashFixtures{payload: bytes.Repeat([]byte("imsd crash "), 100_000)}
				f.active = uploadImage(t, e, "crash-active", f.payload[:300_000])
				// Data no image references any more, for GC to delete.
				doomed := uploadImage(t, e, "crash-doomed", bytes.Repeat([]byte("orphan "), 50_000))
				if _, err := e.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: doomed}); err != nil {
					t.Fatal(err)
				}
				f.ep = createEP(t, e, "crash-ep")
				s.stop(t)

				// Run 2: crash at the step.
				s = startCrashServer(t, bin, b, st.step, st.extra...)
				e = s.env(t, b)
				st.trigger(t, e, f)
				s.waitKilled(t, st.step)

				// Run 3: recover and check.
				s = startCrashServer(t, bin, b, "")
				e = s.env(t, b)
				st.after(t, e, f)
				checkCrashInvariants(t, e, b)
				s.stop(t)
				checkGCFindsEverything(t, b)
			})
		}
	}
}

func uploadImage(t *testing.T, e *sdktest.Env, name string, data []byte) string {
	t.Helper()
	r, err := e.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: &name}})
	if err != nil {
		t.Fatal(err)
	}
	resp := e.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + *r.Id + "/file", ContentType: "application/octet-stream", Body: bytes.NewReader(data)})
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload %s: %d", name, resp.StatusCode)
	}
	return *r.Id
}

func createEP(t *testing.T, e *sdktest.Env, name string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name})
	resp, err := http.DefaultClient.Do(e.Signed(t, e.Creds.AccessKey, e.Creds.SecretKey, "",
		sdktest.Request{Method: "POST", Path: "/v1.0/enterprise-projects", JSONBody: body}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		EP struct {
			ID string `json:"id"`
		} `json:"enterprise_project"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.EP.ID == "" {
		t.Fatalf("create enterprise project: %d %v", resp.StatusCode, err)
	}
	return out.EP.ID
}

func imagesNamed(t *testing.T, e *sdktest.Env, name string) []model.ImageInfo {
	t.Helper()
	r, err := e.IMS.ListImages(&model.ListImagesRequest{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return *r.Images
}

func wantImageNamed(t *testing.T, e *sdktest.Env, name, status string) {
	t.Helper()
	for _, img := range imagesNamed(t, e, name) {
		if img.Status.Value() == status {
			return
		}
	}
	t.Fatalf("no %s image named %s", status, name)
}

func wantNoImageNamed(t *testing.T, e *sdktest.Env, name, status string) {
	t.Helper()
	for _, img := range imagesNamed(t, e, name) {
		if img.Status.Value() == status {
			t.Fatalf("image %s is %s after a crash before its data was recorded", img.Id, status)
		}
	}
}

// checkCrashInvariants checks, on the restarted server and in its store,
// what any crash must leave: nothing saving (on the embedded default at
// once; with a shared database once the upload heartbeat bound passed),
// every active image's data present with its size, no unfinished job once
// recovery ran, and the quota equal to the images that exist.
func checkCrashInvariants(t *testing.T, e *sdktest.Env, b crashBackend) {
	t.Helper()
	a, err := app.Open(t.Context(), b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	imstest.WaitFor(t, 30*time.Second, "unfinished jobs to end", func() bool {
		jobs, err := a.Store.JobList(ctx, []imsd.JobStatus{imsd.JobInit, imsd.JobRunning})
		return err == nil && len(jobs) == 0
	})
	if b.name != "sqlite" {
		// Several nodes may share the database, so a restarted node cannot
		// tell a dead node's upload from a live one: uploads idle past the
		// heartbeat bound are killed by the GC loop of any node. Run that
		// recovery as it will run once the bound has passed.
		later, err := service.New(service.Options{Store: a.Store, Blobs: a.Blobs, Now: func() time.Time { return time.Now().Add(time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := later.Recover(ctx, false); err != nil {
			t.Fatalf("recover: %v", err)
		}
	}
	imgs, err := a.Store.ImageList(ctx, imsd.ImageQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs {
		switch img.Status {
		case imsd.ImageSaving:
			t.Errorf("image %s (%s) still saving after recovery", img.ID, img.Name)
		case imsd.ImageActive:
			want := img.Size
			if img.Encrypted() {
				want = blobcrypt.SealedSize(img.Size) // data plus a tag per segment
			}
			info, err := a.Blobs.Stat(ctx, img.BlobDigest)
			if err != nil || info.Size != want {
				t.Errorf("active image %s (%s): data %v %v, want %d bytes", img.ID, img.Name, info.Size, err, want)
			}
		}
	}
	q, err := e.IMS.ShowImageQuota(&model.ShowImageQuotaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := a.Store.ImageCount(ctx, imsd.ImageQuery{DomainID: e.Creds.DomainID, Owner: e.Creds.ProjectID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range q.Quotas.Resources {
		if r.Type == "image" && int(r.Used) != n {
			t.Errorf("quota says %d images used, %d exist", r.Used, n)
		}
	}
}

// checkGCFindsEverything runs GC as an hour later (every pin expired) and
// checks that what it leaves is all referenced: no data is orphaned beyond
// GC's reach.
func checkGCFindsEverything(t *testing.T, b crashBackend) {
	t.Helper()
	a, err := app.Open(t.Context(), b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := t.Context()
	later, err := service.New(service.Options{Store: a.Store, Blobs: a.Blobs, Now: func() time.Time { return time.Now().Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := later.GCWith(ctx, service.GCOptions{Grace: time.Millisecond}); err != nil {
		t.Fatalf("GC: %v", err)
	}
	err = a.Blobs.Walk(ctx, func(info imsd.BlobInfo) error {
		refs, err := a.Store.BlobRefCount(ctx, info.Digest)
		if err != nil {
			return err
		}
		if refs == 0 {
			return fmt.Errorf("blob %s (%d bytes) is referenced by no image, yet GC kept it", info.Digest, info.Size)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
