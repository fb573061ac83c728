package compat

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// storedImage reads an image straight from the store.
func storedImage(t testing.TB, env *sdktest.Env, id string) *imsd.Image {
	t.Helper()
	img, err := env.App.Store.ImageGet(context.Background(), id)
	if err != nil {
		t.Fatalf("ImageGet %s: %v", id, err)
	}
	return img
}

// download reads an image's data, whole or from a Range header.
func download(t testing.TB, env *sdktest.Env, id, rangeHeader string) (*http.Response, []byte) {
	t.Helper()
	q := sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"}
	if rangeHeader != "" {
		q.Header = http.Header{"Range": {rangeHeader}}
	}
	resp := env.Do(t, q)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	return resp, b
}

// TestUploadComputesChecksum: the MD5 of the uploaded data is the image's
// checksum in the Glance and the IMS views and the download's Content-MD5,
// and a copy inherits it.
func TestUploadComputesChecksum(t *testing.T) {
	env := sdktest.Start(t, nil)
	for _, tc := range []struct {
		name string
		size int
	}{
		{"small", 4096},
		{"several pipeline buffers", 5<<20 + 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(t, tc.size)
			want := md5Hex(data)
			id := activeImage(t, env, "sum", data)

			shown, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
			if err != nil || shown.Checksum == nil || *shown.Checksum != want {
				t.Fatalf("GlanceShowImage checksum = %v, %v; want %s", shown.Checksum, err, want)
			}
			list, err := env.IMS.ListImages(&model.ListImagesRequest{Id: ptr(id)})
			if err != nil || len(*list.Images) != 1 || (*list.Images)[0].Checksum == nil || *(*list.Images)[0].Checksum != want {
				t.Fatalf("ListImages checksum: %v %+v", err, list)
			}
			resp, body := download(t, env, id, "")
			if resp.StatusCode != 200 || resp.Header.Get("Content-Md5") != want || md5Hex(body) != want {
				t.Fatalf("download: %d, Content-MD5 %q, body MD5 %s; want %s", resp.StatusCode, resp.Header.Get("Content-Md5"), md5Hex(body), want)
			}
			if resp, _ := download(t, env, id, "bytes=0-9"); resp.StatusCode != 206 || resp.Header.Get("Content-Md5") != "" {
				t.Fatalf("ranged download: %d, Content-MD5 %q (must be absent: it describes the whole image)", resp.StatusCode, resp.Header.Get("Content-Md5"))
			}

			job, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: id, Body: &model.CopyImageInRegionRequestBody{Name: "sum-copy"}})
			if err != nil {
				t.Fatalf("CopyImageInRegion: %v", err)
			}
			j := waitJob(t, env, *job.JobId)
			if j.Status.Value() != "SUCCESS" {
				t.Fatalf("copy job %s", j.Status.Value())
			}
			copied, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: *j.Entities.ImageId})
			if err != nil || copied.Checksum == nil || *copied.Checksum != want {
				t.Fatalf("copy checksum = %v, %v; want %s", copied.Checksum, err, want)
			}
		})
	}
}

// TestChecksumOfOlderImages: images stored before checksums were computed
// get theirs from the background pass (reading each blob once, copies
// included) or from their next full download; a ranged or a broken read
// records nothing, and nothing the owner set changes.
func TestChecksumOfOlderImages(t *testing.T) {
	env := sdktest.Start(t, nil)
	ctx := context.Background()
	data := randomBytes(t, 3<<20+1)
	want := md5Hex(data)
	legacy := func(id string) {
		editImage(t, env, id, func(img *imsd.Image) { img.Checksum = "" })
	}

	t.Run("background pass", func(t *testing.T) {
		src := activeImage(t, env, "old", data)
		legacy(src)
		job, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "old-copy"}})
		if err != nil {
			t.Fatalf("CopyImageInRegion: %v", err)
		}
		j := waitJob(t, env, *job.JobId)
		cp := *j.Entities.ImageId
		if got := storedImage(t, env, cp).Checksum; got != "" {
			t.Fatalf("copy of an image without checksum has %q", got)
		}
		// An image whose data is gone is logged and skipped, not retried
		// for ever.
		lost := activeImage(t, env, "lost", randomBytes(t, 1000))
		editImage(t, env, lost, func(img *imsd.Image) {
			img.Checksum = ""
			img.BlobDigest = "00000000000000000000000000000000000000000000000000000000deadbeef"
		})
		before := storedImage(t, env, src).UpdatedAt
		n, err := env.App.Service.FillChecksums(ctx)
		if err != nil || n != 2 {
			t.Fatalf("FillChecksums = %d, %v; want 2 images", n, err)
		}
		for _, id := range []string{src, cp} {
			if got := storedImage(t, env, id); got.Checksum != want {
				t.Fatalf("image %s checksum %q, want %s", id, got.Checksum, want)
			}
		}
		if got := storedImage(t, env, src).UpdatedAt; !got.Equal(before) {
			t.Errorf("updated_at moved from %v to %v", before, got)
		}
		if got := storedImage(t, env, lost).Checksum; got != "" {
			t.Fatalf("image without data got checksum %q", got)
		}
		if n, err := env.App.Service.FillChecksums(ctx); err != nil || n != 0 {
			t.Fatalf("second FillChecksums = %d, %v; want nothing to do", n, err)
		}
	})

	t.Run("next full download", func(t *testing.T) {
		id := activeImage(t, env, "old-download", data)
		legacy(id)
		if resp, _ := download(t, env, id, "bytes=0-"+strconv.Itoa(len(data)-2)); resp.StatusCode != 206 {
			t.Fatalf("ranged download %d", resp.StatusCode)
		}
		if got := storedImage(t, env, id).Checksum; got != "" {
			t.Fatalf("a ranged read recorded checksum %q", got)
		}
		resp, body := download(t, env, id, "")
		if resp.StatusCode != 200 || len(body) != len(data) {
			t.Fatalf("download %d, %d bytes", resp.StatusCode, len(body))
		}
		if got := storedImage(t, env, id).Checksum; got != want {
			t.Fatalf("after a full download checksum %q, want %s", got, want)
		}
	})
}

// TestChecksumsFilledInTheBackground: the server runs the pass by itself,
// at start and after every garbage collection.
func TestChecksumsFilledInTheBackground(t *testing.T) {
	env := sdktest.Start(t, func(c *app.Config) { c.GCInterval = 50 * time.Millisecond })
	data := randomBytes(t, 10000)
	id := activeImage(t, env, "old", data)
	editImage(t, env, id, func(img *imsd.Image) { img.Checksum = "" })
	imstest.WaitFor(t, 10*time.Second, "background checksum", func() bool {
		return storedImage(t, env, id).Checksum == md5Hex(data)
	})
}
