package compat

// The Huawei Cloud Terraform provider (terraform-provider-huaweicloud
// v1.73.0) does not use huaweicloud-sdk-go-v3 for IMS: it talks through
// github.com/chnsz/golangsdk, which signs every header present at signing
// time and sets X-Project-Id / X-Domain-Id after signing. The tests below
// drive imsd through that library with exactly the calls the provider's
// code makes (each helper names the provider function it mirrors), and
// check what the provider reads back, field by field, so that a
// `terraform plan` after `terraform apply` shows no changes.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chnsz/golangsdk"
	"github.com/chnsz/golangsdk/openstack"
	commontags "github.com/chnsz/golangsdk/openstack/common/tags"
	"github.com/chnsz/golangsdk/openstack/imageservice/v2/images"
	"github.com/chnsz/golangsdk/openstack/ims/v1/imagecopy"
	"github.com/chnsz/golangsdk/openstack/ims/v2/cloudimages"
	imstags "github.com/chnsz/golangsdk/openstack/ims/v2/tags"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// terraformProvider is the client side of this provider block (README,
// "With Terraform"):
//
//	provider "huaweicloud" {
//	  region     = "local-1"
//	  project_id = "<project_id>"
//	  access_key = "<access_key>"
//	  secret_key = "<secret_key>"
//	  auth_url   = "http://HOST:PORT/v3"
//	  endpoints  = { ims = "http://HOST:PORT/", iam = "http://HOST:PORT/", eps = "http://HOST:PORT/" }
//	}
type terraformProvider struct {
	// hw is config.Config.HwClient (project-scoped), domain is
	// config.Config.DomainClient (global services: IAM, EPS).
	hw, domain *golangsdk.ProviderClient
	endpoint   string
	region     string
}

// newTerraformProvider configures the provider the way
// config.buildClientByAKSK + genClient + LoadAndValidate do. alg is the
// provider's signing_algorithm ("" for the default HmacSHA256).
func newTerraformProvider(t testing.TB, env *sdktest.Env, ak, sk, projectID, alg string) *terraformProvider {
	t.Helper()
	p := &terraformProvider{endpoint: env.Endpoint + "/", region: "local-1"}
	client := func(opts golangsdk.AKSKAuthOptions) *golangsdk.ProviderClient {
		opts.IdentityEndpoint = env.Endpoint + "/v3"
		opts.AccessKey, opts.SecretKey = ak, sk
		opts.WithUserCatalog = true
		opts.Region = p.region
		opts.SigningAlgorithm = alg
		c, err := openstack.NewClient(opts.IdentityEndpoint)
		if err != nil {
			t.Fatal(err)
		}
		c.UserAgent.Prepend("terraform-provider-iac")
		c.HTTPClient = http.Client{Timeout: 30 * time.Second}
		if err := openstack.Authenticate(c, opts); err != nil {
			t.Fatalf("golangsdk Authenticate: %v", err)
		}
		return c
	}
	p.hw = client(golangsdk.AKSKAuthOptions{ProjectId: projectID})
	p.domain = client(golangsdk.AKSKAuthOptions{})
	return p
}

// service is config.newServiceClientByEndpoint for a catalog entry without
// project id in its path (IMS v1 and v2, EPS v1.0).
func (p *terraformProvider) service(pc *golangsdk.ProviderClient, version string) *golangsdk.ServiceClient {
	clone := *pc
	return &golangsdk.ServiceClient{ProviderClient: &clone, Endpoint: p.endpoint, ResourceBase: p.endpoint + version + "/"}
}

func (p *terraformProvider) imsV1() *golangsdk.ServiceClient { return p.service(p.hw, "v1") }
func (p *terraformProvider) imsV2() *golangsdk.ServiceClient { return p.service(p.hw, "v2") }
func (p *terraformProvider) eps() *golangsdk.ServiceClient   { return p.service(p.domain, "v1.0") }

// getImageList is ims.GetImageList.
func getImageList(t testing.TB, c *golangsdk.ServiceClient, id string) []cloudimages.Image {
	t.Helper()
	pages, err := cloudimages.List(c, &cloudimages.ListOpts{ID: id}).AllPages()
	if err != nil {
		t.Fatalf("GetImageList: %v", err)
	}
	imgs, err := cloudimages.ExtractImages(pages)
	if err != nil {
		t.Fatalf("ExtractImages: %v", err)
	}
	return imgs
}

// imageTags is ims.flattenImageTags (nil when the call fails, as there).
func imageTags(t testing.TB, c *golangsdk.ServiceClient, id string) map[string]string {
	t.Helper()
	r, err := imstags.Get(c, id).Extract()
	if err != nil {
		t.Errorf("tags.Get (the provider only logs a warning and drops the tags): %v", err)
		return nil
	}
	m := map[string]string{}
	for _, tag := range r.Tags {
		m[tag.Key] = tag.Value
	}
	return m
}

// copyConfig is a huaweicloud_images_image_copy resource block.
type copyConfig struct {
	SourceImageID       string
	Name                string
	Description         string
	MinRAM, MaxRAM      int
	Tags                map[string]string
	EnterpriseProjectID string
}

// copyState is what resourceImsImageCopyRead puts into the state.
type copyState struct {
	ID, Name, Description, KMSKeyID, EnterpriseProjectID string
	MinRAM, MaxRAM, MinDisk                              int
	Tags                                                 map[string]string
	Visibility, Status, DiskFormat, ImageSize            string
	DataOrigin, OSVersion, ActiveAt, CreatedAt           string
	UpdatedAt                                            string
}

// createCopy is resourceImsImageCopyCreate for an in-region copy.
func (p *terraformProvider) createCopy(t testing.TB, cfg copyConfig) string {
	t.Helper()
	v1, v2 := p.imsV1(), p.imsV2()
	job, err := imagecopy.WithinRegionCopy(v1, cfg.SourceImageID, imagecopy.WithinRegionCopyOpts{
		Name: cfg.Name, Description: cfg.Description, EnterpriseProjectID: cfg.EnterpriseProjectID,
	}).ExtractJobStatus()
	if err != nil {
		t.Fatalf("WithinRegionCopy: %v", err)
	}
	// The provider waits with cloudimages.WaitForJobSuccess, which sleeps
	// 15 s per poll; that call is exercised once in TestTerraformCopyResource.
	waitTerraformJob(t, v1, job.JobID)
	entity, err := cloudimages.GetJobEntity(v1, job.JobID, "image_id")
	if err != nil {
		t.Fatalf("GetJobEntity: %v", err)
	}
	id, _ := entity.(string)
	var opts cloudimages.UpdateOpts
	if cfg.MaxRAM != 0 {
		opts = append(opts, cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "max_ram", Value: strconv.Itoa(cfg.MaxRAM)})
	}
	if cfg.MinRAM != 0 {
		opts = append(opts, cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "min_ram", Value: cfg.MinRAM})
	}
	if len(opts) > 0 {
		if _, err := cloudimages.Update(v2, id, opts).Extract(); err != nil {
			t.Fatalf("setting max_ram/min_ram: %v", err)
		}
	}
	if len(cfg.Tags) > 0 {
		var tl []commontags.ResourceTag
		for k, v := range cfg.Tags {
			tl = append(tl, commontags.ResourceTag{Key: k, Value: v})
		}
		if err := commontags.Create(v2, "images", id, tl).ExtractErr(); err != nil {
			t.Fatalf("setting tags: %v", err)
		}
	}
	return id
}

// waitTerraformJob polls the job the way WaitForJobSuccess does (the same
// GET /v1/{project_id}/jobs/{job_id} through the same client and the same
// JobStatus decoding), without its fixed 15 s sleeps.
func waitTerraformJob(t testing.TB, v1 *golangsdk.ServiceClient, jobID string) {
	t.Helper()
	jc := *v1
	jc.ResourceBase = jc.Endpoint + "v1/" + jc.ProjectID + "/"
	imstest.WaitFor(t, 30*time.Second, "job "+jobID, func() bool {
		var job cloudimages.JobStatus
		if _, err := jc.Get(jc.ServiceURL("jobs", jobID), &job, nil); err != nil {
			t.Fatalf("job status: %v", err)
		}
		if job.Status == "FAIL" {
			t.Fatalf("job failed: %s %s", job.ErrorCode, job.FailReason)
		}
		return job.Status == "SUCCESS"
	})
}

// readCopy is resourceImsImageCopyRead; ok is false when the resource is
// gone (the provider then removes it from the state).
func (p *terraformProvider) readCopy(t testing.TB, id string) (st copyState, ok bool) {
	t.Helper()
	v2 := p.imsV2()
	list := getImageList(t, v2, id)
	if len(list) < 1 {
		return st, false
	}
	img := list[0]
	maxRAM, _ := strconv.Atoi(img.MaxRam) // flattenMaxRAM
	return copyState{
		ID: img.ID, Name: img.Name, Description: img.Description, MaxRAM: maxRAM, MinRAM: img.MinRam,
		Tags: imageTags(t, v2, id), KMSKeyID: img.SystemCmkid, Visibility: img.Visibility, MinDisk: img.MinDisk,
		DataOrigin: img.DataOrigin, DiskFormat: img.DiskFormat, ImageSize: img.ImageSize, Status: img.Status,
		EnterpriseProjectID: img.EnterpriseProjectID, ActiveAt: img.ActiveAt, OSVersion: img.OsVersion,
		CreatedAt: img.CreatedAt.Format(time.RFC3339), UpdatedAt: img.UpdatedAt.Format(time.RFC3339),
	}, true
}

// planDiff lists the attributes `terraform plan` would change: every
// configured attribute whose read-back differs. Optional+computed
// attributes left out of the configuration (max_ram, min_ram,
// enterprise_project_id) never differ; optional-only ones (description,
// tags) must read back empty.
func planDiff(cfg copyConfig, st copyState) []string {
	var diff []string
	if st.Name != cfg.Name {
		diff = append(diff, "name: "+st.Name+" -> "+cfg.Name)
	}
	if st.Description != cfg.Description {
		diff = append(diff, "description: "+st.Description+" -> "+cfg.Description)
	}
	if cfg.MaxRAM != 0 && st.MaxRAM != cfg.MaxRAM {
		diff = append(diff, "max_ram: "+strconv.Itoa(st.MaxRAM)+" -> "+strconv.Itoa(cfg.MaxRAM))
	}
	if cfg.MinRAM != 0 && st.MinRAM != cfg.MinRAM {
		diff = append(diff, "min_ram: "+strconv.Itoa(st.MinRAM)+" -> "+strconv.Itoa(cfg.MinRAM))
	}
	if cfg.EnterpriseProjectID != "" && st.EnterpriseProjectID != cfg.EnterpriseProjectID {
		diff = append(diff, "enterprise_project_id: "+st.EnterpriseProjectID+" -> "+cfg.EnterpriseProjectID)
	}
	if len(st.Tags) != len(cfg.Tags) {
		diff = append(diff, "tags: count "+strconv.Itoa(len(st.Tags))+" -> "+strconv.Itoa(len(cfg.Tags)))
	}
	for k, v := range cfg.Tags {
		if got, ok := st.Tags[k]; !ok || got != v {
			diff = append(diff, "tags."+k+": "+got+" -> "+v)
		}
	}
	return diff
}

// updateCopy is resourceImsImageCopyUpdate (ims.updateImage) from the
// configuration old to new.
func (p *terraformProvider) updateCopy(t testing.TB, id string, old, new copyConfig) {
	t.Helper()
	v2 := p.imsV2()
	update := func(what string, op cloudimages.UpdateImageProperty) error {
		_, err := cloudimages.Update(v2, id, cloudimages.UpdateOpts{op}).Extract()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if old.Name != new.Name {
		if err := update("name", cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "name", Value: new.Name}); err != nil {
			t.Fatal(err)
		}
	}
	if old.Description != new.Description {
		err := update("description", cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "__description", Value: new.Description})
		if err != nil && imsErrorCode(err) == "IMG.0035" { // dealUpdateDescriptionErr
			err = update("description", cloudimages.UpdateImageProperty{Op: cloudimages.AddOp, Name: "__description", Value: new.Description})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if old.MaxRAM != new.MaxRAM {
		if err := update("max_ram", cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "max_ram", Value: strconv.Itoa(new.MaxRAM)}); err != nil {
			t.Fatal(err)
		}
	}
	if old.MinRAM != new.MinRAM {
		if err := update("min_ram", cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "min_ram", Value: new.MinRAM}); err != nil {
			t.Fatal(err)
		}
	}
	if !equalTags(old.Tags, new.Tags) { // updateImageTags
		if len(old.Tags) > 0 {
			r := imstags.BatchAction(v2, id, imstags.BatchOpts{Action: imstags.ActionDelete, Tags: tagList(old.Tags)})
			if r.Err != nil {
				t.Fatalf("deleting old tags: %v", r.Err)
			}
		}
		if len(new.Tags) > 0 {
			r := imstags.BatchAction(v2, id, imstags.BatchOpts{Action: imstags.ActionCreate, Tags: tagList(new.Tags)})
			if r.Err != nil {
				t.Fatalf("creating new tags: %v", r.Err)
			}
		}
	}
	if old.EnterpriseProjectID != new.EnterpriseProjectID {
		p.migrateEnterpriseProject(t, id, new.EnterpriseProjectID)
	}
}

// migrateEnterpriseProject is config.MigrateEnterpriseProject: the EPS
// resources-migrate call, then the wait until the image is listed under the
// target enterprise project (resources/filter).
func (p *terraformProvider) migrateEnterpriseProject(t testing.TB, id, ep string) {
	t.Helper()
	c := p.eps()
	body := map[string]any{"resource_type": "images", "resource_id": id, "project_id": p.hw.ProjectID, "region_id": p.region}
	_, err := c.Request("POST", c.Endpoint+"v1.0/enterprise-projects/"+ep+"/resources-migrate", &golangsdk.RequestOpts{
		KeepResponseBody: true, MoreHeaders: map[string]string{"Content-Type": "application/json"}, JSONBody: body, OkCodes: []int{204},
	})
	if err != nil {
		t.Fatalf("resources-migrate: %v", err)
	}
	found := false
	for offset := 0; ; {
		var out struct {
			Resources []struct {
				ResourceID string `json:"resource_id"`
			} `json:"resources"`
		}
		resp, err := c.Request("POST", c.Endpoint+"v1.0/enterprise-projects/"+ep+"/resources/filter", &golangsdk.RequestOpts{
			KeepResponseBody: true, MoreHeaders: map[string]string{"Content-Type": "application/json"},
			JSONBody: map[string]any{"limit": 1000, "offset": offset, "projects": []string{p.hw.ProjectID}, "resource_types": []string{"images"}},
		})
		if err != nil {
			t.Fatalf("resources/filter: %v", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("resources/filter body: %v", err)
		}
		if len(out.Resources) == 0 {
			break
		}
		for _, r := range out.Resources {
			found = found || r.ResourceID == id
		}
		offset += len(out.Resources)
	}
	if !found {
		t.Fatalf("image %s is not listed under enterprise project %s after the migration", id, ep)
	}
}

// deleteImage is resourceImsImageCopyDelete / resourceImageDelete: list,
// DELETE /v2/images/{id}, then wait until the list is empty.
func (p *terraformProvider) deleteImage(t testing.TB, id string) {
	t.Helper()
	v2 := p.imsV2()
	if len(getImageList(t, v2, id)) < 1 {
		t.Fatalf("image %s already gone before delete", id)
	}
	if err := images.Delete(v2, id).Err; err != nil {
		t.Fatalf("images.Delete: %v", err)
	}
	imstest.WaitFor(t, 30*time.Second, "image "+id+" to disappear", func() bool { return len(getImageList(t, v2, id)) == 0 })
}

func tagList(m map[string]string) []imstags.Tag {
	var l []imstags.Tag
	for k, v := range m {
		l = append(l, imstags.Tag{Key: k, Value: v})
	}
	return l
}

func equalTags(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// imsErrorCode extracts error.code from a golangsdk 400, as the provider's
// dealUpdate*Err helpers do.
func imsErrorCode(err error) string {
	var e golangsdk.ErrDefault400
	if !errors.As(err, &e) {
		return ""
	}
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(e.Body, &body)
	return body.Error.Code
}
