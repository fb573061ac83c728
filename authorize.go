package imsd

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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

// Precheck answers the question every request faces before its input is
// examined: may the caller perform action anywhere at all? A caller with
// no grant for it, at project or enterprise-project scope, gets a's 403
// before any validation or lookup; otherwise the real check happens once
// the resource (and so its enterprise project) is known. It marks the
// request's authorization as decided.
func Precheck(ctx context.Context, a Authorizer, p *Principal, action string) error {
	MarkAuthorized(ctx)
	if p == nil {
		return Errorf(CodeAuthFailed, "")
	}
	err := a.Authorize(ctx, p, Check{Action: action})
	if err == nil || ErrorCode(err) != CodeForbidden {
		return err
	}
	all, eps, serr := a.Scope(ctx, p, action)
	if serr != nil {
		return Internal(serr, "authorization scope")
	}
	if all || len(eps) > 0 {
		return nil
	}
	return err
}

// CheckTargetEnterpriseProject validates that ep exists in account
// domainID and is enabled, so a resource may be placed in it. Another
// account's project answers as a missing one.
func CheckTargetEnterpriseProject(ctx context.Context, q Queries, domainID, ep string) error {
	if ep == DefaultEnterpriseProject {
		return nil
	}
	missing := Errorf(CodeEnterpriseProject, "The enterprise project %q does not exist.", ep)
	if len(ep) > 64 || strings.ContainsAny(ep, "/?#% \t\r\n") {
		return missing
	}
	e, err := q.EnterpriseProjectGet(ctx, ep)
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidText) || (err == nil && e.DomainID != domainID) {
		return missing
	}
	if err != nil {
		return Internal(err, "get enterprise project")
	}
	if e.Status != EnterpriseProjectEnabled {
		return Errorf(CodeEnterpriseProject, "The enterprise project %q is disabled and cannot receive new resources.", ep)
	}
	return nil
}
