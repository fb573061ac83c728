package compat

import (
	"testing"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestPrivilegedIdentitiesAreGuarded gives bob a narrow set of IAM actions
// (create/update/delete access keys, add/remove group members, update
// users) in all projects and checks he cannot turn them into the account:
// no keys for the root, no joining the admin group, no taking over an
// admin member. The same actions still work on ordinary users.
func TestPrivilegedIdentitiesAreGuarded(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	dom := env.Creds.DomainID
	rootUser := check(c.KeystoneListUsers(&iamm.KeystoneListUsersRequest{Name: ptr(env.Creds.UserName)}))(t)
	root := (*rootUser.Users)[0].Id
	admins := check(c.KeystoneListGroups(&iamm.KeystoneListGroupsRequest{Name: ptr("admin")}))(t)
	admin := (*admins.Groups)[0].Id

	bob := mkUser(t, c, "bob", "Bob-pass-123")
	alice := mkUser(t, c, "alice", "Alice-pass-1") // an administrator
	check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: admin, UserId: alice}))(t)
	carol := mkUser(t, c, "carol", "Carol-pass-1") // an ordinary user
	helpers := mkGroup(t, c, "helpdesk")
	check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: helpers, UserId: bob}))(t)
	pol := mkPolicy(t, c, "helpdesk", "iam:credentials:*", "iam:groups:addUserToGroup", "iam:groups:removeUserFromGroup",
		"iam:users:updateUser", "iam:users:getUser", "iam:users:listUsers", "iam:groups:listGroups")
	check(c.UpdateDomainGroupInheritRole(&iamm.UpdateDomainGroupInheritRoleRequest{DomainId: dom, GroupId: helpers, RoleId: pol}))(t)
	rootAK := env.Creds.AccessKey
	ak, sk := mkKey(t, c, bob)
	b := iamClient(t, env, ak, sk, dom)

	refused := map[string]func() error{
		"create a key for the root": func() error {
			_, err := b.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
				Credential: &iamm.CreateCredentialOption{UserId: root}}})
			return err
		},
		"deactivate the root's key": func() error {
			_, err := b.UpdatePermanentAccessKey(&iamm.UpdatePermanentAccessKeyRequest{AccessKey: rootAK,
				Body: &iamm.UpdatePermanentAccessKeyRequestBody{Credential: &iamm.UpdateCredentialOption{Status: ptr(iamm.GetUpdateCredentialOptionStatusEnum().INACTIVE)}}})
			return err
		},
		"delete the root's key": func() error {
			_, err := b.DeletePermanentAccessKey(&iamm.DeletePermanentAccessKeyRequest{AccessKey: rootAK})
			return err
		},
		"join the admin group": func() error {
			_, err := b.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: admin, UserId: bob})
			return err
		},
		"remove an administrator from the admin group": func() error {
			_, err := b.KeystoneRemoveUserFromGroup(&iamm.KeystoneRemoveUserFromGroupRequest{GroupId: admin, UserId: alice})
			return err
		},
		"reset an administrator's password": func() error {
			_, err := b.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
				Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Password: ptr("Taken-over-1")}}})
			return err
		},
		"create a key for an administrator": func() error {
			_, err := b.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
				Credential: &iamm.CreateCredentialOption{UserId: alice}}})
			return err
		},
	}
	for name, call := range refused {
		t.Run(name, func(t *testing.T) { sdkError(t, call(), 403, "IAM.0003") })
	}
	// Nothing changed: the root's key still works, bob is no administrator.
	check(c.ListPermanentAccessKeys(&iamm.ListPermanentAccessKeysRequest{}))(t)
	if _, err := c.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: admin, UserId: bob}); err == nil {
		t.Fatal("bob joined the admin group")
	}
	check(c.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: admin, UserId: alice}))(t)

	// On an ordinary user the same actions work.
	check(b.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
		Credential: &iamm.CreateCredentialOption{UserId: carol}}}))(t)
	check(b.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: helpers, UserId: carol}))(t)
	check(b.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: carol,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Password: ptr("Carol-pass-2")}}}))(t)

	// An administrator may manage another administrator.
	aak, ask := mkKey(t, c, alice)
	a := iamClient(t, env, aak, ask, dom)
	check(a.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: admin, UserId: carol}))(t)
	check(a.KeystoneRemoveUserFromGroup(&iamm.KeystoneRemoveUserFromGroupRequest{GroupId: admin, UserId: carol}))(t)

	// The type of a granted policy cannot change: bob's project-level (XA)
	// policy granted in all projects must not become something the grant
	// check would have refused.
	allow := iamm.GetServiceStatementEffectEnum().ALLOW
	_, err := c.UpdateCloudServiceCustomPolicy(&iamm.UpdateCloudServiceCustomPolicyRequest{RoleId: pol, Body: &iamm.UpdateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: "helpdesk", Type: "AX", Description: "test policy",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: []string{"iam:credentials:*"}, Effect: allow}}}}}})
	sdkError(t, err, 400, "IAM.0007")
}
