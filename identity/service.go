// Package identity holds the identity use cases of imsd: accounts, IAM
// users, groups, projects, access keys, permissions and grants, tokens,
// and enterprise projects (EPS). Like package service, it is the one place
// that validates identity input, authorizes callers and changes identity
// state; the HTTP layer (api/iamhttp) only translates the wire format.
package identity

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

// Service implements the identity use cases. Construct it with New.
type Service struct {
	store  imsd.Store
	authz  imsd.Authorizer
	sealer *auth.Sealer
	now    func() time.Time
	log    *slog.Logger
	cfg    Config
	// logins locks a user's password logins after repeated failures.
	logins *auth.Lockout
	fail   imsd.FailPoint
}

// Config holds the tunables of the identity service.
type Config struct {
	// Region is the region id: the name of every account's first project
	// and the region of the token catalog (default "local-1").
	Region string
}

// Options are the dependencies of a Service.
type Options struct {
	Store imsd.Store
	// Authz decides every call.
	Authz imsd.Authorizer
	// Sealer seals secret keys and tokens; the APIs that create access keys
	// or tokens fail without it.
	Sealer *auth.Sealer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives operational messages; nil discards them.
	Log    *slog.Logger
	Config Config
	// FailPoint, for crash tests only, is called at named steps of
	// enterprise-project moves.
	FailPoint imsd.FailPoint
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Authz == nil {
		return nil, errors.New("identity: Store and Authz are required")
	}
	s := &Service{store: o.Store, authz: o.Authz, sealer: o.Sealer, now: o.Now, log: o.Log, cfg: o.Config, fail: o.FailPoint}
	if s.cfg.Region == "" {
		s.cfg.Region = "local-1"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.logins = auth.NewLockout(auth.PasswordLockout, s.now)
	return s, nil
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Now returns the service clock's current time in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Recover prepares identity state after a start: accounts created before
// admin groups existed get theirs.
func (s *Service) Recover(ctx context.Context) error { return s.ensureAdminGroups(ctx) }

// authorize asks the Authorizer and records that the request's
// authorization was decided.
func (s *Service) authorize(ctx context.Context, p *imsd.Principal, checks ...imsd.Check) error {
	imsd.MarkAuthorized(ctx)
	if p == nil {
		return imsd.Errorf(imsd.CodeAuthFailed, "")
	}
	return s.authz.Authorize(ctx, p, checks...)
}
