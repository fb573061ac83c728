package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	epsv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1"
	epsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	iamv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// iamClient returns the SDK's IAM client for global AK/SK credentials of
// the given account.
func iamClient(t testing.TB, env *sdktest.Env, ak, sk, domainID string) *iamv3.IamClient {
	t.Helper()
	cred, err := global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithDomainId(domainID).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := iamv3.IamClientBuilder().WithEndpoint(env.Endpoint).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatalf("iam client: %v", err)
	}
	return iamv3.NewIamClient(hc)
}

// epsClient returns the SDK's EPS client for global AK/SK credentials.
func epsClient(t testing.TB, env *sdktest.Env, ak, sk, domainID string) *epsv1.EpsClient {
	t.Helper()
	cred, err := global.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithDomainId(domainID).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := epsv1.EpsClientBuilder().WithEndpoint(env.Endpoint).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatalf("eps client: %v", err)
	}
	return epsv1.NewEpsClient(hc)
}

// rootIAM and rootEPS are the bootstrap root's clients.
func rootIAM(t testing.TB, env *sdktest.Env) *iamv3.IamClient {
	return iamClient(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.DomainID)
}

func rootEPS(t testing.TB, env *sdktest.Env) *epsv1.EpsClient {
	return epsClient(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.DomainID)
}

// check turns a (value, error) result into a function that fails the test
// on the error and returns the value: check(c.Call(req))(t).
func check[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// mkUser creates a user with a password through KeystoneCreateUser.
func mkUser(t testing.TB, c *iamv3.IamClient, name, password string) string {
	t.Helper()
	r := check(c.KeystoneCreateUser(&iamm.KeystoneCreateUserRequest{Body: &iamm.KeystoneCreateUserRequestBody{
		User: &iamm.KeystoneCreateUserOption{Name: name, Password: ptr(password)}}}))(t)
	return r.User.Id
}

// mkGroup creates a group through KeystoneCreateGroup.
func mkGroup(t testing.TB, c *iamv3.IamClient, name string) string {
	t.Helper()
	r := check(c.KeystoneCreateGroup(&iamm.KeystoneCreateGroupRequest{Body: &iamm.KeystoneCreateGroupRequestBody{
		Group: &iamm.KeystoneCreateGroupOption{Name: name}}}))(t)
	return r.Group.Id
}

// mkKey creates an access key for a user and returns AK and SK.
func mkKey(t testing.TB, c *iamv3.IamClient, userID string) (ak, sk string) {
	t.Helper()
	r := check(c.CreatePermanentAccessKey(&iamm.CreatePermanentAccessKeyRequest{Body: &iamm.CreatePermanentAccessKeyRequestBody{
		Credential: &iamm.CreateCredentialOption{UserId: userID}}}))(t)
	return r.Credential.Access, r.Credential.Secret
}

// mkPolicy creates a custom policy allowing actions, of type XA.
func mkPolicy(t testing.TB, c *iamv3.IamClient, name string, actions ...string) string {
	t.Helper()
	allow := iamm.GetServiceStatementEffectEnum().ALLOW
	r := check(c.CreateCloudServiceCustomPolicy(&iamm.CreateCloudServiceCustomPolicyRequest{Body: &iamm.CreateCloudServiceCustomPolicyRequestBody{
		Role: &iamm.ServicePolicyRoleOption{DisplayName: name, Type: "XA", Description: "test policy",
			Policy: &iamm.ServicePolicy{Version: "1.1", Statement: []iamm.ServiceStatement{{Action: actions, Effect: allow}}}}}}))(t)
	return r.Role.Id
}

// mkEP creates an enterprise project.
func mkEP(t testing.TB, c *epsv1.EpsClient, name string) string {
	t.Helper()
	r := check(c.CreateEnterpriseProject(&epsm.CreateEnterpriseProjectRequest{Body: &epsm.EnterpriseProject{Name: name}}))(t)
	return r.EnterpriseProject.Id
}

// rawJSON sends a request with an optional JSON body and headers, without
// any signature, and returns the status, headers and body.
func rawJSON(t testing.TB, method, url string, body any, header map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// sdkStatus asserts err is a ServiceResponseError with the given status;
// answers to HEAD carry no body, hence no code.
func sdkStatus(t testing.TB, err error, status int) {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != status {
		t.Fatalf("error %v, want status %d", err, status)
	}
}

// ioCopy copies a response body to w and closes it.
func ioCopy(w io.Writer, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	return io.Copy(w, resp.Body)
}
