package service

import (
	"context"

	"github.com/imsd/imsd"
)

// Check is one authorization question (see imsd.Check).
type Check = imsd.Check

// RootOnly is the Authorizer used before policies exist: the account root
// may do everything, everyone else nothing.
type RootOnly struct{}

// Authorize implements imsd.Authorizer.
func (RootOnly) Authorize(_ context.Context, p *imsd.Principal, checks ...Check) error {
	if p != nil && p.IsRoot {
		return nil
	}
	if len(checks) == 0 {
		return imsd.Errorf(imsd.CodeForbidden, "")
	}
	return imsd.Errorf(imsd.CodeForbidden, "Policy doesn't allow %s to be performed.", checks[0].Action)
}

// Scope implements imsd.Authorizer.
func (RootOnly) Scope(_ context.Context, p *imsd.Principal, _ string) (bool, []string, error) {
	return p != nil && p.IsRoot, nil, nil
}

func (s *Service) authorize(ctx context.Context, p *imsd.Principal, checks ...Check) error {
	imsd.MarkAuthorized(ctx)
	if p == nil {
		return imsd.Errorf(imsd.CodeAuthFailed, "")
	}
	return s.authz.Authorize(ctx, p, checks...)
}

// precheck answers the question every request faces before its input is
// examined: may the caller perform action anywhere at all? A caller with no
// grant for it, at project or enterprise-project scope, gets 403 before any
// validation or lookup; otherwise the real check happens once the resource
// (and so its enterprise project) is known.
func (s *Service) precheck(ctx context.Context, p *imsd.Principal, action string) error {
	return imsd.Precheck(ctx, s.authz, p, action)
}

// Precheck is precheck for the HTTP layer, used when a request is rejected
// before it reaches a use case.
func (s *Service) Precheck(ctx context.Context, p *imsd.Principal, action string) error {
	return s.precheck(ctx, p, action)
}

// Authorize lets other layers ask the service's Authorizer directly (for
// routes whose whole work is an authorization question).
func (s *Service) Authorize(ctx context.Context, p *imsd.Principal, checks ...Check) error {
	return s.authorize(ctx, p, checks...)
}
