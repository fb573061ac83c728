package imshttp

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/imsd/imsd"
)

// rejectBadText answers 400 to a request whose path, query or idempotency
// token holds a NUL character or invalid UTF-8. No id, name or filter value
// can contain either, PostgreSQL refuses both in any statement, and
// answering at the edge gives every backend the same behaviour. (JSON
// bodies are checked by readBody.)
func (s *Server) rejectBadText(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !cleanText(r.URL.Path) || !cleanText(r.Header.Get("X-Client-Token")) || !cleanQuery(r.URL.RawQuery) {
			s.writeError(w, r, imsd.ErrInvalidText)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cleanText reports whether s is valid UTF-8 without NUL characters.
func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// cleanQuery checks every key and value of a raw query string. A query
// that does not even decode is left to the handlers' own parsing.
func cleanQuery(raw string) bool {
	if raw == "" {
		return true
	}
	for part := range strings.SplitSeq(raw, "&") {
		for side := range strings.SplitSeq(part, "=") {
			if v, err := url.QueryUnescape(side); err == nil && !cleanText(v) {
				return false
			}
		}
	}
	return true
}
