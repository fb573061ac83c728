package compat

import (
	"encoding/json"
	"testing"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// epImage creates an active image of the root in enterprise project ep.
func epImage(t *testing.T, env *sdktest.Env, name, ep string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "disk_format": "raw", "container_format": "bare", "enterprise_project_id": ep})
	resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: body})
	var img struct {
		ID string `json:"id"`
	}
	if err := jsonDecode(resp.Body, &img); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create image: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if r := upload(t, env, img.ID, bytesReader(randomBytes(t, 4096))); r.StatusCode != 204 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	return img.ID
}

// TestIAMScenario is the administrator's story, entirely through the SDK:
// the root builds a project, an enterprise project, a group, a user with
// an access key and custom policies, grants them in the enterprise
// project, and the user copies images exactly as far as the grants reach.
func TestIAMScenario(t *testing.T) {
	env := sdktest.Start(t, nil)
	c, e := rootIAM(t, env), rootEPS(t, env)

	proj := check(c.KeystoneCreateProject(&iamm.KeystoneCreateProjectRequest{Body: &iamm.KeystoneCreateProjectRequestBody{
		Project: &iamm.KeystoneCreateProjectOption{Name: env.Creds.Region + "_team", ParentId: env.Creds.ProjectID}}}))(t).Project.Id
	ep := mkEP(t, e, "team-a")
	group := mkGroup(t, c, "image-copiers")
	user := mkUser(t, c, "carol", "Carol-pass-1")
	check(c.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: group, UserId: user}))(t)
	ak, sk := mkKey(t, c, user)
	// The copy policy of the story, and (since the account uses enterprise
	// projects) the right to create images where copies land.
	copier := mkPolicy(t, c, "ep-image-copier", "ims:images:copy", "ims:images:get", "ims:images:list")
	creator := mkPolicy(t, c, "ep-image-creator", "ims:serverImages:create")
	grantEP := func(role string) {
		check(c.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: role}))(t)
	}
	grantEP(copier)
	grantEP(creator)

	src := epImage(t, env, "golden", ep)
	uc := env.Client(t, ak, sk, env.Creds.ProjectID)
	copyTo := func(name string, target *string) (*model.CopyImageInRegionResponse, error) {
		return uc.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src,
			Body: &model.CopyImageInRegionRequestBody{Name: name, EnterpriseProjectId: target}})
	}

	// Allowed: a copy inside the enterprise project.
	r := check(copyTo("in-team-a", ptr(ep)))(t)
	j := waitJob(t, env, *r.JobId)
	if j.Status.Value() != "SUCCESS" {
		t.Fatalf("copy in the EP failed: %v", j.FailReason)
	}
	cp := check(env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: *j.Entities.ImageId}))(t)
	if *cp.EnterpriseProjectId != ep || cp.Name != nil && *cp.Name != "in-team-a" {
		t.Fatalf("copy: EP %s name %v", *cp.EnterpriseProjectId, cp.Name)
	}
	listed := check(uc.ListImages(&model.ListImagesRequest{EnterpriseProjectId: ptr(ep)}))(t)
	if len(*listed.Images) != 2 {
		t.Fatalf("the user lists %d images in the EP", len(*listed.Images))
	}

	// Denied: into the default EP, where the user may not create images.
	_, err := copyTo("into-default", nil)
	sdkError(t, err, 403, "IMG.0026")
	// The new project holds none of the EP's images: the user sees nothing there.
	if other := check(env.Client(t, ak, sk, proj).ListImages(&model.ListImagesRequest{}))(t); len(*other.Images) != 0 {
		t.Fatalf("the user sees %d images in project %s", len(*other.Images), proj)
	}

	// The grant is revoked: denied at once; granted again: allowed.
	check(c.RevokeRoleFromGroupOnEnterpriseProject(&iamm.RevokeRoleFromGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: copier}))(t)
	_, err = copyTo("after-revoke", ptr(ep))
	sdkError(t, err, 403, "IMG.0026")
	grantEP(copier)
	waitJob(t, env, *check(copyTo("after-regrant", ptr(ep)))(t).JobId)

	// The key is deactivated: the user is no longer authenticated.
	inactive := iamm.GetUpdateCredentialOptionStatusEnum().INACTIVE
	check(c.UpdatePermanentAccessKey(&iamm.UpdatePermanentAccessKeyRequest{AccessKey: ak,
		Body: &iamm.UpdatePermanentAccessKeyRequestBody{Credential: &iamm.UpdateCredentialOption{Status: &inactive}}}))(t)
	_, err = copyTo("after-deactivation", ptr(ep))
	sdkError(t, err, 401, "APIGW.0301")
}
