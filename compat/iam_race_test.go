package compat

import (
	"context"
	"fmt"
	"sync"
	"testing"

	epsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestIdentityWritesUnderConcurrency races identity writes of one account
// on PostgreSQL (READ COMMITTED, several connections), where check-then-
// write steps would interleave without the account lock: the access-key
// limit, unique enterprise-project names, and grants of a policy being
// deleted.
func TestIdentityWritesUnderConcurrency(t *testing.T) {
	pg := freshSchema(t)
	env := sdktest.Start(t, func(c *app.Config) { c.PostgresURL = pg })
	c := rootIAM(t, env)
	e := rootEPS(t, env)
	carol := mkUser(t, c, "carol", "Carol-pass-1")

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, _ = c.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
				Credential: &iamm.CreateCredentialOption{UserId: carol}}})
		})
		wg.Go(func() {
			_, _ = e.CreateEnterpriseProject(&epsm.CreateEnterpriseProjectRequest{Body: &epsm.EnterpriseProject{Name: "dup"}})
		})
	}
	wg.Wait()
	if keys := check(c.ListPermanentAccessKeys(&iamm.ListPermanentAccessKeysRequest{UserId: &carol}))(t); len(*keys.Credentials) != 2 {
		t.Errorf("carol has %d access keys after 10 concurrent creations; the limit is 2", len(*keys.Credentials))
	}
	if eps := check(e.ListEnterpriseProject(&epsm.ListEnterpriseProjectRequest{Name: ptr("dup")}))(t); len(*eps.EnterpriseProjects) != 1 {
		t.Errorf("%d enterprise projects named dup after 10 concurrent creations, want 1", len(*eps.EnterpriseProjects))
	}

	group := mkGroup(t, c, "racers")
	for i := range 10 {
		pol := mkPolicy(t, c, fmt.Sprintf("racing-%d", i), "ims:images:get")
		var wg sync.WaitGroup
		wg.Go(func() {
			_, _ = c.KeystoneAssociateGroupWithProjectPermission(&iamm.KeystoneAssociateGroupWithProjectPermissionRequest{
				ProjectId: env.Creds.ProjectID, GroupId: group, RoleId: pol})
		})
		wg.Go(func() { _, _ = c.DeleteCustomPolicy(&iamm.DeleteCustomPolicyRequest{RoleId: pol}) })
		wg.Wait()
	}
	grants, err := env.App.Store.GrantList(context.Background(), imsd.GrantQuery{DomainID: env.Creds.DomainID, GroupIDs: []string{group}})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		if _, err := env.App.Store.PolicyGet(context.Background(), g.PolicyID); err != nil {
			t.Errorf("grant of deleted policy %s survived its deletion: %v", g.PolicyID, err)
		}
	}
}
