package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// mountTmpfs mounts a tmpfs of the given size (mount's syntax, "16m") on
// dir for the test. Mounting needs root, which CI has: there the test
// fails rather than skip; elsewhere it skips and says why.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a %s tmpfs on %s (CI runs as root): %v %s", size, dir, err, out)
		}
		t.Skipf("cannot mount a tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

// usedBytes returns the bytes of the files under dir.
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// wantStorageFull checks an answer is 507 with IMG.0251.
func wantStorageFull(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(raw), `"IMG.0251"`) {
		t.Fatalf("%s on a full disk: %d %s, want 507 IMG.0251", what, resp.StatusCode, raw)
	}
}

// TestDiskFull runs a real imsd whose image data lives on a 16 MiB tmpfs
// (the database stays on the normal disk) and fills it: by an upload, by
// a Glance stage, and by a re-key copy. Each must fail with 507 IMG.0251,
// leave nothing half-visible (the image keeps its status, the copy job
// fails and its target image is killed, as for any failed copy), give the space back, and the
// service must go on serving: a small upload and a download still work.
func TestDiskFull(t *testing.T) {
	bin := imsdBinary(t)
	postgresFS := func(t *testing.T) crashBackend {
		b := sqliteBackend(t)
		pgURL, _ := freshPostgresSchema(t)
		b.name, b.flags = "postgres+fs", append(b.flags, "--postgres-url", pgURL)
		return b
	}
	for _, backend := range []func(*testing.T) crashBackend{sqliteBackend, postgresFS} {
		b := backend(t)
		t.Run(b.name, func(t *testing.T) { diskFull(t, bin, b) })
	}
}

func diskFull(t *testing.T, bin string, b crashBackend) {
	blobs := filepath.Join(b.cfg.DataDir, "blobs")
	mountTmpfs(t, blobs, "16m")
	s := startCrashServer(t, bin, b, "", "--gc-interval", "1h")
	defer s.stop(t)
	e := s.env(t, b)

	// A small image that must survive everything below.
	small := bytes.Repeat([]byte("small "), 100_000)
	keep := uploadImage(t, e, "keep", small)
	base := usedBytes(t, blobs)

	// An upload and a Glance stage that do not fit.
	for _, into := range []string{"file", "stage"} {
		t.Run(into, func(t *testing.T) {
			id := newImage(t, e, map[string]string{"name": "too-big-" + into, "disk_format": "raw"})
			resp := e.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + id + "/" + into,
				ContentType: "application/octet-stream", Body: bytes.NewReader(make([]byte, 24<<20))})
			wantStorageFull(t, "PUT "+into, resp)
			wantStatus(t, e, id, "queued")
		})
	}
	t.Run("re-key copy", func(t *testing.T) {
		keyA, keyB := createKey(t, e, "full-a"), createKey(t, e, "full-b")
		src := newImage(t, e, map[string]string{"name": "encrypted-9m", "disk_format": "raw", "__system__cmkid": keyA})
		resp := e.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + src + "/file",
			ContentType: "application/octet-stream", Body: bytes.NewReader(bytes.Repeat([]byte("nine "), 9<<20/5))})
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("upload the copy source: %d", resp.StatusCode)
		}
		withSource := usedBytes(t, blobs)
		body, _ := json.Marshal(map[string]string{"name": "rekeyed", "cmk_id": keyB})
		resp = e.Do(t, sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + src + "/copy", JSONBody: body})
		var job struct {
			JobID string `json:"job_id"`
		}
		err := json.NewDecoder(resp.Body).Decode(&job)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("copy: %d %v", resp.StatusCode, err)
		}
		var got struct {
			Status     string `json:"status"`
			ErrorCode  string `json:"error_code"`
			FailReason string `json:"fail_reason"`
		}
		defer func() {
			if t.Failed() { // the server's account of the job
				for _, l := range strings.Split(s.log.String(), "\n") {
					if strings.Contains(l, job.JobID) && !strings.Contains(l, "path=") {
						t.Log(l)
					}
				}
			}
		}()
		imstest.WaitFor(t, 60*time.Second, "the re-key copy to end", func() bool {
			resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v1/" + e.Creds.ProjectID + "/jobs/" + job.JobID})
			defer resp.Body.Close()
			return json.NewDecoder(resp.Body).Decode(&got) == nil && (got.Status == "SUCCESS" || got.Status == "FAIL")
		})
		if got.Status != "FAIL" || got.ErrorCode != "IMG.0251" {
			t.Fatalf("re-key copy on a full disk: %+v, want FAIL with IMG.0251", got)
		}
		t.Logf("job: %+v", got)
		for _, img := range imagesNamed(t, e, "rekeyed") {
			if img.Status.Value() != "killed" {
				t.Fatalf("the failed copy's image is %s, want killed", img.Status.Value())
			}
		}
		if n := usedBytes(t, blobs); n != withSource {
			t.Fatalf("after the failed copy the blob dir holds %d bytes, want %d (the staged copy removed)", n, withSource)
		}
	})

	// Nothing staged is left, and the service still takes and serves data.
	if n := usedBytes(t, filepath.Join(blobs, "staging")); n != 0 {
		t.Fatalf("%d staged bytes left behind", n)
	}
	if n := usedBytes(t, blobs); n < base {
		t.Fatalf("blob dir shrank from %d to %d bytes: committed data was lost", base, n)
	}
	after := uploadImage(t, e, "after", small[:1000])
	for _, id := range []string{keep, after} {
		resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"})
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.HasPrefix(small, got) || len(got) == 0 {
			t.Fatalf("download %s after the disk filled: %d, %d bytes, %v", id, resp.StatusCode, len(got), err)
		}
	}
}

// newImage POSTs /v2/images with body and returns the new image's id.
func newImage(t *testing.T, e *sdktest.Env, body map[string]string) string {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp := e.Do(t, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: raw})
	defer resp.Body.Close()
	var out struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create image %v: %d %v", body, resp.StatusCode, err)
	}
	return out.ID
}

// createKey makes a KMS key and returns its id.
func createKey(t *testing.T, e *sdktest.Env, alias string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"key_alias": alias})
	resp := e.Do(t, sdktest.Request{Method: "POST", Path: "/v1.0/" + e.Creds.ProjectID + "/kms/create-key", JSONBody: body})
	defer resp.Body.Close()
	var out struct {
		KeyInfo struct {
			KeyID string `json:"key_id"`
		} `json:"key_info"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.KeyInfo.KeyID == "" {
		t.Fatalf("create key %s: %d %v", alias, resp.StatusCode, err)
	}
	return out.KeyInfo.KeyID
}

// wantStatus checks the image's status.
func wantStatus(t *testing.T, e *sdktest.Env, id, want string) {
	t.Helper()
	resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id})
	defer resp.Body.Close()
	var img struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&img); err != nil || img.Status != want {
		t.Fatalf("image %s: status %q (%d, %v), want %q", id, img.Status, resp.StatusCode, err, want)
	}
}
