package compat

import (
	"net/http"
	"strings"
	"testing"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestLoginProtection: repeated password failures lock that user's logins
// (Huawei's 5 failures → 15 minutes), and repeated bad signatures lock that
// access key (more than 5 in a row → 5 minutes); the right password or
// signature is refused while locked, and every other user and key keeps
// working. Names that do not exist lock the same way, so the lock message
// does not reveal which users exist. (Unlocking after the lock time is
// pinned by auth.TestLockout with an injected clock.)
func TestLoginProtection(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	c := rootIAM(t, env)
	mkUser(t, c, "alice", "Alice-pass-1")
	mkUser(t, c, "bob", "Bob-pass-1")
	domain := env.Creds.DomainName
	tokenStatus := func(user, password string) (int, string) {
		status, _, body := rawJSON(t, "POST", env.Endpoint+"/v3/auth/tokens", passwordAuth(user, domain, password, "", ""), nil)
		return status, string(body)
	}

	t.Run("password logins", func(t *testing.T) {
		for i := 1; i <= 5; i++ {
			if status, body := tokenStatus("alice", "wrong-pass-1"); status != http.StatusUnauthorized || strings.Contains(body, "locked") {
				t.Fatalf("failure %d: %d %s", i, status, body)
			}
		}
		status, body := tokenStatus("alice", "Alice-pass-1")
		if status != http.StatusUnauthorized || !strings.Contains(body, "locked") || !strings.Contains(body, "APIGW.0301") {
			t.Fatalf("right password while locked: %d %s", status, body)
		}
		if status, body := tokenStatus("bob", "Bob-pass-1"); status != http.StatusCreated {
			t.Fatalf("another user while alice is locked: %d %s", status, body)
		}
		for range 5 {
			tokenStatus("ghost", "wrong-pass-1")
		}
		if _, body := tokenStatus("ghost", "wrong-pass-1"); !strings.Contains(body, "locked") {
			t.Fatalf("a name that does not exist must lock like a real one: %s", body)
		}
	})

	t.Run("access keys", func(t *testing.T) {
		ak, sk := env.NewUser(t, "signer")
		list := sdktest.Request{Method: "GET", Path: "/v2/cloudimages"}
		send := func(ak, sk string) int {
			resp, err := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, list))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for i := 1; i <= 6; i++ {
			if status := send(ak, "not-the-secret-key-of-this-ak"); status != http.StatusUnauthorized {
				t.Fatalf("bad signature %d: %d", i, status)
			}
		}
		if status := send(ak, sk); status != http.StatusUnauthorized {
			t.Fatalf("right signature with a locked key: %d, want 401", status)
		}
		if status := send(env.Creds.AccessKey, env.Creds.SecretKey); status != http.StatusOK {
			t.Fatalf("another key while one is locked: %d", status)
		}
	})

	t.Run("a success resets the count", func(t *testing.T) {
		ak, sk := env.NewUser(t, "careless")
		list := sdktest.Request{Method: "GET", Path: "/v2/cloudimages"}
		for round := range 3 {
			for range 5 {
				resp, _ := http.DefaultClient.Do(env.Signed(t, ak, "wrong-secret-wrong-secret", env.Creds.ProjectID, list))
				resp.Body.Close()
			}
			resp, _ := http.DefaultClient.Do(env.Signed(t, ak, sk, env.Creds.ProjectID, list))
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				t.Fatalf("round %d: 5 failures then the right key locked it (the lock needs more than 5 in a row)", round)
			}
		}
	})
}
