package compat

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestAuthNegative: every way a signature can be wrong answers 401 in the
// API-gateway format and changes nothing; foreign resources answer 404.
func TestAuthNegative(t *testing.T) {
	env := sdktest.Start(t, nil)
	src := activeImage(t, env, "source", randomBytes(t, 2048))
	other := env.NewAccount(t, "other")
	copyReq := func() sdktest.Request {
		return sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + src + "/copy", JSONBody: []byte(`{"name":"evil"}`)}
	}
	c := env.Creds
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"wrong SK", func() *http.Request { return env.Signed(t, c.AccessKey, other.SecretKey, c.ProjectID, copyReq()) }, 401, "APIGW.0301"},
		{"unknown AK", func() *http.Request {
			return env.Signed(t, "UNKNOWNAK00000000000", c.SecretKey, c.ProjectID, copyReq())
		}, 401, "APIGW.0301"},
		{"tampered body", func() *http.Request {
			r := env.Signed(t, c.AccessKey, c.SecretKey, c.ProjectID, copyReq())
			r.Body = io.NopCloser(strings.NewReader(`{"name":"evi1"}`))
			return r
		}, 401, "APIGW.0301"},
		{"tampered query", func() *http.Request {
			r := env.Signed(t, c.AccessKey, c.SecretKey, c.ProjectID, copyReq())
			r.URL.RawQuery = "x=1"
			return r
		}, 401, "APIGW.0301"},
		{"tampered signed header", func() *http.Request {
			r := env.Signed(t, c.AccessKey, c.SecretKey, c.ProjectID, copyReq())
			r.Header.Set("User-Agent", "someone-else")
			return r
		}, 401, "APIGW.0301"},
		{"stale X-Sdk-Date", func() *http.Request {
			q := copyReq()
			q.Header = http.Header{"X-Sdk-Date": {time.Now().UTC().Add(-16 * time.Minute).Format("20060102T150405Z")}}
			return env.Signed(t, c.AccessKey, c.SecretKey, c.ProjectID, q)
		}, 401, "APIGW.0301"},
		{"X-Project-Id of another account", func() *http.Request { return env.Signed(t, c.AccessKey, c.SecretKey, other.ProjectID, copyReq()) }, 401, "APIGW.0301"},
		{"X-Domain-Id of another account", func() *http.Request {
			q := copyReq()
			q.Header = http.Header{"X-Domain-Id": {other.DomainID}}
			return env.Signed(t, c.AccessKey, c.SecretKey, c.ProjectID, q)
		}, 401, "APIGW.0301"},
		{"no credentials", func() *http.Request {
			r, _ := http.NewRequest("POST", env.Endpoint+"/v1/cloudimages/"+src+"/copy", strings.NewReader(`{"name":"x"}`))
			return r
		}, 401, "APIGW.0301"},
		{"path project differs from X-Project-Id", func() *http.Request {
			return env.Signed(t, c.AccessKey, c.SecretKey, c.ProjectID, sdktest.Request{Method: "GET", Path: "/v2/" + other.ProjectID + "/images/" + src + "/tags"})
		}, 400, "IMG.0030"},
		{"another account reads the image", func() *http.Request {
			return env.Signed(t, other.AccessKey, other.SecretKey, other.ProjectID, sdktest.Request{Method: "GET", Path: "/v2/images/" + src})
		}, 404, "IMG.0144"},
		{"another account copies the image", func() *http.Request {
			return env.Signed(t, other.AccessKey, other.SecretKey, other.ProjectID, copyReq())
		}, 404, "IMG.0144"},
		{"another account deletes the image", func() *http.Request {
			return env.Signed(t, other.AccessKey, other.SecretKey, other.ProjectID, sdktest.Request{Method: "DELETE", Path: "/v2/images/" + src})
		}, 404, "IMG.0144"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), `"`+tc.code+`"`) || resp.Header.Get("X-Request-Id") == "" {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, tc.status, tc.code)
			}
			if strings.Contains(string(body), c.SecretKey) || strings.Contains(string(body), other.SecretKey) {
				t.Fatal("a secret key leaked into an error body")
			}
		})
	}
	list, err := env.IMS.ListImages(&model.ListImagesRequest{})
	if err != nil || len(*list.Images) != 1 {
		t.Fatalf("rejected requests changed the catalogue: %v %d images", err, len(*list.Images))
	}
}
