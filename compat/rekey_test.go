package compat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/blobcrypt"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// copyWithKey copies src under key through the SDK (v1) and waits.
func copyWithKey(t testing.TB, env *sdktest.Env, src, name, key string) *model.ShowJobResponse {
	t.Helper()
	r := check(env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
		Body: &model.CopyImageInRegionRequestBody{Name: name, CmkId: ptr(key)}}))(t)
	return waitJob(t, env, *r.JobId)
}

// TestReKeyCopy: through the SDK's kms/v2 and ims/v2 clients, create a key,
// upload with it, copy under another key (and an unencrypted image under a
// key): each copy gets its own data key and blob, holds no plaintext at
// rest, and downloads as the original plaintext.
func TestReKeyCopy(t *testing.T) {
	for name, cfg := range encryptionBackends {
		t.Run(name, func(t *testing.T) {
			mod := cfg(t)
			env := sdktest.Start(t, func(c *app.Config) {
				if mod != nil {
					mod(c)
				}
				c.Service.CopyCheckpointBytes = 1 << 20
			})
			kc := env.RootKMS(t)
			keyA, keyB := mkCMK(t, kc, "key-a"), mkCMK(t, kc, "key-b")
			data := randomBytes(t, 3<<20+blobcrypt.SegmentSize/2+7)
			src := encryptedImage(t, env, "src", keyA, data)

			j := copyWithKey(t, env, src, "rekeyed", keyB)
			if j.Status.Value() != "SUCCESS" {
				t.Fatalf("re-key copy: %s %v %v", j.Status.Value(), ptrStr(j.ErrorCode), ptrStr(j.FailReason))
			}
			dst := *j.Entities.ImageId
			a, _ := env.App.Store.ImageGet(context.Background(), src)
			b, _ := env.App.Store.ImageGet(context.Background(), dst)
			if b.CmkID != keyB || b.BlobDigest == a.BlobDigest || bytes.Equal(b.DataKey, a.DataKey) || b.PlainDigest != a.PlainDigest {
				t.Fatalf("re-keyed copy: %+v", b)
			}
			requireNoPlaintext(t, env, dst, data)
			if st, _, got := downloadAs(t, env, env.Creds.AccessKey, env.Creds.SecretKey, dst, ""); st != 200 || !bytes.Equal(got, data) {
				t.Fatalf("download of the re-keyed copy: %d, %d bytes", st, len(got))
			}
			show := check(env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: dst}))(t)
			if show.Status.Value() != "active" || *show.SystemCmkid != keyB {
				t.Fatalf("copy: %v %v", show.Status, show.SystemCmkid)
			}

			// An unencrypted image copied under a key comes out encrypted.
			plain := activeImage(t, env, "plain", data)
			j = copyWithKey(t, env, plain, "encrypted", keyA)
			if j.Status.Value() != "SUCCESS" {
				t.Fatalf("encrypting copy: %s %v", j.Status.Value(), ptrStr(j.FailReason))
			}
			enc := *j.Entities.ImageId
			requireNoPlaintext(t, env, enc, data)
			if st, _, got := downloadAs(t, env, env.Creds.AccessKey, env.Creds.SecretKey, enc, "bytes=1000-200000"); st != 206 || !bytes.Equal(got, data[1000:200001]) {
				t.Fatalf("range of the encrypted copy: %d", st)
			}

			// The v2.1 copy with the caller's own KMS permissions.
			m := iam{t, env}
			proj := env.Creds.ProjectID
			ak, sk := m.user("rekeyer", grantSpec{m.custom("copier", []string{"ims:images:copy", "ims:images:get"}, "Allow"), imsd.ScopeProject, proj},
				grantSpec{m.custom("deks", []string{"kms:dek:create", "kms:dek:crypto"}, "Allow"), imsd.ScopeProject, proj})
			r := check(env.Client(t, ak, sk, proj).CopyImageInRegionInSafeMode(&model.CopyImageInRegionInSafeModeRequest{ImageId: dst,
				Body: &model.CopyImageInRegionRequestBody{Name: "back", CmkId: ptr(keyA)}}))(t)
			if j := waitJob(t, env, *r.JobId); j.Status.Value() != "SUCCESS" {
				t.Fatalf("v2.1 re-key copy: %v", ptrStr(j.FailReason))
			} else if st, _, got := downloadAs(t, env, env.Creds.AccessKey, env.Creds.SecretKey, *j.Entities.ImageId, ""); st != 200 || !bytes.Equal(got, data) {
				t.Fatalf("download after a second re-key: %d", st)
			}

			if res, err := env.App.Service.GC(context.Background(), 0); err != nil || res.BlobsDeleted != 0 || res.StagingPurged != 0 {
				t.Fatalf("GC after the copies: %+v %v", res, err)
			}
		})
	}
}

func ptrStr(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// cancelJob POSTs the imsd cancel extension as the given caller.
func cancelJob(t testing.TB, env *sdktest.Env, ak, sk, job string) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, sdktest.Request{Method: "POST", Path: "/v1/imsd/jobs/" + job + "/cancel", JSONBody: []byte(`{}`)}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestCopyCancelAndProgress: a slow (rate-limited) re-key copy reports
// growing progress while it runs; cancelling it ends the job FAIL IMG.0250
// at once, deletes its image, and its runner removes the staged data; the
// source stays, and cannot be deleted while the copy runs.
func TestCopyCancelAndProgress(t *testing.T) {
	env := sdktest.Start(t, func(c *app.Config) {
		c.Service.CopyRateLimit = 2 << 20
		c.Service.CopyCheckpointBytes = 1 << 20
	})
	kc := env.RootKMS(t)
	keyA, keyB := mkCMK(t, kc, "a"), mkCMK(t, kc, "b")
	data := randomBytes(t, 20<<20)
	src := encryptedImage(t, env, "src", keyA, data)
	r := check(env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
		Body: &model.CopyImageInRegionRequestBody{Name: "doomed", CmkId: ptr(keyB)}}))(t)
	job := *r.JobId

	var seen []float64
	imstest.WaitFor(t, 60*time.Second, "the copy to make progress", func() bool {
		p := check(env.IMS.ShowJobProgress(&model.ShowJobProgressRequest{JobId: job}))(t)
		pct := *p.Entities.ProcessPercent
		if len(seen) == 0 || pct != seen[len(seen)-1] {
			seen = append(seen, pct)
		}
		return p.Status.Value() == "RUNNING" && len(seen) >= 3 && pct > 0.1
	})
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Fatalf("process_percent went down: %v", seen)
		}
	}
	t.Logf("process_percent values seen while running: %v", seen)

	resp := env.Do(t, sdktest.Request{Method: "DELETE", Path: "/v2/images/" + src})
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("deleting the source of a running copy: %d", resp.StatusCode)
	}

	m := iam{t, env}
	akNo, skNo := m.user("no-copy", grantSpec{m.custom("getter", []string{"ims:images:get"}, "Allow"), imsd.ScopeProject, env.Creds.ProjectID})
	if st, body := cancelJob(t, env, akNo, skNo, job); st != 403 {
		t.Fatalf("cancel without ims:images:copy: %d %v", st, body)
	}
	if st, _ := cancelJob(t, env, env.Creds.AccessKey, env.Creds.SecretKey, "0123456789abcdef0123456789abcdef"); st != 404 {
		t.Fatalf("cancel of an unknown job: %d", st)
	}
	staging := filepath.Join(filepath.Dir(env.App.BootstrapPath()), "blobs", "staging")
	start := time.Now()
	st, body := cancelJob(t, env, env.Creds.AccessKey, env.Creds.SecretKey, job)
	if st != 200 || body["status"] != "FAIL" || body["error_code"] != "IMG.0250" {
		t.Fatalf("cancel: %d %v", st, body)
	}
	imgID := body["entities"].(map[string]any)["image_id"].(string)
	if _, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: imgID}); err == nil {
		t.Fatal("the cancelled copy's image still exists")
	}
	imstest.WaitFor(t, 30*time.Second, "the runner to remove the staged data", func() bool {
		entries, _ := os.ReadDir(staging)
		return len(entries) == 0
	})
	t.Logf("staged data removed %v after the cancel was accepted", time.Since(start).Round(time.Millisecond))
	if st, body := cancelJob(t, env, env.Creds.AccessKey, env.Creds.SecretKey, job); st != 409 || !strings.Contains(body["error"].(map[string]any)["code"].(string), "IMG.0249") {
		t.Fatalf("second cancel: %d %v", st, body)
	}
	j := check(env.IMS.ShowJob(&model.ShowJobRequest{JobId: job}))(t)
	if j.Status.Value() != "FAIL" || *j.ErrorCode != "IMG.0250" {
		t.Fatalf("job after cancel: %v %v", j.Status.Value(), ptrStr(j.ErrorCode))
	}
	// Only the source's blob is left, and GC keeps it.
	res, err := env.App.Service.GC(context.Background(), 0)
	if err != nil || res.BlobsReferenced != 1 || res.BlobsDeleted != 0 {
		t.Fatalf("GC after cancel: %+v %v", res, err)
	}
	if _, _, dl := downloadAs(t, env, env.Creds.AccessKey, env.Creds.SecretKey, src, ""); sha256.Sum256(dl) != sha256.Sum256(data) {
		t.Fatal("the source changed")
	}
}
