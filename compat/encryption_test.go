package compat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	kmsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/blobcrypt"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// encryptedImage creates an image with __system__cmkid through a signed
// Glance create and uploads data to it.
func encryptedImage(t testing.TB, env *sdktest.Env, name, key string, data []byte) string {
	t.Helper()
	id := createWithKey(t, env, env.Creds.AccessKey, env.Creds.SecretKey, name, key, http.StatusCreated, "")
	if r := upload(t, env, id, bytesReader(data)); r.StatusCode != http.StatusNoContent {
		t.Fatalf("upload status %d", r.StatusCode)
	}
	return id
}

// createWithKey POSTs /v2/images with __system__cmkid as the given caller
// and checks the status (and the error code when it is not 201).
func createWithKey(t testing.TB, env *sdktest.Env, ak, sk, name, key string, status int, code string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "disk_format": "raw", "__system__cmkid": key})
	resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: body}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status || (code != "" && !strings.Contains(string(raw), `"`+code+`"`)) {
		t.Fatalf("create with key: %d %s, want %d %s", resp.StatusCode, raw, status, code)
	}
	var img map[string]any
	_ = json.Unmarshal(raw, &img)
	if status == http.StatusCreated && (img["__system__cmkid"] != key || img["__system_encrypted"] != "1") {
		t.Fatalf("created image: %v", img)
	}
	id, _ := img["id"].(string)
	return id
}

// download GETs an image's data (a range when rng is set) as the given
// caller and returns the status and body.
func downloadAs(t testing.TB, env *sdktest.Env, ak, sk, id, rng string) (int, http.Header, []byte) {
	t.Helper()
	q := sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"}
	if rng != "" {
		q.Header = http.Header{"Range": {rng}}
	}
	resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// requireNoPlaintext fails if the stored blob of image id holds any
// 32-byte window of data.
func requireNoPlaintext(t testing.TB, env *sdktest.Env, id string, data []byte) {
	t.Helper()
	img, err := env.App.Store.ImageGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !img.Encrypted() || img.PlainDigest == "" || img.BlobDigest == img.PlainDigest {
		t.Fatalf("image %s is not stored encrypted: %+v", id, img)
	}
	rc, err := env.App.Blobs.Open(context.Background(), img.BlobDigest, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(raw)) != blobcrypt.SealedSize(int64(len(data))) {
		t.Fatalf("stored blob has %d bytes, want %d", len(raw), blobcrypt.SealedSize(int64(len(data))))
	}
	for off := 0; off+32 <= len(data); off += 4093 {
		if bytes.Contains(raw, data[off:off+32]) {
			t.Fatalf("the stored blob holds plaintext from offset %d", off)
		}
	}
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) == img.BlobDigest {
		t.Fatal("the blob address is the ciphertext's SHA-256, not the derived address")
	}
}

// encryptionBackends are the configurations the encryption tests run on:
// the embedded default and PostgreSQL + S3 (set up for the subtest t).
var encryptionBackends = map[string]func(t *testing.T) func(*app.Config){
	"local": func(*testing.T) func(*app.Config) { return nil },
	"postgres+s3": func(t *testing.T) func(*app.Config) {
		pg := freshSchema(t)
		s3cfg := imstest.S3(t)
		return func(c *app.Config) {
			c.PostgresURL = pg
			c.S3.Endpoint, c.S3.Region, c.S3.AccessKey, c.S3.SecretKey = s3cfg.Endpoint, s3cfg.Region, s3cfg.AccessKey, s3cfg.SecretKey
			c.S3.Bucket = "imsd-enc-" + imsd.NewHexID()[:12]
		}
	},
}

// TestEncryptedImages: through the official SDK (kms/v2 and ims/v2), a
// key is created, an image is created with it and uploaded; the stored
// blob holds no plaintext; downloads (whole and ranges) return the
// plaintext; a same-key copy shares the blob; and the image works with
// every other image route.
func TestEncryptedImages(t *testing.T) {
	for name, cfg := range encryptionBackends {
		t.Run(name, func(t *testing.T) {
			env := sdktest.Start(t, cfg(t))
			key := mkCMK(t, env.RootKMS(t), "images")
			data := randomBytes(t, 3*blobcrypt.SegmentSize+12345)
			sum := sha256.Sum256(data)
			id := encryptedImage(t, env, "enc", key, data)
			requireNoPlaintext(t, env, id, data)

			show := check(env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id}))(t)
			if show.Status.Value() != "active" || *show.SystemCmkid != key || *show.Size != int64(len(data)) {
				t.Fatalf("GlanceShowImage: %v %v %v", show.Status, *show.SystemCmkid, *show.Size)
			}
			resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id})
			var shown map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&shown)
			resp.Body.Close()
			if shown["os_hash_value"] != hex.EncodeToString(sum[:]) || shown["__system_encrypted"] != "1" {
				t.Fatalf("os_hash_value %v, __system_encrypted %v", shown["os_hash_value"], shown["__system_encrypted"])
			}
			ak, sk := env.Creds.AccessKey, env.Creds.SecretKey
			st, h, got := downloadAs(t, env, ak, sk, id, "")
			if st != 200 || !bytes.Equal(got, data) || h.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` {
				t.Fatalf("download: %d, %d bytes, etag %s", st, len(got), h.Get("ETag"))
			}
			for _, r := range [][2]int{{0, 0}, {5, 70000}, {blobcrypt.SegmentSize - 1, blobcrypt.SegmentSize + 1}, {len(data) - 7, len(data) - 1}, {2 * blobcrypt.SegmentSize, 3 * blobcrypt.SegmentSize}} {
				st, _, got := downloadAs(t, env, ak, sk, id, fmt.Sprintf("bytes=%d-%d", r[0], r[1]))
				if st != 206 || !bytes.Equal(got, data[r[0]:r[1]+1]) {
					t.Fatalf("range %v: %d, %d bytes", r, st, len(got))
				}
			}

			// A copy without cmk_id keeps the key and shares the blob.
			cp := check(env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: id, Body: &model.CopyImageInRegionRequestBody{Name: "same-key"}}))(t)
			j := waitJob(t, env, *cp.JobId)
			if j.Status.Value() != "SUCCESS" {
				t.Fatalf("same-key copy: %v %v", j.Status.Value(), j.FailReason)
			}
			copyID := *j.Entities.ImageId
			a, _ := env.App.Store.ImageGet(context.Background(), id)
			b, _ := env.App.Store.ImageGet(context.Background(), copyID)
			if b.CmkID != key || b.BlobDigest != a.BlobDigest || !bytes.Equal(b.DataKey, a.DataKey) {
				t.Fatalf("same-key copy does not share the source's data: %+v", b)
			}
			if st, _, got := downloadAs(t, env, ak, sk, copyID, ""); st != 200 || !bytes.Equal(got, data) {
				t.Fatalf("download of the copy: %d", st)
			}

			// Encrypted images keep working with the other routes.
			list := check(env.IMS.ListImages(&model.ListImagesRequest{Id: ptr(id)}))(t)
			if len(*list.Images) != 1 || *(*list.Images)[0].SystemCmkid != key {
				t.Fatalf("ListImages: %+v", *list.Images)
			}
			resp = env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/cloudimages", Query: url.Values{"__system__cmkid": {key}}})
			var byKey struct {
				Images []map[string]any `json:"images"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&byKey)
			resp.Body.Close()
			if len(byKey.Images) != 2 { // the image and its same-key copy
				t.Fatalf("ListImages __system__cmkid: %d images", len(byKey.Images))
			}
			check(env.IMS.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: "k", Value: "v"}}}))(t)
			ep := mkEP(t, rootEPS(t, env), "enc-ep")
			resp = env.Do(t, sdktest.Request{Method: "POST", Path: "/v1.0/enterprise-projects/" + ep + "/resources-migrate",
				JSONBody: []byte(`{"resource_id":"` + id + `","resource_type":"images","project_id":"` + env.Creds.ProjectID + `"}`)})
			resp.Body.Close()
			if resp.StatusCode != 204 && resp.StatusCode != 200 {
				t.Fatalf("migrate: %d", resp.StatusCode)
			}
			if st, _, got := downloadAs(t, env, ak, sk, id, "bytes=0-99"); st != 206 || !bytes.Equal(got, data[:100]) {
				t.Fatalf("download after migrate: %d", st)
			}
			if res, err := env.App.Service.GC(context.Background(), 0); err != nil || res.BlobsDeleted != 0 {
				t.Fatalf("GC deleted referenced blobs: %+v %v", res, err)
			}
			check(env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: copyID}))(t)
			check(env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: id}))(t)
			if res, err := env.App.Service.GC(context.Background(), 0); err != nil || res.BlobsDeleted != 1 {
				t.Fatalf("GC after deleting both images: %+v %v", res, err)
			}
		})
	}
}

// TestEncryptedImageErrors: the key service's answers reach IMS calls on
// encrypted images with the documented codes, and change nothing.
func TestEncryptedImageErrors(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.RootKMS(t)
	key := mkCMK(t, c, "k")
	data := randomBytes(t, 100000)
	id := encryptedImage(t, env, "enc", key, data)
	queued := createWithKey(t, env, env.Creds.AccessKey, env.Creds.SecretKey, "queued", key, http.StatusCreated, "")
	root := [2]string{env.Creds.AccessKey, env.Creds.SecretKey}

	m := iam{t, env}
	proj := env.Creds.ProjectID
	imsAll := m.custom("ims-all", []string{"ims:*:*"}, "Allow")
	akNo, skNo := m.user("no-kms", grantSpec{imsAll, imsd.ScopeProject, proj})
	akDec, skDec := m.user("decrypt", grantSpec{imsAll, imsd.ScopeProject, proj},
		grantSpec{m.custom("dek-decrypt", []string{"kms:dek:decrypt"}, "Allow"), imsd.ScopeProject, proj})

	t.Run("create with an unknown key", func(t *testing.T) {
		createWithKey(t, env, root[0], root[1], "x", "8b1b1d3c-0000-4000-8000-000000000000", 400, "IMG.0095")
	})
	t.Run("create without kms:dek:create", func(t *testing.T) {
		createWithKey(t, env, akNo, skNo, "x", key, 400, "IMG.0099")
	})
	t.Run("download without kms:dek:decrypt", func(t *testing.T) {
		if st, _, b := downloadAs(t, env, akNo, skNo, id, ""); st != 400 || !strings.Contains(string(b), "IMG.0099") {
			t.Fatalf("%d %s", st, b)
		}
		if st, _, b := downloadAs(t, env, akDec, skDec, id, ""); st != 200 || !bytes.Equal(b, data) {
			t.Fatalf("with kms:dek:decrypt: %d", st)
		}
	})
	check(c.DisableKey(&kmsm.DisableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: key}}))(t)
	t.Run("download with the key disabled", func(t *testing.T) {
		if st, _, b := downloadAs(t, env, root[0], root[1], id, ""); st != 400 || !strings.Contains(string(b), "IMG.0097") {
			t.Fatalf("%d %s", st, b)
		}
	})
	t.Run("upload with the key disabled", func(t *testing.T) {
		resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + queued + "/file", ContentType: "application/octet-stream", Body: bytes.NewReader(data)})
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), "IMG.0097") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		if img, _ := env.App.Store.ImageGet(context.Background(), queued); img.Status != imsd.ImageQueued {
			t.Fatalf("refused upload left the image %s", img.Status)
		}
	})
	t.Run("copy with the source's key disabled", func(t *testing.T) {
		_, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: id, Body: &model.CopyImageInRegionRequestBody{Name: "x"}})
		sdkError(t, err, 400, "IMG.0102")
	})
	check(c.EnableKey(&kmsm.EnableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: key}}))(t)
	t.Run("same key as the source", func(t *testing.T) {
		_, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: id, Body: &model.CopyImageInRegionRequestBody{Name: "x", CmkId: ptr(key)}})
		sdkError(t, err, 400, "IMG.0096")
	})
	t.Run("v2.1 copy without kms:dek:decrypt on the source's key", func(t *testing.T) {
		_, err := env.Client(t, akNo, skNo, proj).CopyImageInRegionInSafeMode(&model.CopyImageInRegionInSafeModeRequest{ImageId: id,
			Body: &model.CopyImageInRegionRequestBody{Name: "x"}})
		sdkError(t, err, 400, "IMG.0103")
	})
	t.Run("the key in use cannot be deleted", func(t *testing.T) {
		_, err := c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: key, PendingDays: "7"}})
		sdkError(t, err, 409, "KMS.9001")
	})
}
