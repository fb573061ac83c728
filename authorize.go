package imsd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// Authorizer decides checks for a principal. It returns nil when every
// check is allowed and an *Error with CodeForbidden otherwise.
type Authorizer interface {
	Authorize(ctx context.Context, p *Principal, checks ...Check) error
	// Scope reports where action is allowed for p: everywhere in the
	// project (all), or only in the listed enterprise projects.
	Scope(ctx context.Context, p *Principal, action string) (all bool, enterpriseProjects []string, err error)
}

// AuthzMark records, per request, that an authorization decision was made;
// the HTTP layer sets one in the request context and proves with it that no
// route returns without asking the Authorizer.
type AuthzMark struct{ Checked bool }

type authzMarkKey struct{}

// WithAuthzMark returns a context carrying m.
func WithAuthzMark(ctx context.Context, m *AuthzMark) context.Context {
	return context.WithValue(ctx, authzMarkKey{}, m)
}

// MarkAuthorized records in ctx's AuthzMark, if any, that the request's
// authorization was decided: by asking the Authorizer, or by a rule that
// needs none (a caller acting on their own identity).
func MarkAuthorized(ctx context.Context) {
	if m, ok := ctx.Value(authzMarkKey{}).(*AuthzMark); ok {
		m.Checked = true
	}
}

// NewHexID returns 32 random lower-case hex characters, the shape of
// Huawei's project, user and job ids.
func NewHexID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b[:])
}

// PlausibleID reports whether id can name anything: ids are short and never
// contain path or query syntax. Anything else is simply not found.
func PlausibleID(id string) bool {
	return id != "" && len(id) <= 64 && !strings.ContainsAny(id, "/?#% \t\r\n")
}
