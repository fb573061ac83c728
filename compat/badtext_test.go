package compat

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestTextTheStoreCannotHold sends NUL characters and invalid UTF-8 in
// paths, queries, headers and JSON bodies of IMS, IAM and EPS routes, on
// SQLite and on PostgreSQL (which refuses such text in any statement). Each
// is the client's mistake: a 4xx with an error code, never a 5xx.
func TestTextTheStoreCannotHold(t *testing.T) {
	backends := []struct {
		name string
		cfg  func(t *testing.T) func(*app.Config)
	}{
		{"sqlite", func(*testing.T) func(*app.Config) { return nil }},
		{"postgres", func(t *testing.T) func(*app.Config) {
			pg := freshSchema(t)
			return func(c *app.Config) { c.PostgresURL = pg }
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			env := sdktest.Start(t, b.cfg(t))
			img := activeImage(t, env, "victim", randomBytes(t, 4096))
			pid := env.Creds.ProjectID
			global := http.Header{"X-Domain-Id": {env.Creds.DomainID}}
			const nul, bad = "a\x00b", "a\xffb"
			probes := []struct {
				name string
				req  sdktest.Request
			}{
				{"image id with NUL", sdktest.Request{Method: "GET", Path: "/v2/images/" + nul}},
				{"image id with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v2/images/" + bad}},
				{"copy of an image id with NUL", sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + nul + "/copy", JSONBody: []byte(`{"name":"x"}`)}},
				{"job id with NUL", sdktest.Request{Method: "GET", Path: "/v1/" + pid + "/jobs/" + nul}},
				{"IMS job id with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v1/cloudimages/job/" + bad}},
				{"list filter name with NUL", sdktest.Request{Method: "GET", Path: "/v2/cloudimages", Query: url.Values{"name": {nul}}}},
				{"list filter os version with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v2/cloudimages", Query: url.Values{"__os_version": {bad}}}},
				{"list marker with NUL", sdktest.Request{Method: "GET", Path: "/v2/cloudimages", Query: url.Values{"marker": {nul}}}},
				{"list enterprise project with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v2/cloudimages", Query: url.Values{"enterprise_project_id": {bad}}}},
				{"glance list name with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v2/images", Query: url.Values{"name": {bad}, "marker": {nul}}}},
				{"glance tag with invalid UTF-8", sdktest.Request{Method: "PUT", Path: "/v2/images/" + img + "/tags/" + bad}},
				{"tag key with NUL in JSON", sdktest.Request{Method: "POST", Path: "/v2/" + pid + "/images/" + img + "/tags", JSONBody: []byte(`{"tag":{"key":"a\u0000","value":"v"}}`)}},
				{"image name with NUL in JSON", sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: []byte(`{"name":"a\u0000b","disk_format":"raw"}`)}},
				{"copy description with NUL in JSON", sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + img + "/copy", JSONBody: []byte(`{"name":"x","description":"\u0000"}`)}},
				{"copy with an invalid UTF-8 client token", sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + img + "/copy", JSONBody: []byte(`{"name":"x"}`), Header: http.Header{"X-Client-Token": {bad}}}},
				{"user id with NUL", sdktest.Request{Method: "GET", Path: "/v3/users/" + nul, Header: global}},
				{"group id with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v3/groups/" + bad, Header: global}},
				{"access key with NUL", sdktest.Request{Method: "GET", Path: "/v3.0/OS-CREDENTIAL/credentials/" + nul, Header: global}},
				{"role id with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v3.0/OS-ROLE/roles/" + bad, Header: global}},
				{"user list name with NUL", sdktest.Request{Method: "GET", Path: "/v3/users", Query: url.Values{"name": {nul}}, Header: global}},
				{"project list name with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v3/projects", Query: url.Values{"name": {bad}}, Header: global}},
				{"user email with NUL in JSON", sdktest.Request{Method: "POST", Path: "/v3/users", JSONBody: []byte(`{"user":{"name":"eve","email":"a\u0000@b.c","domain_id":"` + env.Creds.DomainID + `"}}`), Header: global}},
				{"enterprise project id with NUL", sdktest.Request{Method: "GET", Path: "/v1.0/enterprise-projects/" + nul, Header: global}},
				{"enterprise project list name with invalid UTF-8", sdktest.Request{Method: "GET", Path: "/v1.0/enterprise-projects", Query: url.Values{"name": {bad}}, Header: global}},
			}
			for _, p := range probes {
				t.Run(p.name, func(t *testing.T) {
					resp := env.Do(t, p.req)
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					var e struct {
						Error struct {
							Code string `json:"code"`
						} `json:"error"`
					}
					_ = json.Unmarshal(body, &e)
					if resp.StatusCode < 400 || resp.StatusCode >= 500 || e.Error.Code == "" {
						t.Fatalf("%s %q: %d %s; want a 4xx with an error code", p.req.Method, p.req.Path, resp.StatusCode, body)
					}
				})
			}
			// The token endpoint is public: names with NUL and an unknown
			// domain name with invalid UTF-8.
			for name, body := range map[string]string{
				"token user name with NUL": `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"a\u0000","password":"x","domain":{"name":"` + env.Creds.DomainName + `"}}}}}}`,
				"token domain id with NUL": `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"a","password":"x","domain":{"id":"\u0000"}}}}}}`,
			} {
				t.Run(name, func(t *testing.T) {
					resp, err := http.Post(env.Endpoint+"/v3/auth/tokens", "application/json", strings.NewReader(body))
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode < 400 || resp.StatusCode >= 500 {
						t.Fatalf("%d %s; want a 4xx", resp.StatusCode, b)
					}
				})
			}
			// X-Project-Id with invalid UTF-8 fails authentication.
			req := env.Signed(t, env.Creds.AccessKey, env.Creds.SecretKey, bad, sdktest.Request{Method: "GET", Path: "/v2/cloudimages"})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 {
				t.Fatalf("X-Project-Id with invalid UTF-8: %d, want 401", resp.StatusCode)
			}
		})
	}
}
