package policy

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary bytes to Parse and checks, for whatever parses:
// errors are *Error; Validate and Compile do not panic and agree (a valid
// document compiles); a compiled document survives a MarshalJSON/Parse
// round trip unchanged; and evaluation agrees with the reference evaluator
// on requests derived from the document. The seed corpus is in
// testdata/fuzz/FuzzParse. Run: go test -run '^$' -fuzz FuzzParse ./policy/
func FuzzParse(f *testing.F) {
	f.Add([]byte(benchPolicy))
	for _, s := range SystemPolicies() {
		f.Add([]byte(s.Source))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Parse(data)
		if _, serr := ParseStrict(data); serr == nil && err != nil {
			t.Fatalf("ParseStrict accepted what Parse refuses: %v", err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T %v is not an *Error", err, err)
			}
			return
		}
		verr := doc.Validate(CustomPolicyOptions())
		p, cerr := Compile(doc)
		if verr == nil && cerr != nil {
			t.Fatalf("valid document does not compile: %v", cerr)
		}
		if cerr != nil {
			return
		}
		out, err := doc.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(MarshalJSON()) = %v\n%s", err, out)
		}
		if out2, _ := again.MarshalJSON(); !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the document:\n%s\n%s", out, out2)
		}
		checkAgainstReference(t, doc, p)
	})
}

// checkAgainstReference evaluates p on requests built from the document's
// own actions and condition values and compares with refEvaluate.
func checkAgainstReference(t *testing.T, doc *Document, p *Policy) {
	var actions []string
	vals := Values{}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			actions = append(actions, strings.ReplaceAll(a, "*", "x"))
		}
		for _, c := range s.Condition {
			vals[c.Key] = append(vals[c.Key], c.Values[0])
		}
	}
	g := &Globals{
		UserName: "ops-1", DomainName: "acme", MFAPresent: FlagTrue,
		CurrentTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		SourceIP:    netip.MustParseAddr("10.1.2.3"), Extra: vals,
	}
	contexts := []map[string][]string{vals, globalsMap(g)}
	for k, v := range vals {
		if lookupGlobalKeyExact(k) == gkNone {
			contexts[1][k] = v // g.Get defers non-global keys to Extra
		}
	}
	for _, a := range append(actions, "ims:images:copy") {
		for ci, logical := range contexts {
			var ctx Context = Values(logical)
			if ci == 1 {
				ctx = g
			}
			for _, res := range []string{"", "obs:r:d:bucket:x"} {
				eff, s := p.Evaluate(&Request{Action: a, Resource: res, Context: ctx})
				we, _, ws := refEvaluate([]*Document{doc}, a, res, logical)
				if eff != we || s != ws {
					b, _ := doc.MarshalJSON()
					t.Fatalf("%s\naction=%q ctx=%v: engine %v/%d, reference %v/%d", b, a, logical, eff, s, we, ws)
				}
			}
		}
	}
}
