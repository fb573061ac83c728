package policy

import "unicode/utf8"

// Glob matching for StringMatch, Resource patterns and action segments.
//
// '*' matches any sequence of characters, including none; '?' matches exactly
// one character; every other character matches itself. A character is one
// UTF-8 sequence (an invalid byte counts as a character of its own), so '?'
// never splits a multi-byte character.
//
// The algorithm is the iterative greedy one with a single backtrack point:
// on a mismatch it returns to the most recent '*' and lets it absorb one more
// character. Earlier stars never need revisiting (a later star can absorb
// anything an earlier one could), so there is no recursion and no exponential
// blow-up: the work is O(len(pattern)·len(s)) in the worst case and
// O(len(pattern)+len(s)) for the usual shapes, including "a*a*a*…*b"
// against a long run of "a". The step counter lets tests assert that bound.

// glob reports whether s matches pattern. With fold set, ASCII letters in s
// match case-insensitively; pattern must then already be lower-case.
func glob(pattern, s string, fold bool) bool {
	ok, _ := globSteps(pattern, s, fold)
	return ok
}

// globSteps is glob that also returns the number of loop iterations.
func globSteps(pattern, s string, fold bool) (bool, int) {
	p, t := 0, 0
	starP, starT := -1, 0
	steps := 0
	for t < len(s) {
		steps++
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starT = p, t
				p++
				continue
			case '?':
				p++
				t += charLen(s, t)
				continue
			default:
				if c < utf8.RuneSelf {
					b := s[t]
					if fold && 'A' <= b && b <= 'Z' {
						b += 'a' - 'A'
					}
					if b == c {
						p++
						t++
						continue
					}
				} else if pn, tn := charLen(pattern, p), charLen(s, t); pn == tn && pattern[p:p+pn] == s[t:t+tn] {
					p += pn
					t += tn
					continue
				}
			}
		}
		if starP < 0 {
			return false, steps
		}
		// Let the last star absorb one more character and retry after it.
		starT += charLen(s, starT)
		p, t = starP+1, starT
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
		steps++
	}
	return p == len(pattern), steps
}

// charLen returns the length of the character starting at s[i].
func charLen(s string, i int) int {
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

// hasWildcard reports whether a pattern contains '*' or '?'.
func hasWildcard(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] == '*' || p[i] == '?' {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether s equals lower, ignoring ASCII case in s.
// lower must be lower-case.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != lower[i] {
			return false
		}
	}
	return true
}
