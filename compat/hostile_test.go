package compat

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/imsd/imsd/internal/sdktest"
)

// hostileRequest is one line of testdata/hostile/requests.jsonl.
type hostileRequest struct {
	Name        string            `json:"name"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Query       map[string]string `json:"query"`
	Body        json.RawMessage   `json:"body"`
	BodyBase64  string            `json:"body_b64"`
	ContentType string            `json:"content_type"`
	Headers     map[string]string `json:"headers"`
	Want        int               `json:"want"`
}

// TestHostileCorpus replays the checked-in corpus of hostile requests
// (testdata/hostile/requests.jsonl: one defect class per line, the classes
// issue 14 names and those found since) as the account root, so no
// authorization masks the input checks. Every request must be answered
// with its documented 4xx and an error code, never a 5xx, and nothing the
// account can see may change: images (with their timestamps), tags,
// custom policies, enterprise projects and users are compared before and
// after. {image_id} and {project_id} in a line name the fixtures.
func TestHostileCorpus(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	img := activeImage(t, env, "hostile-target", randomBytes(t, 4096))
	resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v2/" + env.Creds.ProjectID + "/images/" + img + "/tags",
		JSONBody: []byte(`{"tag":{"key":"env","value":"prod"}}`)})
	resp.Body.Close()
	fill := strings.NewReplacer("{image_id}", img, "{project_id}", env.Creds.ProjectID).Replace

	f, err := os.Open("testdata/hostile/requests.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var corpus []hostileRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var h hostileRequest
		if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
			t.Fatalf("corpus line %d: %v", len(corpus)+1, err)
		}
		corpus = append(corpus, h)
	}
	if len(corpus) < 50 {
		t.Fatalf("corpus has only %d requests", len(corpus))
	}

	before := accountSnapshot(t, env)
	for _, h := range corpus {
		q := sdktest.Request{Method: h.Method, Path: fill(h.Path), ContentType: h.ContentType, Header: http.Header{}}
		if len(h.Query) > 0 {
			q.Query = url.Values{}
			for k, v := range h.Query {
				q.Query.Set(k, v)
			}
		}
		for k, v := range h.Headers {
			q.Header.Set(k, v)
		}
		switch {
		case h.BodyBase64 != "":
			b, err := base64.StdEncoding.DecodeString(h.BodyBase64)
			if err != nil {
				t.Fatalf("%s: body_b64: %v", h.Name, err)
			}
			q.JSONBody = b
		case h.Body != nil:
			q.JSONBody = []byte(fill(string(h.Body)))
		}
		resp := env.Do(t, q)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 500:
			t.Errorf("%s: %d %s (a client mistake answered 5xx)", h.Name, resp.StatusCode, body)
		case resp.StatusCode != h.Want:
			t.Errorf("%s: %d %s, want %d", h.Name, resp.StatusCode, body, h.Want)
		case !bytes.Contains(body, []byte(`"code"`)) && !bytes.Contains(body, []byte(`"error_code"`)):
			t.Errorf("%s: %d without an error code: %s", h.Name, resp.StatusCode, body)
		}
	}
	if after := accountSnapshot(t, env); after != before {
		t.Fatalf("refused requests changed the account:\nbefore %s\nafter  %s", before, after)
	}
}

// accountSnapshot renders what the root sees of its account.
func accountSnapshot(t *testing.T, env *sdktest.Env) string {
	t.Helper()
	var b strings.Builder
	get := func(path string) {
		resp := env.Do(t, sdktest.Request{Method: "GET", Path: path})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		if m, ok := v.(map[string]any); ok {
			delete(m, "links") // carries the request's own URL
		}
		out, _ := json.Marshal(v)
		b.WriteString(path + " " + string(out) + "\n")
	}
	get("/v2/cloudimages")
	var list struct {
		Images []struct {
			ID string `json:"id"`
		} `json:"images"`
	}
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/cloudimages"})
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	for _, img := range list.Images {
		get("/v2/" + env.Creds.ProjectID + "/images/" + img.ID + "/tags")
	}
	get("/v3.0/OS-ROLE/roles")
	get("/v1.0/enterprise-projects")
	get("/v3/users")
	return b.String()
}
