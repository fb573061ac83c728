// Package authz decides whether a principal may perform an action, the
// Huawei IAM way (iam.md §2): the account root may do everything; an IAM
// user gets the union of the policies granted to their groups, evaluated in
// two tiers. The IAM-project tier (grants on the request's project and on
// all projects) decides first when any statement matches; only when none
// matches does the enterprise-project tier (grants on the resource's
// enterprise project) decide; otherwise the request is implicitly denied.
// Within a tier an explicit Deny wins.
//
// Every decision can be explained (Explain): which grant, policy and
// statement decided, or that none matched.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/policy"
)

// Authorizer implements the service's authorization interface over the
// store's groups, grants and custom policies.
type Authorizer struct {
	store imsd.Store
	now   func() time.Time
	log   *slog.Logger

	mu    sync.Mutex
	cache map[string]cachedPolicy // custom policy id → compiled form
}

type cachedPolicy struct {
	updated time.Time
	policy  *policy.Policy
}

// New returns an Authorizer. now and log may be nil.
func New(store imsd.Store, now func() time.Time, log *slog.Logger) *Authorizer {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authorizer{store: store, now: now, log: log, cache: map[string]cachedPolicy{}}
}

// Explanation says how one check was decided.
type Explanation struct {
	Check   imsd.Check
	Allowed bool
	// Tier is "root", "project" (IAM-project tier), "enterprise_project",
	// "session" (denied by a session policy) or "" (nothing matched).
	Tier string
	// Effect is Allow, Deny or NoMatch.
	Effect policy.Effect
	// GroupID, PolicyID, PolicyName and Statement name the deciding grant,
	// when one decided.
	GroupID    string
	PolicyID   string
	PolicyName string
	Statement  int
	// Scope is the deciding grant's scope.
	Scope imsd.GrantScope
}

// String renders the explanation for logs and the CLI.
func (e Explanation) String() string {
	verdict := "DENY"
	if e.Allowed {
		verdict = "ALLOW"
	}
	switch {
	case e.Tier == "root":
		return fmt.Sprintf("%s %s: the account root bypasses policies", verdict, e.Check.Action)
	case e.Tier == "session":
		return fmt.Sprintf("%s %s: the session policy does not allow it", verdict, e.Check.Action)
	case e.PolicyID == "":
		return fmt.Sprintf("%s %s: no statement of any granted policy matched (implicit deny)", verdict, e.Check.Action)
	}
	return fmt.Sprintf("%s %s: %s statement %d of policy %q (%s) granted to group %s at %s scope",
		verdict, e.Check.Action, e.Effect, e.Statement, e.PolicyName, e.PolicyID, e.GroupID, scopeName(e.Scope))
}

func scopeName(s imsd.GrantScope) string {
	if s == "" {
		return "no"
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

// grantSet is everything one principal holds, loaded once per request.
type grantSet struct {
	tier1    []entry            // IAM-project tier (project + all projects)
	global   []entry            // global-service tier (domain + all projects)
	byEP     map[string][]entry // enterprise-project tier by EP id
	session  *policy.Policy
	globals  policy.Globals
	isRoot   bool
	policies []*policy.Policy // scratch for EvaluateAll
}

type entry struct {
	grant  *imsd.Grant
	name   string
	policy *policy.Policy
}

// load gathers the principal's effective grants.
func (a *Authorizer) load(ctx context.Context, p *imsd.Principal) (*grantSet, error) {
	gs := &grantSet{byEP: map[string][]entry{}, isRoot: p.IsRoot}
	gs.globals = policy.Globals{UserID: p.UserID, UserName: p.UserName, DomainName: p.DomainName, ProjectName: p.ProjectName,
		ServiceName: "ims", MFAPresent: policy.FlagOf(p.MFA), CurrentTime: a.now().UTC()}
	if ip, err := netip.ParseAddr(p.SourceIP); err == nil {
		gs.globals.SourceIP = ip
	}
	if len(p.SessionPolicy) > 0 {
		doc, err := policy.Parse(p.SessionPolicy)
		if err != nil {
			return nil, fmt.Errorf("session policy: %w", err)
		}
		if gs.session, err = policy.Compile(doc); err != nil {
			return nil, fmt.Errorf("session policy: %w", err)
		}
	}
	if p.IsRoot {
		return gs, nil
	}
	groups, err := a.store.GroupListForUser(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return gs, nil
	}
	ids := make([]string, 0, len(groups))
	for _, g := range groups {
		if g.DomainID == p.DomainID {
			ids = append(ids, g.ID)
		}
	}
	grants, err := a.store.GrantList(ctx, imsd.GrantQuery{DomainID: p.DomainID, GroupIDs: ids})
	if err != nil {
		return nil, err
	}
	var tier1, global []entry
	eps := map[string][]entry{}
	for _, g := range grants {
		pol, name, err := a.policy(ctx, p.DomainID, g.PolicyID)
		if errors.Is(err, imsd.ErrNotFound) {
			continue // a grant of a deleted policy grants nothing
		}
		if err != nil {
			return nil, err
		}
		e := entry{grant: g, name: name, policy: pol}
		switch g.Scope {
		case imsd.ScopeProject:
			if g.ScopeID == p.ProjectID && p.ProjectID != "" {
				tier1 = append(tier1, e)
			}
		case imsd.ScopeAllProjects:
			tier1 = append(tier1, e)
			global = append(global, e)
		case imsd.ScopeDomain:
			if g.ScopeID == p.DomainID {
				global = append(global, e)
			}
		case imsd.ScopeEnterpriseProject:
			eps[g.ScopeID] = append(eps[g.ScopeID], e)
		}
	}
	gs.tier1, gs.global = effective(tier1), effective(global)
	for ep, es := range eps {
		gs.byEP[ep] = effective(es)
	}
	return gs, nil
}

// effective drops 1.0 roles whose Depends are not granted at the same scope.
func effective(es []entry) []entry {
	grants := make([]policy.Grant, len(es))
	for i, e := range es {
		grants[i] = policy.Grant{Catalog: "CUSTOM", DisplayName: e.name, Depends: e.policy.Depends()}
		if sp, ok := policy.SystemPolicyByID(e.grant.PolicyID); ok {
			grants[i] = sp.Grant()
		}
	}
	ok := policy.EffectiveGrants(grants)
	out := es[:0:0]
	for i, e := range es {
		if ok[i] {
			out = append(out, e)
		}
	}
	return out
}

// policy returns the compiled policy of a grant: a system policy by id, or
// a custom policy of the domain (cached while unchanged).
func (a *Authorizer) policy(ctx context.Context, domainID, id string) (*policy.Policy, string, error) {
	if sp, ok := policy.SystemPolicyByID(id); ok {
		return sp.Policy(), sp.DisplayName, nil
	}
	row, err := a.store.PolicyGet(ctx, id)
	if err != nil {
		return nil, "", err
	}
	if row.DomainID != domainID {
		return nil, "", imsd.ErrNotFound
	}
	a.mu.Lock()
	c, ok := a.cache[id]
	a.mu.Unlock()
	if ok && c.updated.Equal(row.UpdatedAt) {
		return c.policy, row.Name, nil
	}
	doc, err := policy.Parse(row.Document)
	if err != nil {
		return nil, "", fmt.Errorf("custom policy %s: %w", id, err)
	}
	pol, err := policy.Compile(doc)
	if err != nil {
		return nil, "", fmt.Errorf("custom policy %s: %w", id, err)
	}
	a.mu.Lock()
	a.cache[id] = cachedPolicy{updated: row.UpdatedAt, policy: pol}
	a.mu.Unlock()
	return pol, row.Name, nil
}

// isGlobalService reports whether an action belongs to a global service
// (granted at domain scope) rather than a project-level one like IMS.
func isGlobalService(action string) bool {
	svc, _, _ := strings.Cut(action, ":")
	return slices.Contains(policy.GlobalServices, strings.ToLower(svc))
}

// decideTier evaluates one tier and returns the deciding entry (nil for
// NoMatch).
func (gs *grantSet) decideTier(es []entry, req *policy.Request) (policy.Decision, *entry) {
	gs.policies = gs.policies[:0]
	for _, e := range es {
		gs.policies = append(gs.policies, e.policy)
	}
	d := policy.EvaluateAll(gs.policies, req)
	if d.Effect == policy.NoMatch {
		return d, nil
	}
	return d, &es[d.Policy]
}

// decide answers one check.
func (gs *grantSet) decide(c imsd.Check) Explanation {
	ex := Explanation{Check: c, Statement: -1}
	req := &policy.Request{Action: c.Action, Context: &gs.globals}
	if gs.session != nil {
		if eff, _ := gs.session.Evaluate(req); eff != policy.Allow {
			ex.Tier, ex.Effect = "session", eff
			return ex
		}
	}
	if gs.isRoot {
		ex.Allowed, ex.Tier, ex.Effect = true, "root", policy.Allow
		return ex
	}
	first := gs.tier1
	if isGlobalService(c.Action) {
		first = gs.global
	}
	d, e := gs.decideTier(first, req)
	tier := "project"
	if d.Effect == policy.NoMatch && c.EnterpriseProject != "" && !c.Shared {
		d, e = gs.decideTier(gs.byEP[c.EnterpriseProject], req)
		tier = "enterprise_project"
	}
	ex.Effect = d.Effect
	if e == nil {
		return ex
	}
	ex.Allowed = d.Effect == policy.Allow
	ex.Tier, ex.GroupID, ex.PolicyID, ex.PolicyName, ex.Statement, ex.Scope = tier, e.grant.GroupID, e.grant.PolicyID, e.name, d.Statement, e.grant.Scope
	return ex
}

// Explain decides checks and explains each decision.
func (a *Authorizer) Explain(ctx context.Context, p *imsd.Principal, checks ...imsd.Check) ([]Explanation, error) {
	gs, err := a.load(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Explanation, len(checks))
	for i, c := range checks {
		out[i] = gs.decide(c)
	}
	return out, nil
}

// Authorize returns nil when every check is allowed, otherwise a 403
// *imsd.Error naming the first denied action. Denials are logged at debug
// level with their explanation.
func (a *Authorizer) Authorize(ctx context.Context, p *imsd.Principal, checks ...imsd.Check) error {
	exs, err := a.Explain(ctx, p, checks...)
	if err != nil {
		return &imsd.Error{Code: imsd.CodeInternal, Message: imsd.CodeInternal.Info().Message, Err: err}
	}
	for _, ex := range exs {
		if !ex.Allowed {
			a.log.Debug("authorization denied", "user_id", p.UserID, "project_id", p.ProjectID, "explanation", ex.String())
			return imsd.Errorf(imsd.CodeForbidden, "Policy doesn't allow %s to be performed.", ex.Check.Action)
		}
	}
	return nil
}

// Scope reports where action is allowed: in the whole project (all), or
// only in the listed enterprise projects.
func (a *Authorizer) Scope(ctx context.Context, p *imsd.Principal, action string) (bool, []string, error) {
	gs, err := a.load(ctx, p)
	if err != nil {
		return false, nil, err
	}
	if ex := gs.decide(imsd.Check{Action: action}); ex.Allowed {
		return true, nil, nil
	} else if ex.Effect == policy.Deny {
		return false, nil, nil
	}
	var eps []string
	for ep := range gs.byEP {
		if gs.decide(imsd.Check{Action: action, EnterpriseProject: ep}).Allowed {
			eps = append(eps, ep)
		}
	}
	sort.Strings(eps)
	return false, eps, nil
}

// Decide is Explain in the domain's vocabulary, for the service layer.
func (a *Authorizer) Decide(ctx context.Context, p *imsd.Principal, checks ...imsd.Check) ([]imsd.Decision, error) {
	exs, err := a.Explain(ctx, p, checks...)
	if err != nil {
		return nil, err
	}
	out := make([]imsd.Decision, len(exs))
	for i, ex := range exs {
		out[i] = imsd.Decision{Check: ex.Check, Allowed: ex.Allowed, Reason: ex.String()}
	}
	return out, nil
}
