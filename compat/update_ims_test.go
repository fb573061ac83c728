package compat

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/chnsz/golangsdk"
	"github.com/chnsz/golangsdk/openstack"
	"github.com/chnsz/golangsdk/openstack/ims/v2/cloudimages"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/service"
)

// TestSDKUpdateImage drives PATCH /v2/cloudimages/{id} through the
// official SDK's UpdateImage, which sends every value as a string: each
// accepted step is checked in the store, each refused one must change
// nothing.
func TestSDKUpdateImage(t *testing.T) {
	env := sdktest.Start(t, nil)
	id := activeImage(t, env, "ims-update", randomBytes(t, 2048))
	ops := model.GetUpdateImageRequestBodyOpEnum()
	op := func(o model.UpdateImageRequestBodyOp, path, value string) model.UpdateImageRequestBody {
		return model.UpdateImageRequestBody{Op: o, Path: path, Value: value}
	}
	steps := []struct {
		name   string
		body   []model.UpdateImageRequestBody
		status int    // 0: accepted
		code   string // for a refusal
		check  func(t *testing.T, img *imsd.Image)
	}{
		{name: "rename", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/name", "renamed-1")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "name", img.Name, "renamed-1") }},
		{name: "min_ram as a string", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/min_ram", "2048")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "min_ram", img.MinRAM, 2048) }},
		{name: "protected as a string", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/protected", "true")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "protected", img.Protected, true) }},
		{name: "unprotect", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/protected", "false")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "protected", img.Protected, false) }},
		{name: "description", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/__description", "from the SDK")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "__description", img.Description, "from the SDK") }},
		{name: "replace a missing max_ram adds it", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/max_ram", "4096")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "max_ram", img.Properties["max_ram"], "4096") }},
		{name: "remove max_ram", body: []model.UpdateImageRequestBody{op(ops.REMOVE, "/max_ram", "")},
			check: func(t *testing.T, img *imsd.Image) {
				if _, ok := img.Properties["max_ram"]; ok {
					t.Fatal("max_ram still stored")
				}
			}},
		{name: "add max_ram", body: []model.UpdateImageRequestBody{op(ops.ADD, "/max_ram", "4096")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "max_ram", img.Properties["max_ram"], "4096") }},
		{name: "replace max_ram", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/max_ram", "8192")},
			check: func(t *testing.T, img *imsd.Image) { want(t, "max_ram", img.Properties["max_ram"], "8192") }},
		{name: "IMS flags and a custom attribute", body: []model.UpdateImageRequestBody{
			op(ops.ADD, "/__support_kvm", "true"), op(ops.ADD, "/hw_firmware_type", "uefi"), op(ops.ADD, "/build", "42")},
			check: func(t *testing.T, img *imsd.Image) {
				want(t, "props", map[string]string{"__support_kvm": img.Properties["__support_kvm"], "hw_firmware_type": img.Properties["hw_firmware_type"], "build": img.Properties["build"]},
					map[string]string{"__support_kvm": "true", "hw_firmware_type": "uefi", "build": "42"})
			}},
		{name: "remove max_ram and the custom attribute", body: []model.UpdateImageRequestBody{op(ops.REMOVE, "/max_ram", ""), op(ops.REMOVE, "/build", "")},
			check: func(t *testing.T, img *imsd.Image) {
				if _, ok := img.Properties["max_ram"]; ok {
					t.Fatal("max_ram still stored")
				}
				if _, ok := img.Properties["build"]; ok {
					t.Fatal("build still stored")
				}
			}},
		{name: "remove a missing attribute", body: []model.UpdateImageRequestBody{op(ops.REMOVE, "/build", "")}, status: 400, code: "IMG.0035"},
		{name: "name against IMS rules", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/name", "bad/name")}, status: 400, code: "IMG.0003"},
		{name: "name too long", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/name", strings.Repeat("n", 129))}, status: 400, code: "IMG.0002"},
		{name: "negative min_ram", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/min_ram", "-1")}, status: 400, code: "IMG.0001"},
		{name: "negative max_ram", body: []model.UpdateImageRequestBody{op(ops.ADD, "/max_ram", "-1")}, status: 400, code: "IMG.0001"},
		{name: "protected not a boolean", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/protected", "yes")}, status: 400, code: "IMG.0001"},
		{name: "tags belong to the tag APIs", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/tags", "a")}, status: 400, code: "IMG.0001"},
		{name: "visibility", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/visibility", "public")}, status: 400, code: "IMG.0001"},
		{name: "read-only id", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/id", "x")}, status: 400, code: "IMG.0001"},
		{name: "read-only __image_size", body: []model.UpdateImageRequestBody{op(ops.REPLACE, "/__image_size", "1")}, status: 400, code: "IMG.0001"},
		{name: "upper-case attribute", body: []model.UpdateImageRequestBody{op(ops.ADD, "/Build", "1")}, status: 400, code: "IMG.0001"},
		{name: "one bad operation changes nothing", body: []model.UpdateImageRequestBody{
			op(ops.REPLACE, "/name", "renamed-2"), op(ops.REPLACE, "/min_ram", "-5")}, status: 400, code: "IMG.0001"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before := storedImage(t, env, id)
			body := st.body
			resp, err := env.IMS.UpdateImage(&model.UpdateImageRequest{ImageId: id, Body: &body})
			after := storedImage(t, env, id)
			if st.status != 0 {
				sdkError(t, err, st.status, st.code)
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("a refused update changed the image:\nbefore %+v\nafter  %+v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatalf("UpdateImage: %v", err)
			}
			if *resp.Id != id || *resp.Name != after.Name || *resp.MinRam != int32(after.MinRAM) {
				t.Fatalf("answer %+v does not show the stored image %+v", resp, after)
			}
			st.check(t, after)
		})
	}

	queued := createImage(t, env, "not-active", "raw")
	_, err := env.IMS.UpdateImage(&model.UpdateImageRequest{ImageId: queued, Body: &[]model.UpdateImageRequestBody{op(ops.REPLACE, "/name", "x")}})
	sdkError(t, err, 400, "IMG.0046")
}

func want[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %s = %#v, want %#v", what, got, want)
	}
}

// TestSDKGlanceUpdateImage drives PATCH /v2/images/{id} through the
// official SDK's GlanceUpdateImage, whose values are strings: names,
// descriptions and properties change; the Glance statuses reach the SDK.
func TestSDKGlanceUpdateImage(t *testing.T) {
	env := sdktest.Start(t, nil)
	id := activeImage(t, env, "glance-update", randomBytes(t, 2048))
	ops := model.GetGlanceUpdateImageRequestBodyOpEnum()
	op := func(o model.GlanceUpdateImageRequestBodyOp, path string, value *string) model.GlanceUpdateImageRequestBody {
		return model.GlanceUpdateImageRequestBody{Op: o, Path: path, Value: value}
	}
	update := func(body ...model.GlanceUpdateImageRequestBody) (*model.GlanceUpdateImageResponse, error) {
		return env.IMS.GlanceUpdateImage(&model.GlanceUpdateImageRequest{ImageId: id, Body: &body})
	}

	resp, err := update(op(ops.REPLACE, "/name", ptr("glance name (2)")), op(ops.ADD, "/__description", ptr("desc")),
		op(ops.ADD, "/build", ptr("42")), op(ops.ADD, "/max_ram", ptr("1024")), op(ops.ADD, "/__support_xen", ptr("true")))
	if err != nil {
		t.Fatalf("GlanceUpdateImage: %v", err)
	}
	img := storedImage(t, env, id)
	want(t, "name", img.Name, "glance name (2)")
	want(t, "__description", img.Description, "desc")
	want(t, "props", []string{img.Properties["build"], img.Properties["max_ram"], img.Properties["__support_xen"]}, []string{"42", "1024", "true"})
	if *resp.Name != "glance name (2)" || *resp.Description != "desc" {
		t.Fatalf("answer %+v", resp)
	}

	if _, err := update(op(ops.REPLACE, "/build", ptr("43")), op(ops.REMOVE, "/max_ram", nil), op(ops.REMOVE, "/__description", nil)); err != nil {
		t.Fatalf("GlanceUpdateImage: %v", err)
	}
	img = storedImage(t, env, id)
	want(t, "build", img.Properties["build"], "43")
	want(t, "__description", img.Description, "")
	if _, ok := img.Properties["max_ram"]; ok {
		t.Fatal("max_ram still stored")
	}

	before := storedImage(t, env, id)
	for _, tc := range []struct {
		name   string
		body   model.GlanceUpdateImageRequestBody
		status int
		code   string
	}{
		{"replace a missing property", op(ops.REPLACE, "/missing", ptr("x")), 409, "IMG.0261"},
		{"remove a missing property", op(ops.REMOVE, "/missing", nil), 409, "IMG.0261"},
		{"read-only attribute", op(ops.REPLACE, "/checksum", ptr("x")), 403, "IMG.0260"},
		{"min_ram must be a JSON integer", op(ops.REPLACE, "/min_ram", ptr("2048")), 400, "IMG.0001"},
		{"tags must be a list", op(ops.REPLACE, "/tags", ptr("a")), 400, "IMG.0001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := update(tc.body)
			sdkError(t, err, tc.status, tc.code)
			if after := storedImage(t, env, id); !reflect.DeepEqual(before, after) {
				t.Fatalf("a refused update changed the image")
			}
		})
	}
}

// TestTerraformHuaweiUpdate replays what Terraform's huaweicloud provider
// does to update an image (resource_huaweicloud_images_image's
// updateImage) through the library it uses, github.com/chnsz/golangsdk:
// PATCH /v2/cloudimages/{id} with Content-Type
// application/openstack-images-v2.1-json-patch, min_ram as a JSON number,
// max_ram and __description replaced as strings (on IMG.0035, which a
// replace never gets in IMS, the provider would add).
func TestTerraformHuaweiUpdate(t *testing.T) {
	env := sdktest.Start(t, nil)
	id := activeImage(t, env, "terraform", randomBytes(t, 2048))
	pc, err := openstack.AuthenticatedClient(golangsdk.AuthOptions{
		IdentityEndpoint: env.Endpoint + "/v3", Username: env.Creds.UserName, Password: env.Creds.Password,
		DomainName: env.Creds.DomainName, TenantName: env.Creds.ProjectName,
	})
	if err != nil {
		t.Fatalf("golangsdk authentication: %v", err)
	}
	client, err := openstack.NewImageServiceV2(pc, golangsdk.EndpointOpts{Region: env.Creds.Region})
	if err != nil {
		t.Fatalf("golangsdk image client: %v", err)
	}
	update := func(op cloudimages.UpdateOp, name string, value any) error {
		return cloudimages.Update(client, id, cloudimages.UpdateOpts{cloudimages.UpdateImageProperty{Op: op, Name: name, Value: value}}).Err
	}
	// The provider's dealUpdateMaxRAMErr / dealUpdateDescriptionErr: only
	// IMG.0035 leads to the add.
	replaceOrAdd := func(name string, replace, add any) (usedAdd bool) {
		t.Helper()
		err := update(cloudimages.ReplaceOp, name, replace)
		if err == nil {
			return false
		}
		var e400 golangsdk.ErrDefault400
		if !errors.As(err, &e400) {
			t.Fatalf("replace %s: %v", name, err)
		}
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		if json.Unmarshal(e400.Body, &body) != nil || body.Error.Code != "IMG.0035" {
			t.Fatalf("replace %s: %s, want IMG.0035 or success", name, e400.Body)
		}
		if err := update(cloudimages.AddOp, name, add); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
		return true
	}

	if err := update(cloudimages.ReplaceOp, "name", "tf-renamed"); err != nil {
		t.Fatalf("name: %v", err)
	}
	if err := update(cloudimages.ReplaceOp, "min_ram", 1024); err != nil {
		t.Fatalf("min_ram as a number: %v", err)
	}
	if replaceOrAdd("__description", "from terraform", "from terraform") {
		t.Error("__description always exists, yet replace was refused")
	}
	if replaceOrAdd("max_ram", "2048", 2048) {
		t.Error("replace of a missing max_ram was refused; the provider's copy create path replaces it without a fallback")
	}
	img := storedImage(t, env, id)
	want(t, "name", img.Name, "tf-renamed")
	want(t, "min_ram", img.MinRAM, 1024)
	want(t, "__description", img.Description, "from terraform")
	want(t, "max_ram", img.Properties["max_ram"], "2048")

	if replaceOrAdd("max_ram", "4096", 4096) {
		t.Error("replace of an existing max_ram was refused")
	}
	want(t, "max_ram", storedImage(t, env, id).Properties["max_ram"], "4096")

	// A wrong value is a plain 400, never IMG.0035: the provider must not
	// retry it as an add.
	before := storedImage(t, env, id)
	err = update(cloudimages.ReplaceOp, "min_ram", -1)
	var e400 golangsdk.ErrDefault400
	if !errors.As(err, &e400) || !json.Valid(e400.Body) || string(e400.Body) == "" {
		t.Fatalf("negative min_ram: %v", err)
	}
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(e400.Body, &body)
	if body.Error.Code != "IMG.0001" {
		t.Fatalf("negative min_ram: code %s, want IMG.0001", body.Error.Code)
	}
	if after := storedImage(t, env, id); !reflect.DeepEqual(before, after) {
		t.Fatal("a refused update changed the image")
	}
}

// TestIMSPatchMediaTypes: PATCH /v2/cloudimages takes the SDK's JSON and
// Terraform's json-patch media types, and nothing else (415).
func TestIMSPatchMediaTypes(t *testing.T) {
	env := sdktest.Start(t, nil)
	id := activeImage(t, env, "media", randomBytes(t, 512))
	for _, tc := range []struct {
		contentType string
		status      int
	}{
		{"application/json;charset=UTF-8", 200},
		{service.MediaJSONPatch21, 200},
		{service.MediaJSONPatch20, 415},
		{"text/plain", 415},
		{"application/x-www-form-urlencoded", 415},
	} {
		r := patchImage(t, env, "/v2/cloudimages/"+id, tc.contentType, `[{"op":"replace","path":"/name","value":"m"}]`)
		if r.status != tc.status || (tc.status == 415 && r.code != "IMG.0262") {
			t.Errorf("%s: %d %s, want %d", tc.contentType, r.status, r.code, tc.status)
		}
	}
}
