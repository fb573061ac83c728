// Package httpkit is the HTTP plumbing the API packages share (api/imshttp
// for images, api/iamhttp for identity): the single error writer, JSON
// bodies in and out, the caller of a request and its path parameters.
package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/imsd/imsd"
)

// Written answers err with WriteError, or nothing when err is nil; it
// reports whether the request is done.
func Written(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) bool {
	if err != nil {
		WriteError(log, w, r, err)
		return true
	}
	return false
}

// WriteError is the single error writer. Application errors answer with
// their code's status and message; anything else is logged to log with its
// cause and answered as an internal error without details. Gateway codes
// (APIGW.*) use the API-gateway body, IMS (and IAM, EPS) codes the IMS body.
func WriteError(log *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	code := imsd.ErrorCode(err)
	info := code.Info()
	msg := imsd.ErrorMessage(err)
	reqID := w.Header().Get("X-Request-Id")
	var appErr *imsd.Error
	switch {
	case code == imsd.CodeInternal:
		log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", reqID)
	case !errors.As(err, &appErr):
		log.Warn("request failed", "code", code, "err", err, "request_id", reqID)
	case appErr.Err != nil:
		log.Warn("request failed", "code", code, "err", appErr.Err, "request_id", reqID)
	default:
		log.Debug("request rejected", "code", code, "message", msg, "request_id", reqID)
	}
	if strings.HasPrefix(string(code), "APIGW.") {
		WriteJSON(w, info.Status, map[string]string{"error_code": string(code), "error_msg": msg, "request_id": reqID})
		return
	}
	if strings.HasPrefix(string(code), "KMS.") {
		// Huawei KMS's own error shape, which the SDK parses too.
		WriteJSON(w, info.Status, map[string]any{"error": map[string]string{"error_code": string(code), "error_msg": msg}})
		return
	}
	WriteJSON(w, info.Status, map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
}

// WriteJSON answers status with v as JSON (HTML characters not escaped).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// MaxJSONBody bounds JSON request bodies (Huawei's API gateway limit).
const MaxJSONBody = 12 << 20

// ReadBody reads a JSON request body of at most MaxJSONBody bytes. It
// reports empty for a missing or whitespace-only body, and refuses a body
// holding a NUL character.
func ReadBody(r *http.Request) (body []byte, empty bool, err error) {
	if r.Body == nil {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
	if err != nil {
		return nil, false, imsd.Errorf(imsd.CodeBadRequest, "Reading the request body failed.")
	}
	if len(body) > MaxJSONBody {
		return nil, false, imsd.Errorf(imsd.CodeEntityTooLarge, "")
	}
	if hasEscapedNUL(body) {
		return nil, false, imsd.Errorf(imsd.CodeBadRequest, "The request body is invalid: JSON strings may not contain the NUL character (\\u0000).")
	}
	return body, len(strings.TrimSpace(string(body))) == 0, nil
}

// hasEscapedNUL reports whether a JSON text holds a NUL character. JSON can
// only carry one as the escape \u0000 inside a string (a raw control byte
// is invalid JSON); no identifier, name or description may contain one, and
// PostgreSQL cannot store one, so such input is refused up front.
func hasEscapedNUL(body []byte) bool {
	for i := 0; i+1 < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] == 'u' && i+5 < len(body) && string(body[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character, so \\u0000 is a backslash and text
	}
	return false
}

// DecodeJSON decodes a required JSON body into v (IMG.0007 when empty).
func DecodeJSON(r *http.Request, v any) error {
	body, empty, err := ReadBody(r)
	if err != nil {
		return err
	}
	if empty {
		return imsd.Errorf(imsd.CodeBodyEmpty, "")
	}
	return Unmarshal(body, v)
}

// Unmarshal decodes JSON into v; a wrong type or invalid JSON is a 400
// naming the field and the JSON type it needs.
func Unmarshal(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return imsd.Errorf(imsd.CodeBadRequest, "The request body is invalid: field %q must be a JSON %s.", te.Field, jsonKind(strings.TrimPrefix(te.Type.String(), "*")))
		}
		return imsd.Errorf(imsd.CodeBadRequest, "The request body is not valid JSON: %v", err)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "[]string", "[]interface {}":
		return "array"
	case "map[string]string", "map[string]interface {}":
		return "object"
	default:
		return "number"
	}
}

type principalKey struct{}

// WithPrincipal returns a context carrying the authenticated caller.
func WithPrincipal(ctx context.Context, p *imsd.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Principal returns the authenticated caller of r, nil on a public route.
func Principal(r *http.Request) *imsd.Principal {
	p, _ := r.Context().Value(principalKey{}).(*imsd.Principal)
	return p
}

// PathParam returns a path parameter of the matched route, percent-decoded.
func PathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

type auditKey struct{}

// WithAuditEvent returns a context carrying the audit event of the request
// being served, which later layers fill in.
func WithAuditEvent(ctx context.Context, e *imsd.AuditEvent) context.Context {
	return context.WithValue(ctx, auditKey{}, e)
}

// AuditEvent returns the audit event of the request, or a throwaway one
// when the request is not audited, so callers can always fill it.
func AuditEvent(r *http.Request) *imsd.AuditEvent {
	if e, ok := r.Context().Value(auditKey{}).(*imsd.AuditEvent); ok {
		return e
	}
	return &imsd.AuditEvent{}
}
