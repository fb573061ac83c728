package imsd

import (
	"context"
	"time"
)

// AuditEvent is one record of the audit trail (what Huawei Cloud Trace
// Service keeps): every write and every refused request. It never holds a
// secret: no bodies, no tokens, no secret keys, no passwords.
type AuditEvent struct {
	// ID is a 32-hex id; events of one domain are listed by Time, then ID.
	ID        string
	Time      time.Time
	RequestID string
	// DomainID is the caller's account; "" when the caller could not be
	// authenticated (only operators see those).
	DomainID   string
	ProjectID  string
	UserID     string
	UserName   string
	AccessKey  string // the AK (not secret) for AK/SK requests
	AuthMethod string // "aksk", "token" or "" when unauthenticated
	SourceIP   string
	// Route is the API name from the route table (CopyImageInRegion, ...).
	Route  string
	Method string
	Path   string
	// Action is the IAM action(s) the route requires, joined by ",".
	Action string
	// ResourceType and ResourceID name what the request acted on (from the
	// path, or the id the answer created).
	ResourceType string
	ResourceID   string
	// Decision is AuditAllowed, AuditDenied (403) or AuditUnauthenticated
	// (401).
	Decision string
	// Status is the HTTP status answered and Code its error code ("" on
	// success).
	Status int
	Code   string
}

// Audit decisions.
const (
	AuditAllowed         = "allowed"
	AuditDenied          = "denied"
	AuditUnauthenticated = "unauthenticated"
)

// AuditQuery selects audit events of one domain, newest first.
type AuditQuery struct {
	// DomainID is required; "" selects the unauthenticated events.
	DomainID   string
	From, To   time.Time // [From, To); zero means unbounded
	UserID     string
	ResourceID string
	Decision   string
	Route      string
	// Marker is the ID of the last event of the previous page (exclusive).
	Marker string
	Limit  int
}

// AuditQueries are the audit trail's data operations.
type AuditQueries interface {
	AuditInsert(ctx context.Context, e *AuditEvent) error
	// AuditList returns the events matching q, newest first (Time, then
	// ID, descending), after q.Marker; a Marker of another domain or none
	// is ErrNotFound.
	AuditList(ctx context.Context, q AuditQuery) ([]*AuditEvent, error)
	// AuditPrune deletes the events older than before and returns how many.
	AuditPrune(ctx context.Context, before time.Time) (int, error)
}
