package compat

import (
	"net/http"
	"testing"

	epsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/policy"
)

func TestIAMGrants(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	e := rootEPS(t, env)
	group := mkGroup(t, c, "devs")
	ro, _ := policy.SystemPolicyByName(policy.IMSReadOnlyAccess)
	copier := mkPolicy(t, c, "copier", "ims:images:copy")
	dom, proj := env.Creds.DomainID, env.Creds.ProjectID

	t.Run("project", func(t *testing.T) {
		put := check(c.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: proj, GroupId: group, RoleId: ro.ID}))(t)
		if put.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("grant status %d", put.HttpStatusCode)
		}
		check(c.KeystoneCheckProjectPermissionForGroup(&iamm.KeystoneCheckProjectPermissionForGroupRequest{ProjectId: proj, GroupId: group, RoleId: ro.ID}))(t)
		list := check(c.KeystoneListProjectPermissionsForGroup(&iamm.KeystoneListProjectPermissionsForGroupRequest{ProjectId: proj, GroupId: group}))(t)
		if len(*list.Roles) != 1 || (*list.Roles)[0].Id != ro.ID || *(*list.Roles)[0].DisplayName != policy.IMSReadOnlyAccess {
			t.Fatalf("project roles: %+v", *list.Roles)
		}
		check(c.KeystoneRemoveProjectPermissionFromGroup(&iamm.KeystoneRemoveProjectPermissionFromGroupRequest{ProjectId: proj, GroupId: group, RoleId: ro.ID}))(t)
		_, err := c.KeystoneCheckProjectPermissionForGroup(&iamm.KeystoneCheckProjectPermissionForGroupRequest{ProjectId: proj, GroupId: group, RoleId: ro.ID})
		sdkStatus(t, err, 404)
		_, err = c.KeystoneRemoveProjectPermissionFromGroup(&iamm.KeystoneRemoveProjectPermissionFromGroupRequest{ProjectId: proj, GroupId: group, RoleId: ro.ID})
		sdkError(t, err, 404, "IAM.0004")
		_, err = c.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: "0123456789abcdef0123456789abcdef", GroupId: group, RoleId: ro.ID})
		sdkError(t, err, 404, "IAM.0004")
		_, err = c.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: proj, GroupId: group, RoleId: "0123456789abcdef0123456789abcdef"})
		sdkError(t, err, 404, "IAM.0004")
	})

	t.Run("domain", func(t *testing.T) {
		full, _ := policy.SystemPolicyByName(policy.FullAccess)
		check(c.KeystoneAssociateGroupWithDomainPermission(&iamm.KeystoneAssociateGroupWithDomainPermissionRequest{DomainId: dom, GroupId: group, RoleId: full.ID}))(t)
		check(c.KeystoneCheckDomainPermissionForGroup(&iamm.KeystoneCheckDomainPermissionForGroupRequest{DomainId: dom, GroupId: group, RoleId: full.ID}))(t)
		list := check(c.KeystoneListDomainPermissionsForGroup(&iamm.KeystoneListDomainPermissionsForGroupRequest{DomainId: dom, GroupId: group}))(t)
		if len(*list.Roles) != 1 || (*list.Roles)[0].Id != full.ID {
			t.Fatalf("domain roles: %+v", *list.Roles)
		}
		check(c.KeystoneRemoveDomainPermissionFromGroup(&iamm.KeystoneRemoveDomainPermissionFromGroupRequest{DomainId: dom, GroupId: group, RoleId: full.ID}))(t)
		// A project-level (XA) permission does not go on the domain.
		_, err := c.KeystoneAssociateGroupWithDomainPermission(&iamm.KeystoneAssociateGroupWithDomainPermissionRequest{DomainId: dom, GroupId: group, RoleId: ro.ID})
		sdkError(t, err, 400, "IAM.0007")
	})

	t.Run("all projects", func(t *testing.T) {
		put := check(c.UpdateDomainGroupInheritRole(&iamm.UpdateDomainGroupInheritRoleRequest{DomainId: dom, GroupId: group, RoleId: copier}))(t)
		if put.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("grant status %d", put.HttpStatusCode)
		}
		check(c.KeystoneCheckroleForGroup(&iamm.KeystoneCheckroleForGroupRequest{DomainId: dom, GroupId: group, RoleId: copier}))(t)
		list := check(c.KeystoneListAllProjectPermissionsForGroup(&iamm.KeystoneListAllProjectPermissionsForGroupRequest{DomainId: dom, GroupId: group}))(t)
		if len(*list.Roles) != 1 || (*list.Roles)[0].Id != copier || *(*list.Roles)[0].DisplayName != "copier" {
			t.Fatalf("all-projects roles: %+v", *list.Roles)
		}
		check(c.DeleteDomainGroupInheritedRole(&iamm.DeleteDomainGroupInheritedRoleRequest{DomainId: dom, GroupId: group, RoleId: copier}))(t)
		_, err := c.KeystoneCheckroleForGroup(&iamm.KeystoneCheckroleForGroupRequest{DomainId: dom, GroupId: group, RoleId: copier})
		sdkStatus(t, err, 404)
	})

	t.Run("enterprise project", func(t *testing.T) {
		ep := mkEP(t, e, "team-a")
		put := check(c.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: copier}))(t)
		if put.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("grant status %d", put.HttpStatusCode)
		}
		check(c.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: ro.ID}))(t)
		roles := check(c.ListRolesForGroupOnEnterpriseProject(&iamm.ListRolesForGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group}))(t)
		if len(*roles.Roles) != 2 || (*roles.Roles)[0].Id != copier || (*roles.Roles)[0].DomainId != dom || (*roles.Roles)[1].Flag != "fine_grained" {
			t.Fatalf("EP roles: %+v", *roles.Roles)
		}
		eps := check(c.ListEnterpriseProjectsForGroup(&iamm.ListEnterpriseProjectsForGroupRequest{GroupId: group}))(t)
		if len(*eps.EnterpriseProjects) != 1 || (*eps.EnterpriseProjects)[0].ProjectId != ep {
			t.Fatalf("EPs of group: %+v", *eps.EnterpriseProjects)
		}
		groups := check(c.ListGroupsForEnterpriseProject(&iamm.ListGroupsForEnterpriseProjectRequest{EnterpriseProjectId: ep}))(t)
		if len(*groups.Groups) != 1 || (*groups.Groups)[0].Id != group || (*groups.Groups)[0].Name != "devs" ||
			(*groups.Groups)[0].DomainId != dom || (*groups.Groups)[0].CreateTime <= 0 {
			t.Fatalf("groups of EP: %+v", *groups.Groups)
		}
		del := check(c.RevokeRoleFromGroupOnEnterpriseProject(&iamm.RevokeRoleFromGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: copier}))(t)
		if del.HttpStatusCode != http.StatusNoContent {
			t.Fatalf("revoke status %d", del.HttpStatusCode)
		}
		roles = check(c.ListRolesForGroupOnEnterpriseProject(&iamm.ListRolesForGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group}))(t)
		if len(*roles.Roles) != 1 || (*roles.Roles)[0].Id != ro.ID {
			t.Fatalf("EP roles after revoke: %+v", *roles.Roles)
		}
		// Roles (1.0) are not granted in enterprise projects; unknown EPs are not found.
		adm, _ := policy.SystemPolicyByName(policy.IMSAdministrator)
		_, err := c.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: adm.ID})
		sdkError(t, err, 400, "IAM.0007")
		_, err = c.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: "3f1b7c6e-0000-4000-8000-000000000000", GroupId: group, RoleId: copier})
		sdkError(t, err, 404, "IAM.0004")
	})

	t.Run("admin group is fixed", func(t *testing.T) {
		admins := check(c.KeystoneListGroups(&iamm.KeystoneListGroupsRequest{Name: ptr("admin")}))(t)
		admin := (*admins.Groups)[0].Id
		_, err := c.UpdateDomainGroupInheritRole(&iamm.UpdateDomainGroupInheritRoleRequest{DomainId: dom, GroupId: admin, RoleId: copier})
		sdkError(t, err, 400, "IAM.0007")
	})
}

// TestIAMAdminGroupMembers: a user in the admin group may perform IAM and
// EPS actions; the same user outside it may not.
func TestIAMAdminGroupMembers(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	alice := mkUser(t, c, "alice", "Alice-pass-1")
	ak, sk := mkKey(t, c, alice)
	ac := iamClient(t, env, ak, sk, env.Creds.DomainID)
	_, err := ac.KeystoneCreateGroup(&iamm.KeystoneCreateGroupRequest{Body: &iamm.KeystoneCreateGroupRequestBody{Group: &iamm.KeystoneCreateGroupOption{Name: "g1"}}})
	sdkError(t, err, 403, "IAM.0003")
	_, err = epsClient(t, env, ak, sk, env.Creds.DomainID).CreateEnterpriseProject(&epsm.CreateEnterpriseProjectRequest{
		Body: &epsm.EnterpriseProject{Name: "alice-ep"}})
	sdkError(t, err, 403, "EPS.0003")

	admins := check(c.KeystoneListGroups(&iamm.KeystoneListGroupsRequest{Name: ptr("admin")}))(t)
	check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: (*admins.Groups)[0].Id, UserId: alice}))(t)
	mkGroup(t, ac, "g1")
	mkEP(t, epsClient(t, env, ak, sk, env.Creds.DomainID), "alice-ep")
	bob := mkUser(t, ac, "bob", "Bob-pass-123")
	mkKey(t, ac, bob)
}
