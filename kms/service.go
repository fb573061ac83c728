package kms

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/imsd/imsd"
)

// Service implements the key service's use cases. Construct it with New.
type Service struct {
	store imsd.Store
	authz imsd.Authorizer
	keys  imsd.KeyProvider
	now   func() time.Time
	log   *slog.Logger
}

// Options are the dependencies of a Service.
type Options struct {
	Store imsd.Store
	// Authz decides every call.
	Authz imsd.Authorizer
	// Keys holds the master keys; creating keys fails without it.
	Keys imsd.KeyProvider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives operational messages; nil discards them.
	Log *slog.Logger
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Authz == nil {
		return nil, errors.New("kms: Store and Authz are required")
	}
	s := &Service{store: o.Store, authz: o.Authz, keys: o.Keys, now: o.Now, log: o.Log}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Now returns the service's current time in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// authorize asks the Authorizer and records that the request's
// authorization was decided.
func (s *Service) authorize(ctx context.Context, p *imsd.Principal, checks ...imsd.Check) error {
	imsd.MarkAuthorized(ctx)
	if p == nil {
		return imsd.Errorf(imsd.CodeAuthFailed, "")
	}
	return s.authz.Authorize(ctx, p, checks...)
}
