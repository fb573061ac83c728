package compat

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/members"

	"github.com/imsd/imsd/identity"
	"github.com/imsd/imsd/internal/sdktest"
)

// gophercloudImages authenticates an account's root with its password, as
// an OpenStack client configured with OS_AUTH_URL does, and returns the
// image service client from the token's catalog.
func gophercloudImages(t testing.TB, env *sdktest.Env, c identity.AccountCredentials) *gophercloud.ServiceClient {
	t.Helper()
	ctx := context.Background()
	provider, err := openstack.AuthenticatedClient(ctx, gophercloud.AuthOptions{
		IdentityEndpoint: env.Endpoint + "/v3",
		Username:         c.UserName,
		Password:         c.Password,
		DomainName:       c.DomainName,
		Scope:            &gophercloud.AuthScope{ProjectName: c.ProjectName, DomainName: c.DomainName},
	})
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	client, err := openstack.NewImageV2(provider, gophercloud.EndpointOpts{Region: c.Region})
	if err != nil {
		t.Fatalf("image service: %v", err)
	}
	return client
}

// gophercloudStatus is the HTTP status of a gophercloud error.
func gophercloudStatus(err error) int {
	var e gophercloud.ErrUnexpectedResponseCode
	if errors.As(err, &e) {
		return e.Actual
	}
	return 0
}

// TestGophercloudMembers drives Glance's members API with gophercloud's
// own image/v2/members package, as an OpenStack user would: the owner adds
// a member (pending), the member accepts, both read the membership, the
// owner removes it.
func TestGophercloudMembers(t *testing.T) {
	env := sdktest.Start(t, nil)
	ctx := context.Background()
	img := activeImage(t, env, "gc-shared", randomBytes(t, 2048))
	b := env.NewAccount(t, "gc-member")
	owner, member := gophercloudImages(t, env, env.Creds), gophercloudImages(t, env, b)

	m, err := members.Create(ctx, owner, img, b.ProjectID).Extract()
	if err != nil || m.Status != "pending" || m.MemberID != b.ProjectID || m.ImageID != img || m.CreatedAt.IsZero() || m.Schema != "/v2/schemas/member" {
		t.Fatalf("Create: %+v %v", m, err)
	}
	_, err = members.Create(ctx, owner, img, b.ProjectID).Extract()
	if gophercloudStatus(err) != http.StatusConflict {
		t.Fatalf("adding the member twice: %v, want 409", err)
	}
	// Pending: the member reads the image, but its lists hold it only when
	// asked for pending ones.
	if _, err := images.Get(ctx, member, img).Extract(); err != nil {
		t.Fatalf("member reads the pending image: %v", err)
	}
	listIDs := func(c *gophercloud.ServiceClient, opts images.ListOpts) []string {
		pages, err := images.List(c, opts).AllPages(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		list, err := images.ExtractImages(pages)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var ids []string
		for _, i := range list {
			ids = append(ids, i.ID)
		}
		return ids
	}
	if ids := listIDs(member, images.ListOpts{}); len(ids) != 0 {
		t.Fatalf("pending image listed: %v", ids)
	}
	if ids := listIDs(member, images.ListOpts{Visibility: images.ImageVisibilityShared, MemberStatus: images.ImageMemberStatusPending}); len(ids) != 1 || ids[0] != img {
		t.Fatalf("member_status=pending: %v", ids)
	}

	m, err = members.Update(ctx, member, img, b.ProjectID, members.UpdateOpts{Status: "accepted"}).Extract()
	if err != nil || m.Status != "accepted" {
		t.Fatalf("Update by the member: %+v %v", m, err)
	}
	if _, err := members.Update(ctx, owner, img, b.ProjectID, members.UpdateOpts{Status: "rejected"}).Extract(); gophercloudStatus(err) != http.StatusForbidden {
		t.Fatalf("owner answering for the member: %v, want 403", err)
	}
	got, err := images.Get(ctx, member, img).Extract()
	if err != nil || got.Visibility != images.ImageVisibilityShared || got.Owner != env.Creds.ProjectID {
		t.Fatalf("accepted image as the member reads it: %+v %v", got, err)
	}
	if ids := listIDs(member, images.ListOpts{}); len(ids) != 1 || ids[0] != img {
		t.Fatalf("accepted image not listed: %v", ids)
	}

	pages, err := members.List(owner, img).AllPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := members.ExtractMembers(pages)
	if err != nil || len(all) != 1 || all[0].Status != "accepted" {
		t.Fatalf("owner's List: %+v %v", all, err)
	}
	if g, err := members.Get(ctx, member, img, b.ProjectID).Extract(); err != nil || g.Status != "accepted" {
		t.Fatalf("member's Get: %+v %v", g, err)
	}

	if err := members.Delete(ctx, owner, img, b.ProjectID).ExtractErr(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := members.Delete(ctx, owner, img, b.ProjectID).ExtractErr(); gophercloudStatus(err) != http.StatusNotFound {
		t.Fatalf("deleting again: %v, want 404", err)
	}
	if _, err := images.Get(ctx, member, img).Extract(); gophercloudStatus(err) != http.StatusNotFound {
		t.Fatalf("former member reads the image: %v, want 404", err)
	}
}
