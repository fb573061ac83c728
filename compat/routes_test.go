package compat

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestEveryRouteAuthenticatesAndAuthorizes walks the route table: every
// non-public route declares IAM actions, answers 401 without credentials,
// and never succeeds for an IAM user without permissions (403, or 404 for
// what the user cannot see) unless it only answers about the caller's own
// account (Route.Self). The server also reports any route that
// returned without asking the authorizer (sdktest fails the test then).
func TestEveryRouteAuthenticatesAndAuthorizes(t *testing.T) {
	env := sdktest.Start(t, nil)
	img := activeImage(t, env, "probe", randomBytes(t, 1024))
	r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "c"}})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, env, *r.JobId)
	ak, sk := env.NewUser(t, "nobody")
	params := strings.NewReplacer("{user_id}", env.Creds.UserID, "{group_id}", "0123456789abcdef0123456789abcdef",
		"{domain_id}", env.Creds.DomainID, "{role_id}", "0123456789abcdef0123456789abcdef", "{access_key}", env.Creds.AccessKey,
		"{policy_id}", "0123456789abcdef0123456789abcdef", "{enterprise_project_id}", "0", "{resource_id}", "x",
		"{resource_type}", "images", "{credential}", env.Creds.AccessKey, "{access_key_id}", env.Creds.AccessKey,
		"{ep_id}", "0", "{id}", "x", "{image_id}", img, "{project_id}", env.Creds.ProjectID, "{job_id}", *r.JobId,
		"{tag}", "t1", "{key}", "k1", "{version}", "v2", "{member_id}", env.Creds.ProjectID, "{task_id}", *r.JobId)
	bodies := map[string]string{
		"POST": `{"name":"x","tag":{"key":"k","value":"v"},"action":"create","tags":[{"key":"k","value":"v"}]}`,
		"PUT":  `{"image_id":"` + img + `","tag":"k=v"}`, "PATCH": `[{"op":"replace","path":"/name","value":"y"}]`,
		"DELETE": `{"tags":[{"key":"k","value":"v"}]}`,
	}
	routes := api.Routes()
	if len(routes) < 30 {
		t.Fatalf("route table has only %d routes", len(routes))
	}
	for _, rt := range routes {
		t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) {
			path := params.Replace(rt.Pattern)
			if rt.Public {
				if len(rt.Actions) != 0 {
					t.Fatalf("public route declares actions %v", rt.Actions)
				}
				return
			}
			if len(rt.Actions) == 0 {
				t.Fatal("route declares no IAM action")
			}
			for _, a := range rt.Actions {
				if strings.Count(a, ":") != 2 || strings.Contains(a, "::") {
					t.Fatalf("malformed action %q", a)
				}
			}
			req, _ := http.NewRequest(rt.Method, env.Endpoint+path, strings.NewReader(bodies[rt.Method]))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || (rt.Method != http.MethodHead && !strings.Contains(string(body), "APIGW.0301")) || resp.Header.Get("X-Request-Id") == "" {
				t.Fatalf("unauthenticated: %d %s", resp.StatusCode, body)
			}
			q := sdktest.Request{Method: rt.Method, Path: path}
			if b := bodies[rt.Method]; b != "" && rt.Name != "UploadImageFile" {
				q.JSONBody = []byte(b)
			}
			if rt.Name == "UploadImageFile" {
				q.ContentType, q.Body = "application/octet-stream", strings.NewReader("data")
			}
			resp, err = http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, q))
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if rt.Self {
				// Routes about the caller answer every authenticated user,
				// and only about the caller's own account.
				if resp.StatusCode != 200 || !strings.Contains(string(body), env.Creds.DomainID) {
					t.Fatalf("self route for a user without permissions: %d %s", resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode != 403 && resp.StatusCode != 404 {
				t.Fatalf("user without permissions got %d %s", resp.StatusCode, body)
			}
		})
	}
}
