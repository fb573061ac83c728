package imshttp

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/audit"
	"github.com/imsd/imsd/auth/sigv"
)

// AuditRecorder stores audit events (audit.Recorder).
type AuditRecorder interface {
	Record(ctx context.Context, e *imsd.AuditEvent)
}

// SetAudit sets where audit events go; nil records nothing. Call before
// Handler.
func (s *Server) SetAudit(r AuditRecorder) { s.audit = r }

// resourceParams name, in order of preference, the path parameter that
// says what a route acts on, and its type in the trail.
var resourceParams = []struct{ param, typ string }{
	{"image_id", "image"}, {"job_id", "job"}, {"user_id", "user"}, {"group_id", "group"},
	{"access_key", "access_key"}, {"policy_id", "policy"}, {"role_id", "policy"},
	{"enterprise_project_id", "enterprise_project"}, {"iam_project_id", "project"}, {"key_id", "key"},
}

// audited records the request in the audit trail when it writes (any
// method but GET and HEAD) or is refused (401, 403): who, what, on what,
// and the outcome. Bodies, tokens and secrets are never recorded. The
// event travels in the request context so authentication and handlers can
// fill in the caller (httpkit.AuditEvent).
func (s *Server) audited(rt api.Route, next http.HandlerFunc) http.HandlerFunc {
	if s.audit == nil {
		return next
	}
	action := strings.Join(rt.Actions, ",")
	return func(w http.ResponseWriter, r *http.Request) {
		e := &imsd.AuditEvent{RequestID: w.Header().Get("X-Request-Id"), Route: rt.Name, Method: r.Method,
			Path: r.URL.Path, Action: action}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			e.SourceIP = host
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead
		// Writes keep the start of their answer for the id they created;
		// reads only an error answer, for its code.
		cw := &statusWriter{ResponseWriter: w, headMax: maxCapture, headAll: write}
		next(cw, r.WithContext(httpkit.WithAuditEvent(r.Context(), e)))
		e.Status = cw.status
		if e.Status == 0 {
			e.Status = http.StatusOK
		}
		switch e.Status {
		case http.StatusUnauthorized:
			e.Decision = imsd.AuditUnauthenticated
			if e.AccessKey == "" {
				if a, err := sigv.ParseAuthorization(r.Header.Get("Authorization")); err == nil {
					e.AccessKey = a.AccessKey // the AK names a key; it is not a secret
				}
			}
		case http.StatusForbidden:
			e.Decision = imsd.AuditDenied
		default:
			if !write {
				return
			}
			e.Decision = imsd.AuditAllowed
		}
		for _, p := range resourceParams {
			if v := chi.URLParam(r, p.param); v != "" {
				e.ResourceType, e.ResourceID = p.typ, httpkit.PathParam(r, p.param)
				break
			}
		}
		var created string
		e.Code, created, e.ResourceID = answerFacts(cw.head, e.ResourceID)
		if e.ResourceType == "" {
			e.ResourceType = created
		}
		s.audit.Record(r.Context(), e)
	}
}

// maxCapture bounds the answer bytes kept for the audit trail.
const maxCapture = 8 << 10

// answerFacts reads the error code from the first bytes of a JSON answer
// and, when id is still unknown, the type and id of what the answer
// created: {"job_id"}, {"id"} (an image) or {"<type>": {"id"}}.
func answerFacts(head []byte, id string) (code, typ, newID string) {
	newID = id
	var v map[string]json.RawMessage
	if json.Unmarshal(head, &v) != nil {
		return "", "", newID
	}
	var s string
	if json.Unmarshal(v["error_code"], &s) == nil {
		code = s
	}
	var nested struct {
		Code any `json:"code"`
	}
	if json.Unmarshal(v["error"], &nested) == nil {
		if c, ok := nested.Code.(string); ok {
			code = c
		}
	}
	if newID != "" || code != "" {
		return code, "", newID
	}
	if json.Unmarshal(v["job_id"], &s) == nil && s != "" {
		return code, "job", s
	}
	if json.Unmarshal(v["id"], &s) == nil && s != "" {
		return code, "image", s
	}
	for k, raw := range v { // {"user": {"id": ...}} and the like
		var inner struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &inner) == nil && inner.ID != "" {
			return code, k, inner.ID
		}
	}
	return code, "", newID
}

// AuditLister lists an account's audit trail (audit.Service).
type AuditLister interface {
	List(ctx context.Context, p *imsd.Principal, q imsd.AuditQuery) ([]*imsd.AuditEvent, string, error)
}

// SetAuditLister sets the service behind ListAuditEvents.
func (s *Server) SetAuditLister(l AuditLister) { s.auditList = l }

// auditEventJSON is one event of GET /v1/imsd/audit.
type auditEventJSON struct {
	ID           string `json:"id"`
	Time         string `json:"time"`
	RequestID    string `json:"request_id"`
	DomainID     string `json:"domain_id"`
	ProjectID    string `json:"project_id,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	UserName     string `json:"user_name,omitempty"`
	AccessKey    string `json:"access_key,omitempty"`
	AuthMethod   string `json:"auth_method,omitempty"`
	SourceIP     string `json:"source_ip,omitempty"`
	Route        string `json:"api"`
	Method       string `json:"method"`
	Path         string `json:"path"`
	Action       string `json:"action"`
	ResourceType string `json:"resource_type,omitempty"`
	ResourceID   string `json:"resource_id,omitempty"`
	Decision     string `json:"decision"`
	Status       int    `json:"status"`
	Code         string `json:"code,omitempty"`
}

// handleAuditList serves GET /v1/imsd/audit (imsd's own; ims audit list):
// the caller's account's events, newest first, filtered by from/to
// (RFC 3339), user_id, resource_id, decision and api, paged by limit and
// marker.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := imsd.AuditQuery{UserID: v.Get("user_id"), ResourceID: v.Get("resource_id"), Decision: v.Get("decision"),
		Route: v.Get("api"), Marker: v.Get("marker")}
	var err error
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if t := v.Get(f.name); t != "" && err == nil {
			if *f.dst, err = time.Parse(time.RFC3339, t); err != nil {
				err = imsd.Errorf(imsd.CodeBadRequest, "%s must be an RFC 3339 time like 2026-12-04T10:00:00Z.", f.name)
			}
		}
	}
	if l := v.Get("limit"); l != "" && err == nil {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit < 1 {
			err = imsd.Errorf(imsd.CodeBadRequest, "limit must be a positive integer.")
		}
	}
	if err != nil {
		s.denyBadInput(w, r, audit.ListAction, err)
		return
	}
	evs, next, err := s.auditList.List(r.Context(), httpkit.Principal(r), q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]auditEventJSON, len(evs))
	for i, e := range evs {
		out[i] = auditEventJSON{ID: e.ID, Time: e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), RequestID: e.RequestID,
			DomainID: e.DomainID, ProjectID: e.ProjectID, UserID: e.UserID, UserName: e.UserName, AccessKey: e.AccessKey,
			AuthMethod: e.AuthMethod, SourceIP: e.SourceIP, Route: e.Route, Method: e.Method, Path: e.Path, Action: e.Action,
			ResourceType: e.ResourceType, ResourceID: e.ResourceID, Decision: e.Decision, Status: e.Status, Code: e.Code}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"events": out, "next_marker": next})
}
