package compat

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestGlanceListFullPagesLinkTheNext: paging GET /v2/images with the
// largest limit (1000) through its "next" links reaches every image; the
// lookahead row that tells a next page exists used to be cut off by the
// page cap, so a full page of 1000 had no next link.
func TestGlanceListFullPagesLinkTheNext(t *testing.T) {
	env := sdktest.Start(t, nil)
	tmplID := createImage(t, env, "template", "")
	tmpl, err := env.App.Store.ImageGet(t.Context(), tmplID)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2100
	base := time.Now().UTC().Add(-time.Hour)
	err = env.App.Store.InTx(t.Context(), func(q imsd.Queries) error {
		for i := range n - 1 {
			img := *tmpl
			img.ID, img.Name = uuid.NewString(), fmt.Sprintf("paged-%04d", i)
			img.CreatedAt, img.UpdatedAt = base.Add(time.Duration(i)*time.Millisecond), base
			if err := q.ImageInsert(t.Context(), &img); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	marker, pages := "", 0
	for {
		req := &model.GlanceListImagesRequest{Limit: ptr(int32(1000))}
		if marker != "" {
			req.Marker = &marker
		}
		resp, err := env.IMS.GlanceListImages(req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, img := range *resp.Images {
			seen[img.Id] = true
		}
		if resp.Next == nil || *resp.Next == "" {
			break
		}
		u, err := url.Parse(*resp.Next)
		if err != nil {
			t.Fatal(err)
		}
		marker = u.Query().Get("marker")
	}
	if len(seen) != n || pages != 3 {
		t.Fatalf("following next links saw %d of %d images in %d pages", len(seen), n, pages)
	}
}
