package policy

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		name       string
		pattern, s string
		fold, want bool
	}{
		{"empty matches empty", "", "", false, true},
		{"empty pattern", "", "a", false, false},
		{"star matches empty", "*", "", false, true},
		{"star matches all", "*", "abc", false, true},
		{"literal", "abc", "abc", false, true},
		{"literal mismatch", "abc", "abd", false, false},
		{"question one char", "a?c", "abc", false, true},
		{"question needs a char", "a?", "a", false, false},
		{"question multibyte", "a?c", "aéc", false, true},
		{"question not half a char", "a??c", "aéc", false, false},
		{"multibyte literal", "é*", "éa", false, true},
		{"prefix star", "*c", "abc", false, true},
		{"infix star", "a*c", "abbbc", false, true},
		{"backtrack", "a*b*c", "aXbYbZc", false, true},
		{"backtrack fails", "a*b*c", "aXbYbZ", false, false},
		{"trailing stars", "ab**", "ab", false, true},
		{"case-sensitive", "abc", "ABC", false, false},
		{"fold", "abc", "ABC", true, true},
		{"fold with star", "get*", "GetJob", true, true},
		{"fold does not fold the pattern", "ABC", "abc", true, false},
		{"invalid utf8 literal", "\xff", "\xff", false, true},
		{"invalid utf8 question", "?", "\xff", false, true},
		{"invalid vs valid", "\xc3a", "éa", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := glob(tc.pattern, tc.s, tc.fold); got != tc.want {
				t.Fatalf("glob(%q,%q,%v)=%v, want %v", tc.pattern, tc.s, tc.fold, got, tc.want)
			}
			if got := refGlob(tc.pattern, tc.s, tc.fold); got != tc.want {
				t.Fatalf("refGlob(%q,%q,%v)=%v, want %v", tc.pattern, tc.s, tc.fold, got, tc.want)
			}
		})
	}
}

// TestGlobPathological is iam.md §7 case 6: patterns with many stars
// against long inputs take a number of steps linear in the input, asserted
// by counting loop iterations rather than by timing.
func TestGlobPathological(t *testing.T) {
	const n = 10000
	aaa := strings.Repeat("a", n)
	tests := []struct {
		name       string
		pattern, s string
		want       bool
		maxSteps   int
	}{
		{"stars then b, no b", "a*a*a*a*a*a*b", aaa, false, 3 * n},
		{"stars then b, b at end", "a*a*a*a*a*a*b", aaa + "b", true, 3 * n},
		{"action segment shape", "*a*a*a*a*a*a*a*b", aaa, false, 3 * n},
		{"many stars", strings.Repeat("*a", 100) + "b", aaa, false, 3 * n},
		{"question marks", strings.Repeat("*?", 50) + "b", aaa, false, 3 * n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, steps := globSteps(tc.pattern, tc.s, false)
			if ok != tc.want {
				t.Fatalf("match=%v, want %v", ok, tc.want)
			}
			if steps > tc.maxSteps {
				t.Fatalf("steps=%d, want <= %d", steps, tc.maxSteps)
			}
		})
	}
	// The worst case of the algorithm is a long literal after a star: the
	// work is bounded by len(pattern)·len(s), never exponential.
	pat := "*" + strings.Repeat("a", 100) + "b"
	if ok, steps := globSteps(pat, aaa, false); ok || steps > (len(pat)+1)*(n+1) {
		t.Fatalf("worst case: ok=%v steps=%d, bound %d", ok, steps, (len(pat)+1)*(n+1))
	}
}
