package compat

import (
	"context"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestGophercloudFindsTheImageService: an OpenStack client given only
// OS_AUTH_URL=<endpoint>/v3 and a password authenticates (Keystone v3
// token), finds the image service in the token's catalog for the region,
// and lists and shows images through it.
func TestGophercloudFindsTheImageService(t *testing.T) {
	env := sdktest.Start(t, nil)
	id := activeImage(t, env, "via-gophercloud", randomBytes(t, 8192))
	ctx := context.Background()
	client := gophercloudImageClient(t, env)
	if client.Endpoint != env.Endpoint+"/" {
		t.Fatalf("catalog endpoint %q, want %q", client.Endpoint, env.Endpoint+"/")
	}
	pages, err := images.List(client, images.ListOpts{Name: "via-gophercloud"}).AllPages(ctx)
	if err != nil {
		t.Fatalf("list images: %v", err)
	}
	list, err := images.ExtractImages(pages)
	if err != nil || len(list) != 1 || list[0].ID != id || list[0].Status != images.ImageStatusActive || list[0].SizeBytes != 8192 {
		t.Fatalf("listed %+v, %v", list, err)
	}
	img, err := images.Get(ctx, client, id).Extract()
	if err != nil || img.Name != "via-gophercloud" || img.DiskFormat != "raw" {
		t.Fatalf("get image: %+v, %v", img, err)
	}
}

// gophercloudImageClient authenticates gophercloud with the bootstrap
// user's password (Keystone v3) and returns its image service client,
// found in the token's catalog.
func gophercloudImageClient(t testing.TB, env *sdktest.Env) *gophercloud.ServiceClient {
	t.Helper()
	provider, err := openstack.AuthenticatedClient(context.Background(), gophercloud.AuthOptions{
		IdentityEndpoint: env.Endpoint + "/v3",
		Username:         env.Creds.UserName,
		Password:         env.Creds.Password,
		DomainName:       env.Creds.DomainName,
		Scope:            &gophercloud.AuthScope{ProjectName: env.Creds.ProjectName, DomainName: env.Creds.DomainName},
	})
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	client, err := openstack.NewImageV2(provider, gophercloud.EndpointOpts{Region: env.Creds.Region})
	if err != nil {
		t.Fatalf("image service from the catalog: %v", err)
	}
	return client
}

// TestGophercloudCreateUploadChecksum: what Terraform's openstack provider
// does for openstack_images_image_v2: images.Create, imagedata.Upload, then
// compare the image's checksum with the MD5 of the file it sent.
func TestGophercloudCreateUploadChecksum(t *testing.T) {
	env := sdktest.Start(t, nil)
	ctx := context.Background()
	client := gophercloudImageClient(t, env)
	hidden, protected := false, false
	created, err := images.Create(ctx, client, images.CreateOpts{
		Name: "from-gophercloud", ContainerFormat: "bare", DiskFormat: "raw", MinDisk: 1, MinRAM: 512,
		Tags: []string{"ci"}, Hidden: &hidden, Protected: &protected, Properties: map[string]string{"build": "7"},
	}).Extract()
	if err != nil {
		t.Fatalf("images.Create: %v", err)
	}
	if created.Status != images.ImageStatusQueued || created.Checksum != "" || created.Properties["build"] != "7" {
		t.Fatalf("created %+v", created)
	}
	data := randomBytes(t, 2<<20+5)
	if err := imagedata.Upload(ctx, client, created.ID, bytesReader(data)).ExtractErr(); err != nil {
		t.Fatalf("imagedata.Upload: %v", err)
	}
	got, err := images.Get(ctx, client, created.ID).Extract()
	if err != nil {
		t.Fatalf("images.Get: %v", err)
	}
	if got.Status != images.ImageStatusActive || got.Checksum != md5Hex(data) || got.SizeBytes != int64(len(data)) {
		t.Fatalf("after upload: status %s, checksum %q (want %s), size %d", got.Status, got.Checksum, md5Hex(data), got.SizeBytes)
	}
	if stored := storedImage(t, env, created.ID); stored.Checksum != md5Hex(data) {
		t.Fatalf("stored checksum %q", stored.Checksum)
	}
	rc, err := imagedata.Download(ctx, client, created.ID).Extract()
	if err != nil {
		t.Fatalf("imagedata.Download: %v", err)
	}
	back, _ := io.ReadAll(rc)
	rc.Close()
	if md5Hex(back) != got.Checksum {
		t.Fatal("downloaded data does not match the checksum")
	}
}

// TestGophercloudUpdateOptions: images.Update with every update option
// gophercloud v2 offers, each checked against the stored image.
func TestGophercloudUpdateOptions(t *testing.T) {
	env := sdktest.Start(t, nil)
	ctx := context.Background()
	client := gophercloudImageClient(t, env)
	id := activeImage(t, env, "gophercloud-update", randomBytes(t, 4096))

	updated, err := images.Update(ctx, client, id, images.UpdateOpts{
		images.ReplaceImageName{NewName: "renamed by gophercloud"},
		images.ReplaceImageTags{NewTags: []string{"one", "two", "env=prod"}},
		images.ReplaceImageMinDisk{NewMinDisk: 20},
		images.ReplaceImageMinRam{NewMinRam: 1024},
		images.ReplaceImageProtected{NewProtected: true},
		images.ReplaceImageHidden{NewHidden: true},
		images.UpdateVisibility{Visibility: images.ImageVisibilityPrivate},
		images.UpdateImageProperty{Op: images.AddOp, Name: "hw_qemu_guest_agent", Value: "yes"},
		images.UpdateImageProperty{Op: images.AddOp, Name: "build", Value: "1"},
	}).Extract()
	if err != nil {
		t.Fatalf("images.Update: %v", err)
	}
	img := storedImage(t, env, id)
	want(t, "name", img.Name, "renamed by gophercloud")
	want(t, "tags", img.Tags, []string{"one", "two", "env=prod"})
	want(t, "min_disk", img.MinDisk, 20)
	want(t, "min_ram", img.MinRAM, 1024)
	want(t, "protected", img.Protected, true)
	want(t, "os_hidden", img.Hidden(), true)
	want(t, "visibility", img.Visibility, "private")
	want(t, "hw_qemu_guest_agent", img.Properties["hw_qemu_guest_agent"], "yes")
	if updated.Name != img.Name || !slices.Equal(updated.Tags, img.Tags) || updated.MinDiskGigabytes != 20 || updated.MinRAMMegabytes != 1024 ||
		!updated.Protected || !updated.Hidden || updated.Properties["build"] != "1" {
		t.Fatalf("answer %+v", updated)
	}

	if _, err := images.Update(ctx, client, id, images.UpdateOpts{
		images.UpdateImageProperty{Op: images.ReplaceOp, Name: "build", Value: "2"},
		images.UpdateImageProperty{Op: images.RemoveOp, Name: "hw_qemu_guest_agent"},
		images.ReplaceImageHidden{NewHidden: false},
		images.ReplaceImageProtected{NewProtected: false},
	}).Extract(); err != nil {
		t.Fatalf("images.Update: %v", err)
	}
	img = storedImage(t, env, id)
	want(t, "build", img.Properties["build"], "2")
	want(t, "os_hidden", img.Hidden(), false)
	want(t, "protected", img.Protected, false)
	if _, ok := img.Properties["hw_qemu_guest_agent"]; ok {
		t.Fatal("removed property still stored")
	}

	// The refusals Glance gives, as gophercloud reports them.
	before := storedImage(t, env, id)
	for _, tc := range []struct {
		name   string
		opts   images.UpdateOpts
		status int
	}{
		{"checksum is read-only", images.UpdateOpts{images.ReplaceImageChecksum{Checksum: "0123456789abcdef0123456789abcdef"}}, 403},
		{"public visibility", images.UpdateOpts{images.UpdateVisibility{Visibility: images.ImageVisibilityPublic}}, 403},
		{"replace a missing property", images.UpdateOpts{images.UpdateImageProperty{Op: images.ReplaceOp, Name: "missing", Value: "x"}}, 409},
		{"remove a missing property", images.UpdateOpts{images.UpdateImageProperty{Op: images.RemoveOp, Name: "missing"}}, 409},
		{"negative min_ram", images.UpdateOpts{images.ReplaceImageMinRam{NewMinRam: -1}}, 400},
		{"bad tag in a good batch", images.UpdateOpts{images.ReplaceImageName{NewName: "x"}, images.ReplaceImageTags{NewTags: []string{""}}}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := images.Update(ctx, client, id, tc.opts).Extract()
			if !gophercloud.ResponseCodeIs(err, tc.status) {
				t.Fatalf("images.Update: %v, want status %d", err, tc.status)
			}
			if after := storedImage(t, env, id); !reflect.DeepEqual(before, after) {
				t.Fatal("a refused update changed the image")
			}
		})
	}
}
