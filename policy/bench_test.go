package policy

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// benchTier builds the policies of one tier for a user in 10 groups with 5
// custom policies each, 8 statements per policy (50 policies, 400
// statements). Statements name five literal actions and one wildcard
// action of a rotating service; every fifth policy ends with a conditional
// Deny on IMS actions whose condition is false for the benchmark user, so
// the evaluation must look at every policy. The Allow for ims:images:copy
// is in the last policy, behind three conditions.
func benchTier(tb testing.TB) []*Policy {
	tb.Helper()
	services := []string{"ecs", "evs", "vpc", "sfs", "kms", "ims", "cce", "rds"}
	resources := []string{"servers", "volumes", "images", "buckets", "keys", "clusters"}
	operations := []string{"get", "list", "create", "update", "delete", "resize", "export"}
	conds := []string{
		`"Condition":{"StringStartWith":{"g:UserName":["ops-"]}}`,
		`"Condition":{"Bool":{"g:MFAPresent":["true"]},"DateLessThan":{"g:CurrentTime":["2030-01-01T00:00:00Z"]}}`,
		`"Condition":{"IpAddress":{"g:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`,
		``,
	}
	var tier []*Policy
	for p := range 50 {
		var stmts []string
		for s := range 8 {
			svc := services[(p+s)%len(services)]
			var acts []string
			for a := range 5 {
				acts = append(acts, fmt.Sprintf(`"%s:%s:%s"`, svc, resources[(p+s+a)%len(resources)], operations[(p*3+s+a)%len(operations)]))
			}
			acts = append(acts, fmt.Sprintf(`"%s:*:get*"`, svc))
			effect, cond := "Allow", conds[(p+s)%len(conds)]
			switch {
			case p%5 == 4 && s == 7:
				effect = "Deny"
				acts = []string{`"ims:images:delete"`, `"ims:*:copy"`}
				cond = `"Condition":{"StringEquals":{"g:ProjectName":["quarantine"]}}`
			case p == 49 && s == 6:
				acts = []string{`"ims:images:copy"`, `"ims:serverImages:create"`}
				cond = `"Condition":{"StringStartWith":{"g:UserName":["ops-"]},"Bool":{"g:MFAPresent":["true"]},"IpAddress":{"g:SourceIp":["10.0.0.0/8"]}}`
			}
			st := `{"Effect":"` + effect + `","Action":[` + strings.Join(acts, ",") + `]`
			if cond != "" {
				st += "," + cond
			}
			stmts = append(stmts, st+"}")
		}
		src := pol(stmts...)
		doc, err := Parse([]byte(src))
		if err != nil {
			tb.Fatal(err)
		}
		if err := doc.Validate(CustomPolicyOptions()); err != nil {
			tb.Fatalf("%v\n%s", err, src)
		}
		tier = append(tier, mustPolicy(tb, src))
	}
	return tier
}

// benchRequest is the decision the benchmark makes: an IAM user copying an
// image from the office network with MFA.
func benchRequest() *Request {
	return &Request{
		Action: "ims:images:copy",
		Context: &Globals{
			UserID: "3f1c9b2d7e5a4c6b8d0e1f2a3b4c5d6e", UserName: "ops-alice",
			DomainName: "acme", ProjectName: "cn-north-4",
			MFAPresent: FlagTrue, CurrentTime: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
			SourceIP: netip.MustParseAddr("10.20.30.40"),
		},
	}
}

// BenchmarkDecision is one decision for a user with 10 groups × 5 policies
// × 8 statements. Target: under 2 µs and 0 allocs/op.
func BenchmarkDecision(b *testing.B) {
	tier, req := benchTier(b), benchRequest()
	if d := EvaluateAll(tier, req); d.Effect != Allow || d.Policy != 49 || d.Statement != 6 {
		b.Fatalf("decision %v, want Allow by policy 49, statement 6", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		EvaluateAll(tier, req)
	}
}

// TestDecisionZeroAlloc pins the zero-allocation property of the hot path.
func TestDecisionZeroAlloc(t *testing.T) {
	tier, req := benchTier(t), benchRequest()
	denied := *req
	denied.Action = "ims:images:delete"
	g := *req.Context.(*Globals)
	g.ProjectName = "quarantine"
	denied.Context = &g
	if d := EvaluateAll(tier, &denied); d.Effect != Deny {
		t.Fatalf("decision %v, want Deny", d)
	}
	for _, r := range []*Request{req, &denied} {
		if n := testing.AllocsPerRun(100, func() { EvaluateAll(tier, r) }); n != 0 {
			t.Fatalf("%s: %v allocs per decision, want 0", r.Action, n)
		}
	}
}

// benchPolicy is a typical custom policy of 8 statements with conditions.
var benchPolicy = pol(
	`{"Effect":"Allow","Action":["ims:images:get","ims:images:list","ims:images:copy","ims:serverImages:create"],"Condition":{"StringStartWith":{"g:UserName":["ops-"]}}}`,
	`{"Effect":"Allow","Action":["ims:*:get*","ims:*:list*"]}`,
	`{"Effect":"Allow","Action":["ecs:servers:get","ecs:servers:list","evs:volumes:get"],"Condition":{"Bool":{"g:MFAPresent":["true"]}}}`,
	`{"Effect":"Allow","Action":["kms:cmk:get","kms:cmk:list","kms:dek:create","kms:dek:crypto"]}`,
	`{"Effect":"Deny","Action":["ims:images:delete"],"Condition":{"StringNotEquals":{"g:ProjectName":["cn-north-4"]}}}`,
	`{"Effect":"Allow","Action":["ims:images:update","ims:images:upload","ims:images:export"],"Condition":{"DateLessThan":{"g:CurrentTime":["2030-01-01T00:00:00Z"]},"IpAddress":{"g:SourceIp":["10.0.0.0/8"]}}}`,
	`{"Effect":"Deny","Action":["ims:images:share"],"Condition":{"ForAnyValue:StringMatch":{"ims:tags":["secret-*"]}}}`,
	`{"Effect":"Allow","Action":["ims:quotas:get"],"Condition":{"StringEqualsIgnoreCase":{"g:DomainName":["ACME"]},"NumberLessThan":{"g:MFAAge":["3600"]},"Bool":{"g:MFAPresent":["true"]}}}`,
)

// BenchmarkParse parses (and validates) a typical 8-statement custom policy.
func BenchmarkParse(b *testing.B) {
	data := []byte(benchPolicy)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		doc, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := doc.Validate(CustomPolicyOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile compiles the same policy.
func BenchmarkCompile(b *testing.B) {
	doc, err := Parse([]byte(benchPolicy))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(doc); err != nil {
			b.Fatal(err)
		}
	}
}
