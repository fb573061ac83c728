package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	kmsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestReKeyCopyResumesAfterKill kills a real imsd with SIGKILL in the
// middle of a re-encrypting copy (slowed by --copy-rate-limit so the kill
// lands mid-copy: the fail point), restarts it without the limit, and
// checks the job resumed from a checkpoint, not from zero, and that the
// copy downloads byte-identical to the source, with nothing left over.
// The same check at 4 GiB is `go run ./cmd/imsbench -rekey-crash 4GiB`
// (docs/benchmarks.md).
func TestReKeyCopyResumesAfterKill(t *testing.T) {
	dir := t.TempDir()
	bin := imsdBinary(t)
	addr := freePort(t)
	const size = 24 << 20
	// A GC grace longer than the test: staged data must survive the
	// restart for the copy to resume from it.
	p := startImsd(t, bin, dir, addr, "--gc-grace", "10m", "--copy-rate-limit", strconv.Itoa(4<<20), "--copy-checkpoint-bytes", strconv.Itoa(2<<20))
	env := &sdktest.Env{Endpoint: "http://" + addr}
	b, err := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &env.Creds); err != nil {
		t.Fatal(err)
	}
	env.IMS = env.Client(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID)
	kc := env.RootKMS(t)
	key := func(alias string) string {
		r, err := kc.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: alias}})
		if err != nil {
			t.Fatal(err)
		}
		return *r.KeyInfo.KeyId
	}
	keyA, keyB := key("a"), key("b")
	resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: []byte(`{"name":"src","disk_format":"raw","__system__cmkid":"` + keyA + `"}`)})
	var img struct {
		ID string `json:"id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&img)
	resp.Body.Close()
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	resp = env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + img.ID + "/file", ContentType: "application/octet-stream", Body: bytes.NewReader(data)})
	resp.Body.Close()
	if resp.StatusCode != 204 {
		logs, _ := os.ReadFile(filepath.Join(dir, "imsd.log"))
		t.Fatalf("upload %d\n%s", resp.StatusCode, logs)
	}
	r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img.ID, Body: &model.CopyImageInRegionRequestBody{Name: "rekeyed", CmkId: &keyB}})
	if err != nil {
		t.Fatal(err)
	}
	job := *r.JobId
	var at float64
	imstest.WaitFor(t, 60*time.Second, "the copy to pass 40%", func() bool {
		pr, err := env.IMS.ShowJobProgress(&model.ShowJobProgressRequest{JobId: job})
		if err != nil {
			t.Fatal(err)
		}
		at = *pr.Entities.ProcessPercent
		return at > 0.4
	})
	p.kill()
	t.Logf("killed at process_percent %.2f", at)

	startImsd(t, bin, dir, addr, "--gc-grace", "10m")
	var final *model.ShowJobResponse
	imstest.WaitFor(t, 60*time.Second, "the job to end", func() bool {
		j, err := env.IMS.ShowJob(&model.ShowJobRequest{JobId: job})
		final = j
		return err == nil && (j.Status.Value() == "SUCCESS" || j.Status.Value() == "FAIL")
	})
	if final.Status.Value() != "SUCCESS" {
		t.Fatalf("job %s: %v", final.Status.Value(), final.FailReason)
	}
	logs, _ := os.ReadFile(filepath.Join(dir, "imsd.log"))
	m := regexp.MustCompile(`copy resumed from its checkpoint.*offset=(\d+)`).FindSubmatch(logs)
	if m == nil {
		t.Fatalf("the restarted server did not resume from a checkpoint:\n%s", logs)
	}
	offset, _ := strconv.ParseInt(string(m[1]), 10, 64)
	if offset <= 0 || float64(offset) < at*size-4<<20 {
		t.Fatalf("resumed at %d bytes, killed at %.0f: more than the checkpoint interval lost", offset, at*size)
	}
	t.Logf("resumed at byte %d of %d", offset, size)

	dl := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + *final.Entities.ImageId + "/file"})
	h := sha256.New()
	n, err := io.Copy(h, dl.Body)
	dl.Body.Close()
	if err != nil || n != size || !bytes.Equal(h.Sum(nil), sha256Sum(data)) {
		t.Fatalf("the copy downloads %d bytes (%v), not the source's", n, err)
	}
	if n := countFiles(t, filepath.Join(dir, "blobs", "staging")); n != 0 {
		t.Fatalf("%d staged files left after the copy", n)
	}
	if n := checkNoOrphans(t, dir); n != 2 {
		t.Fatalf("%d blobs, want 2 (the source and the copy)", n)
	}
}

func sha256Sum(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
