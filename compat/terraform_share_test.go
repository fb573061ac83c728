package compat

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chnsz/golangsdk"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// imsService is cfg.NewServiceClient("ims", region) as the provider's
// generated resources get it: the endpoint without a version.
func (p *terraformProvider) imsService() *golangsdk.ServiceClient { return p.service(p.hw, "") }

// shareJobRequest sends one of the member calls the share resources make
// (dealImageMembers, the accepter's create and delete) and returns the
// job id, or the error.
func (p *terraformProvider) shareJobRequest(method string, body map[string]any) (string, error) {
	c := p.imsService()
	resp, err := c.Request(method, c.Endpoint+"v1/cloudimages/members", &golangsdk.RequestOpts{
		KeepResponseBody: true, OkCodes: []int{200}, JSONBody: body,
	})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		JobID string `json:"job_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", err
	}
	return out.JobID, nil
}

// waitShareJob is waitForImageShareOrAcceptJobSuccess: it polls
// v1/{project_id}/jobs/{job_id} through the provider's client until the
// status leaves INIT/RUNNING, and must end in SUCCESS.
func (p *terraformProvider) waitShareJob(t testing.TB, jobID string) {
	t.Helper()
	c := p.imsService()
	path := strings.ReplaceAll(strings.ReplaceAll(c.Endpoint+"v1/{project_id}/jobs/{job_id}", "{project_id}", c.ProjectID), "{job_id}", jobID)
	imstest.WaitFor(t, 30*time.Second, "share job "+jobID, func() bool {
		resp, err := c.Request("GET", path, &golangsdk.RequestOpts{KeepResponseBody: true, OkCodes: []int{200}})
		if err != nil {
			t.Fatalf("job status: %v", err)
		}
		defer resp.Body.Close()
		var job struct {
			Status string `json:"status"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&job); err != nil {
			t.Fatalf("job status body: %v", err)
		}
		switch job.Status {
		case "INIT", "RUNNING":
			return false
		case "SUCCESS":
			return true
		}
		t.Fatalf("job %s ended %q", jobID, job.Status)
		return true
	})
}

// share is dealImageMembers (huaweicloud_images_image_share create, update
// and delete).
func (p *terraformProvider) share(t testing.TB, method, image string, projects []string) {
	t.Helper()
	ps := make([]any, len(projects))
	for i, x := range projects {
		ps[i] = x
	}
	job, err := p.shareJobRequest(method, map[string]any{"images": []any{image}, "projects": ps})
	if err != nil {
		t.Fatalf("%s v1/cloudimages/members: %v", method, err)
	}
	p.waitShareJob(t, job)
}

// accept is huaweicloud_images_image_share_accepter: create (accepted) and
// delete (rejected), with the provider's own project id in the body.
func (p *terraformProvider) accept(t testing.TB, image string, accepted bool) {
	t.Helper()
	status := "rejected"
	if accepted {
		status = "accepted"
	}
	body := map[string]any{"images": []any{image}, "project_id": p.imsService().ProjectID, "status": status}
	job, err := p.shareJobRequest("PUT", body)
	if err != nil {
		t.Fatalf("PUT v1/cloudimages/members: %v", err)
	}
	p.waitShareJob(t, job)
}

// TestTerraformImageShare walks huaweicloud_images_image_share and
// huaweicloud_images_image_share_accepter through create, update and
// destroy with the provider's own requests, and checks after each step
// which projects see the image.
func TestTerraformImageShare(t *testing.T) {
	env := sdktest.Start(t, nil)
	img := activeImage(t, env, "tf-shared", randomBytes(t, 2048))
	b, c := env.NewAccount(t, "tf-b"), env.NewAccount(t, "tf-c")
	owner := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "")
	tfB := newTerraformProvider(t, env, b.AccessKey, b.SecretKey, b.ProjectID, "")
	tfC := newTerraformProvider(t, env, c.AccessKey, c.SecretKey, c.ProjectID, "")
	cb, cc := env.Client(t, b.AccessKey, b.SecretKey, b.ProjectID), env.Client(t, c.AccessKey, c.SecretKey, c.ProjectID)
	sees := func() map[string]bool {
		return map[string]bool{
			"b": slices.Contains(listedIDs(t, cb, &model.ListImagesRequest{}), img),
			"c": slices.Contains(listedIDs(t, cc, &model.ListImagesRequest{}), img),
		}
	}
	want := func(step string, b, c bool) {
		t.Helper()
		got := sees()
		if got["b"] != b || got["c"] != c {
			t.Fatalf("%s: b sees %v (want %v), c sees %v (want %v)", step, got["b"], b, got["c"], c)
		}
	}

	// resource "huaweicloud_images_image_share" { target_project_ids = [b] }
	owner.share(t, "POST", img, []string{b.ProjectID})
	want("shared, nobody accepted", false, false)
	// resource "huaweicloud_images_image_share_accepter" in b and c (c is
	// not a member yet: its accepter fails with the image unknown to it).
	tfB.accept(t, img, true)
	want("b accepted", true, false)
	if _, err := tfC.shareJobRequest("PUT", map[string]any{"images": []any{img}, "project_id": c.ProjectID, "status": "accepted"}); err == nil ||
		!strings.Contains(err.Error(), "IMG.0144") {
		t.Fatalf("accepter of a non-member: %v", err)
	}
	// Update: target_project_ids = [c] (adds c, removes b).
	owner.share(t, "POST", img, []string{c.ProjectID})
	owner.share(t, "DELETE", img, []string{b.ProjectID})
	tfC.accept(t, img, true)
	want("moved from b to c", false, true)
	// Destroying the accepter rejects; destroying the share removes c.
	tfC.accept(t, img, false)
	want("c rejected", false, false)
	owner.share(t, "DELETE", img, []string{c.ProjectID})
	want("share destroyed", false, false)
	if _, err := cc.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img}); err == nil {
		t.Fatal("c still reads the image after the share was destroyed")
	}
	// The provider surfaces errors with their code.
	if _, err := owner.shareJobRequest("POST", map[string]any{"images": []any{img}, "projects": []any{env.Creds.ProjectID}}); err == nil ||
		!strings.Contains(err.Error(), "IMG.0076") {
		t.Fatalf("sharing with oneself: %v", err)
	}
}
