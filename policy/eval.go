package policy

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// MaxCompiledStatements is the most statements Compile accepts in one
// document, so that statement sets fit a 64-bit mask. Custom policies are
// limited to 8 by Validate; system documents stay far below 64.
const MaxCompiledStatements = 64

// Policy is a compiled, immutable document, safe for concurrent use.
// Action patterns are pre-lowered and indexed (a hash table for literal
// actions, patterns with wildcards grouped by service, a 64-bit filter on
// the service name), condition values are pre-parsed, and statement sets
// are bit masks, so Evaluate does not allocate. Evaluation ignores the Depends
// of a 1.0 role: whether a granted role takes effect is the caller's
// question (see EffectiveGrants).
type Policy struct {
	doc       *Document
	stmts     []stmt
	denyMask  uint64 // statements with Effect Deny
	allowMask uint64 // statements with Effect Allow
	svcFilter uint64 // svcBitOf of every literal service named
	anySvc    bool   // some action has a wildcard in its service
	exact     exactTable
	// wild holds the patterns with a wildcard: first those whose service
	// has a wildcard (nAnySvc of them), then the others sorted by service
	// hash, grouped by svcGroups.
	wild      []wildAction
	nAnySvc   int
	svcGroups []svcGroup
}

// svcGroup locates the wildcard patterns of one literal service in wild.
type svcGroup struct {
	hash   uint64
	svc    string // lower-case
	lo, hi int32
}

// stmt is a compiled statement; its effect is in the policy's masks.
type stmt struct {
	resources []string // glob patterns; nil means every resource
	conds     []cond
}

// Compile checks what evaluation depends on (version, Effect, action syntax,
// resource syntax, operators, condition keys and values, at most
// MaxCompiledStatements statements) and compiles the document. It does not
// apply the custom-policy rules of Validate (limits, Resource support, …),
// so system documents and stored policies compile even if the rules change.
// Problems are returned as Errors.
func Compile(doc *Document) (*Policy, error) {
	var l errList
	p := compile(doc, &l, true)
	if err := l.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// MustCompile is Compile for documents known to be valid, such as the
// system policies; it panics on error.
func MustCompile(doc *Document) *Policy {
	p, err := Compile(doc)
	if err != nil {
		panic("policy: " + err.Error())
	}
	return p
}

// compile compiles doc, recording every problem in l. The result is only
// meaningful when l stays empty. Without build it only checks (for
// Validate) and skips building the indexes.
func compile(doc *Document, l *errList, build bool) *Policy {
	switch doc.Version {
	case Version10, Version11:
	case Version50:
		l.add(-1, "Version", `"5.0" identity policies are not supported yet`)
		return nil
	default:
		l.add(-1, "Version", `unsupported version %q (want "1.1", or "1.0" for roles)`, doc.Version)
		return nil
	}
	if len(doc.Depends) > 0 && doc.Version != Version10 {
		l.add(-1, "Depends", `is only allowed in version "1.0" roles`)
	}
	for i, d := range doc.Depends {
		if d.Catalog == "" || d.DisplayName == "" {
			l.add(-1, fmt.Sprintf("Depends[%d]", i), "catalog and display_name are required")
		}
	}
	if len(doc.Statement) > MaxCompiledStatements {
		l.add(-1, "Statement", "has %d statements, more than %d", len(doc.Statement), MaxCompiledStatements)
		return nil
	}
	p := &Policy{stmts: make([]stmt, len(doc.Statement))}
	if build {
		p.doc = doc.Clone()
	}
	exact := map[string]uint64{}
	wild := map[[3]string]int{} // pattern → index in p.wild
	for i, s := range doc.Statement {
		bit := uint64(1) << i
		switch s.Effect {
		case Allow:
			p.allowMask |= bit
		case Deny:
			p.denyMask |= bit
		default:
			l.add(i, stmtPath(i, ".Effect"), `must be "Allow" or "Deny"`)
		}
		cs := &p.stmts[i]
		if len(s.Action) == 0 {
			l.add(i, stmtPath(i, ".Action"), "needs at least one action")
		}
		for j, a := range s.Action {
			if msg := checkAction(a); msg != "" {
				l.add(i, stmtPath(i, fmt.Sprintf(".Action[%d]", j)), "%s", msg)
				continue
			}
			if build {
				p.addAction(strings.ToLower(a), bit, exact, wild)
			}
		}
		for j, r := range s.Resource {
			if msg := checkResource(r); msg != "" {
				l.add(i, stmtPath(i, fmt.Sprintf(".Resource[%d]", j)), "%s", msg)
			}
		}
		cs.resources = append([]string(nil), s.Resource...)
		seen := map[string]bool{}
		for _, c := range s.Condition {
			op := c.Operator.String()
			if canon, err := ParseOperator(op); err == nil {
				op = canon.String()
			}
			path := stmtPath(i, ".Condition."+op+"."+c.Key)
			cc, msg, vi := compileCondition(c)
			if msg != "" {
				if vi >= 0 {
					path += fmt.Sprintf("[%d]", vi)
				}
				l.add(i, path, "%s", msg)
				continue
			}
			id := op + "\x00" + cc.key
			if seen[id] {
				l.add(i, path, "appears twice (operator names are case-insensitive)")
			}
			seen[id] = true
			cs.conds = append(cs.conds, cc)
		}
	}
	if build {
		p.exact = newExactTable(exact)
		p.groupWild()
	}
	return p
}

// groupWild orders the wildcard patterns for eval: wildcard services first,
// then literal services by hash, with one svcGroup per service.
func (p *Policy) groupWild() {
	slices.SortStableFunc(p.wild, func(a, b wildAction) int {
		return cmp.Or(cmp.Compare(a.svcHash, b.svcHash), cmp.Compare(a.svc.s, b.svc.s))
	})
	for i, w := range p.wild {
		if w.svcHash == 0 {
			p.nAnySvc = i + 1
			continue
		}
		if n := len(p.svcGroups); n > 0 && p.svcGroups[n-1].svc == w.svc.s {
			p.svcGroups[n-1].hi = int32(i + 1)
		} else {
			p.svcGroups = append(p.svcGroups, svcGroup{hash: w.svcHash, svc: w.svc.s, lo: int32(i), hi: int32(i + 1)})
		}
	}
}

// addAction indexes one lower-case, syntactically valid action pattern.
func (p *Policy) addAction(a string, bit uint64, exact map[string]uint64, wild map[[3]string]int) {
	segs := strings.SplitN(a, ":", 3)
	svcLit := !hasWildcard(segs[0])
	if svcLit {
		p.svcFilter |= svcBitOf(segs[0])
	} else {
		p.anySvc = true
	}
	if !hasWildcard(a) {
		exact[a] |= bit
		return
	}
	key := [3]string{segs[0], segs[1], segs[2]}
	if i, ok := wild[key]; ok {
		p.wild[i].stmts |= bit
		return
	}
	wild[key] = len(p.wild)
	p.wild = append(p.wild, newWildAction(segs[0], segs[1], segs[2], bit))
}

// checkResource returns a problem with a Resource pattern, or "". The form
// is service:region:domain:type:path; the path may contain further colons.
func checkResource(r string) string {
	segs := strings.SplitN(r, ":", 5)
	if len(segs) != 5 || segs[0] == "" || segs[3] == "" || segs[4] == "" {
		return fmt.Sprintf("%q must have the form service:region:domain:type:path", r)
	}
	return ""
}

// Evaluate decides req against this policy alone: Deny if a Deny statement
// applies, else Allow if an Allow statement applies, else NoMatch. A
// statement applies when one of its actions matches req.Action, one of its
// resources (if it lists any) matches req.Resource, and all its conditions
// hold. The second result is the index of the deciding statement, or -1.
// When several statements of the winning effect apply, the lowest index is
// reported.
func (p *Policy) Evaluate(req *Request) (Effect, int) {
	k := makeActionKey(req.Action)
	return p.eval(&k, req, true)
}

// eval is Evaluate with a prepared action. When wantAllow is false the
// caller already holds an Allow, so only Deny statements are considered.
func (p *Policy) eval(k *actionKey, req *Request, wantAllow bool) (Effect, int) {
	if k.svcBit&p.svcFilter == 0 && !p.anySvc {
		return NoMatch, -1
	}
	need := p.denyMask
	if wantAllow {
		need |= p.allowMask
	}
	cand := p.exact.lookup(k) & need
	if k.ok {
		cand = matchWild(p.wild[:p.nAnySvc], k, need, cand, false)
		for i := range p.svcGroups {
			g := &p.svcGroups[i]
			if g.hash > k.svcHash {
				break
			}
			if g.hash == k.svcHash && equalFoldASCII(k.svc, g.svc) {
				cand = matchWild(p.wild[g.lo:g.hi], k, need, cand, true)
			}
		}
	}
	for m := cand & p.denyMask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if p.stmts[i].applies(req) {
			return Deny, i
		}
	}
	for m := cand & p.allowMask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if p.stmts[i].applies(req) {
			return Allow, i
		}
	}
	return NoMatch, -1
}

// matchWild adds to cand the needed statements of the patterns matching k;
// svcChecked says the caller has matched the service already.
func matchWild(ws []wildAction, k *actionKey, need, cand uint64, svcChecked bool) uint64 {
	for i := range ws {
		w := &ws[i]
		if w.stmts&need&^cand != 0 && (svcChecked && w.matchRest(k) || !svcChecked && w.match(k)) {
			cand |= w.stmts & need
		}
	}
	return cand
}

// applies checks the resources and conditions of a statement whose action
// already matched.
func (s *stmt) applies(req *Request) bool {
	if len(s.resources) > 0 {
		if req.Resource == "" {
			return false
		}
		found := false
		for _, r := range s.resources {
			if glob(r, req.Resource, false) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	for i := range s.conds {
		if !s.conds[i].eval(req.Context) {
			return false
		}
	}
	return true
}

// Version returns the document version ("1.0" or "1.1").
func (p *Policy) Version() Version { return p.doc.Version }

// Depends returns the Depends entries of a 1.0 role (nil for policies).
// The slice must not be modified.
func (p *Policy) Depends() []Depend { return p.doc.Depends }

// Document returns a copy of the document the policy was compiled from,
// e.g. to show the statement a Decision names.
func (p *Policy) Document() *Document { return p.doc.Clone() }

// Decision is the outcome of evaluating all the policies of one tier,
// with its explanation.
type Decision struct {
	// Effect is Deny if some Deny statement applied, else Allow if some
	// Allow statement applied, else NoMatch (an implicit deny).
	Effect Effect
	// Policy is the index in the evaluated slice of the policy holding the
	// deciding statement, -1 for NoMatch.
	Policy int
	// Statement is the index of the deciding statement in that policy, -1
	// for NoMatch.
	Statement int
}

// Allowed reports whether the decision grants the request.
func (d Decision) Allowed() bool { return d.Effect == Allow }

// String explains the decision, e.g. "Deny by policy 3, statement 1".
func (d Decision) String() string {
	if d.Effect == NoMatch {
		return "NoMatch (no statement applies: implicit deny)"
	}
	return fmt.Sprintf("%s by policy %d, statement %d", d.Effect, d.Policy, d.Statement)
}

// EvaluateAll decides req against every policy applicable in one tier
// (iam.md §1.3): an applicable Deny statement anywhere wins; otherwise an
// applicable Allow statement allows; otherwise the result is NoMatch, which
// the caller treats as an implicit deny or, across tiers, as "undecided".
// The explanation names the first policy (in slice order) holding a deciding
// statement and the lowest such statement in it. Nil policies are skipped.
// EvaluateAll does not allocate.
func EvaluateAll(policies []*Policy, req *Request) Decision {
	k := makeActionKey(req.Action)
	allow := Decision{Effect: NoMatch, Policy: -1, Statement: -1}
	for i, p := range policies {
		if p == nil {
			continue
		}
		switch eff, s := p.eval(&k, req, allow.Effect != Allow); eff {
		case Deny:
			return Decision{Effect: Deny, Policy: i, Statement: s}
		case Allow:
			allow = Decision{Effect: Allow, Policy: i, Statement: s}
		}
	}
	return allow
}
