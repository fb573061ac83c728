package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestKMSEndToEnd drives "ims kms" against a real imsd: create, list, show
// by alias, disable and enable, aliases, scheduled deletion and its
// cancellation, and a refused call's code.
func TestKMSEndToEnd(t *testing.T) {
	e := startServer(t)
	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))

	key := jsonOut[map[string]any](t, e.ok(t, "kms", "create", "app-key", "--description", "e2e", "-o", "json"))
	id, _ := key["key_id"].(string)
	if len(id) != 36 || key["key_alias"] != "app-key" || key["key_state"] != "2" {
		t.Fatalf("kms create: %v", key)
	}
	if r := e.ok(t, "kms", "list"); !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "enabled") {
		t.Fatalf("kms list: %v", r)
	}
	if r := e.ok(t, "kms", "disable", "app-key"); !strings.Contains(r.stdout, "3 (disabled)") {
		t.Fatalf("kms disable: %v", r)
	}
	if l := jsonOut[[]map[string]any](t, e.ok(t, "kms", "list", "--state", "disabled", "-o", "json")); len(l) != 1 || l[0]["key_id"] != id {
		t.Fatalf("kms list --state disabled: %v", l)
	}
	e.ok(t, "kms", "enable", id)
	e.ok(t, "kms", "alias", "create", "alias/prod", "app-key")
	if r := e.ok(t, "kms", "alias", "list", "app-key"); !strings.Contains(r.stdout, "alias/prod") {
		t.Fatalf("kms alias list: %v", r)
	}
	if s := jsonOut[map[string]any](t, e.ok(t, "kms", "show", "alias/prod", "-o", "json")); s["key_id"] != id {
		t.Fatalf("kms show by alias: %v", s)
	}
	e.ok(t, "kms", "alias", "delete", "alias/prod")
	if r := e.run(t, nil, "kms", "delete", "app-key", "--pending-days", "3"); r.code != exitError || !strings.Contains(r.stderr, "KMS.0308") ||
		!requestID.MatchString(r.stderr) {
		t.Fatalf("kms delete with 3 days: %v", r)
	}
	if r := e.ok(t, "kms", "delete", "app-key", "--pending-days", "30"); !strings.Contains(r.stdout, "pending-deletion") {
		t.Fatalf("kms delete: %v", r)
	}
	if r := e.ok(t, "kms", "cancel-delete", "app-key"); !strings.Contains(r.stdout, "disabled") {
		t.Fatalf("kms cancel-delete: %v", r)
	}
	if r := e.run(t, nil, "kms", "show", "no-such-key"); r.code != exitError || !strings.Contains(r.stderr, "no key has") {
		t.Fatalf("kms show of a missing key: %v", r)
	}
}

// TestEncryptedImportEndToEnd: "ims image import --cmk-id" stores the
// image encrypted, "ims image copy --cmk-id" re-encrypts it (cancelled once
// with "ims job cancel", then to the end), and "ims image download" returns
// the plaintext.
func TestEncryptedImportEndToEnd(t *testing.T) {
	t.Setenv("IMSD_COPY_RATE_LIMIT", strconv.Itoa(2<<20)) // copies take about 2 s
	e := startServer(t)
	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))
	e.ok(t, "kms", "create", "disk-key")
	dir := t.TempDir()
	disk := filepath.Join(dir, "disk.raw")
	data := bytes.Repeat([]byte("imsd-encrypted-"), 300000)
	if err := os.WriteFile(disk, data, 0o600); err != nil {
		t.Fatal(err)
	}
	img := jsonOut[map[string]any](t, e.ok(t, "image", "import", disk, "--name", "enc", "--cmk-id", "disk-key", "-o", "json"))
	id, _ := img["id"].(string)
	if img["status"] != "active" || img["__system_encrypted"] != "1" || img["__system__cmkid"] == nil {
		t.Fatalf("imported image: %v", img)
	}
	out := filepath.Join(dir, "out.raw")
	e.ok(t, "image", "download", id, out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded data differs (%v)", err)
	}
	if r := e.run(t, nil, "kms", "delete", "disk-key"); r.code != exitError || !strings.Contains(r.stderr, "KMS.9001") {
		t.Fatalf("deleting the key in use: %v", r)
	}

	e.ok(t, "kms", "create", "other-key")
	started := jsonOut[map[string]any](t, e.ok(t, "image", "copy", id, "--name", "doomed", "--cmk-id", "other-key", "-o", "json"))
	job, _ := started["job_id"].(string)
	if r := e.ok(t, "job", "cancel", job); !strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "IMG.0250") {
		t.Fatalf("job cancel: %v", r)
	}
	if r := e.run(t, nil, "job", "cancel", job); r.code != exitError || !strings.Contains(r.stderr, "IMG.0249") {
		t.Fatalf("second job cancel: %v", r)
	}
	done := jsonOut[map[string]any](t, e.ok(t, "image", "copy", id, "--name", "rekeyed", "--cmk-id", "other-key", "--wait", "-o", "json"))
	copyID, _ := done["entities"].(map[string]any)["image_id"].(string)
	e.ok(t, "image", "download", copyID, out)
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the re-keyed copy downloads different data (%v)", err)
	}
}
