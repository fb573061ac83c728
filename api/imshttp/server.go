// Package imshttp serves the IMS wire API over HTTP: routing, request ids,
// authentication, the single error writer, and one file of handlers per
// resource. Handlers only translate between the wire and the service layer.
package imshttp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

// Authenticator resolves the caller of a request. It returns an *imsd.Error
// (CodeAuthFailed → 401) when the request is not authentic. It may read and
// must then restore r.Body.
type Authenticator interface {
	Authenticate(r *http.Request) (*imsd.Principal, error)
}

// Server is the HTTP front of a service.Service.
type Server struct {
	svc   *service.Service
	authn Authenticator
	log   *slog.Logger
	// OnAuthzSkipped, when set, is called with the route name whenever an
	// authenticated route returned without consulting the authorizer. Such
	// a route is a bug; it is always logged, and tests fail on it.
	OnAuthzSkipped func(route string)
	ready          func(ctx context.Context) error
	observe        func(RequestStats)
	// mounted are handlers of other packages (api/iamhttp) by route name.
	mounted   map[string]http.HandlerFunc
	audit     AuditRecorder
	auditList AuditLister
	// notReady remembers the last readiness failure, so that only changes
	// are logged, not every probe.
	notReady atomic.Pointer[string]
}

// RequestStats summarises one answered request for the hook set by
// SetObserver. Route, Method and Status have bounded sets of values, so they
// can serve as metric labels.
type RequestStats struct {
	// Route is the Name of the matched route in api.Routes, or
	// RouteNotFound / RouteMethodNotAllowed when none matched; never the
	// request path.
	Route string
	// Method is the request method, or "OTHER" for a non-standard one.
	Method string
	// Status is the response status code.
	Status int
	// Duration is the time from receiving the request to the handler's
	// return.
	Duration time.Duration
	// UploadedBytes is the image data received: the request body bytes read
	// by an image upload, whatever its outcome; 0 for other routes.
	UploadedBytes int64
	// DownloadedBytes is the image data sent: the response body bytes of an
	// image download answered 200 or 206; 0 for other routes.
	DownloadedBytes int64
}

// Route names RequestStats reports for requests no route matched.
const (
	RouteNotFound         = "NotFound"
	RouteMethodNotAllowed = "MethodNotAllowed"
)

// The routes whose bodies are image data.
const (
	routeUpload   = "UploadImageFile"
	routeStage    = "GlanceStageImageFile"
	routeDownload = "DownloadImageFile"
)

// SetObserver sets a hook called with the summary of every answered
// request, for metrics; it must be safe for concurrent use and must not
// block. Call before Handler.
func (s *Server) SetObserver(f func(RequestStats)) { s.observe = f }

// New returns a Server. log may be nil.
func New(svc *service.Service, authn Authenticator, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{svc: svc, authn: authn, log: log, ready: func(context.Context) error { return nil }}
}

// SetReady sets the readiness check behind GET /readyz: it returns nil
// when the node should take traffic, or an error saying why not. Call
// before Handler.
func (s *Server) SetReady(f func(ctx context.Context) error) { s.ready = f }

// NotReadyError is a readiness failure with a short public reason; the
// error it wraps is only logged.
type NotReadyError struct {
	// Reason is shown to the (unauthenticated) prober, e.g. "draining".
	Reason string
	Err    error
}

// Error implements error.
func (e *NotReadyError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *NotReadyError) Unwrap() error { return e.Err }

// Mount adds the handlers of routes another package serves (the identity
// routes of api/iamhttp, the key-service routes of api/kmshttp), by route
// name. Call before Handler.
func (s *Server) Mount(handlers map[string]http.HandlerFunc) {
	if s.mounted == nil {
		s.mounted = map[string]http.HandlerFunc{}
	}
	for name, h := range handlers {
		s.mounted[name] = h
	}
}

// handlers maps route names to handlers: this package's and the mounted.
func (s *Server) handlers() map[string]http.HandlerFunc {
	m := s.imsHandlers()
	for name, h := range s.mounted {
		m[name] = h
	}
	return m
}

// imsHandlers maps the image service's route names to handlers.
func (s *Server) imsHandlers() map[string]http.HandlerFunc {
	m := map[string]http.HandlerFunc{
		"Health":                      s.handleHealth,
		"Ready":                       s.handleReady,
		"ListVersions":                s.handleListVersions,
		"ShowVersion":                 s.handleShowVersion,
		"GlanceShowImageSchemas":      s.handleImageSchema,
		"GlanceListImageSchemas":      s.handleImagesSchema,
		"GlanceCreateImageMetadata":   s.handleGlanceCreate,
		"GlanceListImages":            s.handleGlanceList,
		"GlanceShowImage":             s.handleGlanceShow,
		"GlanceUpdateImage":           s.handleGlanceUpdate,
		"GlanceDeleteImage":           s.handleDelete,
		"UploadImageFile":             s.handleUpload,
		"DownloadImageFile":           s.handleDownload,
		"GlanceCreateTag":             s.handleGlanceTagAdd,
		"GlanceDeleteTag":             s.handleGlanceTagDelete,
		"ListImages":                  s.handleListImages,
		"UpdateImage":                 s.handleUpdateImage,
		"ShowImageQuota":              s.handleQuota,
		"ListOsVersions":              s.handleOSVersions,
		"AddImageTag":                 s.handleAddImageTag,
		"BatchAddOrDeleteTags":        s.handleBatchTags,
		"DeleteImageTag":              s.handleDeleteImageTag,
		"ListImageTags":               s.handleListImageTags,
		"ListImagesTags":              s.handleListProjectTags,
		"ListImageByTags":             s.handleListImageByTags,
		"BatchDeleteTags":             s.handleBatchDeleteTags,
		"CreateOrUpdateTags":          s.handleCreateOrUpdateTags,
		"ListTags":                    s.handleListTags,
		"CopyImageInRegion":           s.handleCopy(false),
		"CopyImageInRegionInSafeMode": s.handleCopy(true),
		"ShowJob":                     s.handleShowJob,
		"ShowJobProgress":             s.handleShowJobProgress,
		"CancelJob":                   s.handleCancelJob,
		"PolicyCheck":                 s.handlePolicyCheck,
		"ListAuditEvents":             s.handleAuditList,
	}
	for name, h := range s.transferHandlers() {
		m[name] = h
	}
	return m
}

// Handler returns the routed handler with every middleware applied. It
// fails when the route table names a handler that does not exist.
func (s *Server) Handler() (http.Handler, error) {
	r := chi.NewRouter()
	r.Use(s.requestID)
	if s.observe != nil {
		r.Use(s.observed)
	}
	r.Use(s.recoverer, s.accessLog, s.rejectBadText)
	r.NotFound(named(RouteNotFound, func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, imsd.Errorf(imsd.CodeRouteNotFound, "No API matches %s %s.", r.Method, r.URL.Path))
	}))
	r.MethodNotAllowed(named(RouteMethodNotAllowed, func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, imsd.Errorf(imsd.CodeRouteNotFound, "No API matches %s %s.", r.Method, r.URL.Path))
	}))
	hs := s.handlers()
	for _, rt := range api.Routes() {
		h, ok := hs[rt.Name]
		if !ok {
			return nil, fmt.Errorf("imshttp: route %s has no handler", rt.Name)
		}
		if !rt.Public {
			if len(rt.Actions) == 0 {
				return nil, fmt.Errorf("imshttp: route %s declares no IAM action", rt.Name)
			}
			h = s.audited(rt, s.authenticated(rt, h))
		} else if rt.Method != http.MethodGet {
			h = s.audited(rt, h) // logins
		}
		r.Method(rt.Method, rt.Pattern, named(rt.Name, h))
	}
	return r, nil
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", newRequestID())
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()),
					"request_id", w.Header().Get("X-Request-Id"))
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status and size of an answer and, for the
// audit trail, keeps its first headMax bytes: of every answer when headAll
// is set, else of error answers (status 400 and above) only.
type statusWriter struct {
	http.ResponseWriter
	status  int
	bytes   int64
	headMax int
	headAll bool
	head    []byte
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if room := w.headMax - len(w.head); room > 0 && (w.headAll || w.status >= 400) {
		w.head = append(w.head, b[:min(len(b), room)]...)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "bytes", sw.bytes,
			"duration_ms", time.Since(start).Milliseconds(), "request_id", w.Header().Get("X-Request-Id"))
	})
}

// routeNameKey holds a *string the observed middleware reads after the
// request: the name of the route that served it.
type routeNameKey struct{}

// named records the route name for the observed middleware.
func named(name string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p, ok := r.Context().Value(routeNameKey{}).(*string); ok {
			*p = name
		}
		next(w, r)
	}
}

// countingBody counts the request body bytes read, through any wrapping
// the authenticator adds later.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// observed reports every request to the observer hook, labelled by route
// name. It sits outside the recoverer so a panic is reported as the 500 sent.
func (s *Server) observed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := RouteNotFound
		r = r.WithContext(context.WithValue(r.Context(), routeNameKey{}, &route))
		body := &countingBody{ReadCloser: r.Body}
		if r.Body != nil && r.Body != http.NoBody { // the authenticator tells NoBody apart
			r.Body = body
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		st := RequestStats{Route: route, Method: methodLabel(r.Method), Status: sw.status, Duration: time.Since(start)}
		if st.Status == 0 {
			st.Status = http.StatusOK // net/http's answer to a handler that wrote nothing
		}
		switch {
		case route == routeUpload || route == routeStage:
			st.UploadedBytes = body.n
		case route == routeDownload && (st.Status == http.StatusOK || st.Status == http.StatusPartialContent):
			st.DownloadedBytes = sw.bytes
		}
		s.observe(st)
	})
}

// methodLabel bounds the method to the standard ones.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// authenticated authenticates the caller, checks a {project_id} path
// parameter against the caller's project, and verifies afterwards that the
// handler consulted the authorizer.
func (s *Server) authenticated(rt api.Route, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authn.Authenticate(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		e := httpkit.AuditEvent(r)
		e.DomainID, e.ProjectID, e.UserID, e.UserName = p.DomainID, p.ProjectID, p.UserID, p.UserName
		e.AccessKey, e.AuthMethod, e.SourceIP = p.AccessKey, p.AuthMethod, p.SourceIP
		if pid := chi.URLParam(r, "project_id"); pid != "" && pid != p.ProjectID {
			s.writeError(w, r, imsd.Errorf(imsd.CodeProjectMismatch, "The project ID in the path does not match the project of the request (X-Project-Id or token scope)."))
			return
		}
		if p.ProjectID == "" && !rt.Global {
			s.writeError(w, r, imsd.Errorf(imsd.CodeProjectMismatch, "This API needs a project: send X-Project-Id or use a project-scoped token."))
			return
		}
		mark := &imsd.AuthzMark{}
		ctx := httpkit.WithPrincipal(r.Context(), p)
		ctx = imsd.WithAuthzMark(ctx, mark)
		sw := &statusWriter{ResponseWriter: w}
		next(sw, r.WithContext(ctx))
		if !mark.Checked {
			s.log.Error("route returned without an authorization decision", "route", rt.Name, "status", sw.status)
			if s.OnAuthzSkipped != nil {
				s.OnAuthzSkipped(rt.Name)
			}
		}
	}
}

// handleHealth is the liveness probe: 200 whenever the process serves
// HTTP, draining included, so a supervisor never restarts a node that is
// only waiting for its database.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// writeError answers err with the single error writer (httpkit.WriteError).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpkit.WriteError(s.log, w, r, err)
}

// handleReady is the readiness probe: 200 when the node should take
// traffic (started, not draining, database and blob store reachable), 503
// with a short reason otherwise. Details go to the log, once per change.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	err := s.ready(ctx)
	if err == nil {
		if prev := s.notReady.Swap(nil); prev != nil {
			s.log.Info("ready again", "was", *prev)
		}
		httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	reason := "not ready"
	var nr *NotReadyError
	if errors.As(err, &nr) {
		reason = nr.Reason
	}
	msg := err.Error()
	if prev := s.notReady.Swap(&msg); prev == nil || *prev != msg {
		s.log.Warn("not ready", "reason", msg)
	}
	httpkit.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": reason})
}

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second
