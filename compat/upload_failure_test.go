package compat

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// brokenReader yields n bytes, then fails as a dropped connection would.
type brokenReader struct{ n int }

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, errors.New("client went away")
	}
	k := min(len(p), b.n)
	b.n -= k
	return k, nil
}

// TestUploadFailures: data over the size limit is refused with IMG.0160
// and a transfer that breaks off midway never activates the image; both
// leave it ready for a retry, which then succeeds.
func TestUploadFailures(t *testing.T) {
	const limit = 1 << 20
	env := sdktest.Start(t, func(c *app.Config) { c.Service.MaxImageSize = limit })
	status := func(id string) string {
		t.Helper()
		img, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
		if err != nil {
			t.Fatal(err)
		}
		return img.Status.Value()
	}

	big := createImage(t, env, "too-big", "raw")
	resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + big + "/file", ContentType: "application/octet-stream",
		Body: bytes.NewReader(make([]byte, limit+1))})
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !bytes.Contains(body, []byte(`"IMG.0160"`)) {
		t.Fatalf("upload over the limit: %d %s", resp.StatusCode, body)
	}
	if s := status(big); s != "queued" {
		t.Fatalf("image after an upload over the limit is %s, want queued", s)
	}

	broken := createImage(t, env, "broken", "raw")
	req := env.Signed(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, sdktest.Request{Method: "PUT",
		Path: "/v2/images/" + broken + "/file", ContentType: "application/octet-stream", Body: &brokenReader{n: 300 << 10}})
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("broken transfer answered %d", resp.StatusCode)
		}
	}
	// The server notices the broken body on its own schedule; poll.
	var s string
	imstest.WaitFor(t, 30*time.Second, "the broken upload to end", func() bool { s = status(broken); return s == "queued" || s == "killed" })

	for _, id := range []string{big, broken} {
		if resp := upload(t, env, id, bytes.NewReader(randomBytes(t, limit))); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("retry upload of %s: %d", id, resp.StatusCode)
		}
		if s := status(id); s != "active" {
			t.Fatalf("after the retry the image is %s", s)
		}
	}
}
