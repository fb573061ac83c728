package imshttp

import "testing"

func TestCleanQuery(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want bool
	}{
		{"empty", "", true},
		{"plain filters", "name=base&limit=10", true},
		{"escaped unicode", "name=%E9%95%9C%E5%83%8F", true},
		{"NUL in a value", "name=a%00b", false},
		{"NUL in a key", "a%00=1", false},
		{"invalid UTF-8", "name=%ff", false},
		{"flag without value", "nocatalog", true},
		{"undecodable escape left to the handler", "name=%zz", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cleanQuery(tc.raw); got != tc.want {
				t.Fatalf("cleanQuery(%q) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
}
