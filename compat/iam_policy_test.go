package compat

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/policy"
)

func TestIAMPermissions(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)

	all := check(c.KeystoneListPermissions(&iamm.KeystoneListPermissionsRequest{}))(t)
	if int(*all.TotalNumber) != len(policy.SystemPolicies()) || len(*all.Roles) != len(policy.SystemPolicies()) {
		t.Fatalf("permissions: %d of %d", len(*all.Roles), *all.TotalNumber)
	}
	byName := check(c.KeystoneListPermissions(&iamm.KeystoneListPermissionsRequest{DisplayName: ptr(policy.IMSFullAccess)}))(t)
	if len(*byName.Roles) != 1 {
		t.Fatalf("IMS FullAccess: %+v", *byName.Roles)
	}
	full := (*byName.Roles)[0]
	sp, _ := policy.SystemPolicyByName(policy.IMSFullAccess)
	if full.Id != sp.ID || full.Name != "ims_fullaccess" || full.Type != "XA" || *full.Flag != "fine_grained" || *full.Catalog != "IMS" ||
		full.DomainId != nil || full.Policy.Version != "1.1" || full.Policy.Statement[0].Action[0] != "ims:*:*" {
		t.Fatalf("IMS FullAccess: %+v", full)
	}
	roles := check(c.KeystoneListPermissions(&iamm.KeystoneListPermissionsRequest{PermissionType: ptr("role")}))(t)
	for _, r := range *roles.Roles {
		if r.Flag != nil {
			t.Fatalf("role %s has flag %s", r.Name, *r.Flag)
		}
	}
	page := check(c.KeystoneListPermissions(&iamm.KeystoneListPermissionsRequest{Page: ptr(int32(2)), PerPage: ptr(int32(2))}))(t)
	if len(*page.Roles) != 2 || (*page.Roles)[0].Id != (*all.Roles)[2].Id || *page.TotalNumber != *all.TotalNumber {
		t.Fatalf("page 2: %+v", *page.Roles)
	}
	adm, _ := policy.SystemPolicyByName(policy.IMSAdministrator)
	shown := check(c.KeystoneShowPermission(&iamm.KeystoneShowPermissionRequest{RoleId: adm.ID}))(t)
	if *shown.Role.DisplayName != policy.IMSAdministrator || shown.Role.Policy.Version != "1.0" || len(*shown.Role.Policy.Depends) != 1 ||
		(*shown.Role.Policy.Depends)[0].DisplayName != policy.TenantAdministrator {
		t.Fatalf("IMS Administrator: %+v", shown.Role)
	}
	_, err := c.KeystoneShowPermission(&iamm.KeystoneShowPermissionRequest{RoleId: "0123456789abcdef0123456789abcdef"})
	sdkError(t, err, 404, "IAM.0004")
}

func TestIAMCustomPolicies(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	allow := iamm.GetServiceStatementEffectEnum().ALLOW
	deny := iamm.GetServiceStatementEffectEnum().DENY

	created := check(c.CreateCloudServiceCustomPolicy(&iamm.CreateCloudServiceCustomPolicyRequest{Body: &iamm.CreateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "image-copier", Type: "XA", Description: "copies images",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{
				{Action: []string{"ims:images:copy", "ims:images:get"}, Effect: allow,
					Condition: map[string]map[string][]string{"StringStartWith": {"g:UserName": {"ops-"}}}},
				{Action: []string{"ims:images:delete"}, Effect: deny}}}}}}))(t)
	r := created.Role
	if created.HttpStatusCode != 201 || len(r.Id) != 32 || r.DisplayName != "image-copier" || r.Type != "XA" || r.Catalog != "CUSTOMED" ||
		r.DomainId != env.Creds.DomainID || r.Description != "copies images" || r.Policy.Version != "1.1" || len(r.Policy.Statement) != 2 ||
		r.Policy.Statement[0].Condition["StringStartWith"]["g:UserName"][0] != "ops-" || r.Policy.Statement[1].Effect != deny || *r.CreatedTime == "" {
		t.Fatalf("created policy: %+v", r)
	}

	// A malformed document is refused with the policy engine's own message.
	bad := []string{"ims:images"}
	_, err := c.CreateCloudServiceCustomPolicy(&iamm.CreateCloudServiceCustomPolicyRequest{Body: &iamm.CreateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "broken", Type: "XA", Description: "",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: bad, Effect: allow}}}}}})
	se := sdkError(t, err, 400, "IAM.0007")
	doc, perr := policy.Parse([]byte(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images"]}]}`))
	if perr == nil {
		perr = doc.Validate(policy.CustomPolicyOptions())
	}
	if perr == nil || !strings.Contains(se.ErrorMessage, perr.Error()) {
		t.Fatalf("message %q does not carry the engine's %v", se.ErrorMessage, perr)
	}
	status, _, body := rawPolicy(t, env, `{"role":{"display_name":"v2","type":"XA","description":"","policy":{"Version":"2.0","Statement":[]}}}`)
	if status != 400 || !strings.Contains(string(body), "IAM.0007") || !strings.Contains(string(body), "unsupported version") {
		t.Fatalf("version 2.0: %d %s", status, body)
	}
	_, err = c.CreateCloudServiceCustomPolicy(&iamm.CreateCloudServiceCustomPolicyRequest{Body: &iamm.CreateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "image-copier", Type: "XA", Description: "",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: []string{"ims:images:list"}, Effect: allow}}}}}})
	sdkError(t, err, 409, "IAM.0005")
	_, err = c.CreateCloudServiceCustomPolicy(&iamm.CreateCloudServiceCustomPolicyRequest{Body: &iamm.CreateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "both", Type: "AA", Description: "",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: []string{"ims:images:list"}, Effect: allow}}}}}})
	sdkError(t, err, 400, "IAM.0007")

	list := check(c.ListCustomPolicies(&iamm.ListCustomPoliciesRequest{}))(t)
	if *list.TotalNumber != 1 || (*list.Roles)[0].Id != r.Id || (*list.Roles)[0].Policy.Statement[0].Action[1] != "ims:images:get" {
		t.Fatalf("custom policies: %+v", *list.Roles)
	}
	withCustom := check(c.KeystoneListPermissions(&iamm.KeystoneListPermissionsRequest{}))(t)
	if int(*withCustom.TotalNumber) != len(policy.SystemPolicies())+1 {
		t.Fatalf("permissions with the custom one: %d", *withCustom.TotalNumber)
	}
	asPermission := check(c.KeystoneShowPermission(&iamm.KeystoneShowPermissionRequest{RoleId: r.Id}))(t)
	if *asPermission.Role.DomainId != env.Creds.DomainID || *asPermission.Role.DisplayName != "image-copier" {
		t.Fatalf("custom policy as a permission: %+v", asPermission.Role)
	}

	group := mkGroup(t, c, "copiers")
	check(c.UpdateDomainGroupInheritRole(&iamm.UpdateDomainGroupInheritRoleRequest{DomainId: env.Creds.DomainID, GroupId: group, RoleId: r.Id}))(t)
	shown := check(c.ShowCustomPolicy(&iamm.ShowCustomPolicyRequest{RoleId: r.Id}))(t)
	if *shown.Role.References != 1 || shown.Role.DisplayName != "image-copier" {
		t.Fatalf("shown policy: %+v", shown.Role)
	}

	upd := check(c.UpdateCloudServiceCustomPolicy(&iamm.UpdateCloudServiceCustomPolicyRequest{RoleId: r.Id, Body: &iamm.UpdateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "image-reader", Type: "XA", Description: "reads images",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: []string{"ims:*:get*", "ims:*:list*"}, Effect: allow}}}}}}))(t)
	if upd.Role.DisplayName != "image-reader" || upd.Role.Description != "reads images" || len(upd.Role.Policy.Statement) != 1 ||
		upd.Role.Policy.Statement[0].Action[0] != "ims:*:get*" || *upd.Role.UpdatedTime < *r.CreatedTime {
		t.Fatalf("updated policy: %+v", upd.Role)
	}
	_, err = c.UpdateCloudServiceCustomPolicy(&iamm.UpdateCloudServiceCustomPolicyRequest{RoleId: r.Id, Body: &iamm.UpdateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "image-reader", Type: "XA", Description: "",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: []string{"ims:images:get"}, Effect: allow,
				Resource: &[]string{"ims:*:*:image:*"}}}}}}})
	sdkError(t, err, 400, "IAM.0007")

	del := check(c.DeleteCustomPolicy(&iamm.DeleteCustomPolicyRequest{RoleId: r.Id}))(t)
	if del.HttpStatusCode != http.StatusOK {
		t.Fatalf("delete status %d", del.HttpStatusCode)
	}
	_, err = c.ShowCustomPolicy(&iamm.ShowCustomPolicyRequest{RoleId: r.Id})
	sdkError(t, err, 404, "IAM.0004")
	_, err = c.KeystoneCheckroleForGroup(&iamm.KeystoneCheckroleForGroupRequest{DomainId: env.Creds.DomainID, GroupId: group, RoleId: r.Id})
	sdkStatus(t, err, 404)
}

// rawPolicy posts a custom-policy body as is, signed by the root.
func rawPolicy(t *testing.T, env *sdktest.Env, body string) (int, http.Header, []byte) {
	t.Helper()
	req := env.Signed(t, env.Creds.AccessKey, env.Creds.SecretKey, "", sdktest.Request{Method: "POST", Path: "/v3.0/OS-ROLE/roles",
		JSONBody: []byte(body)})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if _, err := ioCopy(&b, resp); err != nil {
		t.Fatal(err)
	}
	var probe map[string]any
	if json.Unmarshal([]byte(b.String()), &probe) != nil {
		t.Fatalf("not JSON: %s", b.String())
	}
	return resp.StatusCode, resp.Header, []byte(b.String())
}
