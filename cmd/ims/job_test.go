package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeJobs serves ShowJobProgress and CopyImageInRegion from a script: each
// job id has a list of (status, percent) answers, the last one repeating.
func fakeJobs(t *testing.T, script map[string][]string) (endpoint string, clientTokens func() []string) {
	t.Helper()
	var mu sync.Mutex
	polls := map[string]int{}
	var tokens []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req-123")
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("Authorization") == "" || r.Header.Get("X-Project-Id") != "p" {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error_code":"APIGW.0301","error_msg":"unsigned","request_id":"req-123"}`)
			return
		}
		if src, ok := strings.CutPrefix(r.URL.Path, "/v1/cloudimages/"); ok && strings.HasSuffix(src, "/copy") {
			tokens = append(tokens, r.Header.Get("X-Client-Token"))
			fmt.Fprint(w, `{"job_id":"fail"}`)
			return
		}
		id := strings.TrimPrefix(r.URL.Path, "/v1/cloudimages/job/")
		steps, ok := script[id]
		if !ok {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":"IMG.0023","message":"no such job"}}`)
			return
		}
		st, pct, _ := strings.Cut(steps[min(polls[id], len(steps)-1)], " ")
		polls[id]++
		body := map[string]any{"job_id": id, "job_type": "imsCopyImageInRegionJob", "status": st, "begin_time": "2024-11-06T06:14:27.168Z",
			"end_time": "", "error_code": nil, "fail_reason": nil, "entities": map[string]any{"process_percent": json.Number(pct), "image_name": "c"}}
		if st == "FAIL" {
			body["error_code"], body["fail_reason"] = "IMG.0061", "the source data is unreadable"
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), tokens...)
	}
}

// TestJobWaitExitCodes: job wait and copy --wait exit 0 on SUCCESS, 3 on
// FAIL (printing fail_reason and the job) and 4 on timeout.
func TestJobWaitExitCodes(t *testing.T) {
	clearEnv(t)
	ep, tokens := fakeJobs(t, map[string][]string{
		"ok":   {"INIT 0", "RUNNING 0.4", "SUCCESS 1"},
		"fail": {"RUNNING 0.2", "FAIL 0.2"},
		"slow": {"RUNNING 0.1"},
	})
	t.Setenv(envAK, "a")
	t.Setenv(envSK, "s")
	t.Setenv(envProject, "p")
	t.Setenv(envEndpoint, ep)

	o, e, code := runCLI(t, "job", "wait", "ok", "-o", "json")
	var job map[string]any
	if code != 0 || json.Unmarshal([]byte(o), &job) != nil || job["status"] != "SUCCESS" {
		t.Fatalf("wait ok: %d %q %q", code, o, e)
	}
	if !strings.Contains(e, "job ok: 100.0% SUCCESS") {
		t.Errorf("no final progress line: %q", e)
	}
	o, e, code = runCLI(t, "job", "wait", "fail")
	if code != exitJobFail || !strings.Contains(e, "IMG.0061: the source data is unreadable") || !strings.Contains(o, "FAIL") {
		t.Fatalf("wait fail: %d %q %q", code, o, e)
	}
	o, e, code = runCLI(t, "image", "copy", "src", "--name", "c", "--wait", "--client-token", "tok-1", "-o", "json")
	if code != exitJobFail || json.Unmarshal([]byte(o), &job) != nil || job["fail_reason"] != "the source data is unreadable" {
		t.Fatalf("copy --wait of a failing job: %d %q %q", code, o, e)
	}
	if tok := tokens(); len(tok) != 1 || tok[0] != "tok-1" {
		t.Fatalf("X-Client-Token not sent: %q", tok)
	}
	_, e, code = runCLI(t, "job", "wait", "slow", "--timeout", "300ms")
	if code != exitTimeout || !strings.Contains(e, "timed out") {
		t.Fatalf("wait slow: %d %q", code, e)
	}
	_, e, code = runCLI(t, "job", "show", "nope")
	if code != exitError || !strings.Contains(e, "IMG.0023 no such job (HTTP 404, request id req-123)") {
		t.Fatalf("show unknown: %d %q", code, e)
	}
	t.Setenv(envProject, "other")
	_, e, code = runCLI(t, "job", "show", "ok")
	if code != exitError || !strings.Contains(e, "APIGW.0301") {
		t.Fatalf("gateway error: %d %q", code, e)
	}
}
