package compat

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/policy"
)

// passwordAuth is the Keystone password-method body; scope is "project",
// "domain" or "" (none).
func passwordAuth(user, domain, password, scope, scopeName string) map[string]any {
	auth := map[string]any{"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
		"user": map[string]any{"name": user, "password": password, "domain": map[string]any{"name": domain}}}}}
	switch scope {
	case "project":
		auth["scope"] = map[string]any{"project": map[string]any{"name": scopeName, "domain": map[string]any{"name": domain}}}
	case "domain":
		auth["scope"] = map[string]any{"domain": map[string]any{"name": scopeName}}
	}
	return map[string]any{"auth": auth}
}

// keystoneToken is the part of a token body the tests read.
type keystoneToken struct {
	Token struct {
		Methods   []string `json:"methods"`
		ExpiresAt string   `json:"expires_at"`
		IssuedAt  string   `json:"issued_at"`
		User      struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Domain struct{ ID, Name string }
		} `json:"user"`
		Project *struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"project"`
		Domain  *struct{ ID, Name string }  `json:"domain"`
		Roles   []struct{ ID, Name string } `json:"roles"`
		Catalog []struct {
			Type      string `json:"type"`
			Endpoints []struct {
				URL       string `json:"url"`
				Region    string `json:"region"`
				RegionID  string `json:"region_id"`
				Interface string `json:"interface"`
			} `json:"endpoints"`
		} `json:"catalog"`
	} `json:"token"`
}

// login obtains a token with plain net/http; it fails the test unless the
// server answers 201.
func login(t *testing.T, env *sdktest.Env, body map[string]any) (string, keystoneToken) {
	t.Helper()
	status, h, b := rawJSON(t, "POST", env.Endpoint+"/v3/auth/tokens", body, nil)
	if status != http.StatusCreated || h.Get("X-Subject-Token") == "" {
		t.Fatalf("POST /v3/auth/tokens: %d %s", status, b)
	}
	var tok keystoneToken
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	return h.Get("X-Subject-Token"), tok
}

// withToken sends a request authenticated only by X-Auth-Token.
func withToken(t *testing.T, method, url, token, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := ioCopy(&b, resp); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, []byte(b.String())
}

// TestTokenEndToEnd drives Keystone discovery, password login, and an
// upload and a copy with nothing but net/http and X-Auth-Token.
func TestTokenEndToEnd(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.Creds

	status, _, b := rawJSON(t, "GET", env.Endpoint+"/v3", nil, nil)
	var ver struct {
		Version struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Links  []struct{ Rel, Href string }
		} `json:"version"`
	}
	if status != 200 || json.Unmarshal(b, &ver) != nil || ver.Version.ID != "v3.0" || ver.Version.Status != "stable" ||
		ver.Version.Links[0].Href != env.Endpoint+"/v3/" {
		t.Fatalf("GET /v3: %d %s", status, b)
	}

	token, tok := login(t, env, passwordAuth(c.UserName, c.DomainName, c.Password, "project", c.Region))
	tb := tok.Token
	issued, err1 := time.Parse("2006-01-02T15:04:05.000000Z", tb.IssuedAt)
	expires, err2 := time.Parse("2006-01-02T15:04:05.000000Z", tb.ExpiresAt)
	if err1 != nil || err2 != nil || expires.Sub(issued) != 24*time.Hour || time.Since(issued) > time.Minute {
		t.Fatalf("token times %q %q", tb.IssuedAt, tb.ExpiresAt)
	}
	if len(tb.Methods) != 1 || tb.Methods[0] != "password" || tb.User.ID != c.UserID || tb.User.Domain.ID != c.DomainID ||
		tb.Project == nil || tb.Project.ID != c.ProjectID || tb.Project.Name != c.Region || tb.Domain != nil {
		t.Fatalf("token body: %+v", tb)
	}
	types := map[string]bool{}
	for _, s := range tb.Catalog {
		e := s.Endpoints[0]
		if e.URL != env.Endpoint || e.Region != c.Region || e.RegionID != c.Region || e.Interface != "public" {
			t.Fatalf("catalog entry %s: %+v", s.Type, e)
		}
		types[s.Type] = true
	}
	if !types["image"] || !types["ims"] || !types["identity"] {
		t.Fatalf("catalog types: %v", types)
	}

	// Upload and copy with the token alone.
	status, b = withToken(t, "POST", env.Endpoint+"/v2/images", token, "application/json",
		[]byte(`{"name":"by-token","disk_format":"raw","container_format":"bare"}`))
	var img struct{ ID string }
	if status != 201 || json.Unmarshal(b, &img) != nil || img.ID == "" {
		t.Fatalf("create with token: %d %s", status, b)
	}
	data := randomBytes(t, 64<<10)
	if status, b = withToken(t, "PUT", env.Endpoint+"/v2/images/"+img.ID+"/file", token, "application/octet-stream", data); status != 204 {
		t.Fatalf("upload with token: %d %s", status, b)
	}
	status, b = withToken(t, "GET", env.Endpoint+"/v2/images/"+img.ID, token, "", nil)
	if status != 200 || !strings.Contains(string(b), `"status":"active"`) {
		t.Fatalf("image after upload: %d %s", status, b)
	}
	status, b = withToken(t, "POST", env.Endpoint+"/v1/cloudimages/"+img.ID+"/copy", token, "application/json", []byte(`{"name":"token-copy"}`))
	var job struct {
		JobID string `json:"job_id"`
	}
	if status != 200 || json.Unmarshal(b, &job) != nil || job.JobID == "" {
		t.Fatalf("copy with token: %d %s", status, b)
	}
	imstest.WaitFor(t, 30*time.Second, "copy job", func() bool {
		status, b = withToken(t, "GET", env.Endpoint+"/v1/cloudimages/job/"+job.JobID, token, "", nil)
		if status != 200 || strings.Contains(string(b), `"FAIL"`) {
			t.Fatalf("job: %d %s", status, b)
		}
		return strings.Contains(string(b), `"SUCCESS"`)
	})

	// Validation: by the token itself (no echo of the token), and through the SDK.
	status, h, b := rawJSON(t, "GET", env.Endpoint+"/v3/auth/tokens", nil, map[string]string{"X-Auth-Token": token, "X-Subject-Token": token})
	if status != 200 || h.Get("X-Subject-Token") != "" || strings.Contains(string(b), token) || !strings.Contains(string(b), c.UserID) {
		t.Fatalf("validate own token: %d %s", status, b)
	}
	ic := rootIAM(t, env)
	v := check(ic.KeystoneValidateToken(&iamm.KeystoneValidateTokenRequest{XSubjectToken: token, Nocatalog: ptr("true")}))(t)
	if v.Token.User.Id != c.UserID || v.Token.Project.Id != c.ProjectID || len(v.Token.Catalog) != 0 || v.Token.ExpiresAt != tb.ExpiresAt {
		t.Fatalf("KeystoneValidateToken: %+v", v.Token)
	}
	_, err := ic.KeystoneValidateToken(&iamm.KeystoneValidateTokenRequest{XSubjectToken: token[:len(token)-4] + "AAAA"})
	sdkError(t, err, 404, "IAM.0004")

	// The SDK's own token call, domain-scoped.
	scoped := check(ic.KeystoneCreateUserTokenByPassword(&iamm.KeystoneCreateUserTokenByPasswordRequest{Body: &iamm.KeystoneCreateUserTokenByPasswordRequestBody{
		Auth: &iamm.PwdAuth{Identity: &iamm.PwdIdentity{Methods: []iamm.PwdIdentityMethods{iamm.GetPwdIdentityMethodsEnum().PASSWORD},
			Password: &iamm.PwdPassword{User: &iamm.PwdPasswordUser{Name: c.UserName, Password: c.Password, Domain: &iamm.PwdPasswordUserDomain{Name: c.DomainName}}}},
			Scope: &iamm.AuthScope{Domain: &iamm.AuthScopeDomain{Name: ptr(c.DomainName)}}}}}))(t)
	if scoped.HttpStatusCode != 201 || scoped.XSubjectToken == nil || *scoped.XSubjectToken == "" || scoped.Token.Domain.Id != c.DomainID ||
		scoped.Token.Project != nil || scoped.Token.User.Name != c.UserName {
		t.Fatalf("KeystoneCreateUserTokenByPassword: %+v", scoped.Token)
	}
	domainToken := *scoped.XSubjectToken
	if status, b := withToken(t, "GET", env.Endpoint+"/v3/users", domainToken, "", nil); status != 200 {
		t.Fatalf("IAM with a domain token: %d %s", status, b)
	}
	if status, b := withToken(t, "GET", env.Endpoint+"/v2/cloudimages", domainToken, "", nil); status != 400 || !strings.Contains(string(b), "IMG.0030") {
		t.Fatalf("IMS with a domain token: %d %s", status, b)
	}
}

func TestTokenRefused(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.Creds
	other := env.NewAccount(t, "other")
	for name, body := range map[string]map[string]any{
		"wrong password":  passwordAuth(c.UserName, c.DomainName, c.Password+"x", "project", c.Region),
		"unknown user":    passwordAuth("nobody", c.DomainName, c.Password, "project", c.Region),
		"unknown domain":  passwordAuth(c.UserName, "nowhere", c.Password, "", ""),
		"unknown project": passwordAuth(c.UserName, c.DomainName, c.Password, "project", c.Region+"_none"),
		"project of other account": func() map[string]any {
			b := passwordAuth(c.UserName, c.DomainName, c.Password, "", "")
			b["auth"].(map[string]any)["scope"] = map[string]any{"project": map[string]any{"id": other.ProjectID}}
			return b
		}(),
		"domain of other account": passwordAuth(c.UserName, c.DomainName, c.Password, "domain", "other"),
	} {
		status, h, b := rawJSON(t, "POST", env.Endpoint+"/v3/auth/tokens", body, nil)
		if status != 401 || !strings.Contains(string(b), "APIGW.0301") || h.Get("X-Subject-Token") != "" {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
	token, _ := login(t, env, passwordAuth(c.UserName, c.DomainName, c.Password, "project", c.Region))
	for name, hdr := range map[string]map[string]string{
		"forged token":           {"X-Auth-Token": "MIIforged" + strings.Repeat("A", 100)},
		"truncated token":        {"X-Auth-Token": token[:len(token)/2]},
		"other X-Project-Id":     {"X-Auth-Token": token, "X-Project-Id": other.ProjectID},
		"other X-Domain-Id":      {"X-Auth-Token": token, "X-Domain-Id": other.DomainID},
		"sealed secret as token": {"X-Auth-Token": c.SecretKey},
	} {
		status, _, b := rawJSON(t, "GET", env.Endpoint+"/v2/cloudimages", nil, hdr)
		if status != 401 || !strings.Contains(string(b), "APIGW.0301") {
			t.Errorf("%s: %d %s", name, status, b)
		}
	}
}

// TestTokenRevocation: a token stops working when its user's permissions,
// password or state change, at once.
func TestTokenRevocation(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	cr := env.Creds
	alice := mkUser(t, c, "alice", "Alice-pass-1")
	group := mkGroup(t, c, "readers")
	check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: group, UserId: alice}))(t)
	ro, _ := policy.SystemPolicyByName(policy.IMSReadOnlyAccess)
	grant := func() {
		check(c.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: cr.ProjectID, GroupId: group, RoleId: ro.ID}))(t)
	}
	grant()
	aliceLogin := func(pw string) string {
		tok, body := login(t, env, passwordAuth("alice", cr.DomainName, pw, "project", cr.Region))
		if len(body.Token.Roles) != 1 || body.Token.Roles[0].ID != ro.ID {
			t.Fatalf("alice's token roles: %+v", body.Token.Roles)
		}
		return tok
	}
	list := func(token string) int {
		status, _ := withToken(t, "GET", env.Endpoint+"/v2/cloudimages", token, "", nil)
		return status
	}
	token := aliceLogin("Alice-pass-1")
	if s := list(token); s != 200 {
		t.Fatalf("alice lists: %d", s)
	}

	check(c.KeystoneRemoveProjectPermissionFromGroup(&iamm.KeystoneRemoveProjectPermissionFromGroupRequest{ProjectId: cr.ProjectID, GroupId: group, RoleId: ro.ID}))(t)
	if s := list(token); s != 403 {
		t.Fatalf("after revoke: %d", s)
	}
	grant()
	if s := list(token); s != 200 {
		t.Fatalf("after re-grant: %d", s)
	}

	// An administrator resets the password: old tokens die, new ones work.
	check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Password: ptr("Alice-pass-2")}}}))(t)
	if s := list(token); s != 401 {
		t.Fatalf("after password reset: %d", s)
	}
	token = aliceLogin("Alice-pass-2")

	// The user changes her own password with her token.
	status, b := withToken(t, "POST", env.Endpoint+"/v3/users/"+alice+"/password", token, "application/json",
		[]byte(`{"user":{"password":"Alice-pass-3","original_password":"Alice-pass-2"}}`))
	if status != 204 {
		t.Fatalf("own password change: %d %s", status, b)
	}
	if s := list(token); s != 401 {
		t.Fatalf("after own password change: %d", s)
	}
	token = aliceLogin("Alice-pass-3")

	check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(false)}}}))(t)
	if s := list(token); s != 401 {
		t.Fatalf("disabled user: %d", s)
	}
	status, _, _ = rawJSON(t, "POST", env.Endpoint+"/v3/auth/tokens", passwordAuth("alice", cr.DomainName, "Alice-pass-3", "project", cr.Region), nil)
	if status != 401 {
		t.Fatalf("disabled user logs in: %d", status)
	}
	check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(true)}}}))(t)
	if s := list(token); s != 401 {
		t.Fatalf("re-enabling the user revived a token issued before she was disabled: %d", s)
	}
	token = aliceLogin("Alice-pass-3")
	if s := list(token); s != 200 {
		t.Fatalf("re-enabled user with a new token: %d", s)
	}
	check(c.KeystoneDeleteUser(&iamm.KeystoneDeleteUserRequest{UserId: alice}))(t)
	if s := list(token); s != 401 {
		t.Fatalf("deleted user: %d", s)
	}
}
