package main

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// runBin runs the binary and returns its standard output, failing the test
// when it fails.
func runBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("imsd %s: %v\n%s", strings.Join(args, " "), err, exitStderr(err))
	}
	return string(out)
}

// sqliteEnv returns an SDK environment for the server on dir.
func sqliteEnv(t *testing.T, dir, addr string) *sdktest.Env {
	t.Helper()
	e := &sdktest.Env{Endpoint: "http://" + addr}
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &e.Creds); err != nil {
		t.Fatal(err)
	}
	e.IMS = e.Client(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID)
	return e
}

// download returns an image's data, failing unless it answers 200.
func download(t *testing.T, e *sdktest.Env, id string) []byte {
	t.Helper()
	resp := e.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"})
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download %s: %d %s", id, resp.StatusCode, b)
	}
	return b
}

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestBackupRestoreSQLite: `imsd backup` of a running embedded server
// (collecting garbage every 100 ms) holds exactly the state at the backup;
// restored into a new data directory, a server serves it with the same
// credentials. A second backup into the same directory copies only the new
// blobs and holds the newer state.
func TestBackupRestoreSQLite(t *testing.T) {
	bin := imsdBinary(t)
	dir, addr := t.TempDir(), freePort(t)
	// A grace well above the time between an upload's last write and its
	// commit: the staging purge judges staged files by age alone.
	p := startImsd(t, bin, dir, addr, "--gc-grace", "2s")
	e := sqliteEnv(t, dir, addr)
	kept := map[string][]byte{}
	for _, name := range []string{"a", "b", "c"} {
		data := randomData(200<<10 + len(name))
		id := createImage(t, e, name)
		uploadTo(t, e, id, data)
		kept[id] = data
	}
	var removed string
	for id := range kept {
		removed = id
		break
	}
	r, err := e.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: removed, Body: &model.CopyImageInRegionRequestBody{Name: "copy"}})
	if err != nil {
		t.Fatal(err)
	}
	var copyID string
	imstest.WaitFor(t, 30e9, "the copy", func() bool {
		j, err := e.IMS.ShowJob(&model.ShowJobRequest{JobId: *r.JobId})
		if err == nil && j.Status.Value() == "SUCCESS" {
			copyID = *j.Entities.ImageId
		}
		return copyID != ""
	})
	kept[copyID] = kept[removed]

	bk := filepath.Join(t.TempDir(), "backup")
	out := runBin(t, bin, "backup", "--data-dir", dir, "--to", bk)
	if !strings.Contains(out, "sqlite database and 3 blobs") {
		t.Fatalf("backup: %s", out)
	}
	// Between the backups one image goes (its data stays in the backup
	// directory), one comes; after the second one more comes.
	if _, err := e.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: removed}); err != nil {
		t.Fatal(err)
	}
	delete(kept, removed)
	between := createImage(t, e, "between-backups")
	kept[between] = randomData(1000)
	uploadTo(t, e, between, kept[between])
	if out := runBin(t, bin, "backup", "--data-dir", dir, "--to", bk); !strings.Contains(out, "1 copied now") {
		t.Fatalf("second backup into the same directory: %s", out)
	}
	later := createImage(t, e, "after-backup")
	uploadTo(t, e, later, randomData(1000))
	p.kill()

	restored, addr2 := t.TempDir(), freePort(t)
	if out := runBin(t, bin, "restore", "--from", bk, "--data-dir", restored); !strings.Contains(out, "restored the sqlite database") {
		t.Fatalf("restore: %s", out)
	}
	if err := exec.Command(bin, "restore", "--from", bk, "--data-dir", restored).Run(); err == nil {
		t.Fatal("a restore over an existing database succeeded")
	}
	startImsd(t, bin, restored, addr2)
	e2 := &sdktest.Env{Endpoint: "http://" + addr2, Creds: e.Creds}
	e2.IMS = e2.Client(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID)
	for id, data := range kept {
		if got := download(t, e2, id); !bytes.Equal(got, data) {
			t.Fatalf("restored image %s: %d bytes differ", id, len(got))
		}
	}
	list, err := e2.IMS.ListImages(&model.ListImagesRequest{})
	if err != nil || len(*list.Images) != len(kept) {
		t.Fatalf("restored server lists %d images (%v), want the %d of the backup", len(*list.Images), err, len(kept))
	}
	for _, gone := range []string{later, removed} {
		if _, err := e2.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: gone}); err == nil {
			t.Fatalf("image %s, not in the last backup, was restored", gone)
		}
	}
}

// TestBackupRestorePostgres: `imsd backup` of a PostgreSQL + S3 node
// (pg_dump of its schema, the bucket's blobs, the key), restored into a new
// database and a new bucket, serves the same images to the same keys.
func TestBackupRestorePostgres(t *testing.T) {
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			imstest.Unavailable(t, tool, err)
		}
	}
	c := newCluster(t)
	n := c.addNode(t, "solo")
	c.start(t, n)
	c.waitReady(t, n)
	c.readBootstrap(t)
	e := c.sdk(t, n)
	images := map[string][]byte{}
	for _, name := range []string{"x", "y"} {
		data := randomData(300<<10 + len(name))
		id := createImage(t, e, name)
		uploadTo(t, e, id, data)
		images[id] = data
	}
	bk := filepath.Join(t.TempDir(), "backup")
	if out := c.run(t, "backup", "--data-dir", t.TempDir(), "--to", bk); !strings.Contains(out, "postgres database and 2 blobs") {
		t.Fatalf("backup: %s", out)
	}
	_ = n.stop(t, 9)

	// A new database and a new bucket, as after losing both.
	admin, err := sql.Open("pgx", imstest.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	dbName := "imsd_restore_" + imsd.NewHexID()[:10]
	if _, err := admin.Exec("CREATE DATABASE " + dbName); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + dbName + " WITH (FORCE)") })
	u, _ := url.Parse(c.pgURL)
	u.Path = "/" + dbName
	r := &cluster{bin: c.bin, root: t, s3: c.s3, s3Proxy: c.s3Proxy, s3URL: c.s3URL, pgURL: u.String(),
		bucket: "imsd-restored-" + imsd.NewHexID()[:10], keyFile: filepath.Join(t.TempDir(), "master.key")}
	r.setFlags()
	if out := r.run(t, "restore", "--from", bk, "--data-dir", t.TempDir()); !strings.Contains(out, "restored the postgres database") {
		t.Fatalf("restore: %s", out)
	}
	cmd := exec.Command(r.bin, append([]string{"restore", "--from", bk, "--data-dir", t.TempDir()}, r.baseFlags...)...)
	cmd.Env = r.env()
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "already holds an imsd schema") {
		t.Fatalf("a restore over a restored database: %v %s", err, out)
	}
	rn := r.addNode(t, "restored")
	r.start(t, rn)
	r.waitReady(t, rn)
	r.creds = c.creds
	e2 := r.sdk(t, rn)
	for id, data := range images {
		if got := download(t, e2, id); !bytes.Equal(got, data) {
			t.Fatalf("restored image %s differs", id)
		}
	}
}

// TestMigrateAndGCCommands: `imsd migrate` lists and applies migrations
// (--dry-run changes nothing); `imsd gc --dry-run` lists an unreferenced
// blob without deleting it, `imsd gc` deletes it.
func TestMigrateAndGCCommands(t *testing.T) {
	bin := imsdBinary(t)
	dir := t.TempDir()
	out := runBin(t, bin, "migrate", "--dry-run", "--data-dir", dir)
	if !strings.Contains(out, "would apply: 0001_init.sql") || strings.Contains(out, "applied:") {
		t.Fatalf("migrate --dry-run on a new data dir:\n%s", out)
	}
	if again := runBin(t, bin, "migrate", "--dry-run", "--data-dir", dir); again != out {
		t.Fatalf("the dry run changed something:\n%s\nthen\n%s", out, again)
	}
	out = runBin(t, bin, "migrate", "--data-dir", dir)
	if !strings.Contains(out, "applied: 0001_init.sql") {
		t.Fatalf("migrate:\n%s", out)
	}
	if out := runBin(t, bin, "migrate", "--data-dir", dir); !strings.Contains(out, "up to date") {
		t.Fatalf("migrate twice:\n%s", out)
	}

	addr := freePort(t)
	p := startImsd(t, bin, dir, addr, "--gc-interval", "1h")
	e := sqliteEnv(t, dir, addr)
	id := createImage(t, e, "doomed")
	uploadTo(t, e, id, randomData(5000))
	digest := imageDigest(t, e, id)
	if _, err := e.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: id}); err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "blobs", "blobs", "sha256", digest[:2], digest)
	if _, err := os.Stat(blob); err != nil {
		blob = findFile(t, filepath.Join(dir, "blobs"), digest)
	}
	// While the server runs.
	out = runBin(t, bin, "gc", "--dry-run", "--grace", "1ns", "--data-dir", dir)
	if !strings.Contains(out, "would delete sha256:"+digest+" 5000 bytes") {
		t.Fatalf("gc --dry-run:\n%s", out)
	}
	if _, err := os.Stat(blob); err != nil {
		t.Fatalf("the dry run deleted the blob: %v", err)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(runBin(t, bin, "gc", "--json", "--grace", "1ns", "--data-dir", dir)), &res); err != nil {
		t.Fatal(err)
	}
	if res["blobs_deleted"] != 1.0 || res["bytes_freed"] != 5000.0 {
		t.Fatalf("gc: %v", res)
	}
	if _, err := os.Stat(blob); err == nil {
		t.Fatal("gc left the blob")
	}
	p.kill()
}

// findFile returns the path of the file named name under root.
func findFile(t *testing.T, root, name string) string {
	t.Helper()
	var found string
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Name() == name {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no file %s under %s", name, root)
	}
	return found
}
