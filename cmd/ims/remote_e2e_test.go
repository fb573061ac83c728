package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imsd/imsd/internal/s3test"
)

// TestImportExportShareCLI drives 'ims image import --from', 'export',
// 'share', 'accept', 'reject' and 'members' against a real imsd whose
// object storage is the test S3 server, with a second account as the
// member.
func TestImportExportShareCLI(t *testing.T) {
	b := s3test.New(t, "cli")
	data := make([]byte, 6<<20+3)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	b.Put(t, "in/disk.raw", data)
	t.Setenv("IMSD_IMPORT_S3_SECRET_KEY", b.SecretKey)
	e := startServer(t, "--import-s3-endpoint", b.Endpoint, "--import-s3-access-key", b.AccessKey)
	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))

	// Import and wait: the job is printed, and the image holds the data.
	job := jsonOut[map[string]any](t, e.ok(t, "image", "import", "--from", b.Name+":in/disk.raw", "--name", "cli-import",
		"--os-version", "Ubuntu 22.04 server 64bit", "--tag", "team=cli", "--wait", "-o", "json"))
	ent, _ := job["entities"].(map[string]any)
	if job["status"] != "SUCCESS" || job["job_type"] != "imsImportImageJob" || ent == nil {
		t.Fatalf("import --from --wait: %v", job)
	}
	id := ent["image_id"].(string)
	img := jsonOut[map[string]any](t, e.ok(t, "image", "show", id, "-o", "json"))
	if img["status"] != "active" || img["__os_version"] != "Ubuntu 22.04 server 64bit" || img["size"] != float64(len(data)) {
		t.Fatalf("imported image: %v", img)
	}
	// A missing object: the API error with its code, exit 1.
	if r := e.run(t, nil, "image", "import", "--from", b.Name+":in/absent.raw", "--name", "x"); r.code != 1 || !strings.Contains(r.stderr, "IMG.0057") {
		t.Fatalf("import of a missing object: %v", r)
	}
	// Usage errors: exit 2.
	if r := e.run(t, nil, "image", "import", "file.raw", "--from", b.Name+":in/disk.raw", "--name", "x"); r.code != 2 {
		t.Fatalf("FILE and --from together: %v", r)
	}
	if r := e.run(t, nil, "image", "import", "--from", "no-bucket", "--name", "x"); r.code != 2 {
		t.Fatalf("--from without a bucket: %v", r)
	}

	// Export, then the file is the image, byte for byte.
	if r := e.ok(t, "image", "export", id, b.Name+":out/disk.raw", "--wait"); !strings.Contains(r.stdout, "SUCCESS") {
		t.Fatalf("export --wait: %v", r)
	}
	if got, ok := b.Get(t, "out/disk.raw"); !ok || !bytes.Equal(got, data) {
		t.Fatal("the exported file differs from the image")
	}
	if r := e.run(t, nil, "image", "export", id, b.Name+":out/disk.raw"); r.code != 1 || !strings.Contains(r.stderr, "IMG.0070") {
		t.Fatalf("export onto an existing file: %v", r)
	}

	// Share with a second account, which accepts, sees and rejects it.
	out, err := exec.Command(binaries.imsd, "account", "create", "--data-dir", e.dataDir, "--name", "member").Output()
	if err != nil {
		t.Fatalf("account create: %v", err)
	}
	var creds map[string]string
	if err := json.Unmarshal(out, &creds); err != nil {
		t.Fatal(err)
	}
	creds["endpoint"] = e.endpoint
	boot := filepath.Join(t.TempDir(), "member.json")
	raw, _ := json.Marshal(creds)
	if err := os.WriteFile(boot, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	e.ok(t, "--profile", "member", "configure", "--from-bootstrap", boot)
	member := func(args ...string) result { return e.run(t, nil, append([]string{"--profile", "member"}, args...)...) }
	if r := e.ok(t, "image", "share", id, creds["project_id"]); !strings.Contains(r.stdout, "SUCCESS") {
		t.Fatalf("share: %v", r)
	}
	if r := e.ok(t, "image", "members", id); !strings.Contains(r.stdout, creds["project_id"]) || !strings.Contains(r.stdout, "pending") {
		t.Fatalf("members: %v", r)
	}
	if r := member("image", "list", "-o", "json"); r.code != 0 || strings.Contains(r.stdout, id) {
		t.Fatalf("the member lists the image before accepting: %v", r)
	}
	if r := member("image", "accept", id); r.code != 0 || !strings.Contains(r.stdout, "SUCCESS") {
		t.Fatalf("accept: %v", r)
	}
	if r := member("image", "list", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, id) {
		t.Fatalf("the member does not list the accepted image: %v", r)
	}
	if r := member("image", "members", id, "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"accepted"`) {
		t.Fatalf("member's members: %v", r)
	}
	if r := member("image", "reject", id); r.code != 0 {
		t.Fatalf("reject: %v", r)
	}
	if r := member("image", "list", "-o", "json"); r.code != 0 || strings.Contains(r.stdout, id) {
		t.Fatalf("the member lists the rejected image: %v", r)
	}
	if r := e.ok(t, "image", "share", id, creds["project_id"], "--remove"); !strings.Contains(r.stdout, "SUCCESS") {
		t.Fatalf("share --remove: %v", r)
	}
	if r := member("image", "show", id); r.code != 1 || !strings.Contains(r.stderr, "IMG.0144") {
		t.Fatalf("the former member reads the image: %v", r)
	}
}
