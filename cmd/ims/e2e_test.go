package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/imsd/imsd/internal/imstest"
)

// qcow2File makes a 64 MiB qcow2 image with qemu-img, with some data
// written by qemu-io when it is installed.
func qcow2File(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-f", "qcow2", path, "64M").CombinedOutput(); err != nil {
		imstest.Unavailable(t, "qemu-img", fmt.Errorf("%v: %s", err, out))
	}
	if _, err := exec.LookPath("qemu-io"); err == nil {
		out, err := exec.Command("qemu-io", "-f", "qcow2", "-c", "write -P 0xab 0 3M", "-c", "write -P 0x5c 40M 1536k", path).CombinedOutput()
		if err != nil {
			t.Fatalf("qemu-io: %v\n%s", err, out)
		}
	} else {
		t.Logf("qemu-io not installed: uploading an empty qcow2 image")
	}
	return path
}

// jsonOut decodes a command's JSON stdout.
func jsonOut[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not JSON (%v): %v", err, r)
	}
	return v
}

// requestID matches the request id printed with an API error.
var requestID = regexp.MustCompile(`request id [0-9A-Za-z-]{8,}\)`)

// TestEndToEnd drives the ims binary against a real imsd process: configure
// from bootstrap.json, import a qcow2 file, list, update, tag, copy with
// --wait, show the job, download and resume, delete.
func TestEndToEnd(t *testing.T) {
	src := qcow2File(t)
	e := startServer(t)
	srcData, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}

	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))
	if fi, err := os.Stat(e.config); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config %s: %v %v", e.config, fi, err)
	}
	shown := jsonOut[map[string]any](t, e.ok(t, "configure", "show", "-o", "json"))
	if shown["endpoint"] != e.endpoint || !strings.HasPrefix(shown["secret_key"].(string), "****") {
		t.Fatalf("configure show: %v", shown)
	}

	// Import: create + upload with plain progress lines (stderr is a pipe).
	r := e.ok(t, "image", "import", src, "--name", "e2e-src", "--disk-format", "qcow2", "--min-disk", "1", "--tag", "team=e2e", "-o", "json")
	img := jsonOut[map[string]any](t, r)
	id, _ := img["id"].(string)
	if img["status"] != "active" || img["disk_format"] != "qcow2" || img["__image_size"] != strconv.Itoa(len(srcData)) {
		t.Fatalf("imported image: %v", img)
	}
	if !strings.Contains(r.stderr, "100.0%") || strings.Contains(r.stderr, "\r") {
		t.Fatalf("upload progress on a pipe should be plain lines ending at 100%%: %q", r.stderr)
	}

	// Paging: with one image per page every image comes back exactly once.
	var ids []string
	for i := 0; i < 2; i++ {
		ids = append(ids, jsonOut[map[string]any](t, e.ok(t, "image", "create", "--name", "e2e-queued", "-o", "json"))["id"].(string))
	}
	ids = append(ids, id)
	listed := jsonOut[[]map[string]any](t, e.ok(t, "image", "list", "--page-size", "1", "--all", "-o", "json"))
	var got []string
	for _, m := range listed {
		got = append(got, m["id"].(string))
	}
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Fatalf("paged list %v, want %v", got, ids)
	}
	if l := jsonOut[[]map[string]any](t, e.ok(t, "image", "list", "--name", "e2e-src", "--status", "active", "-o", "json")); len(l) != 1 || l[0]["id"] != id {
		t.Fatalf("filtered list: %v", l)
	}
	if r := e.ok(t, "image", "list"); !strings.Contains(r.stdout, "ID ") || !strings.Contains(r.stdout, id) {
		t.Fatalf("table list: %v", r)
	}

	// Update (a custom attribute shows: output is the server's JSON), tags.
	upd := jsonOut[map[string]any](t, e.ok(t, "image", "update", id, "--description", "from e2e", "--set", "e2e_attr=v1", "-o", "json"))
	if upd["__description"] != "from e2e" || upd["e2e_attr"] != "v1" {
		t.Fatalf("update: %v", upd)
	}
	if r := e.ok(t, "image", "tag", id, "env=test", "golden"); !strings.Contains(r.stdout, "env") || !strings.Contains(r.stdout, "golden") {
		t.Fatalf("tag: %v", r)
	}
	if r := e.ok(t, "image", "untag", id, "env"); strings.Contains(r.stdout, "env") || !strings.Contains(r.stdout, "golden") {
		t.Fatalf("untag: %v", r)
	}
	if r := e.ok(t, "image", "show", id, "-o", "yaml"); !strings.Contains(r.stdout, "status: active\n") {
		t.Fatalf("show yaml: %v", r)
	}

	// Copy and wait; the job is SUCCESS.
	job := jsonOut[map[string]any](t, e.ok(t, "image", "copy", id, "--name", "e2e-copy", "--description", "copied", "--wait", "-o", "json"))
	ent, _ := job["entities"].(map[string]any)
	if job["status"] != "SUCCESS" || ent == nil || ent["image_id"] == nil {
		t.Fatalf("copy --wait: %v", job)
	}
	copyID := ent["image_id"].(string)
	shownJob := jsonOut[map[string]any](t, e.ok(t, "job", "show", job["job_id"].(string), "-o", "json"))
	if shownJob["status"] != "SUCCESS" || shownJob["job_type"] != "imsCopyImageInRegionJob" {
		t.Fatalf("job show: %v", shownJob)
	}
	if r := e.ok(t, "job", "show", job["job_id"].(string)); !strings.Contains(r.stdout, "100.0%") || !strings.Contains(r.stdout, copyID) {
		t.Fatalf("job show table: %v", r)
	}

	// Download the copy; then resume a truncated file.
	out := filepath.Join(t.TempDir(), "out.qcow2")
	e.ok(t, "image", "download", copyID, out)
	sameFile(t, out, srcData)
	cut := int64(len(srcData)/2 + 12345)
	if err := os.Truncate(out, cut); err != nil {
		t.Fatal(err)
	}
	res := jsonOut[transferResult](t, e.ok(t, "image", "download", copyID, out, "--resume", "-o", "json"))
	if res.ResumedFrom != cut || res.Bytes != int64(len(srcData)) {
		t.Fatalf("resume: %+v", res)
	}
	sameFile(t, out, srcData)
	if r := e.ok(t, "image", "download", copyID, out, "--resume"); !strings.Contains(r.stdout, "already complete") {
		t.Fatalf("resume of a complete file: %v", r)
	}
	sameFile(t, out, srcData)

	e.ok(t, "image", "delete", copyID)
	if r := e.run(t, nil, "image", "show", copyID); r.code != exitError {
		t.Fatalf("show after delete: %v", r)
	}

	// Failure paths.
	r = e.run(t, nil, "image", "show", "00000000-0000-4000-8000-000000000000")
	if r.code != exitError || !strings.Contains(r.stderr, "IMG.0144") || !requestID.MatchString(r.stderr) {
		t.Fatalf("show unknown: %v", r)
	}
	r = e.run(t, nil, "image", "copy", id, "--name", "bad/name<>")
	if r.code != exitError || !strings.Contains(r.stderr, "IMG.0003") || !requestID.MatchString(r.stderr) {
		t.Fatalf("copy with an invalid name: %v", r)
	}
	r = e.run(t, []string{envSK + "=wrong-secret-key"}, "image", "list")
	if r.code != exitError || !strings.Contains(r.stderr, "APIGW.0301") {
		t.Fatalf("bad credentials: %v", r)
	}
	r = e.run(t, []string{envSK + "=wrong-secret-key"}, "image", "upload", id, src)
	if r.code != exitError || !strings.Contains(r.stderr, "APIGW.0301") || !requestID.MatchString(r.stderr) {
		t.Fatalf("bad credentials on a signed upload: %v", r)
	}
	r = e.run(t, nil, "--config", filepath.Join(t.TempDir(), "none.yaml"), "image", "list")
	if r.code != exitUsage || !strings.Contains(r.stderr, "no configuration") {
		t.Fatalf("missing config: %v", r)
	}
	r = e.run(t, nil, "image", "upload", id, src)
	if r.code != exitError || !requestID.MatchString(r.stderr) {
		t.Fatalf("upload into an active image: %v", r)
	}

	// policy check: the root's copy is allowed and the reason says why.
	if r := e.ok(t, "policy", "check", "--user", "imsd", "--action", "ims:images:copy", "--image", id); !strings.Contains(r.stdout, "ALLOW ims:images:copy") || !strings.Contains(r.stdout, "root") {
		t.Fatalf("policy check: %v", r)
	}
	checked := jsonOut[map[string][]map[string]any](t, e.ok(t, "policy", "check", "--user", "imsd", "--action", "ims:images:delete", "-o", "json"))
	if d := checked["decisions"]; len(d) != 1 || d[0]["allowed"] != true {
		t.Fatalf("policy check -o json: %v", checked)
	}
	r = e.run(t, nil, "policy", "check", "--user", "nobody", "--action", "ims:images:copy")
	if r.code != exitError || !strings.Contains(r.stderr, "IMG.0247") {
		t.Fatalf("policy check of an unknown user: %v", r)
	}
	e.ok(t, "image", "delete", id)
}

func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from the source's %d", path, len(got), len(want))
	}
}
