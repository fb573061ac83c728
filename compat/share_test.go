package compat

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	iamv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/identity"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/policy"
)

// waitJobWith polls a job with the given client until it ends.
func waitJobWith(t testing.TB, c *ims.ImsClient, jobID string) *model.ShowJobResponse {
	t.Helper()
	var j *model.ShowJobResponse
	imstest.WaitFor(t, 30*time.Second, "job "+jobID, func() bool {
		var err error
		j, err = c.ShowJob(&model.ShowJobRequest{JobId: jobID})
		if err != nil {
			t.Fatalf("ShowJob: %v", err)
		}
		st := j.Status.Value()
		return st == "SUCCESS" || st == "FAIL"
	})
	return j
}

// secondProject adds a project to the bootstrap account.
func secondProject(t testing.TB, env *sdktest.Env, name string) string {
	t.Helper()
	p := &imsd.Project{ID: imsd.NewHexID(), DomainID: env.Creds.DomainID, Name: "local-1_" + name, Enabled: true, CreatedAt: time.Now().UTC()}
	if err := env.App.Store.ProjectInsert(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// listedIDs lists the images a client sees with ListImages.
func listedIDs(t testing.TB, c *ims.ImsClient, req *model.ListImagesRequest) []string {
	t.Helper()
	r, err := c.ListImages(req)
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	var ids []string
	for _, img := range *r.Images {
		ids = append(ids, img.Id)
	}
	return ids
}

func shareWith(t testing.TB, env *sdktest.Env, img string, projects ...string) *model.ShowJobResponse {
	t.Helper()
	r, err := env.IMS.BatchAddMembers(&model.BatchAddMembersRequest{Body: &model.BatchAddMembersRequestBody{Images: []string{img}, Projects: projects}})
	if err != nil {
		t.Fatalf("BatchAddMembers: %v", err)
	}
	return waitJobWith(t, env.IMS, *r.JobId)
}

func answer(t testing.TB, c *ims.ImsClient, project, img string, accept bool) *model.ShowJobResponse {
	t.Helper()
	st := model.GetBatchUpdateMembersRequestBodyStatusEnum().REJECTED
	if accept {
		st = model.GetBatchUpdateMembersRequestBodyStatusEnum().ACCEPTED
	}
	r, err := c.BatchUpdateMembers(&model.BatchUpdateMembersRequest{Body: &model.BatchUpdateMembersRequestBody{
		Images: []string{img}, ProjectId: project, Status: st}})
	if err != nil {
		t.Fatalf("BatchUpdateMembers: %v", err)
	}
	return waitJobWith(t, c, *r.JobId)
}

// rawImage reads an image's JSON as the client's project sees it.
func rawImage(t testing.TB, env *sdktest.Env, ak, sk, project, id string) map[string]any {
	t.Helper()
	resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, project, sdktest.Request{Method: "GET", Path: "/v2/images/" + id}))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET image %s: %d %v", id, resp.StatusCode, err)
	}
	return m
}

// TestImageSharing walks an image through sharing with a project of
// another account (cross-account, by project id), a second project of the
// owner's account, and a third account that is never a member: the batch
// member jobs, accept and reject, what each project lists and reads, the
// copy a member makes, the owner-only operations, and the end of sharing.
func TestImageSharing(t *testing.T) {
	env := sdktest.Start(t, nil)
	owner := env.Creds
	img := activeImage(t, env, "shared-base", randomBytes(t, 4096))
	tagResp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + img + "/tags/owner-secret"})
	tagResp.Body.Close()
	private := activeImage(t, env, "not-shared", randomBytes(t, 512))
	b := env.NewAccount(t, "receiver")
	cb := env.Client(t, b.AccessKey, b.SecretKey, b.ProjectID)
	c := env.NewAccount(t, "stranger")
	cc := env.Client(t, c.AccessKey, c.SecretKey, c.ProjectID)
	p2 := secondProject(t, env, "second")
	c2 := env.Client(t, owner.AccessKey, owner.SecretKey, p2)

	j := shareWith(t, env, img, b.ProjectID, p2)
	if j.Status.Value() != "SUCCESS" || *j.JobType != "imsAddImageMembersJob" || j.Entities.Results == nil || len(*j.Entities.Results) != 2 {
		t.Fatalf("add members job: %+v", j)
	}
	for _, r := range *j.Entities.Results {
		if *r.ImageId != img || *r.Status != "success" || (*r.ProjectId != b.ProjectID && *r.ProjectId != p2) {
			t.Fatalf("job result %+v", r)
		}
	}
	pending := model.GetListImagesRequestMemberStatusEnum().PENDING
	accepted := model.GetListImagesRequestMemberStatusEnum().ACCEPTED
	rejected := model.GetListImagesRequestMemberStatusEnum().REJECTED

	t.Run("pending members see it only when asking for pending", func(t *testing.T) {
		if ids := listedIDs(t, cb, &model.ListImagesRequest{}); slices.Contains(ids, img) {
			t.Fatalf("pending image in the receiver's default list: %v", ids)
		}
		if ids := listedIDs(t, cb, &model.ListImagesRequest{MemberStatus: &pending}); !slices.Equal(ids, []string{img}) {
			t.Fatalf("member_status=pending lists %v", ids)
		}
		// Copying before accepting is IMG.0196.
		_, err := cb.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "too-early"}})
		sdkError(t, err, 400, "IMG.0196")
	})

	t.Run("a stranger sees nothing and answers for nobody", func(t *testing.T) {
		_, err := cc.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img})
		sdkError(t, err, 404, "IMG.0144")
		_, err = cc.BatchUpdateMembers(&model.BatchUpdateMembersRequest{Body: &model.BatchUpdateMembersRequestBody{
			Images: []string{img}, ProjectId: c.ProjectID, Status: model.GetBatchUpdateMembersRequestBodyStatusEnum().ACCEPTED}})
		sdkError(t, err, 404, "IMG.0144")
		// Nor for the member project.
		_, err = cc.BatchUpdateMembers(&model.BatchUpdateMembersRequest{Body: &model.BatchUpdateMembersRequestBody{
			Images: []string{img}, ProjectId: b.ProjectID, Status: model.GetBatchUpdateMembersRequestBodyStatusEnum().ACCEPTED}})
		sdkError(t, err, 400, "IMG.0030")
		_, err = cc.GlanceListImageMembers(&model.GlanceListImageMembersRequest{ImageId: img})
		sdkError(t, err, 404, "IMG.0144")
		_, err = cc.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "steal"}})
		sdkError(t, err, 404, "IMG.0144")
		if ids := listedIDs(t, cc, &model.ListImagesRequest{MemberStatus: &pending}); len(ids) != 0 {
			t.Fatalf("stranger lists %v", ids)
		}
	})

	if j := answer(t, cb, b.ProjectID, img, true); j.Status.Value() != "SUCCESS" || *j.JobType != "imsUpdateImageMembersJob" {
		t.Fatalf("accept job %+v", j)
	}
	if j := answer(t, c2, p2, img, false); j.Status.Value() != "SUCCESS" {
		t.Fatalf("reject job %+v", j)
	}

	t.Run("visible to exactly the projects that accepted", func(t *testing.T) {
		listsIt := map[string]bool{
			"receiver (accepted)":       slices.Contains(listedIDs(t, cb, &model.ListImagesRequest{}), img),
			"second project (rejected)": slices.Contains(listedIDs(t, c2, &model.ListImagesRequest{}), img),
			"stranger":                  slices.Contains(listedIDs(t, cc, &model.ListImagesRequest{}), img),
		}
		want := map[string]bool{"receiver (accepted)": true, "second project (rejected)": false, "stranger": false}
		for who, got := range listsIt {
			if got != want[who] {
				t.Errorf("%s lists the shared image: %v, want %v", who, got, want[who])
			}
		}
		if ids := listedIDs(t, c2, &model.ListImagesRequest{MemberStatus: &rejected}); !slices.Equal(ids, []string{img}) {
			t.Errorf("member_status=rejected lists %v", ids)
		}
		shared := model.GetListImagesRequestImagetypeEnum().SHARED
		vis := model.GetListImagesRequestVisibilityEnum().SHARED
		if ids := listedIDs(t, cb, &model.ListImagesRequest{Imagetype: &shared, Visibility: &vis, MemberStatus: &accepted}); !slices.Equal(ids, []string{img}) {
			t.Errorf("Huawei's accepted-shared query lists %v", ids)
		}
		if ids := listedIDs(t, cb, &model.ListImagesRequest{Owner: &owner.ProjectID}); !slices.Equal(ids, []string{img}) {
			t.Errorf("owner=<owner project> lists %v", ids)
		}
		// The Glance list shows it too.
		gl, err := cb.GlanceListImages(&model.GlanceListImagesRequest{})
		if err != nil || len(*gl.Images) != 1 || (*gl.Images)[0].Id != img {
			t.Errorf("Glance list: %v %+v", err, gl)
		}
	})

	t.Run("what the member reads, and what it does not", func(t *testing.T) {
		m := rawImage(t, env, b.AccessKey, b.SecretKey, b.ProjectID, img)
		if m["visibility"] != "shared" || m["__imagetype"] != "shared" || m["owner"] != owner.ProjectID || m["status"] != "active" {
			t.Fatalf("member's view %v", m)
		}
		if m["enterprise_project_id"] != "" || len(m["tags"].([]any)) != 0 {
			t.Fatalf("member reads the owner's enterprise project or tags: %v %v", m["enterprise_project_id"], m["tags"])
		}
		// The owner's view.
		o := rawImage(t, env, owner.AccessKey, owner.SecretKey, owner.ProjectID, img)
		if o["visibility"] != "shared" || o["__imagetype"] != "shared" || o["enterprise_project_id"] != "0" {
			t.Fatalf("owner's view %v", o)
		}
		priv := model.GetListImagesRequestVisibilityEnum().PRIVATE
		if ids := listedIDs(t, env.IMS, &model.ListImagesRequest{Visibility: &priv}); slices.Contains(ids, img) || !slices.Contains(ids, private) {
			t.Fatalf("owner's visibility=private list %v", ids)
		}
		// Members: the owner sees all, a member only itself.
		ms, err := cb.GlanceListImageMembers(&model.GlanceListImageMembersRequest{ImageId: img})
		if err != nil || len(*ms.Members) != 1 || (*ms.Members)[0].MemberId != b.ProjectID || (*ms.Members)[0].Status != "accepted" {
			t.Fatalf("member's member list: %v %+v", err, ms)
		}
		ims1, err := cb.ListImageMembers(&model.ListImageMembersRequest{ImageId: img})
		if err != nil || len(*ims1.Members) != 1 {
			t.Fatalf("member's IMS member list: %v %+v", err, ims1)
		}
		_, err = cb.GlanceShowImageMember(&model.GlanceShowImageMemberRequest{ImageId: img, MemberId: p2})
		sdkError(t, err, 404, "IMG.0247")
		all, err := env.IMS.ListImageMembers(&model.ListImageMembersRequest{ImageId: img})
		if err != nil || len(*all.Members) != 2 || all.PageInfo.CurrentCount != 2 {
			t.Fatalf("owner's member list: %v %+v", err, all)
		}
		one, err := env.IMS.ListImageMembers(&model.ListImageMembersRequest{ImageId: img, Limit: ptr(int32(1))})
		if err != nil || len(*one.Members) != 1 || one.PageInfo.NextMarker == "" {
			t.Fatalf("paged member list: %v %+v", err, one)
		}
		rest, err := env.IMS.ListImageMembers(&model.ListImageMembersRequest{ImageId: img, Marker: ptr(one.PageInfo.NextMarker)})
		if err != nil || len(*rest.Members) != 1 || (*rest.Members)[0].MemberId == (*one.Members)[0].MemberId {
			t.Fatalf("second page: %v %+v", err, rest)
		}
		sm, err := env.IMS.ShowImageMember(&model.ShowImageMemberRequest{ImageId: img, MemberId: p2})
		if err != nil || *sm.Status != "rejected" {
			t.Fatalf("ShowImageMember: %v %+v", err, sm)
		}
		// Owner-only operations are IMG.0047 for a member.
		_, err = cb.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: img})
		sdkError(t, err, 400, "IMG.0047")
		_, err = cb.UpdateImage(&model.UpdateImageRequest{ImageId: img, Body: &[]model.UpdateImageRequestBody{
			{Op: model.GetUpdateImageRequestBodyOpEnum().REPLACE, Path: "/name", Value: "hijacked"}}})
		sdkError(t, err, 400, "IMG.0047")
		_, err = cb.BatchAddMembers(&model.BatchAddMembersRequest{Body: &model.BatchAddMembersRequestBody{Images: []string{img}, Projects: []string{c.ProjectID}}})
		sdkError(t, err, 400, "IMG.0047")
		_, err = cb.GlanceDeleteImageMember(&model.GlanceDeleteImageMemberRequest{ImageId: img, MemberId: b.ProjectID})
		sdkError(t, err, 400, "IMG.0047")
		resp, err := http.DefaultClient.Do(env.Signed(t, b.AccessKey, b.SecretKey, b.ProjectID, sdktest.Request{Method: "GET", Path: "/v2/images/" + img + "/file"}))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("member download: %d", resp.StatusCode)
		}
		// The owner cannot answer for a member.
		_, err = env.IMS.GlanceUpdateImageMember(&model.GlanceUpdateImageMemberRequest{ImageId: img, MemberId: b.ProjectID,
			Body: &model.GlanceUpdateImageMemberRequestBody{Status: model.GetGlanceUpdateImageMemberRequestBodyStatusEnum().REJECTED}})
		sdkError(t, err, 403, "IMG.0026")
	})

	t.Run("the member copies it into its own project", func(t *testing.T) {
		r, err := cb.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "my-copy"}})
		if err != nil {
			t.Fatalf("copy of an accepted shared image: %v", err)
		}
		j := waitJobWith(t, cb, *r.JobId)
		if j.Status.Value() != "SUCCESS" {
			t.Fatalf("copy job %+v", j)
		}
		cp := rawImage(t, env, b.AccessKey, b.SecretKey, b.ProjectID, *j.Entities.ImageId)
		if cp["owner"] != b.ProjectID || cp["__imagetype"] != "private" || cp["visibility"] != "private" || cp["enterprise_project_id"] != "0" || cp["size"] != float64(4096) {
			t.Fatalf("member's copy %v", cp)
		}
		// The owner never sees the member's copy.
		_, err = env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: *j.Entities.ImageId})
		sdkError(t, err, 404, "IMG.0144")
	})

	t.Run("what cannot be shared", func(t *testing.T) {
		queued := createImage(t, env, "queued", "raw")
		encrypted := activeImage(t, env, "encrypted", randomBytes(t, 64))
		whole := activeImage(t, env, "whole", randomBytes(t, 64))
		ctx := context.Background()
		for id, set := range map[string]func(*imsd.Image){encrypted: func(i *imsd.Image) { i.CmkID = "key-1" }, whole: func(i *imsd.Image) { i.WholeImage = true }} {
			i, _ := env.App.Store.ImageGet(ctx, id)
			set(i)
			if err := env.App.Store.ImageUpdate(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		foreign := activeImageIn(t, env, b, "b-own")
		cases := []struct {
			name     string
			images   []string
			projects []string
			status   int
			code     string
		}{
			{"yourself", []string{img}, []string{owner.ProjectID}, 400, "IMG.0076"},
			{"unknown project", []string{img}, []string{"0123456789abcdef0123456789abcdef"}, 400, "IMG.0067"},
			{"garbage project id", []string{img}, []string{"a/b"}, 400, "IMG.0067"},
			{"not active", []string{queued}, []string{b.ProjectID}, 400, "IMG.0046"},
			{"encrypted", []string{encrypted}, []string{b.ProjectID}, 400, "IMG.0098"},
			{"full-ECS", []string{whole}, []string{b.ProjectID}, 400, "IMG.0135"},
			{"another account's image", []string{foreign}, []string{c.ProjectID}, 404, "IMG.0144"},
			{"unknown image", []string{"00000000-0000-0000-0000-000000000000"}, []string{b.ProjectID}, 404, "IMG.0144"},
			{"no images", []string{}, []string{b.ProjectID}, 400, "IMG.0001"},
			{"no projects", []string{img}, []string{}, 400, "IMG.0001"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := env.IMS.BatchAddMembers(&model.BatchAddMembersRequest{Body: &model.BatchAddMembersRequestBody{Images: tc.images, Projects: tc.projects}})
				sdkError(t, err, tc.status, tc.code)
			})
		}
		_, err := env.IMS.BatchAddMembers(&model.BatchAddMembersRequest{Body: &model.BatchAddMembersRequestBody{Images: []string{img},
			Projects: []string{b.ProjectID}, Domains: &[]string{b.DomainID}}})
		sdkError(t, err, 400, "IMG.0105")
		// A rejected batch changed nothing: the encrypted image is still
		// private, nobody is a member.
		if ms, err := env.IMS.GlanceListImageMembers(&model.GlanceListImageMembersRequest{ImageId: encrypted}); err != nil || len(*ms.Members) != 0 {
			t.Fatalf("members after refused shares: %v %+v", err, ms)
		}
	})

	t.Run("stop sharing", func(t *testing.T) {
		r, err := env.IMS.BatchDeleteMembers(&model.BatchDeleteMembersRequest{Body: &model.BatchAddMembersRequestBody{Images: []string{img}, Projects: []string{b.ProjectID, p2}}})
		if err != nil {
			t.Fatalf("BatchDeleteMembers: %v", err)
		}
		if j := waitJobWith(t, env.IMS, *r.JobId); j.Status.Value() != "SUCCESS" || *j.JobType != "imsDelImageMembersJob" {
			t.Fatalf("delete members job %+v", j)
		}
		_, err = cb.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img})
		sdkError(t, err, 404, "IMG.0144")
		if o := rawImage(t, env, owner.AccessKey, owner.SecretKey, owner.ProjectID, img); o["visibility"] != "private" || o["__imagetype"] != "private" {
			t.Fatalf("image without members is %v/%v", o["visibility"], o["__imagetype"])
		}
		// Deleting again is fine: nothing to stop.
		if _, err := env.IMS.BatchDeleteMembers(&model.BatchDeleteMembersRequest{Body: &model.BatchAddMembersRequestBody{Images: []string{img}, Projects: []string{b.ProjectID}}}); err != nil {
			t.Fatalf("second BatchDeleteMembers: %v", err)
		}
	})
}

// activeImageIn creates and uploads a raw image in another account.
func activeImageIn(t testing.TB, env *sdktest.Env, creds identity.AccountCredentials, name string) string {
	t.Helper()
	c := env.Client(t, creds.AccessKey, creds.SecretKey, creds.ProjectID)
	df := model.GetGlanceCreateImageMetadataRequestBodyDiskFormatEnum().RAW
	r, err := c.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: ptr(name), DiskFormat: &df}})
	if err != nil {
		t.Fatalf("create image in another account: %v", err)
	}
	resp, err := http.DefaultClient.Do(env.Signed(t, creds.AccessKey, creds.SecretKey, creds.ProjectID, sdktest.Request{Method: "PUT",
		Path: "/v2/images/" + *r.Id + "/file", ContentType: "application/octet-stream", Body: bytesReader(randomBytes(t, 256))}))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload in another account: %v %v", err, resp)
	}
	resp.Body.Close()
	return *r.Id
}

func iamAddUser(group, user string) *iamm.KeystoneAddUserToGroupRequest {
	return &iamm.KeystoneAddUserToGroupRequest{GroupId: group, UserId: user}
}

func grantEP(t testing.TB, c *iamv3.IamClient, ep, group, role string) {
	t.Helper()
	check(c.AssociateRoleToGroupOnEnterpriseProject(&iamm.AssociateRoleToGroupOnEnterpriseProjectRequest{EnterpriseProjectId: ep, GroupId: group, RoleId: role}))(t)
}

func grantProject(t testing.TB, c *iamv3.IamClient, project, group, role string) {
	t.Helper()
	check(c.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{ProjectId: project, GroupId: group, RoleId: role}))(t)
}

// TestSharedCopyRules: a member cannot copy a shared image it has not
// accepted (IMG.0196) or one that is encrypted (IMG.0197).
func TestSharedCopyRules(t *testing.T) {
	env := sdktest.Start(t, nil)
	img := activeImage(t, env, "to-share", randomBytes(t, 1024))
	b := env.NewAccount(t, "receiver")
	cb := env.Client(t, b.AccessKey, b.SecretKey, b.ProjectID)
	shareWith(t, env, img, b.ProjectID)
	copyIt := func() error {
		_, err := cb.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "c"}})
		return err
	}
	sdkError(t, copyIt(), 400, "IMG.0196")
	answer(t, cb, b.ProjectID, img, false)
	sdkError(t, copyIt(), 400, "IMG.0196")
	answer(t, cb, b.ProjectID, img, true)
	ctx := context.Background()
	i, _ := env.App.Store.ImageGet(ctx, img)
	i.CmkID = "key-1" // encrypted after it was shared
	if err := env.App.Store.ImageUpdate(ctx, i); err != nil {
		t.Fatal(err)
	}
	sdkError(t, copyIt(), 400, "IMG.0197")
}

// TestSharedImagesIgnoreEnterpriseProjectGrants is iam.md case 35 end to
// end: in the receiving account, a user whose IMS rights are granted only
// at an enterprise project neither lists nor reads nor copies an image
// shared with the project; a user with the same rights at project scope
// does all three.
func TestSharedImagesIgnoreEnterpriseProjectGrants(t *testing.T) {
	env := sdktest.Start(t, nil)
	img := activeImage(t, env, "to-share", randomBytes(t, 1024))
	b := env.NewAccount(t, "receiver")
	cb := env.Client(t, b.AccessKey, b.SecretKey, b.ProjectID)
	shareWith(t, env, img, b.ProjectID)
	answer(t, cb, b.ProjectID, img, true)

	// Users of account B, made through its own IAM API.
	ib, eb := iamClient(t, env, b.AccessKey, b.SecretKey, b.DomainID), epsClient(t, env, b.AccessKey, b.SecretKey, b.DomainID)
	ep := mkEP(t, eb, "team")
	full, _ := policy.SystemPolicyByName(policy.IMSFullAccess)
	user := func(name string, grant func(group string)) *ims.ImsClient {
		uid := mkUser(t, ib, name, "Pass-word-1")
		gid := mkGroup(t, ib, "g-"+name)
		check(ib.KeystoneAddUserToGroup(iamAddUser(gid, uid)))(t)
		grant(gid)
		ak, sk := mkKey(t, ib, uid)
		return env.Client(t, ak, sk, b.ProjectID)
	}
	epUser := user("ep-only", func(g string) { grantEP(t, ib, ep, g, full.ID) })
	projUser := user("project", func(g string) { grantProject(t, ib, b.ProjectID, g, full.ID) })

	if ids := listedIDs(t, epUser, &model.ListImagesRequest{EnterpriseProjectId: ptr("all_granted_eps")}); slices.Contains(ids, img) {
		t.Errorf("EP-only user lists the shared image")
	}
	_, err := epUser.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img})
	sdkError(t, err, 403, "IMG.0026")
	_, err = epUser.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "c", EnterpriseProjectId: ptr(ep)}})
	sdkError(t, err, 403, "IMG.0026")

	if ids := listedIDs(t, projUser, &model.ListImagesRequest{}); !slices.Contains(ids, img) {
		t.Errorf("project user does not list the shared image: %v", ids)
	}
	if _, err := projUser.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img}); err != nil {
		t.Errorf("project user reads: %v", err)
	}
	r, err := projUser.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "c"}})
	if err != nil {
		t.Fatalf("project user copies: %v", err)
	}
	if j := waitJobWith(t, projUser, *r.JobId); j.Status.Value() != "SUCCESS" {
		t.Fatalf("copy %+v", j)
	}
}
