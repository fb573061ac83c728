package authz

// The iam.md §7 cases that concern grants, scopes, tiers and principals
// (the policy language cases live in package policy): 12, 13 (scopes), 14,
// 30, 31, 32, 33, 34, 36 and 47 here; 37–42, 44 and 45 end to end through
// HTTP in compat/authz_test.go; 43 (KMS) in compat/kms_test.go
// (TestCopyKeyValidation); 35 (shared images) waits for image sharing; 46
// (AK/SK failures) is compat/auth_test.go.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/policy"
	"github.com/imsd/imsd/store/sqlite"
)

type fixture struct {
	t     *testing.T
	store imsd.Store
	az    *Authorizer
	d     *imsd.Domain
	p1    *imsd.Project
	p2    *imsd.Project
	user  *imsd.User
	n     int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "authz.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	f := &fixture{t: t, store: st, az: New(st, nil, nil)}
	f.d = &imsd.Domain{ID: "d0000000000000000000000000000001", Name: "acme", CreatedAt: now}
	f.p1 = &imsd.Project{ID: "p1000000000000000000000000000001", DomainID: f.d.ID, Name: "local-1", Enabled: true, CreatedAt: now}
	f.p2 = &imsd.Project{ID: "p2000000000000000000000000000002", DomainID: f.d.ID, Name: "local-1_dev", Enabled: true, CreatedAt: now}
	f.user = &imsd.User{ID: "u0000000000000000000000000000001", DomainID: f.d.ID, Name: "alice", Enabled: true, CreatedAt: now}
	ctx := context.Background()
	must(t, st.DomainInsert(ctx, f.d))
	must(t, st.ProjectInsert(ctx, f.p1))
	must(t, st.ProjectInsert(ctx, f.p2))
	must(t, st.UserInsert(ctx, f.user))
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// group makes a group with the user as member.
func (f *fixture) group() string {
	f.t.Helper()
	f.n++
	g := &imsd.Group{ID: strings.Repeat("0", 30) + string(rune('a'+f.n/10)) + string(rune('0'+f.n%10)), DomainID: f.d.ID, Name: "g" + string(rune('a'+f.n)), CreatedAt: time.Now().UTC()}
	must(f.t, f.store.GroupInsert(context.Background(), g))
	must(f.t, f.store.GroupMemberAdd(context.Background(), g.ID, f.user.ID))
	return g.ID
}

// custom stores a custom policy and returns its id.
func (f *fixture) custom(doc string) string {
	f.t.Helper()
	f.n++
	now := time.Now().UTC()
	p := &imsd.Policy{ID: "c" + strings.Repeat("0", 29) + string(rune('a'+f.n/10)) + string(rune('0'+f.n%10)), DomainID: f.d.ID,
		Name: "custom-" + string(rune('a'+f.n)), Type: "XA", Document: []byte(doc), CreatedAt: now, UpdatedAt: now}
	must(f.t, f.store.PolicyInsert(context.Background(), p))
	return p.ID
}

func (f *fixture) grant(group, policyID string, scope imsd.GrantScope, scopeID string) *imsd.Grant {
	f.t.Helper()
	g := &imsd.Grant{DomainID: f.d.ID, GroupID: group, PolicyID: policyID, Scope: scope, ScopeID: scopeID, CreatedAt: time.Now().UTC()}
	must(f.t, f.store.GrantInsert(context.Background(), g))
	return g
}

func sys(t *testing.T, name string) string {
	t.Helper()
	sp, ok := policy.SystemPolicyByName(name)
	if !ok {
		sp, ok = systemByDisplayName(name)
	}
	if !ok {
		t.Fatalf("no system policy %q", name)
	}
	return sp.ID
}

func systemByDisplayName(name string) (policy.SystemPolicy, bool) {
	for _, sp := range policy.SystemPolicies() {
		if sp.DisplayName == name {
			return sp, true
		}
	}
	return policy.SystemPolicy{}, false
}

func (f *fixture) principal(project *imsd.Project) *imsd.Principal {
	return &imsd.Principal{DomainID: f.d.ID, DomainName: f.d.Name, ProjectID: project.ID, ProjectName: project.Name,
		UserID: f.user.ID, UserName: f.user.Name, AuthMethod: "aksk"}
}

func (f *fixture) allowed(p *imsd.Principal, c imsd.Check) bool {
	f.t.Helper()
	exs, err := f.az.Explain(context.Background(), p, c)
	if err != nil {
		f.t.Fatal(err)
	}
	return exs[0].Allowed
}

const copyAction = "ims:images:copy"

func TestCase12RootAndNoGroups(t *testing.T) {
	f := newFixture(t)
	root := f.principal(f.p1)
	root.IsRoot = true
	if !f.allowed(root, imsd.Check{Action: copyAction}) {
		t.Fatal("the account root must bypass policies")
	}
	if f.allowed(f.principal(f.p1), imsd.Check{Action: copyAction}) {
		t.Fatal("a user without groups must be denied")
	}
	err := f.az.Authorize(context.Background(), f.principal(f.p1), imsd.Check{Action: copyAction})
	if imsd.ErrorCode(err) != imsd.CodeForbidden {
		t.Fatalf("Authorize = %v, want IMG.0026", err)
	}
}

func TestCase13RoleDependsAtSameScope(t *testing.T) {
	cases := []struct {
		name      string
		taProject string // where Tenant Administrator is granted ("" = nowhere)
		want      bool
	}{
		{"without Tenant Administrator", "", false},
		{"with Tenant Administrator in the same project", "p1", true},
		{"with Tenant Administrator in another project", "p2", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			g := f.group()
			f.grant(g, sys(t, policy.IMSAdministrator), imsd.ScopeProject, f.p1.ID)
			switch c.taProject {
			case "p1":
				f.grant(g, sys(t, policy.TenantAdministrator), imsd.ScopeProject, f.p1.ID)
			case "p2":
				f.grant(g, sys(t, policy.TenantAdministrator), imsd.ScopeProject, f.p2.ID)
			}
			// The decisive case is the last: Tenant Administrator granted in
			// another project does not make IMS Administrator effective here.
			if got := f.allowed(f.principal(f.p1), imsd.Check{Action: copyAction}); got != c.want {
				t.Fatalf("allowed=%v, want %v", got, c.want)
			}
		})
	}
}

func TestCase14SessionPolicyIntersects(t *testing.T) {
	cases := []struct {
		name    string
		user    string // custom policy of the user
		session string
		want    bool
	}{
		{"user allows, session lacks the action", `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:*:*"]}]}`,
			`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}`, false},
		{"session allows, user lacks the action", `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}`,
			`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:*:*"]}]}`, false},
		{"both allow", `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:copy"]}]}`,
			`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:*"]}]}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.grant(f.group(), f.custom(c.user), imsd.ScopeProject, f.p1.ID)
			p := f.principal(f.p1)
			p.SessionPolicy = []byte(c.session)
			if got := f.allowed(p, imsd.Check{Action: copyAction}); got != c.want {
				t.Fatalf("allowed=%v, want %v", got, c.want)
			}
		})
	}
}

func TestCase30ProjectAndAllProjectsScopes(t *testing.T) {
	f := newFixture(t)
	g := f.group()
	f.grant(g, sys(t, policy.IMSFullAccess), imsd.ScopeProject, f.p1.ID)
	if !f.allowed(f.principal(f.p1), imsd.Check{Action: copyAction}) {
		t.Fatal("project grant must allow in its project")
	}
	if f.allowed(f.principal(f.p2), imsd.Check{Action: copyAction}) {
		t.Fatal("project grant must not allow in another project")
	}
	f.grant(f.group(), sys(t, policy.IMSFullAccess), imsd.ScopeAllProjects, "")
	p3 := &imsd.Project{ID: "p3000000000000000000000000000003", DomainID: f.d.ID, Name: "local-1_later", Enabled: true, CreatedAt: time.Now().UTC()}
	must(t, f.store.ProjectInsert(context.Background(), p3))
	for _, p := range []*imsd.Project{f.p1, f.p2, p3} {
		if !f.allowed(f.principal(p), imsd.Check{Action: copyAction}) {
			t.Fatalf("all-projects grant must allow in %s", p.Name)
		}
	}
}

func TestCase31DomainScopeDoesNotAuthorizeIMS(t *testing.T) {
	f := newFixture(t)
	f.grant(f.group(), sys(t, policy.IMSFullAccess), imsd.ScopeDomain, f.d.ID)
	if f.allowed(f.principal(f.p1), imsd.Check{Action: copyAction}) {
		t.Fatal("a domain-scope grant must not authorize a project-level service")
	}
}

func TestCase32And33EnterpriseProjectScope(t *testing.T) {
	f := newFixture(t)
	f.grant(f.group(), sys(t, policy.IMSFullAccess), imsd.ScopeEnterpriseProject, "ep-a")
	p := f.principal(f.p1)
	cases := []struct {
		name  string
		check imsd.Check
		want  bool
	}{
		{"resource in the granted EP", imsd.Check{Action: "ims:images:get", EnterpriseProject: "ep-a"}, true},
		{"resource in another EP", imsd.Check{Action: "ims:images:get", EnterpriseProject: "ep-b"}, false},
		{"resource in the default EP", imsd.Check{Action: "ims:images:get", EnterpriseProject: "0"}, false},
		{"action without EP support (case 33)", imsd.Check{Action: "ims:images:share"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := f.allowed(p, c.check); got != c.want {
				t.Fatalf("allowed=%v, want %v", got, c.want)
			}
		})
	}
	all, eps, err := f.az.Scope(context.Background(), p, "ims:images:list")
	if err != nil || all || len(eps) != 1 || eps[0] != "ep-a" {
		t.Fatalf("Scope = %v %v %v, want only ep-a", all, eps, err)
	}
}

func TestCase34TierOrder(t *testing.T) {
	allowCopy := `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:copy"]}]}`
	denyCopy := `{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["ims:images:copy"]}]}`
	listOnly := `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}`
	cases := []struct {
		name        string
		project, ep string
		want        bool
		tier        string
	}{
		{"project Allow beats EP Deny (Huawei literal)", allowCopy, denyCopy, true, "project"},
		{"project Deny beats EP Allow", denyCopy, allowCopy, false, "project"},
		{"project no match, EP Allow", listOnly, allowCopy, true, "enterprise_project"},
		{"project no match, EP Deny", listOnly, denyCopy, false, "enterprise_project"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			g := f.group()
			f.grant(g, f.custom(c.project), imsd.ScopeProject, f.p1.ID)
			f.grant(g, f.custom(c.ep), imsd.ScopeEnterpriseProject, "ep-a")
			exs, err := f.az.Explain(context.Background(), f.principal(f.p1), imsd.Check{Action: copyAction, EnterpriseProject: "ep-a"})
			if err != nil {
				t.Fatal(err)
			}
			if exs[0].Allowed != c.want || exs[0].Tier != c.tier {
				t.Fatalf("got %v (%s), want allowed=%v tier=%s", exs[0].Allowed, exs[0], c.want, c.tier)
			}
			if !strings.Contains(exs[0].String(), "statement 0") {
				t.Fatalf("explanation %q does not name the statement", exs[0])
			}
		})
	}
}

func TestCase47ChangesApplyAtOnce(t *testing.T) {
	f := newFixture(t)
	g := f.group()
	pid := f.custom(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:copy"]}]}`)
	gr := f.grant(g, pid, imsd.ScopeProject, f.p1.ID)
	p := f.principal(f.p1)
	if !f.allowed(p, imsd.Check{Action: copyAction}) {
		t.Fatal("grant must allow")
	}
	ctx := context.Background()
	pol, err := f.store.PolicyGet(ctx, pid)
	must(t, err)
	pol.Document = []byte(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}`)
	pol.UpdatedAt = pol.UpdatedAt.Add(time.Second)
	must(t, f.store.PolicyUpdate(ctx, pol))
	if f.allowed(p, imsd.Check{Action: copyAction}) {
		t.Fatal("an edited policy must apply at once")
	}
	must(t, f.store.GrantDelete(ctx, gr))
	if f.allowed(p, imsd.Check{Action: "ims:images:list"}) {
		t.Fatal("a revoked grant must apply at once")
	}
	f.grant(g, sys(t, policy.IMSFullAccess), imsd.ScopeProject, f.p1.ID)
	must(t, f.store.GroupMemberRemove(ctx, g, f.user.ID))
	if f.allowed(p, imsd.Check{Action: copyAction}) {
		t.Fatal("leaving the group must apply at once")
	}
}

func TestCase35SharedImageIgnoresEnterpriseProjectGrants(t *testing.T) {
	cases := []struct {
		name         string
		projectGrant bool
		check        imsd.Check
		want         bool
	}{
		{"own image in the granted EP", false, imsd.Check{Action: "ims:images:get", EnterpriseProject: "ep-a"}, true},
		{"shared image in the granted EP: the EP grant is ignored", false, imsd.Check{Action: "ims:images:get", EnterpriseProject: "ep-a", Shared: true}, false},
		{"shared image with an IAM-project grant", true, imsd.Check{Action: "ims:images:get", EnterpriseProject: "ep-a", Shared: true}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.grant(f.group(), sys(t, policy.IMSFullAccess), imsd.ScopeEnterpriseProject, "ep-a")
			if c.projectGrant {
				f.grant(f.group(), sys(t, policy.IMSReadOnlyAccess), imsd.ScopeProject, f.p1.ID)
			}
			if got := f.allowed(f.principal(f.p1), c.check); got != c.want {
				t.Fatalf("allowed=%v, want %v", got, c.want)
			}
		})
	}
}
