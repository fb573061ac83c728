package policy

// The test cases of iam.md §7 that concern the policy language and
// single-tier evaluation. Subtest names start with the case number.
//
// Covered here: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13 (the Depends helper:
// EffectiveGrants / MissingDepends), 15, 16, 17, 18, 19, 20, 21, 22, 23,
// 24, 25, 26, 27, 28, 29. Case 6 is also asserted by step count in
// glob_test.go.
//
// Left for authz: 12 (domain owner bypass; a user with zero groups reaches
// EvaluateAll with an empty list, which case 11 covers), the scope half of
// 13 (which grants share a project), 14 (session policy intersection), and
// 30–47 (scopes, enterprise projects, the copy API, HTTP, AK/SK, tokens).

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// pol wraps statements (raw JSON) into a version 1.1 document.
func pol(stmts ...string) string {
	return `{"Version":"1.1","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// mustPolicy parses and compiles a document.
func mustPolicy(tb testing.TB, src string) *Policy {
	tb.Helper()
	doc, err := Parse([]byte(src))
	if err != nil {
		tb.Fatalf("Parse(%s): %v", src, err)
	}
	p, err := Compile(doc)
	if err != nil {
		tb.Fatalf("Compile(%s): %v", src, err)
	}
	return p
}

// evalCase is one single-tier evaluation.
type evalCase struct {
	name     string
	policies []string
	action   string
	ctx      Context
	resource string
	want     Effect
	// explain, if set, is the expected Decision.String().
	explain string
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps []*Policy
			for _, src := range tc.policies {
				ps = append(ps, mustPolicy(t, src))
			}
			req := &Request{Action: tc.action, Resource: tc.resource, Context: tc.ctx}
			d := EvaluateAll(ps, req)
			if d.Effect != tc.want {
				t.Fatalf("EvaluateAll(%s)=%v, want %v", tc.action, d, tc.want)
			}
			if tc.explain != "" && d.String() != tc.explain {
				t.Fatalf("explanation=%q, want %q", d.String(), tc.explain)
			}
			if len(ps) == 1 {
				if eff, s := ps[0].Evaluate(req); eff != d.Effect || s != d.Statement {
					t.Fatalf("Evaluate=(%v,%d), EvaluateAll=%v", eff, s, d)
				}
			}
		})
	}
}

const (
	allowCopy = `{"Effect":"Allow","Action":["ims:images:copy"]}`
	denyCopy  = `{"Effect":"Deny","Action":["ims:images:copy"]}`
)

func TestCasesActionMatching(t *testing.T) {
	long := strings.Repeat("a", 10000)
	runEvalCases(t, []evalCase{
		{name: "01/exact", policies: []string{pol(allowCopy)}, action: "ims:images:copy", want: Allow},
		{name: "01/service wildcard", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*:*"]}`)}, action: "ims:images:copy", want: Allow},
		{name: "01/operation wildcard", policies: []string{pol(`{"Effect":"Allow","Action":["ims:images:*"]}`)}, action: "ims:images:copy", want: Allow},
		{name: "01/everything", policies: []string{pol(`{"Effect":"Allow","Action":["*:*:*"]}`)}, action: "ims:images:copy", want: Allow},
		{name: "01/other action", policies: []string{pol(allowCopy)}, action: "ims:images:delete", want: NoMatch},
		{name: "02/mixed-case policy", policies: []string{pol(`{"Effect":"Allow","Action":["ims:Images:COPY"]}`)}, action: "ims:images:copy", want: Allow},
		{name: "02/upper-case service accepted and lowered", policies: []string{pol(`{"Effect":"Allow","Action":["IMS:images:copy"]}`)}, action: "ims:images:copy", want: Allow},
		{name: "02/mixed-case request", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*:get*"]}`)}, action: "IMS:Images:GetJob", want: Allow},
		{name: "03/get* matches get", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*:get*"]}`)}, action: "ims:images:get", want: Allow},
		{name: "03/get* not list", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*:get*"]}`)}, action: "ims:images:list", want: NoMatch},
		{name: "03/get not getJob", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*:get"]}`)}, action: "ims:images:getJob", want: NoMatch},
		{name: "04/star stays in its segment", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*:copy"]}`)}, action: "ims:images:x:copy", want: NoMatch},
		{name: "04/two-segment request", policies: []string{pol(`{"Effect":"Allow","Action":["*:*:*"]}`)}, action: "ims:images", want: NoMatch},
		{name: "06/pathological pattern", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*a*a*a*a*a*a*a*b:*"]}`)}, action: "ims:" + long + ":get", want: NoMatch},
		{name: "06/pathological pattern matching", policies: []string{pol(`{"Effect":"Allow","Action":["ims:*a*a*a*a*a*a*a*b:*"]}`)}, action: "ims:" + long + "b:get", want: Allow},
		{name: "07/unknown service never matches IMS", policies: []string{pol(`{"Effect":"Allow","Action":["foo:bar:baz"]}`)}, action: "ims:images:copy", want: NoMatch},
		{name: "07/unknown service matches itself", policies: []string{pol(`{"Effect":"Allow","Action":["foo:bar:baz"]}`)}, action: "foo:bar:baz", want: Allow},
	})
}

func TestCasesEffects(t *testing.T) {
	falseCond := `"Condition":{"StringEquals":{"g:UserName":["mallory"]}}`
	runEvalCases(t, []evalCase{
		{name: "08/allow and deny in one policy", policies: []string{pol(allowCopy, denyCopy)}, action: "ims:images:copy", want: Deny, explain: "Deny by policy 0, statement 1"},
		{name: "08/allow and deny in two policies", policies: []string{pol(allowCopy), pol(denyCopy)}, action: "ims:images:copy", want: Deny, explain: "Deny by policy 1, statement 0"},
		{name: "08/deny first then allow", policies: []string{pol(`{"Effect":"Deny","Action":["ims:*:*"]}`), pol(allowCopy)}, action: "ims:images:copy", want: Deny, explain: "Deny by policy 0, statement 0"},
		{name: "09/deny with false condition does not deny",
			policies: []string{pol(`{"Effect":"Deny","Action":["ims:images:copy"],`+falseCond+`}`, allowCopy)},
			action:   "ims:images:copy", ctx: &Globals{UserName: "alice"}, want: Allow, explain: "Allow by policy 0, statement 1"},
		{name: "10/StringNotEquals on absent key denies",
			policies: []string{pol(allowCopy, `{"Effect":"Deny","Action":["ims:images:copy"],"Condition":{"StringNotEquals":{"g:ProjectName":["cn-north-4"]}}}`)},
			action:   "ims:images:copy", ctx: &Globals{UserName: "alice"}, want: Deny},
		{name: "11/no statement matches", policies: []string{pol(allowCopy)}, action: "ims:images:delete", want: NoMatch, explain: "NoMatch (no statement applies: implicit deny)"},
		{name: "11/empty policy list", action: "ims:images:copy", want: NoMatch},
		{name: "11/nil policy skipped", policies: nil, action: "ims:images:copy", want: NoMatch},
	})
	// A nil entry in the slice is skipped.
	if d := EvaluateAll([]*Policy{nil, mustPolicy(t, pol(allowCopy))}, &Request{Action: "ims:images:copy"}); d.Effect != Allow || d.Policy != 1 {
		t.Fatalf("with nil entry: %v", d)
	}
}

func TestCasesConditions(t *testing.T) {
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	g := func(name string) *Globals { return &Globals{UserName: name} }
	cond := func(effect, c string) string {
		return pol(`{"Effect":"` + effect + `","Action":["ims:images:copy"],"Condition":` + c + `}`)
	}
	allowIf := func(c string) []string { return []string{cond("Allow", c)} }
	tags := func(vals ...string) Context { return Values{"ims:tags": vals} }
	runEvalCases(t, []evalCase{
		{name: "15/values are ORed", policies: allowIf(`{"StringEquals":{"g:UserName":["a","b"]}}`), action: "ims:images:copy", ctx: g("b"), want: Allow},
		{name: "16/negated values are NORed, match", policies: allowIf(`{"StringNotEquals":{"g:UserName":["a","b"]}}`), action: "ims:images:copy", ctx: g("b"), want: NoMatch},
		{name: "16/negated values are NORed, no match", policies: allowIf(`{"StringNotEquals":{"g:UserName":["a","b"]}}`), action: "ims:images:copy", ctx: g("c"), want: Allow},
		{name: "17/two keys AND, both hold", policies: allowIf(`{"StringEquals":{"g:UserName":["a"],"g:DomainName":["d"]}}`), action: "ims:images:copy", ctx: &Globals{UserName: "a", DomainName: "d"}, want: Allow},
		{name: "17/two keys AND, one fails", policies: allowIf(`{"StringEquals":{"g:UserName":["a"],"g:DomainName":["d"]}}`), action: "ims:images:copy", ctx: &Globals{UserName: "a", DomainName: "x"}, want: NoMatch},
		{name: "17/two operators AND, one fails", policies: allowIf(`{"StringEquals":{"g:UserName":["a"]},"Bool":{"g:MFAPresent":["true"]}}`), action: "ims:images:copy", ctx: &Globals{UserName: "a", MFAPresent: FlagFalse}, want: NoMatch},
		{name: "17/two operators AND, both hold", policies: allowIf(`{"StringEquals":{"g:UserName":["a"]},"Bool":{"g:MFAPresent":[true]}}`), action: "ims:images:copy", ctx: &Globals{UserName: "a", MFAPresent: FlagTrue}, want: Allow},
		{name: "18/missing key StringEquals false", policies: allowIf(`{"StringEquals":{"g:ProjectName":["p"]}}`), action: "ims:images:copy", ctx: g("a"), want: NoMatch},
		{name: "18/missing key StringEqualsIfExists true", policies: allowIf(`{"StringEqualsIfExists":{"g:ProjectName":["p"]}}`), action: "ims:images:copy", ctx: g("a"), want: Allow},
		{name: "18/present key IfExists evaluates", policies: allowIf(`{"StringEqualsIfExists":{"g:ProjectName":["p"]}}`), action: "ims:images:copy", ctx: &Globals{ProjectName: "q"}, want: NoMatch},
		{name: "18/missing key Null true", policies: allowIf(`{"Null":{"g:ProjectName":["true"]}}`), action: "ims:images:copy", ctx: g("a"), want: Allow},
		{name: "18/missing key Null false", policies: allowIf(`{"Null":{"g:ProjectName":["false"]}}`), action: "ims:images:copy", ctx: g("a"), want: NoMatch},
		{name: "18/present key Null false", policies: allowIf(`{"Null":{"g:UserName":["false"]}}`), action: "ims:images:copy", ctx: g("a"), want: Allow},
		{name: "18/missing MFAPresent Bool true", policies: allowIf(`{"Bool":{"g:MFAPresent":["true"]}}`), action: "ims:images:copy", ctx: g("a"), want: NoMatch},
		{name: "18/nil context", policies: allowIf(`{"StringNotEquals":{"g:UserName":["a"]}}`), action: "ims:images:copy", want: Allow},
		{name: "19/IgnoreCase", policies: allowIf(`{"StringEqualsIgnoreCase":{"g:UserName":["Alice"]}}`), action: "ims:images:copy", ctx: g("alice"), want: Allow},
		{name: "19/Equals is case-sensitive", policies: allowIf(`{"StringEquals":{"g:UserName":["Alice"]}}`), action: "ims:images:copy", ctx: g("alice"), want: NoMatch},
		{name: "19/NotEqualsIgnoreCase", policies: allowIf(`{"StringNotEqualsIgnoreCase":{"g:UserName":["Alice"]}}`), action: "ims:images:copy", ctx: g("ALICE"), want: NoMatch},
		{name: "20/StringMatch ? one char", policies: allowIf(`{"StringMatch":{"g:UserName":["ops-?"]}}`), action: "ims:images:copy", ctx: g("ops-1"), want: Allow},
		{name: "20/StringMatch ? not two", policies: allowIf(`{"StringMatch":{"g:UserName":["ops-?"]}}`), action: "ims:images:copy", ctx: g("ops-12"), want: NoMatch},
		{name: "20/StringMatch * matches empty", policies: allowIf(`{"StringMatch":{"g:UserName":["ops-*"]}}`), action: "ims:images:copy", ctx: g("ops-"), want: Allow},
		{name: "20/StringMatch is case-sensitive", policies: allowIf(`{"StringMatch":{"g:UserName":["ops-*"]}}`), action: "ims:images:copy", ctx: g("OPS-1"), want: NoMatch},
		{name: "20/StringNotMatch", policies: allowIf(`{"StringNotMatch":{"g:UserName":["ops-*"]}}`), action: "ims:images:copy", ctx: g("dev-1"), want: Allow},
		{name: "21/StartWith", policies: allowIf(`{"StringStartWith":{"g:UserName":["ops-"]}}`), action: "ims:images:copy", ctx: g("ops-1"), want: Allow},
		{name: "21/StartWith is case-sensitive", policies: allowIf(`{"StringStartWith":{"g:UserName":["ops-"]}}`), action: "ims:images:copy", ctx: g("OPS-1"), want: NoMatch},
		{name: "21/EndWith", policies: allowIf(`{"StringEndWith":{"g:UserName":["-admin"]}}`), action: "ims:images:copy", ctx: g("bob-admin"), want: Allow},
		{name: "21/EndWith is case-sensitive", policies: allowIf(`{"StringEndWith":{"g:UserName":["-admin"]}}`), action: "ims:images:copy", ctx: g("bob-ADMIN"), want: NoMatch},
		{name: "21/EndWithIfExists absent", policies: allowIf(`{"StringEndWithIfExists":{"g:ProjectName":["_dev"]}}`), action: "ims:images:copy", ctx: g("a"), want: Allow},
		{name: "21/StartWithIfExists present", policies: allowIf(`{"StringStartWithIfExists":{"g:ProjectName":["cn-"]}}`), action: "ims:images:copy", ctx: &Globals{ProjectName: "eu-west-0"}, want: NoMatch},
		{name: "22/ForAnyValue missing", policies: allowIf(`{"ForAnyValue:StringEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: Values{}, want: NoMatch},
		{name: "22/ForAnyValue empty", policies: allowIf(`{"ForAnyValue:StringEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags(), want: NoMatch},
		{name: "22/ForAllValues missing", policies: allowIf(`{"ForAllValues:StringEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: Values{}, want: Allow},
		{name: "22/ForAllValues empty", policies: allowIf(`{"ForAllValues:StringEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags(), want: Allow},
		{name: "22/ForAnyValue mixed", policies: allowIf(`{"ForAnyValue:StringEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags("x", "a"), want: Allow},
		{name: "22/ForAllValues mixed", policies: allowIf(`{"ForAllValues:StringEquals":{"ims:tags":["a","b"]}}`), action: "ims:images:copy", ctx: tags("a", "x"), want: NoMatch},
		{name: "22/ForAllValues subset", policies: allowIf(`{"ForAllValues:StringEquals":{"ims:tags":["a","b"]}}`), action: "ims:images:copy", ctx: tags("b", "a", "b"), want: Allow},
		{name: "22/ForAnyValue negated", policies: allowIf(`{"ForAnyValue:StringNotEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags("a", "x"), want: Allow},
		{name: "22/ForAllValues negated", policies: allowIf(`{"ForAllValues:StringNotEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags("a", "x"), want: NoMatch},
		{name: "22/ForAnyValue IfExists missing", policies: allowIf(`{"ForAnyValue:StringEqualsIfExists":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: Values{}, want: Allow},
		{name: "23/single-valued key with ForAllValues", policies: allowIf(`{"ForAllValues:StringEquals":{"g:UserName":["a","b"]}}`), action: "ims:images:copy", ctx: g("b"), want: Allow},
		{name: "23/single-valued key with ForAnyValue", policies: allowIf(`{"ForAnyValue:StringEquals":{"g:UserName":["a"]}}`), action: "ims:images:copy", ctx: g("b"), want: NoMatch},
		{name: "23/multi-valued key without qualifier, one matches", policies: allowIf(`{"StringEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags("x", "a"), want: Allow},
		{name: "23/multi-valued key negated without qualifier", policies: allowIf(`{"StringNotEquals":{"ims:tags":["a"]}}`), action: "ims:images:copy", ctx: tags("x", "a"), want: NoMatch},
		{name: "24/non-numeric request value", policies: allowIf(`{"NumberLessThanEquals":{"g:MFAAge":[300]},"Bool":{"g:MFAPresent":["true"]}}`), action: "ims:images:copy", ctx: Values{KeyMFAAge: {"soon"}, KeyMFAPresent: {"true"}}, want: NoMatch},
		{name: "24/numeric request value", policies: allowIf(`{"NumberLessThanEquals":{"g:MFAAge":[300]},"Bool":{"g:MFAPresent":["true"]}}`), action: "ims:images:copy", ctx: &Globals{MFAAge: 300, HasMFAAge: true, MFAPresent: FlagTrue}, want: Allow},
		{name: "24/NumberNotEquals with non-numeric value holds", policies: allowIf(`{"NumberNotEquals":{"obs:max-keys":["10"]}}`), action: "ims:images:copy", ctx: Values{"obs:max-keys": {"ten"}}, want: Allow},
		{name: "25/DateLessThan at boundary", policies: allowIf(`{"DateLessThan":{"g:CurrentTime":["2024-01-01T00:00:00Z"]}}`), action: "ims:images:copy", ctx: &Globals{CurrentTime: at}, want: NoMatch},
		{name: "25/DateLessThanEquals at boundary", policies: allowIf(`{"DateLessThanEquals":{"g:CurrentTime":["2024-01-01T00:00:00Z"]}}`), action: "ims:images:copy", ctx: &Globals{CurrentTime: at}, want: Allow},
		{name: "25/timezone offset in policy", policies: allowIf(`{"DateGreaterThanEquals":{"g:CurrentTime":["2024-01-01T08:00:00+08:00"]}}`), action: "ims:images:copy", ctx: &Globals{CurrentTime: at}, want: Allow},
		{name: "25/timezone offset in request", policies: allowIf(`{"DateGreaterThan":{"g:CurrentTime":["2024-01-01T00:00:00Z"]}}`), action: "ims:images:copy", ctx: &Globals{CurrentTime: at.In(time.FixedZone("X", -3600))}, want: NoMatch},
		{name: "25/date-only policy value", policies: allowIf(`{"DateGreaterThanEquals":{"g:CurrentTime":["2024-01-01"]}}`), action: "ims:images:copy", ctx: &Globals{CurrentTime: at}, want: Allow},
		{name: "25/bad date in request", policies: allowIf(`{"DateLessThan":{"g:CurrentTime":["2030-01-01T00:00:00Z"]}}`), action: "ims:images:copy", ctx: Values{KeyCurrentTime: {"yesterday"}}, want: NoMatch},
		{name: "25/absent CurrentTime", policies: allowIf(`{"DateLessThan":{"g:CurrentTime":["2030-01-01T00:00:00Z"]}}`), action: "ims:images:copy", ctx: &Globals{}, want: NoMatch},
		{name: "26/lower-case operator name", policies: allowIf(`{"stringequals":{"g:username":["a"]}}`), action: "ims:images:copy", ctx: g("a"), want: Allow},
		{name: "ip/IpAddress", policies: allowIf(`{"IpAddress":{"g:SourceIp":["10.0.0.0/8","192.168.1.7"]}}`), action: "ims:images:copy", ctx: &Globals{SourceIP: netip.MustParseAddr("10.1.2.3")}, want: Allow},
		{name: "ip/IpAddress single address", policies: allowIf(`{"IpAddress":{"g:SourceIp":["192.168.1.7"]}}`), action: "ims:images:copy", ctx: &Globals{SourceIP: netip.MustParseAddr("192.168.1.8")}, want: NoMatch},
		{name: "ip/NotIpAddress", policies: allowIf(`{"NotIpAddress":{"g:SourceIp":["10.0.0.0/8"]}}`), action: "ims:images:copy", ctx: &Globals{SourceIP: netip.MustParseAddr("::ffff:10.9.9.9")}, want: NoMatch},
		{name: "ip/IPv6", policies: allowIf(`{"IpAddress":{"g:SourceIp":["2001:db8::/32"]}}`), action: "ims:images:copy", ctx: Values{KeySourceIP: {"2001:db8::1"}}, want: Allow},
		{name: "ip/bad request address", policies: allowIf(`{"IpAddress":{"g:SourceIp":["0.0.0.0/0"]}}`), action: "ims:images:copy", ctx: Values{KeySourceIP: {"localhost"}}, want: NoMatch},
		{name: "globals/Extra keys", policies: allowIf(`{"StringEquals":{"ims:tags":["a"],"g:UserName":["u"]}}`), action: "ims:images:copy", ctx: &Globals{UserName: "u", Extra: tags("a")}, want: Allow},
		{name: "globals/string op on time key", policies: allowIf(`{"StringStartWith":{"g:CurrentTime":["2024-01-01T"]}}`), action: "ims:images:copy", ctx: &Globals{CurrentTime: at}, want: Allow},
	})
}

// validCase is one Parse+Validate outcome.
type validCase struct {
	name string
	doc  string
	opts Options
	// want is a substring of the first error ("" means valid); path is the
	// expected Path of the first error.
	want, path string
}

func runValidCases(t *testing.T, cases []validCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse([]byte(tc.doc))
			if err == nil {
				err = doc.Validate(tc.opts)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err=%v, want *Error containing %q", err, tc.want)
			}
			if !strings.Contains(e.Msg, tc.want) || (tc.path != "" && e.Path != tc.path) {
				t.Fatalf("first error=%q (path %q), want %q at %q", e.Error(), e.Path, tc.want, tc.path)
			}
		})
	}
}

func TestCasesValidation(t *testing.T) {
	custom := CustomPolicyOptions()
	obs := func(n int) string {
		a := make([]string, n)
		for i := range a {
			a[i] = `"obs:bucket:op` + string(rune('a'+i%26)) + `"`
		}
		return strings.Join(a, ",")
	}
	res := func(n, size int) string {
		r := make([]string, n)
		for i := range r {
			r[i] = `"obs:*:*:bucket:` + strings.Repeat("b", size-len("obs:*:*:bucket:")) + `"`
		}
		return strings.Join(r, ",")
	}
	conds := func(n int) string {
		c := make([]string, n)
		for i := range c {
			c[i] = `"obs:k` + string(rune('a'+i)) + `":["v"]`
		}
		return `{"StringEquals":{` + strings.Join(c, ",") + `}}`
	}
	stmts := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = allowCopy
		}
		return s
	}
	runValidCases(t, []validCase{
		{name: "02/upper-case service canonicalised", doc: pol(`{"Effect":"Allow","Action":["KMS:*:*"]}`), opts: custom},
		{name: "04/two segments", doc: pol(`{"Effect":"Allow","Action":["ims:*"]}`), want: "must have three segments", path: "Statement[0].Action[0]"},
		{name: "04/star across segments", doc: pol(`{"Effect":"Allow","Action":["ims:images*copy"]}`), want: "must have three segments"},
		{name: "04/four segments", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy:x"]}`), want: "must have three segments"},
		{name: "04/empty segment", doc: pol(`{"Effect":"Allow","Action":["ims::copy"]}`), want: "empty resource type"},
		{name: "05/question mark in action", doc: pol(`{"Effect":"Allow","Action":["ims:images:g?t"]}`), want: "'?' is not a wildcard"},
		{name: "07/unknown service accepted", doc: pol(`{"Effect":"Allow","Action":["foo:bar:baz"]}`), opts: custom},
		{name: "24/NumericEquals rejected", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"NumericEquals":{"g:MFAAge":["1"]}}}`), want: "Huawei IAM spells it NumberEquals", path: "Statement[0].Condition.NumericEquals"},
		{name: "25/bad date in policy", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"DateLessThan":{"g:CurrentTime":["2024-01-01","tomorrow"]}}}`), want: "not an ISO 8601 date", path: "Statement[0].Condition.DateLessThan.g:CurrentTime[1]"},
		{name: "26/unknown operator rejected", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"StringEqualz":{"g:UserName":["a"]}}}`), want: "unknown condition operator"},
		{name: "26/unknown qualifier rejected", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"ForSomeValues:StringEquals":{"g:UserName":["a"]}}}`), want: "unknown set qualifier"},
		{name: "26/IfExists on Null rejected", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"NullIfExists":{"g:UserName":["true"]}}}`), want: "IfExists cannot be used with Null"},
		{name: "26/duplicate after canonicalisation", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"StringEquals":{"g:UserName":["a"]},"stringequals":{"g:username":["b"]}}}`), want: "appears twice"},
		{name: "26/unknown global key", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"StringEquals":{"g:UserNmae":["a"]}}}`), want: "unknown global condition key"},
		{name: "27/MFAAge without MFAPresent", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"NumberLessThan":{"g:MFAAge":["300"]}}}`), want: "must be used together with a g:MFAPresent", path: "Statement[0].Condition.NumberLessThan.g:MFAAge"},
		{name: "27/MFAAge with MFAPresent", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Condition":{"NumberLessThan":{"g:MFAAge":["300"]},"Bool":{"g:MFAPresent":["true"]}}}`), opts: custom},
		{name: "28/8 statements", doc: pol(stmts(8)...), opts: custom},
		{name: "28/9 statements", doc: pol(stmts(9)...), opts: custom, want: "has 9 statements, the limit is 8", path: "Statement"},
		{name: "28/100 actions", doc: pol(`{"Effect":"Allow","Action":[` + obs(100) + `]}`), opts: custom},
		{name: "28/101 actions", doc: pol(`{"Effect":"Allow","Action":[` + obs(101) + `]}`), opts: custom, want: "has 101 actions, the limit is 100", path: "Statement[0].Action"},
		{name: "28/10 conditions", doc: pol(`{"Effect":"Allow","Action":["obs:bucket:get"],"Condition":` + conds(10) + `}`), opts: custom},
		{name: "28/11 conditions", doc: pol(`{"Effect":"Allow","Action":["obs:bucket:get"],"Condition":` + conds(11) + `}`), opts: custom, want: "has 11 conditions, the limit is 10", path: "Statement[0].Condition"},
		{name: "28/10 resources of 128", doc: pol(`{"Effect":"Allow","Action":["obs:bucket:get"],"Resource":[` + res(10, 128) + `]}`), opts: custom},
		{name: "28/11 resources", doc: pol(`{"Effect":"Allow","Action":["obs:bucket:get"],"Resource":[` + res(11, 20) + `]}`), opts: custom, want: "has 11 resources, the limit is 10", path: "Statement[0].Resource"},
		{name: "28/129-char resource", doc: pol(`{"Effect":"Allow","Action":["obs:bucket:get"],"Resource":[` + res(1, 129) + `]}`), opts: custom, want: "is 129 bytes long, the limit is 128", path: "Statement[0].Resource[0]"},
		{name: "29/Resource in an IMS policy", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Resource":["ims:*:*:image:*"]}`), opts: custom, want: `service "ims" does not support resource-level authorization`, path: "Statement[0].Resource"},
		{name: "29/Resource with wildcard service", doc: pol(`{"Effect":"Allow","Action":["*:*:*"],"Resource":["obs:*:*:bucket:*"]}`), opts: custom, want: "does not support resource-level authorization"},
		{name: "29/Resource without the option", doc: pol(`{"Effect":"Allow","Action":["ims:images:copy"],"Resource":["ims:*:*:image:*"]}`)},
		{name: "roles/1.0 rejected for custom policies", doc: `{"Version":"1.0","Statement":[` + allowCopy + `]}`, opts: custom, want: `must use version "1.1"`, path: "Version"},
		{name: "roles/1.0 accepted with AllowRoles", doc: `{"Version":"1.0","Statement":[` + allowCopy + `],"Depends":[{"catalog":"BASE","display_name":"Tenant Guest"}]}`, opts: Options{AllowRoles: true}},
		{name: "mixing/global and project services", doc: pol(`{"Effect":"Allow","Action":["ims:images:get"]}`, `{"Effect":"Allow","Action":["obs:bucket:get"]}`), opts: custom, want: `cannot mix the global service "obs" with the project-level service "ims"`, path: "Statement[1].Action[0]"},
	})
}

func TestErrorMessage(t *testing.T) {
	doc, err := Parse([]byte(pol(allowCopy, allowCopy, `{"Effect":"Allow","Action":["ims:images"]}`)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(doc)
	want := `Statement[2].Action[0]: "ims:images" must have three segments service:resource:operation`
	if err == nil || err.Error() != want {
		t.Fatalf("err=%v, want %s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Statement != 2 || e.Path != "Statement[2].Action[0]" {
		t.Fatalf("errors.As: %+v", e)
	}
}

func TestCase13Depends(t *testing.T) {
	adm, _ := SystemPolicyByName(IMSAdministrator)
	tenant, _ := SystemPolicyByName(TenantAdministrator)
	guest, _ := SystemPolicyByName(TenantGuest)
	full, _ := SystemPolicyByName(IMSFullAccess)
	server := Grant{Catalog: "ECS", DisplayName: "Server Administrator", Depends: []Depend{{Catalog: "IMS", DisplayName: IMSAdministrator}}}
	tests := []struct {
		name   string
		grants []Grant
		want   []bool
	}{
		{"role without its Depends is not effective", []Grant{adm.Grant()}, []bool{false}},
		{"role with its Depends is effective", []Grant{adm.Grant(), tenant.Grant()}, []bool{true, true}},
		{"other roles do not satisfy Depends", []Grant{guest.Grant(), adm.Grant(), full.Grant()}, []bool{true, false, true}},
		{"chain needs every link", []Grant{server, adm.Grant()}, []bool{false, false}},
		{"complete chain", []Grant{server, adm.Grant(), tenant.Grant()}, []bool{true, true, true}},
		{"cycle granted together", []Grant{
			{Catalog: "X", DisplayName: "a", Depends: []Depend{{Catalog: "X", DisplayName: "b"}}},
			{Catalog: "X", DisplayName: "b", Depends: []Depend{{Catalog: "X", DisplayName: "a"}}},
		}, []bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := EffectiveGrants(tc.grants)
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("EffectiveGrants=%v, want %v", got, tc.want)
				}
			}
		})
	}
	if m := MissingDepends(adm.Policy(), []Grant{guest.Grant()}); len(m) != 1 || m[0].DisplayName != TenantAdministrator {
		t.Fatalf("MissingDepends=%v", m)
	}
	if m := MissingDepends(adm.Policy(), []Grant{tenant.Grant()}); m != nil {
		t.Fatalf("MissingDepends=%v, want none", m)
	}
}
