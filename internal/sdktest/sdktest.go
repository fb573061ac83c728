// Package sdktest starts a real imsd (app.App) on a temporary data
// directory for end-to-end tests and gives them clients that speak through
// the official Huawei Cloud Go SDK: the SDK's IMS client, and raw requests
// signed by the SDK's own signer for the calls the SDK lacks.
package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
	kms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/identity"
	"github.com/imsd/imsd/internal/imstest"
)

// Env is one running server and the bootstrap account's credentials.
type Env struct {
	App      *app.App
	Endpoint string
	Creds    identity.AccountCredentials
	// IMS is the official SDK client for the bootstrap account.
	IMS *ims.ImsClient
	// SkippedAuthz collects routes that returned without authorization.
	SkippedAuthz []string
}

// Start opens an App on a fresh data dir with cfg applied, runs it on a
// free loopback port, waits for /healthz, and stops it at test cleanup.
func Start(t testing.TB, mod func(*app.Config)) *Env {
	t.Helper()
	cfg := app.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.Jobs.PollInterval = 20 * time.Millisecond
	if mod != nil {
		mod(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatalf("app.Open: %v", err)
	}
	env := &Env{App: a}
	a.Server.OnAuthzSkipped = func(route string) { env.SkippedAuthz = append(env.SkippedAuthz, route) }
	if _, err := a.Listen(); err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app.Run: %v", err)
		}
		a.Close()
		if len(env.SkippedAuthz) > 0 {
			t.Errorf("routes returned without an authorization decision: %v", env.SkippedAuthz)
		}
	})
	env.Endpoint = a.Endpoint()
	imstest.WaitFor(t, 10*time.Second, "/healthz", func() bool {
		resp, err := http.Get(env.Endpoint + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	b, err := os.ReadFile(a.BootstrapPath())
	if err != nil {
		t.Fatalf("bootstrap.json: %v", err)
	}
	if err := json.Unmarshal(b, &env.Creds); err != nil {
		t.Fatalf("bootstrap.json: %v", err)
	}
	env.IMS = env.Client(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID)
	return env
}

// Client returns an SDK IMS client for the given AK/SK and project.
func (e *Env) Client(t testing.TB, ak, sk, projectID string) *ims.ImsClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(projectID).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := ims.ImsClientBuilder().WithEndpoint(e.Endpoint).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	return ims.NewImsClient(hc)
}

// KMS returns an SDK KMS (v2) client for the given AK/SK and project.
func (e *Env) KMS(t testing.TB, ak, sk, projectID string) *kms.KmsClient {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(projectID).SafeBuild()
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	hc, err := kms.KmsClientBuilder().WithEndpoint(e.Endpoint).WithCredential(cred).SafeBuild()
	if err != nil {
		t.Fatalf("kms client: %v", err)
	}
	return kms.NewKmsClient(hc)
}

// RootKMS is the SDK KMS client of the bootstrap account.
func (e *Env) RootKMS(t testing.TB) *kms.KmsClient {
	return e.KMS(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID)
}

// Request describes a raw request signed by the SDK signer.
type Request struct {
	Method      string
	Path        string // unescaped
	Query       url.Values
	ContentType string
	Header      http.Header
	// Body is sent as is; with a non-JSON content type it is not hashed
	// (UNSIGNED-PAYLOAD), so it may stream any size.
	Body io.Reader
	// JSONBody, when set, is sent with Content-Type application/json and
	// hashed into the signature.
	JSONBody []byte
}

// Signed builds an *http.Request signed by the SDK's signer with ak/sk and
// X-Project-Id set to project (omitted when "").
func (e *Env) Signed(t testing.TB, ak, sk, project string, q Request) *http.Request {
	t.Helper()
	ct := q.ContentType
	if q.JSONBody != nil && ct == "" {
		ct = "application/json;charset=UTF-8"
	}
	if ct == "" {
		ct = "application/json"
	}
	b := request.NewHttpRequestBuilder().WithEndpoint(e.Endpoint).WithPath(q.Path).WithMethod(q.Method)
	for k, vs := range q.Query {
		if len(vs) == 1 {
			b.AddQueryParam(k, reflect.ValueOf(vs[0]))
		} else {
			b.AddQueryParam(k, reflect.ValueOf(vs))
		}
	}
	b.AddHeaderParam("Content-Type", ct)
	b.AddHeaderParam("User-Agent", "imsd-tests/1.0")
	if project != "" {
		b.AddHeaderParam("X-Project-Id", project)
	}
	for k, vs := range q.Header {
		b.AddHeaderParam(k, strings.Join(vs, ","))
	}
	if q.JSONBody != nil {
		b.WithBody("", string(q.JSONBody))
	}
	sreq := b.Build()
	extra, err := signer.Sign(sreq, ak, sk)
	if err != nil {
		t.Fatalf("SDK signer: %v", err)
	}
	for k, v := range extra {
		sreq.AddHeaderParam(k, v)
	}
	hr, err := sreq.ConvertRequest()
	if err != nil {
		t.Fatalf("SDK ConvertRequest: %v", err)
	}
	var body io.Reader = http.NoBody
	switch {
	case q.JSONBody != nil:
		body = bytes.NewReader(q.JSONBody)
	case q.Body != nil:
		body = q.Body
	}
	req, err := http.NewRequest(q.Method, hr.URL.String(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hr.Header.Clone()
	if q.JSONBody != nil {
		req.ContentLength = int64(len(q.JSONBody))
	}
	return req
}

// Do sends a request signed with the bootstrap credentials and returns the
// response; the caller closes its body.
func (e *Env) Do(t testing.TB, q Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(e.Signed(t, e.Creds.AccessKey, e.Creds.SecretKey, e.Creds.ProjectID, q))
	if err != nil {
		t.Fatalf("%s %s: %v", q.Method, q.Path, err)
	}
	return resp
}

// NewUser creates a non-root IAM user with an active AK/SK in the bootstrap
// account, directly through the store (the identity APIs come later), and
// returns its keys.
func (e *Env) NewUser(t testing.TB, name string) (ak, sk string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	u := &imsd.User{ID: imsd.NewHexID(), DomainID: e.Creds.DomainID, Name: name, Enabled: true, CreatedAt: now, PasswordChangedAt: now}
	ak, sk = identity.NewAccessKeyPair()
	k := &imsd.AccessKey{AccessKey: ak, UserID: u.ID, DomainID: u.DomainID, Status: "active", CreatedAt: now,
		SecretSealed: e.App.Sealer.Seal([]byte(sk), []byte(ak))}
	err := e.App.Store.InTx(ctx, func(q imsd.Queries) error {
		if err := q.UserInsert(ctx, u); err != nil {
			return err
		}
		return q.AccessKeyInsert(ctx, k)
	})
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return ak, sk
}

// NewAccount creates another account and returns its credentials.
func (e *Env) NewAccount(t testing.TB, name string) identity.AccountCredentials {
	t.Helper()
	c, err := e.App.Identity.CreateAccount(context.Background(), name, e.App.Sealer)
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	return *c
}
