// Package audit keeps the audit trail of imsd (what Huawei Cloud Trace
// Service gives): the HTTP layer hands every write and every refused
// request to a Recorder, and Service lists an account's events.
package audit

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/imsd/imsd"
)

// Recorder stores audit events. Recording never fails a request: a store
// error is logged. Events of requests that could not be authenticated are
// limited per node (UnauthenticatedPerSecond, with a burst of as many), so
// a flood of bad credentials cannot fill the database; what is dropped is
// counted in the log.
type Recorder struct {
	store imsd.Store
	log   *slog.Logger
	now   func() time.Time

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
}

// UnauthenticatedPerSecond bounds the rate of recorded unauthenticated
// requests per node.
const UnauthenticatedPerSecond = 20

// NewRecorder returns a Recorder; log and now may be nil.
func NewRecorder(store imsd.Store, log *slog.Logger, now func() time.Time) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Recorder{store: store, log: log, now: now, tokens: UnauthenticatedPerSecond}
}

// Record stores e, giving it an id and the current time when they are
// unset. It runs after the answer was written and is not cancelled with the
// request.
func (r *Recorder) Record(ctx context.Context, e *imsd.AuditEvent) {
	if e.Decision == imsd.AuditUnauthenticated && !r.admit() {
		return
	}
	if e.ID == "" {
		e.ID = imsd.NewHexID()
	}
	if e.Time.IsZero() {
		e.Time = r.now().UTC()
	}
	if err := r.store.AuditInsert(context.WithoutCancel(ctx), e); err != nil {
		r.log.Error("audit event not recorded", "err", err, "request_id", e.RequestID, "route", e.Route)
	}
}

// admit takes a token of the unauthenticated-event bucket.
func (r *Recorder) admit() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if !r.last.IsZero() {
		r.tokens = min(UnauthenticatedPerSecond, r.tokens+now.Sub(r.last).Seconds()*UnauthenticatedPerSecond)
	}
	r.last = now
	if r.tokens < 1 {
		r.suppressed++
		if r.suppressed%1000 == 1 {
			r.log.Warn("audit: unauthenticated requests above the recording rate; not all are recorded",
				"suppressed_so_far", r.suppressed, "per_second", UnauthenticatedPerSecond)
		}
		return false
	}
	r.tokens--
	return true
}

// Service lists the audit trail of the caller's account.
type Service struct {
	store imsd.Store
	authz imsd.Authorizer
}

// NewService returns a Service.
func NewService(store imsd.Store, authz imsd.Authorizer) *Service {
	return &Service{store: store, authz: authz}
}

// ListAction is the IAM action that lists the audit trail (Huawei CTS's
// ListTraces). imsd decides it at domain scope: the trail is account-wide.
const ListAction = "cts:trace:list"

// MaxLimit is the largest page List returns.
const MaxLimit = 1000

// List returns a page of the caller's account's events matching q (whose
// DomainID is ignored: it is always the caller's), newest first, and the
// marker of the next page ("" at the end). q.Limit is 1 to MaxLimit
// (default 100).
func (s *Service) List(ctx context.Context, p *imsd.Principal, q imsd.AuditQuery) ([]*imsd.AuditEvent, string, error) {
	imsd.MarkAuthorized(ctx)
	if p == nil {
		return nil, "", imsd.Errorf(imsd.CodeAuthFailed, "")
	}
	if err := s.authz.Authorize(ctx, p, imsd.Check{Action: ListAction}); err != nil {
		return nil, "", err
	}
	switch {
	case q.Limit < 0 || q.Limit > MaxLimit:
		return nil, "", imsd.Errorf(imsd.CodeBadRequest, "limit must be between 1 and %d.", MaxLimit)
	case q.Decision != "" && q.Decision != imsd.AuditAllowed && q.Decision != imsd.AuditDenied:
		return nil, "", imsd.Errorf(imsd.CodeBadRequest, "decision must be %s or %s.", imsd.AuditAllowed, imsd.AuditDenied)
	case !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To):
		return nil, "", imsd.Errorf(imsd.CodeBadRequest, "from must be before to.")
	case len(q.Marker) > 64 || strings.ContainsAny(q.Marker, "/?#% "):
		return nil, "", imsd.Errorf(imsd.CodeBadRequest, "marker is not an audit event id.")
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	limit := q.Limit
	q.DomainID, q.Limit = p.DomainID, limit+1
	evs, err := s.store.AuditList(ctx, q)
	if errors.Is(err, imsd.ErrNotFound) && q.Marker != "" {
		return nil, "", imsd.Errorf(imsd.CodeBadRequest, "marker is not an audit event id of this account.")
	}
	if err != nil {
		return nil, "", imsd.Internal(err, "list audit events")
	}
	next := ""
	if len(evs) > limit {
		evs = evs[:limit]
		next = evs[len(evs)-1].ID
	}
	return evs, next, nil
}

// Prune deletes events older than retention; GC calls it.
func (r *Recorder) Prune(ctx context.Context, retention time.Duration) (int, error) {
	return r.store.AuditPrune(ctx, r.now().Add(-retention))
}
