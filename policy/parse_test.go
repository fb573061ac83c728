package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, doc, path, want string
	}{
		{"invalid JSON", `{"Version":`, "", "invalid JSON"},
		{"trailing data", `{"Version":"1.1","Statement":[]} {}`, "", "invalid JSON"},
		{"not an object", `["Version"]`, "", "must be a JSON object"},
		{"missing version", `{"Statement":[]}`, "Version", "is required"},
		{"version not a string", `{"Version":1.1,"Statement":[]}`, "Version", "must be a string"},
		{"unsupported version", `{"Version":"2.0","Statement":[]}`, "Version", "unsupported version"},
		{"version 5.0", `{"Version":"5.0","Statement":[]}`, "Version", "not supported yet"},
		{"unknown top-level element", `{"Version":"1.1","Statement":[],"Id":"x"}`, "Id", "unknown element"},
		{"element name case", `{"version":"1.1","Statement":[]}`, "version", `write "Version"`},
		{"duplicate element", `{"Version":"1.1","Statement":[],"Statement":[]}`, "", `has "Statement" twice`},
		{"missing statement", `{"Version":"1.1"}`, "Statement", "is required"},
		{"statement null", `{"Version":"1.1","Statement":null}`, "Statement", "must be an array"},
		{"statement not object", `{"Version":"1.1","Statement":["x"]}`, "Statement[0]", "must be a JSON object"},
		{"missing effect", pol(`{"Action":["ims:images:get"]}`), "Statement[0].Effect", "is required"},
		{"bad effect", pol(`{"Effect":"Permit","Action":["ims:images:get"]}`), "Statement[0].Effect", `must be "Allow" or "Deny"`},
		{"missing action", pol(`{"Effect":"Allow"}`), "Statement[0].Action", "is required"},
		{"action not strings", pol(`{"Effect":"Allow","Action":[1]}`), "Statement[0].Action", "element 0 must be a string"},
		{"action null", pol(`{"Effect":"Allow","Action":null}`), "Statement[0].Action", "must be an array of strings"},
		{"Sid is 5.0", pol(`{"Sid":"a","Effect":"Allow","Action":["ims:images:get"]}`), "Statement[0].Sid", "version 5.0 element"},
		{"NotAction is 5.0", pol(`{"Effect":"Allow","NotAction":["ims:images:get"]}`), "Statement[0].NotAction", "version 5.0 element"},
		{"unknown statement element", pol(`{"Effect":"Allow","Action":["ims:images:get"],"action":[]}`), "Statement[0].action", `write "Action"`},
		{"agency resource object", pol(`{"Effect":"Allow","Action":["iam:agencies:assume"],"Resource":{"uri":["/iam/agencies/x"]}}`), "Statement[0].Resource", "agency policies"},
		{"condition not object", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":[]}`), "Statement[0].Condition", "must be a JSON object"},
		{"condition operator empty", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"StringEquals":{}}}`), "Statement[0].Condition.StringEquals", "names no condition key"},
		{"condition value null", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"StringEquals":{"g:UserName":[null]}}}`), "Statement[0].Condition.StringEquals.g:UserName", "value 0 must be a string, number or boolean"},
		{"condition value object", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"StringEquals":{"g:UserName":{"a":1}}}}`), "Statement[0].Condition.StringEquals.g:UserName", "must be an array of values"},
		{"Depends in 1.1", `{"Version":"1.1","Statement":[],"Depends":[]}`, "Depends", `only allowed in version "1.0"`},
		{"Depends incomplete", `{"Version":"1.0","Statement":[],"Depends":[{"catalog":"BASE"}]}`, "Depends[0]", "are required"},
		{"Depends unknown element", `{"Version":"1.0","Statement":[],"Depends":[{"catalog":"BASE","display_name":"x","id":"y"}]}`, "Depends[0]", "unknown element"},
		{"too large", `{"Version":"1.1","Statement":[` + strings.Repeat(" ", MaxDocumentSize) + `]}`, "", "the limit is 65536"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err=%v, want *Error", err)
			}
			if e.Path != tc.path || !strings.Contains(e.Msg, tc.want) {
				t.Fatalf("err=%q (path %q), want %q at %q", e.Error(), e.Path, tc.want, tc.path)
			}
		})
	}
}

func TestParseCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			"single strings become arrays, names canonical",
			`{"Statement":[{"Action":"IMS:Images:Get","Effect":"allow","Condition":{"stringequalsifexists":{"G:USERNAME":"a"}}}],"Version":"1.1"}`,
			`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:Images:Get"],"Condition":{"StringEqualsIfExists":{"g:UserName":["a"]}}}]}`,
		},
		{
			"numbers and booleans keep their literal form",
			pol(`{"Effect":"Deny","Action":["ims:*:*"],"Condition":{"NumberEquals":{"obs:max-keys":[1.50, -2e3]},"Bool":{"g:MFAPresent":false}}}`),
			`{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["ims:*:*"],"Condition":{"NumberEquals":{"obs:max-keys":["1.50","-2e3"]},"Bool":{"g:MFAPresent":["false"]}}}]}`,
		},
		{
			"operators regrouped by canonical name",
			pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"forAnyValue:StringMatch":{"ims:tags":["a*"]},"Bool":{"g:MFAPresent":["true"]},"ForAnyValue:stringmatch":{"obs:prefix":["b"]}}}`),
			`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"ForAnyValue:StringMatch":{"ims:tags":["a*"],"obs:prefix":["b"]},"Bool":{"g:MFAPresent":["true"]}}}]}`,
		},
		{
			"role with Depends and Resource",
			`{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["obs:*:*"],"Resource":"obs:*:*:bucket:*"}],"Depends":[{"display_name":"Tenant Guest","catalog":"BASE"}]}`,
			`{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["obs:*:*"],"Resource":["obs:*:*:bucket:*"]}],"Depends":[{"catalog":"BASE","display_name":"Tenant Guest"}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			out, err := doc.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want {
				t.Fatalf("got  %s\nwant %s", out, tc.want)
			}
		})
	}
}

func TestParseOperator(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "StringEquals", want: "StringEquals"},
		{in: "stringnotequalsignorecase", want: "StringNotEqualsIgnoreCase"},
		{in: "forallvalues:stringmatchifexists", want: "ForAllValues:StringMatchIfExists"},
		{in: "ForAnyValue:IpAddress", want: "ForAnyValue:IpAddress"},
		{in: "NotIpAddressIfExists", want: "NotIpAddressIfExists"},
		{in: "Null", want: "Null"},
		{in: "IfExists", err: "unknown condition operator"},
		{in: "StringLike", err: "spells it StringMatch"},
		{in: "NumericLessThanIfExists", err: "spells it NumberLessThan"},
		{in: "DateEquals", err: "unknown condition operator"},
		{in: "ForAllValues:Null", err: "cannot be used with Null"},
		{in: "Any:StringEquals", err: "unknown set qualifier"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			op, err := ParseOperator(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err=%v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || op.String() != tc.want {
				t.Fatalf("ParseOperator=%v,%v, want %s", op, err, tc.want)
			}
		})
	}
	if n := len(OperatorNames()); n != 22 {
		t.Fatalf("%d operators, want 22", n)
	}
}

func TestValidateCollectsAll(t *testing.T) {
	doc, err := Parse([]byte(pol(
		`{"Effect":"Allow","Action":["ims:images","ims:images:get"],"Condition":{"NumberEquals":{"g:MFAAge":["x"]}}}`,
		`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"StringEquals":{"g:Nope":["a"]}},"Resource":["ims:*:*:image:*"]}`,
	)))
	if err != nil {
		t.Fatal(err)
	}
	err = doc.Validate(CustomPolicyOptions())
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err=%v, want Errors", err)
	}
	var paths []string
	for _, e := range es {
		paths = append(paths, e.Path)
	}
	want := []string{
		"Statement[0].Action[0]",
		"Statement[0].Condition.NumberEquals.g:MFAAge[0]",
		"Statement[1].Condition.StringEquals.g:Nope",
		"Statement[0].Condition.NumberEquals.g:MFAAge",
		"Statement[1].Resource",
	}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("paths=%v\nwant   %v\n%v", paths, want, err)
	}
}

func TestCompileHandBuilt(t *testing.T) {
	doc := &Document{Version: Version11, Statement: []Statement{{
		Effect: Allow,
		Action: []string{"ims:images:get"},
		Condition: []Condition{
			{Operator: Operator{Name: "stringequals"}, Key: "g:username", Values: []string{"a"}},
		},
	}}}
	p, err := Compile(doc)
	if err != nil {
		t.Fatal(err)
	}
	if eff, _ := p.Evaluate(&Request{Action: "ims:images:get", Context: &Globals{UserName: "a"}}); eff != Allow {
		t.Fatalf("Evaluate=%v, want Allow", eff)
	}
	bad := []*Document{
		{Version: Version11, Statement: []Statement{{Action: []string{"ims:images:get"}}}},
		{Version: Version11, Statement: []Statement{{Effect: Allow}}},
		{Version: Version11, Statement: []Statement{{Effect: Allow, Action: []string{"IMS:images:get"}}}},
		{Version: Version11, Depends: []Depend{{Catalog: "BASE", DisplayName: "x"}}},
		{Version: Version10, Depends: []Depend{{Catalog: "BASE"}}},
		{Version: "", Statement: nil},
		{Version: Version11, Statement: make([]Statement, MaxCompiledStatements+1)},
		{Version: Version11, Statement: []Statement{{Effect: Allow, Action: []string{"ims:images:get"},
			Condition: []Condition{{Operator: Operator{Name: "Null", IfExists: true}, Key: "g:UserName", Values: []string{"true"}}}}}},
	}
	for i, d := range bad {
		if _, err := Compile(d); err == nil {
			t.Errorf("bad[%d] compiled", i)
		}
	}
}
