package policy

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestDifferential compares the engine with the naive reference evaluator
// (ref_test.go) on random policies and requests from a seeded PRNG: random
// actions with wildcards and mixed case, conditions of every operator with
// qualifiers and IfExists, resources, and random contexts given both as
// *Globals (the typed fast path) and as Values (the string path).
func TestDifferential(t *testing.T) {
	trials := 2000
	if testing.Short() {
		trials = 200
	}
	r := rand.New(rand.NewPCG(1, 2))
	checks := 0
	var outcomes [3]int
	for trial := range trials {
		n := 1 + r.IntN(4)
		docs := make([]*Document, n)
		pols := make([]*Policy, n)
		for i := range docs {
			gen := genDocument(r)
			data, err := gen.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Parse(data)
			if err != nil {
				t.Fatalf("trial %d: Parse(%s): %v", trial, data, err)
			}
			again, _ := doc.MarshalJSON()
			if !bytes.Equal(again, data) {
				t.Fatalf("round trip:\n%s\n%s", data, again)
			}
			docs[i] = doc
			if pols[i], err = Compile(doc); err != nil {
				t.Fatalf("trial %d: Compile(%s): %v", trial, data, err)
			}
		}
		for range 20 {
			action, resource := genRequestAction(r), ""
			if r.IntN(4) == 0 {
				resource = pick(r, "obs:r:d:bucket:ab", "obs:r:d:bucket:x", "ims:r:d:image:1")
			}
			var contexts []Context
			var logical map[string][]string
			if r.IntN(3) > 0 {
				g := genGlobals(r)
				logical = globalsMap(g)
				contexts = []Context{g, Values(logical)}
			} else {
				logical = genValues(r)
				contexts = []Context{Values(logical)}
			}
			wantEff, wantP, wantS := refEvaluate(docs, action, resource, logical)
			outcomes[wantEff]++
			for _, ctx := range contexts {
				req := &Request{Action: action, Resource: resource, Context: ctx}
				d := EvaluateAll(pols, req)
				checks++
				if d.Effect != wantEff || d.Policy != wantP || d.Statement != wantS {
					dumpDocs(t, docs)
					t.Fatalf("trial %d: action=%q resource=%q ctx=%#v (%T)\nengine %v, reference %v by %d/%d",
						trial, action, resource, logical, ctx, d, wantEff, wantP, wantS)
				}
				for i, p := range pols {
					eff, s := p.Evaluate(req)
					we, _, ws := refEvaluate(docs[i:i+1], action, resource, logical)
					if eff != we || s != ws {
						dumpDocs(t, docs[i:i+1])
						t.Fatalf("trial %d policy %d: action=%q ctx=%#v: engine %v/%d, reference %v/%d",
							trial, i, action, logical, eff, s, we, ws)
					}
				}
			}
		}
	}
	t.Logf("%d decisions compared; reference outcomes NoMatch/Allow/Deny = %v", checks, outcomes)
	for e, n := range outcomes {
		if n < trials {
			t.Errorf("only %d %v outcomes: the generator is too narrow", n, Effect(e))
		}
	}
}

func dumpDocs(t *testing.T, docs []*Document) {
	t.Helper()
	for i, d := range docs {
		b, _ := d.MarshalJSON()
		t.Logf("policy %d: %s", i, b)
	}
}

func pick(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

// randomCase upper-cases some ASCII letters.
func randomCase(r *rand.Rand, s string) string {
	if r.IntN(3) > 0 {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && r.IntN(2) == 0 {
			b[i] = c - 32
		}
	}
	return string(b)
}

func genDocument(r *rand.Rand) *Document {
	d := &Document{Version: Version11}
	for range 1 + r.IntN(5) {
		s := Statement{Effect: Allow}
		if r.IntN(3) == 0 {
			s.Effect = Deny
		}
		for range 1 + r.IntN(3) {
			s.Action = append(s.Action, pick(r, "ims", "ecs", "obs", "*", "i*", "*s")+":"+
				randomCase(r, pick(r, "images", "serverImages", "*", "image*", "*Images", "*a*"))+":"+
				randomCase(r, pick(r, "get", "list", "copy", "getJob", "*", "get*", "*e*", "c*y")))
		}
		if r.IntN(6) == 0 {
			s.Resource = []string{pick(r, "obs:*:*:bucket:a*", "obs:*:*:bucket:?", "*:*:*:*:*")}
		}
		seen := map[string]bool{}
		for range r.IntN(4) {
			c := genCondition(r)
			if id := c.Operator.String() + c.Key; !seen[id] {
				seen[id] = true
				s.Condition = append(s.Condition, c)
			}
		}
		d.Statement = append(d.Statement, s)
	}
	return d
}

var genKeys = []string{KeyUserName, KeyUserID, KeyDomainName, KeyProjectName, KeyServiceName,
	KeyMFAPresent, KeyMFAAge, KeyCurrentTime, KeySourceIP, "ims:tags", "obs:max-keys"}

var genPolicyValues = map[family][]string{
	famString: {"a", "b", "ab", "A", "ops-1", "ops-*", "o?s*", "", "é", "*", "1", "2024-01-01T"},
	famNumber: {"0", "1", "1.5", "-2", "300", "1e2", "+.5"},
	famDate:   {"2024-01-01T00:00:00Z", "2024-01-01", "2024-06-01T12:00:00+08:00", "2023-12-31T23:59:59.5Z"},
	famBool:   {"true", "false", "TRUE"},
	famNull:   {"true", "false"},
	famIP:     {"10.0.0.0/8", "10.1.2.3", "192.168.0.0/16", "2001:db8::/32", "0.0.0.0/0"},
}

func genCondition(r *rand.Rand) Condition {
	k := opKind(1 + r.IntN(int(opCount)-1))
	op := Operator{Name: ops[k].name}
	if k != opNull {
		switch r.IntN(5) {
		case 0:
			op.Qualifier = QualifierForAnyValue
		case 1:
			op.Qualifier = QualifierForAllValues
		}
		op.IfExists = r.IntN(5) == 0
	}
	vals := genPolicyValues[ops[k].fam]
	c := Condition{Operator: op, Key: genKeys[r.IntN(len(genKeys))]}
	for range 1 + r.IntN(3) {
		c.Values = append(c.Values, vals[r.IntN(len(vals))])
	}
	return c
}

func genRequestAction(r *rand.Rand) string {
	if r.IntN(20) == 0 {
		return pick(r, "ims:images", "ims:images:get:x", "", "ims::get", "*:*:*")
	}
	return pick(r, "ims", "ecs", "obs", "IMS") + ":" +
		pick(r, "images", "serverImages", "dataImages", "quotas", "IMAGES") + ":" +
		pick(r, "get", "list", "copy", "getJob", "delete", "create", "GET", "cy")
}

var genTimes = []time.Time{
	time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2023, 12, 31, 23, 59, 59, 500000000, time.UTC),
	time.Date(2024, 6, 1, 4, 0, 0, 0, time.UTC),
	time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("CST", 8*3600)),
	time.Date(2030, 1, 1, 0, 0, 0, 1, time.UTC),
}

var genAddrs = []string{"10.1.2.3", "192.168.1.1", "2001:db8::1", "::ffff:10.0.0.1", "8.8.8.8"}

func genString(r *rand.Rand) string {
	return pick(r, "", "a", "b", "A", "ab", "ops-1", "ops-12", "é", "oXs", "2024")
}

func genGlobals(r *rand.Rand) *Globals {
	g := &Globals{
		UserID: genString(r), UserName: genString(r), DomainName: genString(r),
		ProjectName: genString(r), ServiceName: genString(r),
		MFAPresent: Flag(r.IntN(3)),
	}
	if r.IntN(2) == 0 {
		g.HasMFAAge = true
		g.MFAAge = []int64{0, 1, 300, -2, 100}[r.IntN(5)]
	}
	if r.IntN(4) > 0 {
		g.CurrentTime = genTimes[r.IntN(len(genTimes))]
	}
	if r.IntN(4) > 0 {
		g.SourceIP = netip.MustParseAddr(genAddrs[r.IntN(len(genAddrs))])
	}
	if r.IntN(2) == 0 {
		g.Extra = Values(genExtra(r))
	}
	return g
}

// globalsMap is the logical context a *Globals stands for.
func globalsMap(g *Globals) map[string][]string {
	m := map[string][]string{}
	for _, k := range genKeys {
		if vals, ok := g.Get(k); ok && len(vals) > 0 {
			m[k] = vals
		}
	}
	return m
}

func genExtra(r *rand.Rand) map[string][]string {
	m := map[string][]string{}
	if r.IntN(3) > 0 {
		var tags []string
		for range r.IntN(4) {
			tags = append(tags, pick(r, "a", "b", "x", "ops-1", ""))
		}
		m["ims:tags"] = tags
	}
	if r.IntN(2) == 0 {
		m["obs:max-keys"] = []string{pick(r, "1", "300", "ten", "1e2", "-2", "0x10", "Inf")}
	}
	return m
}

// genValues is a context given only as strings: multi-valued global keys
// and values that do not parse as the key's type.
func genValues(r *rand.Rand) map[string][]string {
	m := genExtra(r)
	mixed := []string{"a", "b", "ops-1", "true", "TRUE", "false", "yes", "1", "1.5", "300", "-2", "1e2", "nan",
		"2024-01-01T00:00:00Z", "2024-01-01", "2024-06-01T12:00:00+08:00", "not-a-date",
		"10.1.2.3", "2001:db8::1", "::ffff:10.0.0.1", "300.1.1.1", ""}
	for _, k := range genKeys[:9] {
		if r.IntN(2) == 0 {
			continue
		}
		var vals []string
		for range r.IntN(3) {
			vals = append(vals, mixed[r.IntN(len(mixed))])
		}
		m[k] = vals
	}
	return m
}

// TestGlobalsGet checks the string forms Globals.Get produces.
func TestGlobalsGet(t *testing.T) {
	g := &Globals{
		UserName: "u", MFAPresent: FlagFalse, MFAAge: 42, HasMFAAge: true,
		CurrentTime: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC),
		SourceIP:    netip.MustParseAddr("10.0.0.1"),
		Extra:       Values{"ims:tags": {"a", "b"}},
	}
	want := map[string]string{
		KeyUserName: "u", KeyMFAPresent: "false", KeyMFAAge: "42",
		KeyCurrentTime: "2024-01-02T03:04:05.000000006Z", KeySourceIP: "10.0.0.1", "ims:tags": "a,b",
	}
	for k, w := range want {
		vals, ok := g.Get(k)
		if !ok || strings.Join(vals, ",") != w {
			t.Fatalf("Get(%s)=%v,%v, want %s", k, vals, ok, w)
		}
	}
	for _, k := range []string{KeyUserID, KeyProjectName, "obs:x", "g:username"} {
		if vals, ok := g.Get(k); ok {
			t.Fatalf("Get(%s)=%v, want absent", k, vals)
		}
	}
}
