package compat

import (
	"context"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
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

	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
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
