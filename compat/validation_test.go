package compat

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/sdktest"
)

func countImages(t *testing.T, env *sdktest.Env) int {
	t.Helper()
	n, err := env.App.Store.ImageCount(context.Background(), imsd.ImageQuery{DomainID: env.Creds.DomainID})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// editImage changes a stored image directly, for states the API cannot
// produce (full-ECS images, sizes over the limit).
func editImage(t *testing.T, env *sdktest.Env, id string, edit func(*imsd.Image)) {
	t.Helper()
	ctx := context.Background()
	err := env.App.Store.InTx(ctx, func(q imsd.Queries) error {
		img, err := q.ImageGet(ctx, id)
		if err != nil {
			return err
		}
		edit(img)
		return q.ImageUpdate(ctx, img)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isoData is a minimal ISO 9660 image: the primary volume descriptor
// signature at 0x8001.
func isoData() []byte {
	b := make([]byte, 0x9000)
	copy(b[0x8000:], "\x01CD001\x01")
	return b
}

func TestCopyValidation(t *testing.T) {
	env := sdktest.Start(t, func(c *app.Config) { c.Service.ImageQuota = 6 })
	src := activeImage(t, env, "source", randomBytes(t, 8192))
	queued := createImage(t, env, "queued", "raw")
	whole := activeImage(t, env, "whole", randomBytes(t, 512))
	editImage(t, env, whole, func(img *imsd.Image) { img.WholeImage = true })
	huge := activeImage(t, env, "huge", randomBytes(t, 512))
	editImage(t, env, huge, func(img *imsd.Image) { img.Size = 129 << 30 })
	iso := createImage(t, env, "iso", "iso")
	if resp := upload(t, env, iso, bytesReader(isoData())); resp.StatusCode != 204 {
		t.Fatalf("iso upload %d", resp.StatusCode)
	}
	now := time.Now().UTC()
	disabled := &imsd.EnterpriseProject{ID: "5e2a0f3c-0000-4000-8000-000000000001", DomainID: env.Creds.DomainID, Name: "off",
		Status: imsd.EnterpriseProjectDisabled, CreatedAt: now, UpdatedAt: now}
	if err := env.App.Store.EnterpriseProjectInsert(context.Background(), disabled); err != nil {
		t.Fatal(err)
	}
	other := env.NewAccount(t, "other")
	otherClient := env.Client(t, other.AccessKey, other.SecretKey, other.ProjectID)
	foreign := createImage(t, &sdktest.Env{IMS: otherClient}, "theirs", "raw")

	long := strings.Repeat("a", 129)
	cases := []struct {
		name   string
		image  string
		body   *model.CopyImageInRegionRequestBody
		status int
		code   string
	}{
		{"no body", src, nil, 400, "IMG.0007"},
		{"empty name", src, &model.CopyImageInRegionRequestBody{Name: ""}, 400, "IMG.0013"},
		{"name too long", src, &model.CopyImageInRegionRequestBody{Name: long}, 400, "IMG.0002"},
		{"name bad character", src, &model.CopyImageInRegionRequestBody{Name: "bad/name"}, 400, "IMG.0003"},
		{"name leading space", src, &model.CopyImageInRegionRequestBody{Name: " x"}, 400, "IMG.0003"},
		{"description too long", src, &model.CopyImageInRegionRequestBody{Name: "x", Description: ptr(strings.Repeat("d", 1025))}, 400, "IMG.0004"},
		{"description with angle bracket", src, &model.CopyImageInRegionRequestBody{Name: "x", Description: ptr("<b>")}, 400, "IMG.0054"},
		{"unknown source", "00000000-0000-4000-8000-000000000000", &model.CopyImageInRegionRequestBody{Name: "x"}, 404, "IMG.0144"},
		{"another account's source", foreign, &model.CopyImageInRegionRequestBody{Name: "x"}, 404, "IMG.0144"},
		{"source not active", queued, &model.CopyImageInRegionRequestBody{Name: "x"}, 400, "IMG.0046"},
		{"full-ECS source", whole, &model.CopyImageInRegionRequestBody{Name: "x"}, 400, "IMG.0130"},
		{"ISO source", iso, &model.CopyImageInRegionRequestBody{Name: "x"}, 400, "IMG.0167"},
		{"source over the size limit", huge, &model.CopyImageInRegionRequestBody{Name: "x"}, 400, "IMG.0160"},
		{"unknown enterprise project", src, &model.CopyImageInRegionRequestBody{Name: "x", EnterpriseProjectId: ptr("9f0e0f3c-0000-4000-8000-00000000dead")}, 400, "IMG.0155"},
		{"disabled enterprise project", src, &model.CopyImageInRegionRequestBody{Name: "x", EnterpriseProjectId: ptr(disabled.ID)}, 400, "IMG.0155"},
		{"unknown KMS key", src, &model.CopyImageInRegionRequestBody{Name: "x", CmkId: ptr("bd66288c-9081-460a-8227-4cbd0c814cb4")}, 400, "IMG.0095"},
	}
	before := countImages(t, env)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: c.image, Body: c.body})
			sdkError(t, err, c.status, c.code)
			if n := countImages(t, env); n != before {
				t.Fatalf("a rejected copy changed the image count: %d → %d", before, n)
			}
		})
	}
	t.Run("quota", func(t *testing.T) {
		if _, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "fits"}}); err != nil {
			t.Fatalf("copy within quota: %v", err)
		}
		_, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "over"}})
		sdkError(t, err, 400, "IMG.0015")
	})
	t.Run("unknown job", func(t *testing.T) {
		_, err := env.IMS.ShowJob(&model.ShowJobRequest{JobId: "0123456789abcdef0123456789abcdef"})
		sdkError(t, err, 404, "IMG.0245")
		_, err = env.IMS.ShowJobProgress(&model.ShowJobProgressRequest{JobId: "0123456789abcdef0123456789abcdef"})
		sdkError(t, err, 404, "IMG.0245")
	})
}

func TestUploadRejectsMismatchedFormat(t *testing.T) {
	env := sdktest.Start(t, nil)
	id := createImage(t, env, "declared qcow2", "qcow2")
	resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + id + "/file", ContentType: "application/octet-stream",
		Body: strings.NewReader(strings.Repeat("not a qcow2 header ", 1000))})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "IMG.0243") {
		t.Fatalf("mismatch: %d %s", resp.StatusCode, body)
	}
	shown, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
	if err != nil || shown.Status.Value() != "queued" || *shown.ImageSize != "0" {
		t.Fatalf("rejected upload changed the image: %v %+v", err, shown)
	}
	resp = upload(t, env, id, bytesReader(randomBytes(t, 10)))
	if resp.StatusCode != 400 {
		t.Fatalf("second bad upload %d", resp.StatusCode)
	}
	active := activeImage(t, env, "done", randomBytes(t, 100))
	if resp := upload(t, env, active, bytesReader(randomBytes(t, 100))); resp.StatusCode != http.StatusConflict {
		t.Fatalf("upload to active image: %d", resp.StatusCode)
	}
}
