package identity

import (
	"testing"

	"github.com/imsd/imsd"
)

func TestValidatePassword(t *testing.T) {
	cases := []struct {
		name, user, pw string
		ok             bool
	}{
		{"two kinds", "alice", "abcdefg1", true},
		{"four kinds", "alice", "Abc-def-1", true},
		{"too short", "alice", "Abc-de1", false},
		{"too long", "alice", "Abcdefgh1Abcdefgh1Abcdefgh1Abcdef", false},
		{"one kind", "alice", "abcdefgh", false},
		{"user name", "Alice123", "alice123", false},
		{"user name reversed", "alice123", "321ecila", false},
		{"non-ASCII", "alice", "Pässwort1", false},
		{"control character", "alice", "Abc-def\t1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validatePassword(tc.user, tc.pw)
			if (err == nil) != tc.ok {
				t.Fatalf("validatePassword = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && imsd.ErrorCode(err) != imsd.CodeIAMBadRequest {
				t.Fatalf("code %s", imsd.ErrorCode(err))
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{"alice": true, "Jörg Müller": true, "ops-team_1.a": true, "": false, " lead": false,
		"trail ": false, "a/b": false, "a<b": false, string(make([]byte, 65)): false} {
		if err := validateName("user", name, maxUserName); (err == nil) != ok {
			t.Errorf("validateName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestPageOf(t *testing.T) {
	items := []int{1, 2, 3, 4, 5}
	cases := []struct {
		name          string
		page, perPage int
		want          []int
		ok            bool
	}{
		{"everything", 0, 0, items, true},
		{"first page", 1, 2, []int{1, 2}, true},
		{"last partial page", 3, 2, []int{5}, true},
		{"past the end", 4, 2, []int{}, true},
		{"page number that overflows when multiplied", 4611686018427387905, 2, []int{}, true},
		{"page without per_page", 1, 0, nil, false},
		{"per_page too large", 1, maxPermissionsPage + 1, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pageOf(items, tc.page, tc.perPage)
			if (err == nil) != tc.ok || len(got) != len(tc.want) {
				t.Fatalf("pageOf = %v, %v; want %v", got, err, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("pageOf = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestCanonicalPolicy(t *testing.T) {
	doc, err := canonicalPolicy([]byte(`{"Version":"1.1","Statement":[{"Action":["IMS:images:copy"],"Effect":"Allow"}]}`))
	if err != nil || string(doc) != `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:copy"]}]}` {
		t.Fatalf("canonicalPolicy = %s, %v", doc, err)
	}
	for name, bad := range map[string]string{
		"missing":        ``,
		"null":           `null`,
		"version 1.0":    `{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["ims:*:*"]}]}`,
		"IMS resource":   `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:get"],"Resource":["ims:*:*:image:*"]}]}`,
		"two segments":   `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images"]}]}`,
		"mixed scopes":   `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:get","iam:users:getUser"]}]}`,
		"not an object":  `[1]`,
		"string action":  `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":"ims:images:get"}]}`,
		"number version": `{"Version":1.1,"Statement":[{"Effect":"Allow","Action":["ims:images:get"]}]}`,
	} {
		if _, err := canonicalPolicy([]byte(bad)); imsd.ErrorCode(err) != imsd.CodeIAMBadRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
}
