package compat

import (
	"context"
	"errors"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	epsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/policy"
)

// TestAccountIsolation: a second account probes the first one's image,
// job, user, group, policy, project, enterprise project, access key and
// token with every read and write API. Every probe is 404 (never 403) and
// nothing of the first account changes.
func TestAccountIsolation(t *testing.T) {
	env := sdktest.Start(t, nil)
	ctx := context.Background()
	a := env.Creds
	ca, ea := rootIAM(t, env), rootEPS(t, env)

	// The first account's resources.
	alice := mkUser(t, ca, "alice", "Alice-pass-1")
	aliceAK, aliceSK := mkKey(t, ca, alice)
	group := mkGroup(t, ca, "devs")
	check(ca.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: group, UserId: alice}))(t)
	pol := mkPolicy(t, ca, "copier", "ims:images:copy")
	ep := mkEP(t, ea, "team-a")
	check(ca.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: pol}))(t)
	check(ca.UpdateDomainGroupInheritRole(&iamm.UpdateDomainGroupInheritRoleRequest{DomainId: a.DomainID, GroupId: group, RoleId: pol}))(t)
	sub := check(ca.KeystoneCreateProject(&iamm.KeystoneCreateProjectRequest{Body: &iamm.KeystoneCreateProjectRequestBody{
		Project: &iamm.KeystoneCreateProjectOption{Name: a.Region + "_sub", ParentId: a.ProjectID}}}))(t).Project.Id
	img := epImage(t, env, "secret-image", ep)
	job := *check(env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img,
		Body: &model.CopyImageInRegionRequestBody{Name: "copy", EnterpriseProjectId: ptr(ep)}}))(t).JobId
	waitJob(t, env, job)
	token, _ := login(t, env, passwordAuth(a.UserName, a.DomainName, a.Password, "project", a.Region))

	// The second account.
	b := env.NewAccount(t, "other")
	cb, eb := iamClient(t, env, b.AccessKey, b.SecretKey, b.DomainID), epsClient(t, env, b.AccessKey, b.SecretKey, b.DomainID)
	ib := env.Client(t, b.AccessKey, b.SecretKey, b.ProjectID)
	bGroup := mkGroup(t, cb, "b-devs")
	bImage := func() string {
		r := check(ib.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: ptr("b")}}))(t)
		return *r.Id
	}()
	ro, _ := policy.SystemPolicyByName(policy.IMSReadOnlyAccess)
	inactive := iamm.GetUpdateCredentialOptionStatusEnum().INACTIVE
	replace := model.GetUpdateImageRequestBodyOpEnum().REPLACE
	greplace := model.GetGlanceUpdateImageRequestBodyOpEnum().REPLACE
	allow := iamm.GetServiceStatementEffectEnum().ALLOW

	probes := map[string]func() error{
		"KeystoneShowUser": func() error { _, err := cb.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice}); return err },
		"ShowUser":         func() error { _, err := cb.ShowUser(&iamm.ShowUserRequest{UserId: alice}); return err },
		"KeystoneUpdateUserByAdmin": func() error {
			_, err := cb.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
				Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(false), Password: ptr("Evil-pass-1")}}})
			return err
		},
		"KeystoneUpdateUserPassword": func() error {
			_, err := cb.KeystoneUpdateUserPassword(&iamm.KeystoneUpdateUserPasswordRequest{UserId: alice,
				Body: &iamm.KeystoneUpdateUserPasswordRequestBody{User: &iamm.KeystoneUpdatePasswordOption{Password: "Evil-pass-1", OriginalPassword: "Alice-pass-1"}}})
			return err
		},
		"KeystoneDeleteUser": func() error {
			_, err := cb.KeystoneDeleteUser(&iamm.KeystoneDeleteUserRequest{UserId: alice})
			return err
		},
		"KeystoneListGroupsForUser": func() error {
			_, err := cb.KeystoneListGroupsForUser(&iamm.KeystoneListGroupsForUserRequest{UserId: alice})
			return err
		},
		"KeystoneListUsers of the domain": func() error {
			_, err := cb.KeystoneListUsers(&iamm.KeystoneListUsersRequest{DomainId: ptr(a.DomainID)})
			return err
		},
		"CreatePermanentAccessKey": func() error {
			_, err := cb.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
				Credential: &iamm.CreateCredentialOption{UserId: alice}}})
			return err
		},
		"ListPermanentAccessKeys": func() error {
			_, err := cb.ListPermanentAccessKeys(&iamm.ListPermanentAccessKeysRequest{UserId: ptr(alice)})
			return err
		},
		"ShowPermanentAccessKey": func() error {
			_, err := cb.ShowPermanentAccessKey(&iamm.ShowPermanentAccessKeyRequest{AccessKey: aliceAK})
			return err
		},
		"UpdatePermanentAccessKey": func() error {
			_, err := cb.UpdatePermanentAccessKey(&iamm.UpdatePermanentAccessKeyRequest{AccessKey: aliceAK,
				Body: &iamm.UpdatePermanentAccessKeyRequestBody{Credential: &iamm.UpdateCredentialOption{Status: &inactive}}})
			return err
		},
		"DeletePermanentAccessKey": func() error {
			_, err := cb.DeletePermanentAccessKey(&iamm.DeletePermanentAccessKeyRequest{AccessKey: aliceAK})
			return err
		},
		"KeystoneShowGroup": func() error {
			_, err := cb.KeystoneShowGroup(&iamm.KeystoneShowGroupRequest{GroupId: group})
			return err
		},
		"KeystoneUpdateGroup": func() error {
			_, err := cb.KeystoneUpdateGroup(&iamm.KeystoneUpdateGroupRequest{GroupId: group, Body: &iamm.KeystoneUpdateGroupRequestBody{
				Group: &iamm.KeystoneUpdateGroupOption{Name: ptr("pwned")}}})
			return err
		},
		"KeystoneDeleteGroup": func() error {
			_, err := cb.KeystoneDeleteGroup(&iamm.KeystoneDeleteGroupRequest{GroupId: group})
			return err
		},
		"KeystoneAddUserToGroup (their user)": func() error {
			_, err := cb.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: group, UserId: alice})
			return err
		},
		"KeystoneAddUserToGroup (own user)": func() error {
			_, err := cb.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: group, UserId: b.UserID})
			return err
		},
		"KeystoneAddUserToGroup (own group)": func() error {
			_, err := cb.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: bGroup, UserId: alice})
			return err
		},
		"KeystoneRemoveUserFromGroup": func() error {
			_, err := cb.KeystoneRemoveUserFromGroup(&iamm.KeystoneRemoveUserFromGroupRequest{GroupId: group, UserId: alice})
			return err
		},
		"KeystoneCheckUserInGroup": func() error {
			_, err := cb.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: group, UserId: alice})
			return err
		},
		"KeystoneListUsersForGroupByAdmin": func() error {
			_, err := cb.KeystoneListUsersForGroupByAdmin(&iamm.KeystoneListUsersForGroupByAdminRequest{GroupId: group})
			return err
		},
		"KeystoneShowPermission": func() error {
			_, err := cb.KeystoneShowPermission(&iamm.KeystoneShowPermissionRequest{RoleId: pol})
			return err
		},
		"ShowCustomPolicy": func() error { _, err := cb.ShowCustomPolicy(&iamm.ShowCustomPolicyRequest{RoleId: pol}); return err },
		"UpdateCloudServiceCustomPolicy": func() error {
			_, err := cb.UpdateCloudServiceCustomPolicy(&iamm.UpdateCloudServiceCustomPolicyRequest{RoleId: pol, Body: &iamm.UpdateCloudServiceCustomPolicyRequestBody{
				Role: &iamm.ServicePolicyRoleOption{DisplayName: "pwned", Type: "XA", Description: "",
					Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: []string{"ims:*:*"}, Effect: allow}}}}}})
			return err
		},
		"DeleteCustomPolicy": func() error {
			_, err := cb.DeleteCustomPolicy(&iamm.DeleteCustomPolicyRequest{RoleId: pol})
			return err
		},
		"KeystoneShowProject": func() error {
			_, err := cb.KeystoneShowProject(&iamm.KeystoneShowProjectRequest{ProjectId: sub})
			return err
		},
		"KeystoneCreateProject under theirs": func() error {
			_, err := cb.KeystoneCreateProject(&iamm.KeystoneCreateProjectRequest{Body: &iamm.KeystoneCreateProjectRequestBody{
				Project: &iamm.KeystoneCreateProjectOption{Name: a.Region + "_evil", ParentId: a.ProjectID}}})
			return err
		},
		"grant in their project": func() error {
			_, err := cb.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: a.ProjectID, GroupId: bGroup, RoleId: ro.ID})
			return err
		},
		"grant their policy": func() error {
			_, err := cb.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: b.ProjectID, GroupId: bGroup, RoleId: pol})
			return err
		},
		"list grants of their group": func() error {
			_, err := cb.KeystoneListProjectPermissionsForGroup(&iamm.KeystoneListProjectPermissionsForGroupRequest{ProjectId: b.ProjectID, GroupId: group})
			return err
		},
		"grant on their domain": func() error {
			_, err := cb.UpdateDomainGroupInheritRole(&iamm.UpdateDomainGroupInheritRoleRequest{DomainId: a.DomainID, GroupId: bGroup, RoleId: ro.ID})
			return err
		},
		"revoke their all-projects grant": func() error {
			_, err := cb.DeleteDomainGroupInheritedRole(&iamm.DeleteDomainGroupInheritedRoleRequest{DomainId: b.DomainID, GroupId: group, RoleId: pol})
			return err
		},
		"list their domain grants": func() error {
			_, err := cb.KeystoneListDomainPermissionsForGroup(&iamm.KeystoneListDomainPermissionsForGroupRequest{DomainId: a.DomainID, GroupId: group})
			return err
		},
		"grant in their EP": func() error {
			_, err := cb.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: bGroup, RoleId: ro.ID})
			return err
		},
		"revoke in their EP": func() error {
			_, err := cb.RevokeRoleFromGroupOnEnterpriseProject(&iamm.RevokeRoleFromGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: pol})
			return err
		},
		"ListRolesForGroupOnEnterpriseProject": func() error {
			_, err := cb.ListRolesForGroupOnEnterpriseProject(&iamm.ListRolesForGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group})
			return err
		},
		"ListEnterpriseProjectsForGroup": func() error {
			_, err := cb.ListEnterpriseProjectsForGroup(&iamm.ListEnterpriseProjectsForGroupRequest{GroupId: group})
			return err
		},
		"ListGroupsForEnterpriseProject": func() error {
			_, err := cb.ListGroupsForEnterpriseProject(&iamm.ListGroupsForEnterpriseProjectRequest{EnterpriseProjectId: ep})
			return err
		},
		"KeystoneValidateToken": func() error {
			_, err := cb.KeystoneValidateToken(&iamm.KeystoneValidateTokenRequest{XSubjectToken: token})
			return err
		},
		"ShowEnterpriseProject": func() error {
			_, err := eb.ShowEnterpriseProject(&epsm.ShowEnterpriseProjectRequest{EnterpriseProjectId: ep})
			return err
		},
		"UpdateEnterpriseProject": func() error {
			_, err := eb.UpdateEnterpriseProject(&epsm.UpdateEnterpriseProjectRequest{EnterpriseProjectId: ep, Body: &epsm.EnterpriseProject{Name: "pwned"}})
			return err
		},
		"DisableEnterpriseProject": func() error {
			_, err := eb.DisableEnterpriseProject(&epsm.DisableEnterpriseProjectRequest{EnterpriseProjectId: ep,
				Body: &epsm.DisableAction{Action: epsm.GetDisableActionActionEnum().DISABLE}})
			return err
		},
		"MigrateResource into their EP": func() error {
			_, err := eb.MigrateResource(&epsm.MigrateResourceRequest{EnterpriseProjectId: ep, Body: &epsm.MigrateResource{ResourceId: bImage, ResourceType: "images"}})
			return err
		},
		"MigrateResource of their image": func() error {
			_, err := eb.MigrateResource(&epsm.MigrateResourceRequest{EnterpriseProjectId: "0", Body: &epsm.MigrateResource{ResourceId: img, ResourceType: "images"}})
			return err
		},
		"GlanceShowImage": func() error { _, err := ib.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img}); return err },
		"UpdateImage": func() error {
			_, err := ib.UpdateImage(&model.UpdateImageRequest{ImageId: img, Body: &[]model.UpdateImageRequestBody{{Op: replace, Path: "/name", Value: "pwned"}}})
			return err
		},
		"GlanceUpdateImage": func() error {
			_, err := ib.GlanceUpdateImage(&model.GlanceUpdateImageRequest{ImageId: img, Body: &[]model.GlanceUpdateImageRequestBody{{Op: greplace, Path: "/name", Value: ptr("pwned")}}})
			return err
		},
		"GlanceDeleteImage": func() error {
			_, err := ib.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: img})
			return err
		},
		"CopyImageInRegion": func() error {
			_, err := ib.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "stolen"}})
			return err
		},
		"AddImageTag": func() error {
			_, err := ib.AddImageTag(&model.AddImageTagRequest{ImageId: img, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: "k", Value: "v"}}})
			return err
		},
		"ListImageTags":   func() error { _, err := ib.ListImageTags(&model.ListImageTagsRequest{ImageId: img}); return err },
		"ShowJob":         func() error { _, err := ib.ShowJob(&model.ShowJobRequest{JobId: job}); return err },
		"ShowJobProgress": func() error { _, err := ib.ShowJobProgress(&model.ShowJobProgressRequest{JobId: job}); return err },
	}
	for name, probe := range probes {
		err := probe()
		var se *sdkerr.ServiceResponseError
		if !errors.As(err, &se) || se.StatusCode != 404 {
			t.Errorf("%s: %v, want 404", name, err)
		}
	}

	// Nothing of the first account changed, and the second sees none of it.
	u, err := env.App.Store.UserGet(ctx, alice)
	if err != nil || !u.Enabled || u.Name != "alice" {
		t.Fatalf("alice after the probes: %+v %v", u, err)
	}
	k, err := env.App.Store.AccessKeyGet(ctx, aliceAK)
	if err != nil || k.Status != "active" {
		t.Fatalf("alice's key after the probes: %+v %v", k, err)
	}
	check(iamClient(t, env, aliceAK, aliceSK, a.DomainID).KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice}))(t)
	if g := check(ca.KeystoneShowGroup(&iamm.KeystoneShowGroupRequest{GroupId: group}))(t); g.Group.Name != "devs" {
		t.Fatalf("group after the probes: %+v", g.Group)
	}
	check(ca.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: group, UserId: alice}))(t)
	if p := check(ca.ShowCustomPolicy(&iamm.ShowCustomPolicyRequest{RoleId: pol}))(t); p.Role.DisplayName != "copier" || *p.Role.References != 2 ||
		p.Role.Policy.Statement[0].Action[0] != "ims:images:copy" {
		t.Fatalf("policy after the probes: %+v", p.Role)
	}
	if e := check(ea.ShowEnterpriseProject(&epsm.ShowEnterpriseProjectRequest{EnterpriseProjectId: ep}))(t); e.EnterpriseProject.Name != "team-a" || e.EnterpriseProject.Status != 1 {
		t.Fatalf("EP after the probes: %+v", e.EnterpriseProject)
	}
	if i := check(env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img}))(t); *i.Name != "secret-image" || *i.EnterpriseProjectId != ep || len(*i.Tags) != 0 {
		t.Fatalf("image after the probes: %+v", i)
	}
	if n, err := env.App.Store.ImageCount(ctx, imsd.ImageQuery{DomainID: b.DomainID}); err != nil || n != 1 {
		t.Fatalf("the second account has %d images (%v)", n, err)
	}
	if status, _, _ := rawJSON(t, "GET", env.Endpoint+"/v2/cloudimages", nil, map[string]string{"X-Auth-Token": token}); status != 200 {
		t.Fatalf("the first account's token after the probes: %d", status)
	}
	users := check(cb.KeystoneListUsers(&iamm.KeystoneListUsersRequest{}))(t)
	groups := check(cb.KeystoneListGroups(&iamm.KeystoneListGroupsRequest{}))(t)
	custom := check(cb.ListCustomPolicies(&iamm.ListCustomPoliciesRequest{}))(t)
	eps := check(eb.ListEnterpriseProject(&epsm.ListEnterpriseProjectRequest{}))(t)
	projects := check(cb.KeystoneListProjects(&iamm.KeystoneListProjectsRequest{}))(t)
	if len(*users.Users) != 1 || len(*groups.Groups) != 2 || *custom.TotalNumber != 0 || *eps.TotalCount != 1 || len(*projects.Projects) != 1 {
		t.Fatalf("the second account sees: %d users, %d groups, %d policies, %d EPs, %d projects",
			len(*users.Users), len(*groups.Groups), *custom.TotalNumber, *eps.TotalCount, len(*projects.Projects))
	}
}
