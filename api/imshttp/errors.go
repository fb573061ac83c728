package imshttp

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/imsd/imsd"
)

// writeError is the single error writer. Application errors answer with
// their code's status and message; anything else is logged with its cause
// and answered as an internal error without details. Gateway codes
// (APIGW.*) use the API-gateway body, IMS codes the IMS body.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := imsd.ErrorCode(err)
	info := code.Info()
	msg := imsd.ErrorMessage(err)
	reqID := w.Header().Get("X-Request-Id")
	var appErr *imsd.Error
	switch {
	case code == imsd.CodeInternal:
		s.log.Error("internal error", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", reqID)
	case !errors.As(err, &appErr):
		s.log.Warn("request failed", "code", code, "err", err, "request_id", reqID)
	case appErr.Err != nil:
		s.log.Warn("request failed", "code", code, "err", appErr.Err, "request_id", reqID)
	default:
		s.log.Debug("request rejected", "code", code, "message", msg, "request_id", reqID)
	}
	if strings.HasPrefix(string(code), "APIGW.") {
		writeJSON(w, info.Status, map[string]string{"error_code": string(code), "error_msg": msg, "request_id": reqID})
		return
	}
	if strings.HasPrefix(string(code), "KMS.") {
		// Huawei KMS's own error shape, which the SDK parses too.
		writeJSON(w, info.Status, map[string]any{"error": map[string]string{"error_code": string(code), "error_msg": msg}})
		return
	}
	writeJSON(w, info.Status, map[string]any{"error": map[string]string{"code": string(code), "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// maxJSONBody bounds JSON request bodies (Huawei's API gateway limit).
const maxJSONBody = 12 << 20

// readBody reads a JSON request body. It reports empty for a missing or
// whitespace-only body.
func readBody(r *http.Request) (body []byte, empty bool, err error) {
	if r.Body == nil {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return nil, false, imsd.Errorf(imsd.CodeBadRequest, "Reading the request body failed.")
	}
	if len(body) > maxJSONBody {
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

// decodeJSON decodes a required JSON body into v.
func decodeJSON(r *http.Request, v any) error {
	body, empty, err := readBody(r)
	if err != nil {
		return err
	}
	if empty {
		return imsd.Errorf(imsd.CodeBodyEmpty, "")
	}
	return unmarshal(body, v)
}

func unmarshal(body []byte, v any) error {
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
