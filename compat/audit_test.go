package compat

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

type auditEventView struct {
	ID, Time, RequestID, DomainID, UserID, UserName, AccessKey, AuthMethod, SourceIP string
	API, Method, Path, Action, ResourceType, ResourceID, Decision, Code              string
	Status                                                                           int
}

func (e *auditEventView) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	*e = auditEventView{ID: str("id"), Time: str("time"), RequestID: str("request_id"), DomainID: str("domain_id"),
		UserID: str("user_id"), UserName: str("user_name"), AccessKey: str("access_key"), AuthMethod: str("auth_method"),
		SourceIP: str("source_ip"), API: str("api"), Method: str("method"), Path: str("path"), Action: str("action"),
		ResourceType: str("resource_type"), ResourceID: str("resource_id"), Decision: str("decision"), Code: str("code")}
	if st, ok := m["status"].(float64); ok {
		e.Status = int(st)
	}
	return nil
}

// auditList reads the audit trail as ak/sk.
func auditList(t *testing.T, env *sdktest.Env, ak, sk string, q url.Values) (int, []auditEventView, string, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, "", sdktest.Request{Method: "GET", Path: "/v1/imsd/audit", Query: q}))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var page struct {
		Events []auditEventView `json:"events"`
		Next   string           `json:"next_marker"`
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, page.Events, page.Next, raw
}

// TestAuditTrail: every write and every refusal is recorded with who,
// what, on what and the outcome; successful reads are not; nothing secret
// is recorded; an account sees only its own trail, and only with
// cts:trace:list; failed logins are filed under the account they named.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	other := env.NewAccount(t, "other")

	// Writes as the root.
	img := activeImage(t, env, "audited", randomBytes(t, 2048))
	cp, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "audited-copy"}})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, env, *cp.JobId)
	if _, err := env.IMS.AddImageTag(&model.AddImageTagRequest{ImageId: img, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: "env", Value: "prod"}}}); err != nil {
		t.Fatal(err)
	}
	mkUser(t, rootIAM(t, env), "auditee", "Auditee-pass-1")
	// A read: not recorded.
	if _, err := env.IMS.ListImages(&model.ListImagesRequest{}); err != nil {
		t.Fatal(err)
	}
	// A refusal (403) by a user without permissions, a bad signature
	// (401) and a failed login naming the account.
	ak, sk := env.NewUser(t, "nobody")
	resp, _ := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, sdktest.Request{Method: "DELETE", Path: "/v2/images/" + img}))
	resp.Body.Close()
	resp, _ = http.DefaultClient.Do(env.Signed(t, env.Creds.AccessKey, "not-the-secret-key", env.Creds.ProjectID, sdktest.Request{Method: "GET", Path: "/v2/cloudimages"}))
	resp.Body.Close()
	rawJSON(t, "POST", env.Endpoint+"/v3/auth/tokens", passwordAuth("auditee", env.Creds.DomainName, "Wrong-pass-123", "", ""), nil)
	_, tok := login(t, env, passwordAuth("auditee", env.Creds.DomainName, "Auditee-pass-1", "", ""))

	status, evs, _, raw := auditList(t, env, env.Creds.AccessKey, env.Creds.SecretKey, nil)
	if status != http.StatusOK {
		t.Fatalf("ListAuditEvents as root: %d %s", status, raw)
	}
	find := func(api, decision string) *auditEventView {
		for i := range evs {
			if evs[i].API == api && evs[i].Decision == decision {
				return &evs[i]
			}
		}
		t.Fatalf("no %s event of %s in %s", decision, api, raw)
		return nil
	}
	create := find("GlanceCreateImageMetadata", "allowed")
	if create.ResourceType != "image" || create.ResourceID != img || create.UserID != env.Creds.UserID ||
		create.AuthMethod != "aksk" || create.AccessKey != env.Creds.AccessKey || create.Status != 201 || create.RequestID == "" ||
		create.SourceIP == "" || create.Action != "ims:images:create" {
		t.Errorf("create event %+v", create)
	}
	if e := find("UploadImageFile", "allowed"); e.ResourceID != img || e.Status != 204 {
		t.Errorf("upload event %+v", e)
	}
	if e := find("CopyImageInRegion", "allowed"); e.ResourceID != img || e.Status != 200 {
		t.Errorf("copy event %+v", e)
	}
	find("AddImageTag", "allowed")
	if e := find("KeystoneCreateUser", "allowed"); e.ResourceType != "user" || e.ResourceID == "" {
		t.Errorf("user create event %+v", e)
	}
	if e := find("GlanceDeleteImage", "denied"); e.UserName != "nobody" || e.Status != 403 || e.Code == "" || e.ResourceID != img {
		t.Errorf("denial event %+v", e)
	}
	if e := find("KeystoneCreateUserTokenByPassword", "unauthenticated"); e.UserName != "auditee" || e.Status != 401 || e.DomainID != env.Creds.DomainID {
		t.Errorf("failed login event %+v", e)
	}
	if e := find("KeystoneCreateUserTokenByPassword", "allowed"); e.UserID != tok.Token.User.ID || e.AuthMethod != "password" {
		t.Errorf("login event %+v", e)
	}
	for _, e := range evs {
		if e.API == "ListImages" || e.API == "ShowJobProgress" {
			t.Errorf("a successful read was recorded: %+v", e)
		}
		if e.Decision == "unauthenticated" && e.API == "ListImages" {
			t.Errorf("an unauthenticated request without an account was filed under it: %+v", e)
		}
	}
	for _, secret := range []string{env.Creds.SecretKey, env.Creds.Password, "Auditee-pass-1", "Wrong-pass-123", "not-the-secret-key", sk} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("the audit trail contains a secret")
		}
	}

	t.Run("filters and paging", func(t *testing.T) {
		_, denied, _, _ := auditList(t, env, env.Creds.AccessKey, env.Creds.SecretKey, url.Values{"decision": {"denied"}})
		if len(denied) != 1 || denied[0].API != "GlanceDeleteImage" {
			t.Fatalf("decision=denied: %+v", denied)
		}
		_, onImage, _, _ := auditList(t, env, env.Creds.AccessKey, env.Creds.SecretKey, url.Values{"resource_id": {img}})
		for _, e := range onImage {
			if e.ResourceID != img {
				t.Fatalf("resource filter returned %+v", e)
			}
		}
		var all []auditEventView
		q := url.Values{"limit": {"2"}}
		for {
			st, page, next, raw := auditList(t, env, env.Creds.AccessKey, env.Creds.SecretKey, q)
			if st != http.StatusOK {
				t.Fatalf("page: %d %s", st, raw)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			q.Set("marker", next)
		}
		if len(all) != len(evs) {
			t.Fatalf("paging returned %d events, one page %d", len(all), len(evs))
		}
		if st, _, _, _ := auditList(t, env, env.Creds.AccessKey, env.Creds.SecretKey, url.Values{"decision": {"maybe"}}); st != 400 {
			t.Fatalf("decision=maybe: %d", st)
		}
	})

	t.Run("isolation and permission", func(t *testing.T) {
		st, theirs, _, raw := auditList(t, env, other.AccessKey, other.SecretKey, nil)
		if st != http.StatusOK {
			t.Fatalf("other account: %d %s", st, raw)
		}
		for _, e := range theirs {
			if e.DomainID != other.DomainID || strings.Contains(string(raw), img) {
				t.Fatalf("another account sees %+v", e)
			}
		}
		if st, _, _, raw := auditList(t, env, ak, sk, nil); st != http.StatusForbidden {
			t.Fatalf("a user without cts:trace:list: %d %s", st, raw)
		}
	})
}
