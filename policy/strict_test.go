package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestParseStrict pins the syntax custom policies must follow (Huawei's
// request model): the lenient forms Parse accepts are refused, with the
// path of the element and a hint.
func TestParseStrict(t *testing.T) {
	tests := []struct {
		name, doc, path, want string
	}{
		{"version as a number", `{"Version":1.1,"Statement":[]}`, "Version", "must be a string"},
		{"action as a string", pol(`{"Effect":"Allow","Action":"ims:images:list"}`), "Statement[0].Action", `like ["ims:images:list"]`},
		{"resource as a string", pol(`{"Effect":"Allow","Action":["obs:object:getObject"],"Resource":"obs:*:*:object:*"}`), "Statement[0].Resource", "array of strings"},
		{"condition value as a string", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"StringEquals":{"g:UserName":"alice"}}}`),
			"Statement[0].Condition.StringEquals.g:UserName", "array of strings"},
		{"condition value as a number", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"NumberLessThan":{"g:MFAAge":[3600]}}}`),
			"Statement[0].Condition.NumberLessThan.g:MFAAge", "array of strings"},
		{"condition value as a boolean", pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"Bool":{"g:MFAPresent":[true]}}}`),
			"Statement[0].Condition.Bool.g:MFAPresent", "array of strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseStrict([]byte(tc.doc))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err=%v, want *Error", err)
			}
			if e.Path != tc.path || !strings.Contains(e.Msg, tc.want) {
				t.Fatalf("err=%q (path %q), want %q at %q", e.Error(), e.Path, tc.want, tc.path)
			}
		})
	}
	ok := pol(`{"Effect":"Allow","Action":["ims:images:get"],"Condition":{"StringEquals":{"g:UserName":["alice"]},"Bool":{"g:MFAPresent":["true"]}}}`)
	if _, err := ParseStrict([]byte(ok)); err != nil {
		t.Fatalf("well-formed policy refused: %v", err)
	}
	// Parse itself stays lenient: canonical forms are what it stores.
	if _, err := Parse([]byte(pol(`{"Effect":"Allow","Action":"ims:images:list"}`))); err != nil {
		t.Fatalf("Parse refused a single-string action: %v", err)
	}
}
