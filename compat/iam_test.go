package compat

import (
	"context"
	"net/http"
	"strings"
	"testing"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/internal/sdktest"
)

func TestIAMProjects(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)

	list := check(c.KeystoneListProjects(&iamm.KeystoneListProjectsRequest{}))(t)
	if len(*list.Projects) != 1 || (*list.Projects)[0].Id != env.Creds.ProjectID || (*list.Projects)[0].Name != env.Creds.Region ||
		(*list.Projects)[0].ParentId != env.Creds.DomainID || !(*list.Projects)[0].Enabled {
		t.Fatalf("projects: %+v", *list.Projects)
	}
	name := env.Creds.Region + "_dev"
	created := check(c.KeystoneCreateProject(&iamm.KeystoneCreateProjectRequest{Body: &iamm.KeystoneCreateProjectRequestBody{
		Project: &iamm.KeystoneCreateProjectOption{Name: name, ParentId: env.Creds.ProjectID, Description: ptr("development")}}}))(t)
	p := created.Project
	if created.HttpStatusCode != http.StatusCreated || len(p.Id) != 32 || p.Name != name || p.ParentId != env.Creds.ProjectID ||
		p.DomainId != env.Creds.DomainID || !p.Enabled || p.IsDomain || p.Description != "development" || !strings.HasSuffix(p.Links.Self, "/v3/projects/"+p.Id) {
		t.Fatalf("created project: %d %+v", created.HttpStatusCode, p)
	}
	shown := check(c.KeystoneShowProject(&iamm.KeystoneShowProjectRequest{ProjectId: p.Id}))(t)
	if shown.Project.Name != name || shown.Project.ParentId != env.Creds.ProjectID || shown.Project.Description != "development" {
		t.Fatalf("shown project: %+v", shown.Project)
	}
	byName := check(c.KeystoneListProjects(&iamm.KeystoneListProjectsRequest{Name: ptr(name)}))(t)
	if len(*byName.Projects) != 1 || (*byName.Projects)[0].Id != p.Id {
		t.Fatalf("projects named %s: %+v", name, *byName.Projects)
	}

	_, err := c.KeystoneCreateProject(&iamm.KeystoneCreateProjectRequest{Body: &iamm.KeystoneCreateProjectRequestBody{
		Project: &iamm.KeystoneCreateProjectOption{Name: name, ParentId: env.Creds.ProjectID}}})
	sdkError(t, err, 409, "IAM.0005")
	_, err = c.KeystoneCreateProject(&iamm.KeystoneCreateProjectRequest{Body: &iamm.KeystoneCreateProjectRequestBody{
		Project: &iamm.KeystoneCreateProjectOption{Name: "elsewhere_dev", ParentId: env.Creds.ProjectID}}})
	sdkError(t, err, 400, "IAM.0007")
	_, err = c.KeystoneShowProject(&iamm.KeystoneShowProjectRequest{ProjectId: "0123456789abcdef0123456789abcdef"})
	sdkError(t, err, 404, "IAM.0004")
}

func TestIAMUsers(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	ctx := context.Background()

	created := check(c.KeystoneCreateUser(&iamm.KeystoneCreateUserRequest{Body: &iamm.KeystoneCreateUserRequestBody{
		User: &iamm.KeystoneCreateUserOption{Name: "alice", Password: ptr("Alice-pass-1"), Description: ptr("first user")}}}))(t)
	alice := created.User
	if created.HttpStatusCode != 201 || len(alice.Id) != 32 || alice.Name != "alice" || alice.DomainId != env.Creds.DomainID ||
		!alice.Enabled || *alice.Description != "first user" || !strings.HasSuffix(alice.Links.Self, "/v3/users/"+alice.Id) {
		t.Fatalf("created user: %+v", alice)
	}
	stored, err := env.App.Store.UserGet(ctx, alice.Id)
	if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, "Alice-pass-1") {
		t.Fatalf("stored password hash %q (%v)", stored.PasswordHash, err)
	}

	bob := check(c.CreateUser(&iamm.CreateUserRequest{Body: &iamm.CreateUserRequestBody{User: &iamm.CreateUserOption{
		Name: "bob", DomainId: env.Creds.DomainID, Email: ptr("bob@example.com"), Description: ptr("second")}}}))(t)
	if bob.HttpStatusCode != 201 || bob.User.Name != "bob" || *bob.User.Email != "bob@example.com" || *bob.User.IsDomainOwner ||
		*bob.User.AccessMode != "default" || *bob.User.CreateTime == "" || !bob.User.Enabled {
		t.Fatalf("CreateUser: %+v", bob.User)
	}

	users := check(c.KeystoneListUsers(&iamm.KeystoneListUsersRequest{}))(t)
	names := map[string]bool{}
	for _, u := range *users.Users {
		names[u.Name] = true
	}
	if len(*users.Users) != 3 || !names["alice"] || !names["bob"] || !names[env.Creds.UserName] {
		t.Fatalf("users: %+v", *users.Users)
	}
	one := check(c.KeystoneListUsers(&iamm.KeystoneListUsersRequest{Name: ptr("bob")}))(t)
	if len(*one.Users) != 1 || (*one.Users)[0].Id != bob.User.Id {
		t.Fatalf("users named bob: %+v", *one.Users)
	}
	shown := check(c.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice.Id}))(t)
	if shown.User.Name != "alice" || *shown.User.Description != "first user" || !shown.User.Enabled {
		t.Fatalf("KeystoneShowUser: %+v", shown.User)
	}
	detail := check(c.ShowUser(&iamm.ShowUserRequest{UserId: bob.User.Id}))(t)
	if detail.User.Name != "bob" || *detail.User.Email != "bob@example.com" || detail.User.IsDomainOwner || detail.User.Description != "second" {
		t.Fatalf("ShowUser: %+v", detail.User)
	}
	root := check(c.ShowUser(&iamm.ShowUserRequest{UserId: env.Creds.UserID}))(t)
	if !root.User.IsDomainOwner {
		t.Fatalf("root ShowUser: %+v", root.User)
	}

	// Validation and conflicts.
	_, err = c.KeystoneCreateUser(&iamm.KeystoneCreateUserRequest{Body: &iamm.KeystoneCreateUserRequestBody{
		User: &iamm.KeystoneCreateUserOption{Name: "alice"}}})
	sdkError(t, err, 409, "IAM.0005")
	_, err = c.KeystoneCreateUser(&iamm.KeystoneCreateUserRequest{Body: &iamm.KeystoneCreateUserRequestBody{
		User: &iamm.KeystoneCreateUserOption{Name: "carol", Password: ptr("password")}}})
	sdkError(t, err, 400, "IAM.0007")
	_, err = c.KeystoneCreateUser(&iamm.KeystoneCreateUserRequest{Body: &iamm.KeystoneCreateUserRequestBody{
		User: &iamm.KeystoneCreateUserOption{Name: "x/y"}}})
	sdkError(t, err, 400, "IAM.0007")

	// Disable and re-enable; the root can be neither disabled nor deleted.
	upd := check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice.Id,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(false), Description: ptr("paused")}}}))(t)
	if upd.User.Enabled || *upd.User.Description != "paused" || upd.User.Name != "alice" {
		t.Fatalf("disabled user: %+v", upd.User)
	}
	disabled := check(c.KeystoneListUsers(&iamm.KeystoneListUsersRequest{Enabled: ptr(false)}))(t)
	if len(*disabled.Users) != 1 || (*disabled.Users)[0].Id != alice.Id {
		t.Fatalf("disabled users: %+v", *disabled.Users)
	}
	check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice.Id,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(true)}}}))(t)
	_, err = c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: env.Creds.UserID,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(false)}}})
	sdkError(t, err, 400, "IAM.0007")
	_, err = c.KeystoneDeleteUser(&iamm.KeystoneDeleteUserRequest{UserId: env.Creds.UserID})
	sdkError(t, err, 403, "IAM.0003")

	// Passwords: only the user changes their own, knowing the current one.
	_, err = c.KeystoneUpdateUserPassword(&iamm.KeystoneUpdateUserPasswordRequest{UserId: alice.Id,
		Body: &iamm.KeystoneUpdateUserPasswordRequestBody{User: &iamm.KeystoneUpdatePasswordOption{Password: "Alice-pass-2", OriginalPassword: "Alice-pass-1"}}})
	sdkError(t, err, 403, "IAM.0003")
	ak, sk := mkKey(t, c, alice.Id)
	ac := iamClient(t, env, ak, sk, env.Creds.DomainID)
	_, err = ac.KeystoneUpdateUserPassword(&iamm.KeystoneUpdateUserPasswordRequest{UserId: alice.Id,
		Body: &iamm.KeystoneUpdateUserPasswordRequestBody{User: &iamm.KeystoneUpdatePasswordOption{Password: "Alice-pass-2", OriginalPassword: "wrong-Pass-0"}}})
	sdkError(t, err, 400, "IAM.0007")
	pw := check(ac.KeystoneUpdateUserPassword(&iamm.KeystoneUpdateUserPasswordRequest{UserId: alice.Id,
		Body: &iamm.KeystoneUpdateUserPasswordRequestBody{User: &iamm.KeystoneUpdatePasswordOption{Password: "Alice-pass-2", OriginalPassword: "Alice-pass-1"}}}))(t)
	if pw.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("password change status %d", pw.HttpStatusCode)
	}
	// A user reads themselves without any permission, nobody else.
	if me := check(ac.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice.Id}))(t); me.User.Id != alice.Id {
		t.Fatalf("self: %+v", me.User)
	}
	_, err = ac.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: bob.User.Id})
	sdkError(t, err, 403, "IAM.0003")

	del := check(c.KeystoneDeleteUser(&iamm.KeystoneDeleteUserRequest{UserId: bob.User.Id}))(t)
	if del.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("delete status %d", del.HttpStatusCode)
	}
	_, err = c.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: bob.User.Id})
	sdkError(t, err, 404, "IAM.0004")
}

func TestIAMGroups(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)

	// Every account has an admin group: the root in it, FullAccess on the domain.
	admins := check(c.KeystoneListGroups(&iamm.KeystoneListGroupsRequest{Name: ptr("admin")}))(t)
	if len(*admins.Groups) != 1 {
		t.Fatalf("admin groups: %+v", *admins.Groups)
	}
	admin := (*admins.Groups)[0].Id
	check(c.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: admin, UserId: env.Creds.UserID}))(t)
	perms := check(c.KeystoneListDomainPermissionsForGroup(&iamm.KeystoneListDomainPermissionsForGroupRequest{DomainId: env.Creds.DomainID, GroupId: admin}))(t)
	if len(*perms.Roles) != 1 || *(*perms.Roles)[0].DisplayName != "FullAccess" {
		t.Fatalf("admin group permissions: %+v", *perms.Roles)
	}
	_, err := c.KeystoneDeleteGroup(&iamm.KeystoneDeleteGroupRequest{GroupId: admin})
	sdkError(t, err, 400, "IAM.0007")
	_, err = c.KeystoneUpdateGroup(&iamm.KeystoneUpdateGroupRequest{GroupId: admin, Body: &iamm.KeystoneUpdateGroupRequestBody{
		Group: &iamm.KeystoneUpdateGroupOption{Name: ptr("root-ish")}}})
	sdkError(t, err, 400, "IAM.0007")

	created := check(c.KeystoneCreateGroup(&iamm.KeystoneCreateGroupRequest{Body: &iamm.KeystoneCreateGroupRequestBody{
		Group: &iamm.KeystoneCreateGroupOption{Name: "devs", Description: ptr("developers")}}}))(t)
	g := created.Group
	if created.HttpStatusCode != 201 || len(g.Id) != 32 || g.Name != "devs" || g.Description != "developers" ||
		g.DomainId != env.Creds.DomainID || g.CreateTime <= 0 || !strings.HasSuffix(g.Links.Self, "/v3/groups/"+g.Id) {
		t.Fatalf("created group: %+v", g)
	}
	_, err = c.KeystoneCreateGroup(&iamm.KeystoneCreateGroupRequest{Body: &iamm.KeystoneCreateGroupRequestBody{
		Group: &iamm.KeystoneCreateGroupOption{Name: "devs"}}})
	sdkError(t, err, 409, "IAM.0005")
	shown := check(c.KeystoneShowGroup(&iamm.KeystoneShowGroupRequest{GroupId: g.Id}))(t)
	if shown.Group.Name != "devs" || shown.Group.CreateTime != g.CreateTime {
		t.Fatalf("shown group: %+v", shown.Group)
	}
	upd := check(c.KeystoneUpdateGroup(&iamm.KeystoneUpdateGroupRequest{GroupId: g.Id, Body: &iamm.KeystoneUpdateGroupRequestBody{
		Group: &iamm.KeystoneUpdateGroupOption{Name: ptr("developers"), Description: ptr("the devs")}}}))(t)
	if upd.Group.Name != "developers" || upd.Group.Description != "the devs" {
		t.Fatalf("updated group: %+v", upd.Group)
	}
	all := check(c.KeystoneListGroups(&iamm.KeystoneListGroupsRequest{}))(t)
	if len(*all.Groups) != 2 {
		t.Fatalf("groups: %+v", *all.Groups)
	}

	alice := mkUser(t, c, "alice", "Alice-pass-1")
	add := check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: g.Id, UserId: alice}))(t)
	if add.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("add status %d", add.HttpStatusCode)
	}
	check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: g.Id, UserId: alice}))(t) // again: fine
	check(c.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: g.Id, UserId: alice}))(t)
	ofUser := check(c.KeystoneListGroupsForUser(&iamm.KeystoneListGroupsForUserRequest{UserId: alice}))(t)
	if len(*ofUser.Groups) != 1 || (*ofUser.Groups)[0].Id != g.Id || (*ofUser.Groups)[0].Name != "developers" {
		t.Fatalf("groups of alice: %+v", *ofUser.Groups)
	}
	members := check(c.KeystoneListUsersForGroupByAdmin(&iamm.KeystoneListUsersForGroupByAdminRequest{GroupId: g.Id}))(t)
	if len(*members.Users) != 1 || (*members.Users)[0].Id != alice || (*members.Users)[0].Name != "alice" {
		t.Fatalf("members: %+v", *members.Users)
	}
	check(c.KeystoneRemoveUserFromGroup(&iamm.KeystoneRemoveUserFromGroupRequest{GroupId: g.Id, UserId: alice}))(t)
	_, err = c.KeystoneCheckUserInGroup(&iamm.KeystoneCheckUserInGroupRequest{GroupId: g.Id, UserId: alice})
	sdkStatus(t, err, 404)
	_, err = c.KeystoneRemoveUserFromGroup(&iamm.KeystoneRemoveUserFromGroupRequest{GroupId: g.Id, UserId: alice})
	sdkError(t, err, 404, "IAM.0004")
	_, err = c.KeystoneRemoveUserFromGroup(&iamm.KeystoneRemoveUserFromGroupRequest{GroupId: admin, UserId: env.Creds.UserID})
	sdkError(t, err, 400, "IAM.0007")

	check(c.KeystoneDeleteGroup(&iamm.KeystoneDeleteGroupRequest{GroupId: g.Id}))(t)
	_, err = c.KeystoneShowGroup(&iamm.KeystoneShowGroupRequest{GroupId: g.Id})
	sdkError(t, err, 404, "IAM.0004")
}

func TestIAMAccessKeys(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	ctx := context.Background()
	alice := mkUser(t, c, "alice", "Alice-pass-1")

	created := check(c.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
		Credential: &iamm.CreateCredentialOption{UserId: alice, Description: ptr("ci")}}}))(t)
	k := created.Credential
	if created.HttpStatusCode != 201 || len(k.Access) != 20 || len(k.Secret) != 40 || k.Status != "active" || k.UserId != alice ||
		k.Description != "ci" || k.CreateTime == "" {
		t.Fatalf("created key: %+v", k)
	}
	row, err := env.App.Store.AccessKeyGet(ctx, k.Access)
	if err != nil || strings.Contains(string(row.SecretSealed), k.Secret) {
		t.Fatalf("the secret key is stored in the clear (%v)", err)
	}
	if plain, err := env.App.Sealer.Open(row.SecretSealed, []byte(k.Access)); err != nil || string(plain) != k.Secret {
		t.Fatalf("sealed secret does not open to the secret (%v)", err)
	}
	ac := iamClient(t, env, k.Access, k.Secret, env.Creds.DomainID)
	if me := check(ac.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice}))(t); me.User.Name != "alice" {
		t.Fatalf("alice with her key: %+v", me.User)
	}

	list := check(c.ListPermanentAccessKeys(&iamm.ListPermanentAccessKeysRequest{UserId: ptr(alice)}))(t)
	if len(*list.Credentials) != 1 || (*list.Credentials)[0].Access != k.Access || (*list.Credentials)[0].Status != "active" {
		t.Fatalf("keys of alice: %+v", *list.Credentials)
	}
	// Alice lists her own keys by naming herself; the secret never shows again.
	own := env.Signed(t, k.Access, k.Secret, "", sdktest.Request{Method: "GET", Path: "/v3.0/OS-CREDENTIAL/credentials",
		Query: map[string][]string{"user_id": {alice}}})
	resp, err := http.DefaultClient.Do(own)
	if err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	_, _ = ioCopy(&body, resp)
	if resp.StatusCode != 200 || strings.Contains(body.String(), k.Secret) || strings.Contains(body.String(), `"secret"`) {
		t.Fatalf("own key list: %d %s", resp.StatusCode, body.String())
	}
	shown := check(c.ShowPermanentAccessKey(&iamm.ShowPermanentAccessKeyRequest{AccessKey: k.Access}))(t)
	if shown.Credential.Access != k.Access || shown.Credential.UserId != alice || shown.Credential.Description != "ci" || shown.Credential.CreateTime != k.CreateTime {
		t.Fatalf("shown key: %+v", shown.Credential)
	}

	inactive := iamm.GetUpdateCredentialOptionStatusEnum().INACTIVE
	upd := check(c.UpdatePermanentAccessKey(&iamm.UpdatePermanentAccessKeyRequest{AccessKey: k.Access,
		Body: &iamm.UpdatePermanentAccessKeyRequestBody{Credential: &iamm.UpdateCredentialOption{Status: &inactive, Description: ptr("paused")}}}))(t)
	if upd.Credential.Status != "inactive" || upd.Credential.Description != "paused" {
		t.Fatalf("updated key: %+v", upd.Credential)
	}
	_, err = ac.KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice})
	sdkError(t, err, 401, "APIGW.0301")

	mkKey(t, c, alice)
	_, err = c.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
		Credential: &iamm.CreateCredentialOption{UserId: alice}}})
	sdkError(t, err, 400, "IAM.0007")

	del := check(c.DeletePermanentAccessKey(&iamm.DeletePermanentAccessKeyRequest{AccessKey: k.Access}))(t)
	if del.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("delete status %d", del.HttpStatusCode)
	}
	_, err = c.ShowPermanentAccessKey(&iamm.ShowPermanentAccessKeyRequest{AccessKey: k.Access})
	sdkError(t, err, 404, "IAM.0004")
}
