package compat

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/sdktest"
)

// lockedBuffer is a bytes.Buffer safe for the server's concurrent log
// writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestNoSecretsInLog captures the server's debug log while secrets pass
// through every identity path — passwords set, reset and changed, secret
// keys created and used, tokens issued, used, validated and refused — and
// then scans it for any of them.
func TestNoSecretsInLog(t *testing.T) {
	logs := &lockedBuffer{}
	env := sdktest.Start(t, func(c *app.Config) {
		c.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	cr := env.Creds
	c := rootIAM(t, env)
	secrets := []string{cr.Password, cr.SecretKey}

	alice := mkUser(t, c, "alice", "Alice-pass-1")
	check(c.CreateUser(&iamm.CreateUserRequest{Body: &iamm.CreateUserRequestBody{User: &iamm.CreateUserOption{
		Name: "bob", DomainId: cr.DomainID, Password: ptr("Bob-pass-1234")}}}))(t)
	check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Password: ptr("Alice-pass-2")}}}))(t)
	_, err := c.KeystoneCreateUser(&iamm.KeystoneCreateUserRequest{Body: &iamm.KeystoneCreateUserRequestBody{
		User: &iamm.KeystoneCreateUserOption{Name: "weak", Password: ptr("weakweakweak")}}})
	sdkError(t, err, 400, "IAM.0007")
	secrets = append(secrets, "Alice-pass-1", "Bob-pass-1234", "Alice-pass-2", "weakweakweak")

	ak, sk := mkKey(t, c, alice)
	secrets = append(secrets, sk)
	ac := iamClient(t, env, ak, sk, cr.DomainID)
	check(ac.KeystoneUpdateUserPassword(&iamm.KeystoneUpdateUserPasswordRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserPasswordRequestBody{User: &iamm.KeystoneUpdatePasswordOption{Password: "Alice-pass-3", OriginalPassword: "Alice-pass-2"}}}))(t)
	_, err = ac.KeystoneUpdateUserPassword(&iamm.KeystoneUpdateUserPasswordRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserPasswordRequestBody{User: &iamm.KeystoneUpdatePasswordOption{Password: "Alice-pass-4", OriginalPassword: "Wrong-pass-9"}}})
	sdkError(t, err, 400, "IAM.0007")
	secrets = append(secrets, "Alice-pass-3", "Alice-pass-4", "Wrong-pass-9")
	// A request signed with the wrong secret.
	_, err = iamClient(t, env, ak, cr.SecretKey, cr.DomainID).KeystoneShowUser(&iamm.KeystoneShowUserRequest{UserId: alice})
	sdkError(t, err, 401, "APIGW.0301")

	rootToken, _ := login(t, env, passwordAuth(cr.UserName, cr.DomainName, cr.Password, "project", cr.Region))
	aliceToken, _ := login(t, env, passwordAuth("alice", cr.DomainName, "Alice-pass-3", "", ""))
	secrets = append(secrets, rootToken, aliceToken)
	if status, _, _ := rawJSON(t, "POST", env.Endpoint+"/v3/auth/tokens", passwordAuth("alice", cr.DomainName, "Guess-pass-7", "", ""), nil); status != 401 {
		t.Fatalf("wrong password: %d", status)
	}
	secrets = append(secrets, "Guess-pass-7")
	if status, _ := withToken(t, "GET", env.Endpoint+"/v2/cloudimages", rootToken, "", nil); status != http.StatusOK {
		t.Fatalf("root token: %d", status)
	}
	check(c.KeystoneValidateToken(&iamm.KeystoneValidateTokenRequest{XSubjectToken: aliceToken}))(t)
	forged := aliceToken[:len(aliceToken)-8] + "AAAAAAAA"
	if status, _ := withToken(t, "GET", env.Endpoint+"/v3/users", forged, "", nil); status != 401 {
		t.Fatalf("forged token: %d", status)
	}
	secrets = append(secrets, forged)
	check(c.KeystoneUpdateUserByAdmin(&iamm.KeystoneUpdateUserByAdminRequest{UserId: alice,
		Body: &iamm.KeystoneUpdateUserByAdminRequestBody{User: &iamm.KeystoneUpdateUserOption{Enabled: ptr(false)}}}))(t)
	if status, _ := withToken(t, "GET", env.Endpoint+"/v3/users/"+alice, aliceToken, "", nil); status != 401 {
		t.Fatalf("disabled user's token: %d", status)
	}

	out := logs.String()
	for _, want := range []string{"token issued", "access key created", "authentication failed"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the log lacks %q; is it captured?", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("a secret (%d characters, starting %q) appears in the server log", len(s), s[:3])
		}
		// Tokens are long; a leaked prefix would be as bad.
		if len(s) > 64 && strings.Contains(out, s[:48]) {
			t.Errorf("a token prefix appears in the server log")
		}
	}
}
