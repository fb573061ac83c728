package imshttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/imsd/imsd/api/iamhttp"
	"github.com/imsd/imsd/api/kmshttp"
)

// TestLivenessAndReadiness: /healthz answers 200 whatever the readiness
// check says; /readyz answers 503 with the check's public reason (never the
// detail, which may name hosts) and logs each change once.
func TestLivenessAndReadiness(t *testing.T) {
	var logs bytes.Buffer
	s := New(nil, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	s.Mount(iamhttp.New(nil, nil).Handlers())
	s.Mount(kmshttp.New(nil, "", nil).Handlers())
	var state error
	s.SetReady(func(context.Context) error { return state })
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	probe := func(path string) (int, map[string]string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, http.NoBody))
		var body map[string]string
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	cases := []struct {
		name   string
		state  error
		code   int
		reason string
	}{
		{"ready", nil, 200, ""},
		{"draining", &NotReadyError{Reason: "draining"}, 503, "draining"},
		{"database down", &NotReadyError{Reason: "database unreachable", Err: errors.New("dial tcp db.internal:5432: refused")}, 503, "database unreachable"},
		{"database still down", &NotReadyError{Reason: "database unreachable", Err: errors.New("dial tcp db.internal:5432: refused")}, 503, "database unreachable"},
		{"plain error", errors.New("boom"), 503, "not ready"},
		{"ready again", nil, 200, ""},
	}
	for _, c := range cases {
		state = c.state
		if code, _ := probe("/healthz"); code != 200 {
			t.Fatalf("%s: /healthz %d", c.name, code)
		}
		code, body := probe("/readyz")
		if code != c.code || body["reason"] != c.reason || strings.Contains(body["reason"], "db.internal") {
			t.Fatalf("%s: /readyz %d %v", c.name, code, body)
		}
	}
	if n := strings.Count(logs.String(), `msg="not ready"`); n != 3 {
		t.Fatalf("logged %d readiness failures, want 3 (one per change):\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "db.internal") || !strings.Contains(logs.String(), `msg="ready again"`) {
		t.Fatalf("the log lacks the detail or the recovery:\n%s", logs.String())
	}
}
