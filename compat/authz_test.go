package compat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/policy"
	"github.com/imsd/imsd/service"
)

// iam sets up identities directly through the store until the identity
// APIs exist.
type iam struct {
	t   *testing.T
	env *sdktest.Env
}

func (m iam) ep(name string) string {
	m.t.Helper()
	now := time.Now().UTC()
	ep := &imsd.EnterpriseProject{ID: imsd.NewHexID(), DomainID: m.env.Creds.DomainID, Name: name, Status: imsd.EnterpriseProjectEnabled, CreatedAt: now, UpdatedAt: now}
	if err := m.env.App.Store.EnterpriseProjectInsert(context.Background(), ep); err != nil {
		m.t.Fatal(err)
	}
	return ep.ID
}

// user makes an IAM user in a fresh group holding the given grants, and
// returns an SDK client for it.
type grantSpec struct {
	policyID string
	scope    imsd.GrantScope
	scopeID  string
}

func (m iam) user(name string, grants ...grantSpec) (ak, sk string) {
	m.t.Helper()
	ctx := context.Background()
	ak, sk = m.env.NewUser(m.t, name)
	k, err := m.env.App.Store.AccessKeyGet(ctx, ak)
	if err != nil {
		m.t.Fatal(err)
	}
	g := &imsd.Group{ID: imsd.NewHexID(), DomainID: m.env.Creds.DomainID, Name: "grp-" + name, CreatedAt: time.Now().UTC()}
	st := m.env.App.Store
	if err := st.GroupInsert(ctx, g); err != nil {
		m.t.Fatal(err)
	}
	if err := st.GroupMemberAdd(ctx, g.ID, k.UserID); err != nil {
		m.t.Fatal(err)
	}
	for _, gs := range grants {
		if err := st.GrantInsert(ctx, &imsd.Grant{DomainID: g.DomainID, GroupID: g.ID, PolicyID: gs.policyID, Scope: gs.scope, ScopeID: gs.scopeID, CreatedAt: time.Now().UTC()}); err != nil {
			m.t.Fatal(err)
		}
	}
	return ak, sk
}

func (m iam) custom(name string, actions []string, effect string) string {
	m.t.Helper()
	doc, _ := json.Marshal(map[string]any{"Version": "1.1", "Statement": []map[string]any{{"Effect": effect, "Action": actions}}})
	now := time.Now().UTC()
	p := &imsd.Policy{ID: imsd.NewHexID(), DomainID: m.env.Creds.DomainID, Name: name, Type: "XA", Document: doc, CreatedAt: now, UpdatedAt: now}
	if err := m.env.App.Store.PolicyInsert(context.Background(), p); err != nil {
		m.t.Fatal(err)
	}
	return p.ID
}

// rootImage creates an active image as the root in an enterprise project.
func rootImage(t *testing.T, env *sdktest.Env, name, ep string, data []byte) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "disk_format": "raw", "enterprise_project_id": ep})
	resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: body})
	var img struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&img); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if r := upload(t, env, img.ID, bytesReader(data)); r.StatusCode != 204 {
		t.Fatalf("upload %d", r.StatusCode)
	}
	return img.ID
}

// copyAs copies src as the given user and returns the HTTP status and code.
func copyAs(t *testing.T, env *sdktest.Env, ak, sk, src, targetEP string) (int, string) {
	t.Helper()
	body := map[string]string{"name": "copy"}
	if targetEP != "" {
		body["enterprise_project_id"] = targetEP
	}
	b, _ := json.Marshal(body)
	resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + src + "/copy", JSONBody: b}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
		JobID string `json:"job_id"`
	}
	_ = json.Unmarshal(raw, &e)
	if resp.StatusCode == 200 {
		// The user can follow the job they started, whatever the scope of
		// their grants.
		if _, err := env.Client(t, ak, sk, env.Creds.ProjectID).ShowJobProgress(&model.ShowJobProgressRequest{JobId: e.JobID}); err != nil {
			t.Fatalf("the copying user cannot read its job: %v", err)
		}
		j := waitJob(t, env, e.JobID)
		if j.Status.Value() != "SUCCESS" {
			t.Fatalf("allowed copy failed: %v", j.FailReason)
		}
		img, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: *j.Entities.ImageId})
		if err != nil {
			t.Fatal(err)
		}
		want := targetEP
		if want == "" {
			want = "0"
		}
		if img.Owner == nil || *img.Owner != env.Creds.ProjectID {
			t.Fatalf("copy owner %v", img.Owner)
		}
		raw := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + *j.Entities.ImageId})
		var m map[string]any
		_ = json.NewDecoder(raw.Body).Decode(&m)
		raw.Body.Close()
		if m["enterprise_project_id"] != want {
			t.Fatalf("copy landed in %v, want %s", m["enterprise_project_id"], want)
		}
	}
	return resp.StatusCode, e.Error.Code
}

// TestCopyAuthorization drives the copy permission table (iam.md §3, §7
// cases 37–42 and 44) through HTTP with real IAM users and AK/SKs.
func TestCopyAuthorization(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	epA, epB := m.ep("team-a"), m.ep("team-b")
	data := randomBytes(t, 1024)
	srcA := rootImage(t, env, "in-a", epA, data)
	isoA := createImage(t, env, "iso", "iso")
	if r := upload(t, env, isoA, bytesReader(isoData())); r.StatusCode != 204 {
		t.Fatal("iso upload")
	}
	mustPatchEP(t, env, isoA, epA)
	copyP := m.custom("copy", []string{"ims:images:copy"}, "Allow")
	createP := m.custom("create", []string{"ims:serverImages:create"}, "Allow")
	bothP := m.custom("copy-and-create", []string{"ims:images:copy", "ims:serverImages:create"}, "Allow")
	denyCreate := m.custom("deny-create", []string{"ims:serverImages:create"}, "Deny")
	fullAccess := mustSystem(t, policy.IMSFullAccess)
	proj := env.Creds.ProjectID
	cases := []struct {
		name     string
		grants   []grantSpec
		src      string
		targetEP string
		status   int
		code     string
	}{
		{"project grant of copy and create", []grantSpec{{bothP, imsd.ScopeProject, proj}}, srcA, epA, 200, ""},
		{"all-projects grant of copy and create", []grantSpec{{bothP, imsd.ScopeAllProjects, ""}}, srcA, epA, 200, ""},
		{"38 EP grant of copy and create on A, A to A", []grantSpec{{copyP, imsd.ScopeEnterpriseProject, epA}, {createP, imsd.ScopeEnterpriseProject, epA}}, srcA, epA, 200, ""},
		{"38 copy on A without create", []grantSpec{{copyP, imsd.ScopeEnterpriseProject, epA}}, srcA, epA, 403, "IMG.0026"},
		{"39 copy on A and create on B, A to B", []grantSpec{{copyP, imsd.ScopeEnterpriseProject, epA}, {createP, imsd.ScopeEnterpriseProject, epB}}, srcA, epB, 200, ""},
		{"39 copy and create on A only, A to B", []grantSpec{{bothP, imsd.ScopeEnterpriseProject, epA}}, srcA, epB, 403, "IMG.0026"},
		{"39 copy and create on B only, A to B", []grantSpec{{bothP, imsd.ScopeEnterpriseProject, epB}}, srcA, epB, 403, "IMG.0026"},
		{"40 omitted enterprise_project_id lands in 0", []grantSpec{{bothP, imsd.ScopeEnterpriseProject, epA}}, srcA, "", 403, "IMG.0026"},
		{"40 omitted with create in 0", []grantSpec{{bothP, imsd.ScopeEnterpriseProject, epA}, {createP, imsd.ScopeEnterpriseProject, "0"}}, srcA, "", 200, ""},
		{"41 unknown target EP is 400 before 403", []grantSpec{{copyP, imsd.ScopeEnterpriseProject, epA}}, srcA, "0ddba11c0ffee0000000000000000000", 400, "IMG.0155"},
		{"42 project Deny of create beats FullAccess", []grantSpec{{fullAccess, imsd.ScopeProject, proj}, {denyCreate, imsd.ScopeProject, proj}}, srcA, epA, 403, "IMG.0026"},
		{"44 ISO source is 400 whatever the permissions", []grantSpec{{copyP, imsd.ScopeEnterpriseProject, epA}}, isoA, epA, 400, "IMG.0167"},
		{"no grants", nil, srcA, epA, 403, "IMG.0026"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ak, sk := m.user("u"+strings.Repeat("x", i), c.grants...)
			status, code := copyAs(t, env, ak, sk, c.src, c.targetEP)
			if status != c.status || code != c.code {
				t.Fatalf("got %d %s, want %d %s", status, code, c.status, c.code)
			}
		})
	}
	t.Run("revoked access key stops working", func(t *testing.T) {
		ak, sk := m.user("revoked", grantSpec{bothP, imsd.ScopeProject, proj})
		k, _ := env.App.Store.AccessKeyGet(context.Background(), ak)
		k.Status = "inactive"
		if err := env.App.Store.AccessKeyUpdate(context.Background(), k); err != nil {
			t.Fatal(err)
		}
		if status, _ := copyAs(t, env, ak, sk, srcA, epA); status != 401 {
			t.Fatalf("inactive key: %d", status)
		}
	})
}

func mustSystem(t *testing.T, display string) string {
	t.Helper()
	for _, sp := range policy.SystemPolicies() {
		if sp.DisplayName == display {
			return sp.ID
		}
	}
	t.Fatalf("no system policy %q", display)
	return ""
}

func mustPatchEP(t *testing.T, env *sdktest.Env, id, ep string) {
	t.Helper()
	_, err := env.IMS.UpdateImage(&model.UpdateImageRequest{ImageId: id, Body: &[]model.UpdateImageRequestBody{
		{Op: model.GetUpdateImageRequestBodyOpEnum().REPLACE, Path: "/enterprise_project_id", Value: ep}}})
	if err != nil {
		t.Fatalf("move image to EP: %v", err)
	}
}

// TestCopyAuthorizationWithoutEPS: with no enterprise project besides "0",
// ims:images:copy alone decides (case 37).
func TestCopyAuthorizationWithoutEPS(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	src := activeImage(t, env, "src", randomBytes(t, 512))
	proj := env.Creds.ProjectID
	cases := []struct {
		name   string
		action string
		status int
	}{
		{"copy alone", "ims:images:copy", 200},
		{"create alone", "ims:serverImages:create", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ak, sk := m.user(strings.ReplaceAll(c.name, " ", "-"), grantSpec{m.custom(c.name, []string{c.action}, "Allow"), imsd.ScopeProject, proj})
			if status, code := copyAs(t, env, ak, sk, src, ""); status != c.status {
				t.Fatalf("got %d %s, want %d", status, code, c.status)
			}
		})
	}
}

// TestEnterpriseProjectVisibility: listing with all_granted_eps shows only
// granted EPs (case 32), and moving an image out of an EP removes an
// EP-only user's access (case 36).
func TestEnterpriseProjectVisibility(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	epA, epB := m.ep("a"), m.ep("b")
	inA := rootImage(t, env, "in-a", epA, randomBytes(t, 100))
	rootImage(t, env, "in-b", epB, randomBytes(t, 100))
	ak, sk := m.user("reader", grantSpec{mustSystem(t, policy.IMSReadOnlyAccess), imsd.ScopeEnterpriseProject, epA})
	c := env.Client(t, ak, sk, env.Creds.ProjectID)
	list, err := c.ListImages(&model.ListImagesRequest{EnterpriseProjectId: ptr("all_granted_eps")})
	if err != nil || len(*list.Images) != 1 || (*list.Images)[0].Id != inA {
		t.Fatalf("all_granted_eps: %v %+v", err, list)
	}
	if _, err := c.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: inA}); err != nil {
		t.Fatalf("show in granted EP: %v", err)
	}
	_, err = c.GlanceListImages(&model.GlanceListImagesRequest{})
	sdkError(t, err, 403, "IMG.0026") // case 33: the native list has no EP support
	mustPatchEP(t, env, inA, epB)
	_, err = c.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: inA})
	sdkError(t, err, 403, "IMG.0026")
}

// TestProjectIsolation: a request scoped to one project never reaches an
// image of another project of the same account (case 45), and an AK of a
// disabled user is refused (case 46).
func TestProjectIsolation(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	ctx := context.Background()
	p2 := &imsd.Project{ID: imsd.NewHexID(), DomainID: env.Creds.DomainID, Name: "local-1_second", Enabled: true, CreatedAt: time.Now().UTC()}
	if err := env.App.Store.ProjectInsert(ctx, p2); err != nil {
		t.Fatal(err)
	}
	c := env.Creds
	resp, err := http.DefaultClient.Do(env.Signed(t, c.AccessKey, c.SecretKey, p2.ID, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: []byte(`{"name":"in-p2"}`)}))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create in second project: %v %v", err, resp.StatusCode)
	}
	var img struct {
		ID string `json:"id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&img)
	resp.Body.Close()
	_, err = env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img.ID})
	sdkError(t, err, 404, "IMG.0144")
	_, err = env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img.ID, Body: &model.CopyImageInRegionRequestBody{Name: "x"}})
	sdkError(t, err, 404, "IMG.0144")

	ak, sk := m.user("disabled", grantSpec{mustSystem(t, policy.IMSFullAccess), imsd.ScopeAllProjects, ""})
	key, _ := env.App.Store.AccessKeyGet(ctx, ak)
	u, _ := env.App.Store.UserGet(ctx, key.UserID)
	if _, err := env.Client(t, ak, sk, c.ProjectID).ListImages(&model.ListImagesRequest{}); err != nil {
		t.Fatalf("enabled user: %v", err)
	}
	u.Enabled = false
	if err := env.App.Store.UserUpdate(ctx, u); err != nil {
		t.Fatal(err)
	}
	_, err = env.Client(t, ak, sk, c.ProjectID).ListImages(&model.ListImagesRequest{})
	sdkError(t, err, 401, "APIGW.0301")
}

// TestPolicyCheckExplains: the service explains a user's copy decision,
// naming the deciding policy and statement (what `ims policy check` shows).
func TestPolicyCheckExplains(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	epA, epB := m.ep("a"), m.ep("b")
	src := rootImage(t, env, "src", epA, randomBytes(t, 64))
	both := m.custom("copy-and-create", []string{"ims:images:copy", "ims:serverImages:create"}, "Allow")
	ak, _ := m.user("checked", grantSpec{both, imsd.ScopeEnterpriseProject, epA})
	key, _ := env.App.Store.AccessKeyGet(context.Background(), ak)
	root := &imsd.Principal{DomainID: env.Creds.DomainID, DomainName: env.Creds.DomainName, ProjectID: env.Creds.ProjectID,
		ProjectName: env.Creds.ProjectName, UserID: env.Creds.UserID, UserName: env.Creds.UserName, IsRoot: true}
	cases := []struct {
		name   string
		target string
		want   []bool
		reason string
	}{
		{"into A", epA, []bool{true, true}, `statement 0 of policy "copy-and-create"`},
		{"into B", epB, []bool{true, false}, "implicit deny"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := env.App.Service.PolicyCheck(context.Background(), root, service.PolicyCheckInput{
				UserID: key.UserID, Action: "ims:images:copy", ImageID: src, TargetEnterpriseProject: c.target})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 2 || ds[0].Allowed != c.want[0] || ds[1].Allowed != c.want[1] || !strings.Contains(ds[len(ds)-1].Reason, c.reason) {
				t.Fatalf("decisions %+v", ds)
			}
		})
	}
	other := env.NewAccount(t, "other")
	_, err := env.App.Service.PolicyCheck(context.Background(), &imsd.Principal{DomainID: other.DomainID, ProjectID: other.ProjectID, UserID: other.UserID, IsRoot: true},
		service.PolicyCheckInput{UserID: key.UserID, Action: "ims:images:copy"})
	if imsd.ErrorCode(err) != imsd.CodeNotFound {
		t.Fatalf("another account's user: %v, want 404", err)
	}
}

// TestCase43IMSDecidesBeforeTheKey: the KMS questions of a copy (iam.md
// case 43) are separate from, and come after, the IMS permission checks:
// a caller without ims:images:copy gets 403 whatever the key; a caller who
// may copy gets the key's own validation error (IMG.0095 for an unknown
// key). The KMS permission checks of v2.1 are in TestCopyKeyValidation.
func TestCase43IMSDecidesBeforeTheKey(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	src := activeImage(t, env, "src", randomBytes(t, 512))
	proj := env.Creds.ProjectID
	cases := []struct {
		name   string
		action string
		status int
		code   string
	}{
		{"may copy: the key is validated", "ims:images:copy", 400, "IMG.0095"},
		{"may not copy: IMS decides first", "ims:images:get", 403, "IMG.0026"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ak, sk := m.user("cmk-"+strings.Fields(c.name)[1], grantSpec{m.custom(c.name, []string{c.action}, "Allow"), imsd.ScopeProject, proj})
			resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, proj, sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + src + "/copy",
				JSONBody: []byte(`{"name":"enc","cmk_id":"0c1c9f0e-5a4c-4b8e-9f0a-1a2b3c4d5e6f"}`)}))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.status || !strings.Contains(string(body), `"`+c.code+`"`) {
				t.Fatalf("got %d %s, want %d %s", resp.StatusCode, body, c.status, c.code)
			}
		})
	}
}
