package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imsd/imsd/api"
)

// requireRoutes skips the test when imsd does not serve a route it needs
// yet: a name absent from api.Routes(). "A|B" accepts either name.
func requireRoutes(t *testing.T, names ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, r := range api.Routes() {
		have[r.Name] = true
	}
	var missing []string
	for _, n := range names {
		if !slices.ContainsFunc(strings.Split(n, "|"), func(a string) bool { return have[a] }) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Skipf("imsd does not serve %s yet (absent from api.Routes())", strings.Join(missing, ", "))
	}
}

// hasRoute reports whether imsd serves the named route.
func hasRoute(name string) bool {
	return slices.ContainsFunc(api.Routes(), func(r api.Route) bool { return r.Name == name })
}

// fail runs ims, expects exit 1 with want in stderr and a request id.
func (e *e2e) fail(t *testing.T, want string, args ...string) result {
	t.Helper()
	r := e.run(t, nil, args...)
	if r.code != exitError || !strings.Contains(r.stderr, want) || !requestID.MatchString(r.stderr) {
		t.Fatalf("want exit 1 with %s and a request id: %v", want, r)
	}
	return r
}

// TestIdentityEndToEnd drives ims iam and ims ep against a real imsd: the
// root creates a user with an access key, a group with the user in it and a
// custom policy, grants it in all projects; the user (a second profile
// made from the new key) lists and copies an image; after the revoke the
// copy is denied; policy check explains both; enterprise projects are
// created, listed and disabled; a deactivated key is refused.
func TestIdentityEndToEnd(t *testing.T) {
	requireRoutes(t, "KeystoneCreateUser", "KeystoneListUsers", "KeystoneShowUser", "KeystoneDeleteUser",
		"KeystoneCreateGroup", "KeystoneListGroups", "KeystoneDeleteGroup", "KeystoneAddUserToGroup",
		"KeystoneRemoveUserFromGroup", "KeystoneListUsersForGroupByAdmin", "KeystoneListPermissions",
		"CreateCloudServiceCustomPolicy", "ListCustomPolicies", "ShowCustomPolicy", "DeleteCustomPolicy",
		"UpdateDomainGroupInheritRole", "DeleteDomainGroupInheritedRole|DeleteDomainGroupInheritRole",
		"CreatePermanentAccessKey", "ListPermanentAccessKeys", "UpdatePermanentAccessKey", "DeletePermanentAccessKey",
		"CreateEnterpriseProject", "ListEnterpriseProject", "ShowEnterpriseProject", "DisableEnterpriseProject|EnableDisableEnterpriseProject")
	e := startServer(t)
	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))
	if shown := jsonOut[map[string]any](t, e.ok(t, "configure", "show", "-o", "json")); shown["domain_id"] == "" || shown["domain_id"] == nil {
		t.Fatalf("configure did not store the domain id: %v", shown)
	}
	disk := filepath.Join(t.TempDir(), "disk.raw")
	if err := os.WriteFile(disk, bytes.Repeat([]byte("imsd-iam"), 128<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	img := jsonOut[map[string]any](t, e.ok(t, "image", "import", disk, "--name", "iam-src", "--disk-format", "raw", "-o", "json"))
	imgID, _ := img["id"].(string)

	// A user, an access key saved as profile "alice", a group with her.
	user := jsonOut[map[string]any](t, e.ok(t, "iam", "user", "create", "alice", "--password", "Alice-pass-1234", "--description", "e2e", "-o", "json"))
	uid, _ := user["id"].(string)
	if uid == "" || user["name"] != "alice" {
		t.Fatalf("user create: %v", user)
	}
	if r := e.ok(t, "iam", "user", "list"); !strings.Contains(r.stdout, "alice") || !strings.Contains(r.stdout, uid) {
		t.Fatalf("user list: %v", r)
	}
	if u := jsonOut[map[string]any](t, e.ok(t, "iam", "user", "show", "alice", "-o", "json")); u["id"] != uid {
		t.Fatalf("user show by name: %v", u)
	}
	r := e.ok(t, "iam", "key", "create", "--user", "alice", "--save-profile", "alice", "--description", "e2e key")
	if !strings.Contains(r.stdout, "secret") || !strings.Contains(r.stderr, "shown only now") {
		t.Fatalf("key create: %v", r)
	}
	keys := jsonOut[[]map[string]any](t, e.ok(t, "iam", "key", "list", "--user", "alice", "-o", "json"))
	if len(keys) != 1 || keys[0]["user_id"] != uid || keys[0]["secret"] != nil {
		t.Fatalf("key list: %v", keys)
	}
	ak := keys[0]["access"].(string)
	alice := func(args ...string) result { return e.run(t, nil, append([]string{"--profile", "alice"}, args...)...) }
	if r := alice("image", "list"); r.code != exitError || !strings.Contains(r.stderr, "IMG.") {
		t.Fatalf("alice without grants should be denied: %v", r)
	}

	e.ok(t, "iam", "group", "create", "devs", "--description", "e2e")
	if r := e.ok(t, "iam", "group", "add-user", "devs", "alice"); !strings.Contains(r.stdout, "Added user alice") {
		t.Fatalf("add-user: %v", r)
	}
	if m := jsonOut[[]map[string]any](t, e.ok(t, "iam", "group", "users", "devs", "-o", "json")); len(m) != 1 || m[0]["id"] != uid {
		t.Fatalf("group users: %v", m)
	}

	// A custom policy granted in all projects lets alice list and copy.
	doc := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(doc, []byte(`{"Version":"1.1","Statement":[{"Effect":"Allow",
		"Action":["ims:images:copy","ims:images:get","ims:images:list"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pol := jsonOut[map[string]any](t, e.ok(t, "iam", "policy", "create", "image-copier", "--file", doc, "--description", "copy images", "-o", "json"))
	if pol["id"] == nil || pol["display_name"] != "image-copier" {
		t.Fatalf("policy create: %v", pol)
	}
	if r := e.ok(t, "iam", "policy", "list"); !strings.Contains(r.stdout, "image-copier") || !strings.Contains(r.stdout, "custom") {
		t.Fatalf("policy list: %v", r)
	}
	if r := e.ok(t, "iam", "policy", "show", "image-copier"); !strings.Contains(r.stdout, "ims:images:copy") {
		t.Fatalf("policy show: %v", r)
	}
	e.ok(t, "iam", "grant", "all-projects", "devs", "image-copier")
	if hasRoute("KeystoneListAllProjectPermissionsForGroup") {
		if r := e.ok(t, "iam", "grant", "list", "devs", "--all-projects"); !strings.Contains(r.stdout, "image-copier") {
			t.Fatalf("grant list: %v", r)
		}
	}
	if r := alice("image", "list"); r.code != 0 || !strings.Contains(r.stdout, imgID) {
		t.Fatalf("alice image list: %v", r)
	}
	if r := alice("image", "copy", imgID, "--name", "alice-copy", "--wait"); r.code != 0 {
		t.Fatalf("alice image copy: %v", r)
	}
	check := []string{"policy", "check", "--user", "alice", "--action", "ims:images:copy", "--image", imgID}
	if r := e.ok(t, check...); !strings.Contains(r.stdout, "ALLOW") || !strings.Contains(r.stdout, "image-copier") {
		t.Fatalf("policy check after grant: %v", r)
	}

	// Revoked: the copy is denied, and policy check says so.
	e.ok(t, "iam", "revoke", "all-projects", "devs", "image-copier")
	if r := alice("image", "copy", imgID, "--name", "alice-copy-2"); r.code != exitError || !strings.Contains(r.stderr, "IMG.0026") {
		t.Fatalf("alice copy after revoke: %v", r)
	}
	if r := e.ok(t, check...); !strings.Contains(r.stdout, "DENY") {
		t.Fatalf("policy check after revoke: %v", r)
	}

	// Enterprise projects.
	ep := jsonOut[map[string]any](t, e.ok(t, "ep", "create", "team-a", "--description", "e2e", "-o", "json"))
	epID, _ := ep["id"].(string)
	if r := e.ok(t, "ep", "list"); !strings.Contains(r.stdout, "team-a") || !strings.Contains(r.stdout, epID) {
		t.Fatalf("ep list: %v", r)
	}
	if hasRoute("MigrateResource") {
		e.ok(t, "ep", "move", imgID, "--ep", "team-a")
		if m := jsonOut[map[string]any](t, e.ok(t, "image", "show", imgID, "-o", "json")); m["enterprise_project_id"] != epID {
			t.Fatalf("image after ep move: %v", m)
		}
	}
	// A copy's target enterprise project may be named by name.
	job := jsonOut[map[string]any](t, e.ok(t, "image", "copy", imgID, "--name", "team-copy", "--enterprise-project", "team-a", "--wait", "-o", "json"))
	entities, _ := job["entities"].(map[string]any)
	copyID, _ := entities["image_id"].(string)
	if m := jsonOut[map[string]any](t, e.ok(t, "image", "show", copyID, "-o", "json")); m["enterprise_project_id"] != epID {
		t.Fatalf("copy into team-a by name: job %v, image %v", job, m)
	}
	if r := e.run(t, nil, "image", "copy", imgID, "--name", "x", "--enterprise-project", "no-such-ep"); r.code != exitError || !strings.Contains(r.stderr, `no enterprise project has the id or name "no-such-ep"`) {
		t.Fatalf("copy into an unknown enterprise project name: %v", r)
	}
	e.ok(t, "ep", "disable", "team-a")
	if m := jsonOut[map[string]any](t, e.ok(t, "ep", "show", epID, "-o", "json")); m["status"] != 2.0 {
		t.Fatalf("ep show -o json after disable: %v", m)
	}
	if r := e.ok(t, "ep", "show", "team-a"); !strings.Contains(r.stdout, "2 (disabled)") {
		t.Fatalf("ep show after disable: %v", r)
	}

	// A deactivated key is refused.
	e.ok(t, "iam", "key", "update", ak, "--inactive")
	if r := alice("image", "list"); r.code != exitError || !strings.Contains(r.stderr, "APIGW.0301") {
		t.Fatalf("inactive key: %v", r)
	}

	// Errors and clean-up.
	e.fail(t, "revoke image-copier from group devs: ", "iam", "revoke", "all-projects", "devs", "image-copier")
	if r := e.run(t, nil, "iam", "user", "show", "nobody"); r.code != exitError || !strings.Contains(r.stderr, `no user has the id or name "nobody"`) {
		t.Fatalf("unknown user: %v", r)
	}
	if r := e.run(t, nil, "iam", "user", "update", "alice", "--enable", "--disable"); r.code != exitUsage {
		t.Fatalf("--enable --disable: %v", r)
	}
	e.ok(t, "iam", "key", "delete", ak)
	e.ok(t, "iam", "group", "remove-user", "devs", "alice")
	e.ok(t, "iam", "group", "delete", "devs")
	e.ok(t, "iam", "policy", "delete", "image-copier")
	e.ok(t, "iam", "user", "delete", "alice")
	if l := jsonOut[[]map[string]any](t, e.ok(t, "iam", "user", "list", "-o", "json")); slices.ContainsFunc(l, func(m map[string]any) bool { return m["id"] == uid }) {
		t.Fatalf("alice still listed: %v", l)
	}
}

// TestIdentityWithoutDomainID: a profile without domain_id still serves
// the image commands; the identity commands ask the server for the domain
// and, when it cannot tell, fail with a usage error that says what to do.
func TestIdentityWithoutDomainID(t *testing.T) {
	clearEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v3/auth/domains" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"error_code":"APIGW.0101","error_msg":"The API does not exist or has not been published in the environment","request_id":"r-123456789"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"images": []any{}})
	}))
	defer srv.Close()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := saveConfig(cfg, &configFile{Profiles: map[string]profile{"default": {Endpoint: srv.URL, ProjectID: "p", AccessKey: "AK", SecretKey: "SK"}}}); err != nil {
		t.Fatal(err)
	}
	if _, e, code := runCLI(t, "--config", cfg, "image", "list"); code != 0 {
		t.Fatalf("image list with an old profile: %d %s", code, e)
	}
	_, e, code := runCLI(t, "--config", cfg, "iam", "user", "list")
	t.Logf("%s", e)
	if code != exitUsage || !strings.Contains(e, "no domain_id") || !strings.Contains(e, envDomain) || !strings.Contains(e, "APIGW.0101") {
		t.Fatalf("iam without domain id: %d %q", code, e)
	}
	t.Setenv(envDomain, "d-from-env")
	o, _, code := runCLI(t, "--config", cfg, "configure", "show")
	if code != 0 || !strings.Contains(o, "d-from-env") || !strings.Contains(o, "$"+envDomain) {
		t.Fatalf("configure show with %s: %q", envDomain, o)
	}
}

// TestResolveRef: ids win over names, names must be unique.
func TestResolveRef(t *testing.T) {
	list := []json.RawMessage{
		json.RawMessage(`{"id":"u1","name":"alice"}`), json.RawMessage(`{"id":"u2","name":"bob"}`),
		json.RawMessage(`{"id":"u3","name":"bob"}`), json.RawMessage(`{"id":"alice","name":"carol"}`),
	}
	for ref, want := range map[string]string{"u2": "u2", "alice": "alice", "carol": "alice"} {
		if got, err := resolveRef("user", ref, list, "name"); err != nil || got != want {
			t.Errorf("resolve %q: %q %v, want %q", ref, got, err, want)
		}
	}
	if _, err := resolveRef("user", "bob", list, "name"); err == nil || !strings.Contains(err.Error(), "u2, u3") {
		t.Errorf("ambiguous name: %v", err)
	}
	if _, err := resolveRef("user", "dave", list, "name"); err == nil || !err.(*refError).notFound {
		t.Errorf("unknown name: %v", err)
	}
}
