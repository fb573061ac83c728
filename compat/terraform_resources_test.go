package compat

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/chnsz/golangsdk"
	"github.com/chnsz/golangsdk/openstack/ims/v1/imagecopy"
	"github.com/chnsz/golangsdk/openstack/ims/v2/cloudimages"
	imstags "github.com/chnsz/golangsdk/openstack/ims/v2/tags"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestTerraformCopyResource walks huaweicloud_images_image_copy through
// apply, plan, in-place updates (name, description, tags, RAM limits,
// enterprise project) and destroy, checking after each step that the
// provider's read-back equals the configuration field by field (an empty
// plan).
func TestTerraformCopyResource(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	src := activeImage(t, env, "tf-source", randomBytes(t, 1<<20+5))
	tf := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "")
	teamB := iam{t, env}.ep("team-b")

	cfg := copyConfig{SourceImageID: src, Name: "tf-copy", Description: "made by terraform", MinRAM: 1024, MaxRAM: 4096,
		Tags: map[string]string{"env": "test", "team": "a"}, EnterpriseProjectID: "0"}

	t.Run("the provider's own job wait", func(t *testing.T) {
		// cloudimages.WaitForJobSuccess as the provider calls it (it sleeps
		// 15 s per poll, so it runs once, beside the rest).
		t.Parallel()
		v1 := tf.imsV1()
		job, err := imagecopy.WithinRegionCopy(v1, src, imagecopy.WithinRegionCopyOpts{Name: "tf-wait"}).ExtractJobStatus()
		if err != nil {
			t.Fatalf("WithinRegionCopy: %v", err)
		}
		if !jobIDPattern.MatchString(job.JobID) {
			t.Fatalf("job_id %q", job.JobID)
		}
		if err := cloudimages.WaitForJobSuccess(v1, 120, job.JobID); err != nil {
			t.Fatalf("WaitForJobSuccess: %v", err)
		}
		id, err := cloudimages.GetJobEntity(v1, job.JobID, "image_id")
		if err != nil || id == "" {
			t.Fatalf("GetJobEntity = %v, %v", id, err)
		}
		if st, ok := tf.readCopy(t, id.(string)); !ok || st.Name != "tf-wait" || st.Status != "active" {
			t.Fatalf("copy read back as %+v (found %v)", st, ok)
		}
	})

	t.Run("lifecycle", func(t *testing.T) {
		t.Parallel()
		id := tf.createCopy(t, cfg)
		st, ok := tf.readCopy(t, id)
		if !ok {
			t.Fatal("the copy is not listed after create")
		}
		if d := planDiff(cfg, st); len(d) > 0 {
			t.Fatalf("plan after apply is not empty: %v", d)
		}
		// Computed attributes the provider stores.
		srcImg := getImageList(t, tf.imsV2(), src)[0]
		checks := []struct{ name, got, want string }{
			{"id", st.ID, id},
			{"visibility", st.Visibility, "private"},
			{"status", st.Status, "active"},
			{"data_origin", st.DataOrigin, "image," + src},
			{"disk_format", st.DiskFormat, srcImg.DiskFormat},
			{"image_size", st.ImageSize, strconv.Itoa(1<<20 + 5)},
			{"os_version", st.OSVersion, srcImg.OsVersion},
			{"min_disk", strconv.Itoa(st.MinDisk), strconv.Itoa(srcImg.MinDisk)},
			{"kms_key_id", st.KMSKeyID, ""},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
			}
		}
		if st.ActiveAt == "" || strings.HasPrefix(st.CreatedAt, "0001") || strings.HasPrefix(st.UpdatedAt, "0001") {
			t.Errorf("timestamps not decoded: active_at %q created_at %q updated_at %q", st.ActiveAt, st.CreatedAt, st.UpdatedAt)
		}
		if again, _ := tf.readCopy(t, id); !equalState(again, st) {
			t.Errorf("a second refresh changed the state: %+v -> %+v", st, again)
		}

		steps := []struct {
			name   string
			change func(c copyConfig) copyConfig
		}{
			{"rename and describe", func(c copyConfig) copyConfig {
				c.Name, c.Description = "tf-copy-renamed", "now with a new description"
				return c
			}},
			{"retag", func(c copyConfig) copyConfig {
				c.Tags = map[string]string{"env": "prod", "owner": "platform"}
				return c
			}},
			{"RAM limits", func(c copyConfig) copyConfig { c.MinRAM, c.MaxRAM = 2048, 8192; return c }},
			{"move to another enterprise project", func(c copyConfig) copyConfig { c.EnterpriseProjectID = teamB; return c }},
			{"drop description and tags", func(c copyConfig) copyConfig {
				c.Description, c.Tags = "", nil
				return c
			}},
		}
		cur := cfg
		for _, step := range steps {
			next := step.change(cur)
			tf.updateCopy(t, id, cur, next)
			st, ok := tf.readCopy(t, id)
			if !ok {
				t.Fatalf("%s: the copy vanished", step.name)
			}
			if d := planDiff(next, st); len(d) > 0 {
				t.Fatalf("%s: plan after apply is not empty: %v", step.name, d)
			}
			cur = next
		}

		tf.deleteImage(t, id)
		if _, ok := tf.readCopy(t, id); ok {
			t.Fatal("the copy is still listed after destroy")
		}
		// The source is untouched and still copyable.
		if st, ok := tf.readCopy(t, src); !ok || st.Status != "active" {
			t.Fatalf("source after destroying the copy: %+v %v", st, ok)
		}
	})

	t.Run("minimal configuration", func(t *testing.T) {
		t.Parallel()
		min := copyConfig{SourceImageID: src, Name: "tf-minimal"}
		id := tf.createCopy(t, min)
		st, ok := tf.readCopy(t, id)
		if !ok {
			t.Fatal("not listed")
		}
		if d := planDiff(min, st); len(d) > 0 {
			t.Fatalf("plan after apply is not empty: %v", d)
		}
		if st.EnterpriseProjectID != "0" {
			t.Errorf("enterprise_project_id = %q, want the default \"0\"", st.EnterpriseProjectID)
		}
		if st.Tags == nil {
			t.Error("tags of an untagged image must read back as an empty map, not fail")
		}
	})

	t.Run("errors the provider surfaces", func(t *testing.T) {
		t.Parallel()
		v1 := tf.imsV1()
		_, err := imagecopy.WithinRegionCopy(v1, "00000000-0000-0000-0000-000000000000", imagecopy.WithinRegionCopyOpts{Name: "x"}).ExtractJobStatus()
		wantGolangsdkError(t, err, 404, "IMG.0144")
		_, err = imagecopy.WithinRegionCopy(v1, src, imagecopy.WithinRegionCopyOpts{Name: "bad/name"}).ExtractJobStatus()
		wantGolangsdkError(t, err, 400, "IMG.0003")
		_, err = cloudimages.Update(tf.imsV2(), src, cloudimages.UpdateOpts{
			cloudimages.UpdateImageProperty{Op: cloudimages.ReplaceOp, Name: "min_ram", Value: -1}}).Extract()
		wantGolangsdkError(t, err, 400, "")
	})
}

func equalState(a, b copyState) bool {
	ta, tb := a.Tags, b.Tags
	a.Tags, b.Tags = nil, nil
	return reflect.DeepEqual(a, b) && equalTags(ta, tb)
}

// wantGolangsdkError checks the status and IMS error code of an error
// golangsdk returned (code "" checks the status only).
func wantGolangsdkError(t testing.TB, err error, status int, code string) {
	t.Helper()
	var e golangsdk.ErrUnexpectedResponseCode
	switch {
	case err == nil:
		t.Fatalf("no error, want %d %s", status, code)
	case errors.As(err, &e):
	default:
		var ok bool
		e, ok = unexpectedCode(err)
		if !ok {
			t.Fatalf("error %T %v, want an HTTP %d", err, err, status)
		}
	}
	if e.Actual != status {
		t.Fatalf("status %d (%s), want %d", e.Actual, e.Body, status)
	}
	if code != "" && !strings.Contains(string(e.Body), `"`+code+`"`) {
		t.Fatalf("body %s, want code %s", e.Body, code)
	}
	if e.RequestId == "" {
		t.Error("no X-Request-Id for the provider's error message")
	}
}

// unexpectedCode unwraps golangsdk's per-status error types, which embed
// ErrUnexpectedResponseCode by value.
func unexpectedCode(err error) (golangsdk.ErrUnexpectedResponseCode, bool) {
	switch e := err.(type) {
	case golangsdk.ErrDefault400:
		return e.ErrUnexpectedResponseCode, true
	case golangsdk.ErrDefault401:
		return e.ErrUnexpectedResponseCode, true
	case golangsdk.ErrDefault403:
		return e.ErrUnexpectedResponseCode, true
	case golangsdk.ErrDefault404:
		return e.ErrUnexpectedResponseCode, true
	}
	return golangsdk.ErrUnexpectedResponseCode{}, false
}

// imageDataSource is dataSourceImagesImageV2Read with the schema defaults
// (sort_key name, sort_direction asc, status active, enterprise project
// all_granted_eps) applied to the given filters (name, visibility,
// architecture, ...); it returns the images the provider would choose from.
func (p *terraformProvider) imageDataSource(t testing.TB, opts cloudimages.ListOpts) []cloudimages.Image {
	t.Helper()
	if opts.Imagetype == "public" {
		opts.Imagetype = "gold" // buildImageTypeParam
	}
	opts.SortKey, opts.SortDir, opts.EnterpriseProjectID, opts.Status = "name", "asc", "all_granted_eps", "active"
	pages, err := cloudimages.List(p.imsV2(), opts).AllPages()
	if err != nil {
		t.Fatalf("unable to query images: %v", err)
	}
	imgs, err := cloudimages.ExtractImages(pages)
	if err != nil {
		t.Fatalf("unable to extract images: %v", err)
	}
	return imgs
}

// TestTerraformImageDataSource reads data "huaweicloud_images_image" as the
// provider does and checks every attribute it stores, the
// all_granted_eps scope of a user with enterprise-project grants, and
// most_recent.
func TestTerraformImageDataSource(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	teamA := m.ep("team-a")
	data := randomBytes(t, 3<<20)
	inA := rootImage(t, env, "tf data image", teamA, data)
	inDefault := rootImage(t, env, "tf data image", "0", data[:1<<20])
	root := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "")

	imgs := root.imageDataSource(t, cloudimages.ListOpts{Name: "tf data image", Imagetype: "private"})
	if len(imgs) != 2 {
		t.Fatalf("root sees %d images, want 2", len(imgs))
	}
	byID := map[string]cloudimages.Image{}
	for _, img := range imgs {
		byID[img.ID] = img
	}
	img := byID[inA]
	checks := []struct{ name, got, want string }{
		{"image_id", img.ID, inA},
		{"name", img.Name, "tf data image"},
		{"visibility", img.Imagetype, "private"},
		{"owner", img.Owner, env.Creds.ProjectID},
		{"enterprise_project_id", img.EnterpriseProjectID, teamA},
		{"status", img.Status, "active"},
		{"container_format", img.ContainerFormat, "bare"},
		{"disk_format", img.DiskFormat, "raw"},
		{"file", img.File, "/v2/images/" + inA + "/file"},
		{"schema", img.Schema, "/v2/schemas/image"},
		{"size_bytes", img.ImageSize, strconv.Itoa(3 << 20)},
		{"image_type", img.VirtualEnvType, "FusionCompute"},
		{"protected", strconv.FormatBool(img.Protected), "false"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if img.ActiveAt == "" || img.CreatedAt.IsZero() || img.UpdatedAt.IsZero() {
		t.Errorf("timestamps: active_at %q created_at %v updated_at %v", img.ActiveAt, img.CreatedAt, img.UpdatedAt)
	}
	if other := byID[inDefault]; other.EnterpriseProjectID != "0" || other.ImageSize != strconv.Itoa(1<<20) {
		t.Errorf("default-EP image: enterprise_project_id %q size %q", other.EnterpriseProjectID, other.ImageSize)
	}

	// architecture selects on __support_arm; flavor_id cannot be honoured.
	if _, err := cloudimages.Update(root.imsV2(), inDefault, cloudimages.UpdateOpts{
		cloudimages.UpdateImageProperty{Op: cloudimages.AddOp, Name: "__support_arm", Value: "true"}}).Extract(); err != nil {
		t.Fatalf("marking an arm image: %v", err)
	}
	for arch, want := range map[string]string{"arm": inDefault, "x86": inA} {
		got := root.imageDataSource(t, cloudimages.ListOpts{Name: "tf data image", Architecture: arch})
		if len(got) != 1 || got[0].ID != want {
			t.Errorf("architecture %s: got %v, want [%s]", arch, ids(got), want)
		}
	}
	_, err := cloudimages.List(root.imsV2(), cloudimages.ListOpts{FlavorId: "s6.large.2"}).AllPages()
	wantGolangsdkError(t, err, 400, "IMG.0001")

	// A user whose grants are on team-a only sees team-a's image under
	// all_granted_eps.
	reader := m.custom("tf-reader", []string{"ims:images:list", "ims:images:get"}, "Allow")
	ak, sk := m.user("tf-user", grantSpec{policyID: reader, scope: imsd.ScopeEnterpriseProject, scopeID: teamA})
	user := newTerraformProvider(t, env, ak, sk, env.Creds.ProjectID, "")
	got := user.imageDataSource(t, cloudimages.ListOpts{Name: "tf data image", Imagetype: "private"})
	if len(got) != 1 || got[0].ID != inA {
		t.Fatalf("user with a team-a grant sees %d images (%v), want only %s", len(got), ids(got), inA)
	}
	if n := len(user.imageDataSource(t, cloudimages.ListOpts{Name: "no such image"})); n != 0 {
		t.Fatalf("unknown name returned %d images", n)
	}

	t.Run("ECDSA signing", func(t *testing.T) {
		// signing_algorithm = "EcdsaP256SHA256": golangsdk's IAKSK signers
		// cannot send a body, so reads are what works with it.
		ec := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "EcdsaP256SHA256")
		if n := len(ec.imageDataSource(t, cloudimages.ListOpts{Name: "tf data image", Imagetype: "private"})); n != 2 {
			t.Fatalf("ECDSA-signed list returned %d images, want 2", n)
		}
		if tags := imageTags(t, ec.imsV2(), inA); tags == nil {
			t.Fatal("ECDSA-signed tag read failed")
		}
	})
}

func ids(imgs []cloudimages.Image) []string {
	var out []string
	for _, img := range imgs {
		out = append(out, img.ID)
	}
	return out
}

// TestTerraformImageResource covers the read, update and delete paths of
// huaweicloud_images_image on an uploaded image (creating it from an OBS
// image_url is issue 13): GetCloudImage with limit 1, the tag calls
// (get, batch delete, batch create), updates of name, min_ram, max_ram and
// description (with the provider's IMG.0035 fallback), and delete.
func TestTerraformImageResource(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	id := activeImage(t, env, "tf-image", randomBytes(t, 2<<20))
	tf := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "")
	v2 := tf.imsV2()

	getCloudImage := func() cloudimages.Image { // deprecated.GetCloudImage
		t.Helper()
		pages, err := cloudimages.List(v2, &cloudimages.ListOpts{ID: id, Limit: 1}).AllPages()
		if err != nil {
			t.Fatalf("unable to query images: %v", err)
		}
		imgs, err := cloudimages.ExtractImages(pages)
		if err != nil || len(imgs) != 1 || imgs[0].ID != id {
			t.Fatalf("GetCloudImage: %v %v", ids(imgs), err)
		}
		return imgs[0]
	}
	img := getCloudImage()
	if img.Status != "active" || img.Visibility != "private" || img.DiskFormat != "raw" || img.ImageSize != strconv.Itoa(2<<20) {
		t.Fatalf("read: %+v", img)
	}

	// setTagForImage, then the update path: get old, delete old, create new.
	batch := func(action imstags.ActionType, tags map[string]string) {
		t.Helper()
		if r := imstags.BatchAction(v2, id, imstags.BatchOpts{Action: action, Tags: tagList(tags)}); r.Err != nil {
			t.Fatalf("tags %s: %v", action, r.Err)
		}
	}
	batch(imstags.ActionCreate, map[string]string{"a": "1", "b": "2"})
	old, err := imstags.Get(v2, id).Extract()
	if err != nil || len(old.Tags) != 2 {
		t.Fatalf("tags.Get: %+v %v", old, err)
	}
	if r := imstags.BatchAction(v2, id, imstags.BatchOpts{Action: imstags.ActionDelete, Tags: old.Tags}); r.Err != nil {
		t.Fatalf("delete old tags: %v", r.Err)
	}
	batch(imstags.ActionCreate, map[string]string{"c": "3"})
	if got := imageTags(t, v2, id); !equalTags(got, map[string]string{"c": "3"}) {
		t.Fatalf("tags after update = %v", got)
	}

	for _, op := range []cloudimages.UpdateImageProperty{
		{Op: cloudimages.ReplaceOp, Name: "name", Value: "tf-image-2"},
		{Op: cloudimages.ReplaceOp, Name: "min_ram", Value: 512},
		{Op: cloudimages.ReplaceOp, Name: "max_ram", Value: "2048"},
		{Op: cloudimages.ReplaceOp, Name: "__description", Value: "described"},
	} {
		if _, err := cloudimages.Update(v2, id, cloudimages.UpdateOpts{op}).Extract(); err != nil {
			t.Fatalf("update %s: %v", op.Name, err)
		}
	}
	img = getCloudImage()
	maxRAM, _ := strconv.Atoi(img.MaxRam)
	if img.Name != "tf-image-2" || img.MinRam != 512 || maxRAM != 2048 || img.Description != "described" {
		t.Fatalf("after update: name %q min_ram %d max_ram %q description %q", img.Name, img.MinRam, img.MaxRam, img.Description)
	}
	tf.deleteImage(t, id)
}

// TestTerraformAuthentication pins what the provider's credentials may and
// may not do: a project of another account in the provider block (sent as
// an unsigned X-Project-Id) fails authentication like a bad key, and a
// wrong secret key is refused.
func TestTerraformAuthentication(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	other := env.NewAccount(t, "other-account")

	cases := []struct {
		name            string
		ak, sk, project string
		wantStatus      int
		wantCode        string
	}{
		{name: "own project", ak: env.Creds.AccessKey, sk: env.Creds.SecretKey, project: env.Creds.ProjectID, wantStatus: 200},
		{name: "another account's project", ak: env.Creds.AccessKey, sk: env.Creds.SecretKey, project: other.ProjectID, wantStatus: 401, wantCode: "APIGW.0301"},
		{name: "unknown project", ak: env.Creds.AccessKey, sk: env.Creds.SecretKey, project: "0123456789abcdef0123456789abcdef", wantStatus: 401, wantCode: "APIGW.0301"},
		{name: "wrong secret key", ak: env.Creds.AccessKey, sk: "wrong-secret-key-wrong-secret-key", project: env.Creds.ProjectID, wantStatus: 401, wantCode: "APIGW.0301"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tf := newTerraformProvider(t, env, c.ak, c.sk, c.project, "")
			_, err := cloudimages.List(tf.imsV2(), cloudimages.ListOpts{Limit: 1}).AllPages()
			if c.wantStatus == 200 {
				if err != nil {
					t.Fatalf("list: %v", err)
				}
				return
			}
			wantGolangsdkError(t, err, c.wantStatus, c.wantCode)
		})
	}
}
