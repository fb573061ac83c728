package compat

import (
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/region"
	epsv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1"
	epsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/chnsz/golangsdk"
	"github.com/chnsz/golangsdk/openstack/identity/v3/domains"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestAuthDomains: GET /v3/auth/domains answers every authenticated caller
// with their own account only. The SDK's global credentials use it to find
// the domain id when none is configured, and the Terraform provider at
// start (config.getDomainID).
func TestAuthDomains(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	other := env.NewAccount(t, "other")
	ak, sk := env.NewUser(t, "no-permissions")

	t.Run("IAM user without permissions sees their own account", func(t *testing.T) {
		r := check(iamClient(t, env, ak, sk, env.Creds.DomainID).KeystoneListAuthDomains(&iammodel.KeystoneListAuthDomainsRequest{}))(t)
		if r.Domains == nil || len(*r.Domains) != 1 {
			t.Fatalf("domains: %+v", r.Domains)
		}
		if d := (*r.Domains)[0]; d.Id != env.Creds.DomainID || d.Name != env.Creds.DomainName || !d.Enabled {
			t.Fatalf("domain %+v, want %s/%s", d, env.Creds.DomainID, env.Creds.DomainName)
		}
	})

	t.Run("another account's root sees only theirs", func(t *testing.T) {
		r := check(iamClient(t, env, other.AccessKey, other.SecretKey, other.DomainID).KeystoneListAuthDomains(&iammodel.KeystoneListAuthDomainsRequest{}))(t)
		if len(*r.Domains) != 1 || (*r.Domains)[0].Id != other.DomainID {
			t.Fatalf("domains: %+v", *r.Domains)
		}
	})

	t.Run("SDK global credentials without a domain id", func(t *testing.T) {
		cred, err := global.NewCredentialsBuilder().WithAk(env.Creds.AccessKey).WithSk(env.Creds.SecretKey).
			WithIamEndpointOverride(env.Endpoint).SafeBuild()
		if err != nil {
			t.Fatal(err)
		}
		hc, err := epsv1.EpsClientBuilder().WithRegion(region.NewRegion("local-1", env.Endpoint)).WithCredential(cred).SafeBuild()
		if err != nil {
			t.Fatalf("eps client: %v", err)
		}
		r := check(epsv1.NewEpsClient(hc).ListEnterpriseProject(&epsmodel.ListEnterpriseProjectRequest{}))(t)
		if r.EnterpriseProjects == nil {
			t.Fatal("no enterprise project list")
		}
		if cred.DomainId != env.Creds.DomainID {
			t.Fatalf("the SDK resolved domain id %q, want %q", cred.DomainId, env.Creds.DomainID)
		}
	})

	t.Run("the Terraform provider's domain lookup", func(t *testing.T) {
		tf := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "")
		c := &golangsdk.ServiceClient{ProviderClient: tf.domain, Endpoint: tf.endpoint, ResourceBase: tf.endpoint + "v3/auth/"}
		pages, err := domains.List(c, nil).AllPages()
		if err != nil {
			t.Fatalf("domains.List: %v", err)
		}
		all, err := domains.ExtractDomains(pages)
		if err != nil || len(all) != 1 || all[0].ID != env.Creds.DomainID || all[0].Name != env.Creds.DomainName {
			t.Fatalf("domains %+v, %v", all, err)
		}
	})
}
