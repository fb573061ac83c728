package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	iamm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/sdktest"
)

var pathParamPattern = regexp.MustCompile(`\{([a-z_]+)\}`)

// garbageWorkers is how many routes (other than the deleting ones) are
// walked at once.
const garbageWorkers = 4

// TestNoRouteAnswers5xxToGarbage walks the whole route table as the
// account root and sends every route malformed bodies, path parameters
// (real ids and garbage), query strings and headers. A client's mistake is
// never a 5xx, and every error carries a code. Each failure names the
// route and the input, with what the server logged for the request.
func TestNoRouteAnswers5xxToGarbage(t *testing.T) {
	logs := newGarbageLog()
	env := sdktest.Start(t, func(c *app.Config) { c.Log = slog.New(logs) })
	start := time.Now()

	// Fixtures, so that handlers get past their lookups.
	img := activeImage(t, env, "garbage-src", randomBytes(t, 1024))
	queued := createImage(t, env, "garbage-queued", "raw")
	for _, q := range []sdktest.Request{
		{Method: "PUT", Path: "/v2/images/" + img + "/tags/t1"},
		{Method: "POST", Path: "/v2/" + env.Creds.ProjectID + "/images/" + img + "/tags", JSONBody: []byte(`{"tag":{"key":"k1","value":"v1"}}`)},
	} {
		resp := env.Do(t, q)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("%s %s: %d", q.Method, q.Path, resp.StatusCode)
		}
	}
	cp, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: img, Body: &model.CopyImageInRegionRequestBody{Name: "garbage-copy"}})
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, env, *cp.JobId)
	iamc := rootIAM(t, env)
	uid := mkUser(t, iamc, "garbage-user", "Garbage-pass-1")
	gid := mkGroup(t, iamc, "garbage-group")
	check(iamc.KeystoneAddUserToGroup(&iamm.KeystoneAddUserToGroupRequest{GroupId: gid, UserId: uid}))(t)
	ak, _ := mkKey(t, iamc, uid)
	role := mkPolicy(t, iamc, "garbage-policy", "ims:images:list")
	ep := mkEP(t, rootEPS(t, env), "garbage-ep")
	member := secondProject(t, env, "garbage-member")
	shareWith(t, env, img, member)
	w := &garbageWalk{env: env, logs: logs, client: &http.Client{Timeout: 30 * time.Second}, queued: queued, bodies: garbageBodies(),
		fixtures: map[string]string{
			"version": "v2", "image_id": img, "tag": "t1", "key": "k1", "project_id": env.Creds.ProjectID,
			"job_id": *cp.JobId, "iam_project_id": env.Creds.ProjectID, "user_id": uid, "group_id": gid,
			"access_key": ak, "role_id": role, "domain_id": env.Creds.DomainID, "enterprise_project_id": ep,
			"member_id": member, "task_id": *cp.JobId,
		},
		fill: strings.NewReplacer("{img}", img, "{uid}", uid, "{did}", env.Creds.DomainID, "{pid}", env.Creds.ProjectID,
			"{region}", "local-1", "{ep}", ep, "{mid}", member),
	}

	routes := api.Routes()
	if len(routes) < 90 {
		t.Fatalf("route table has only %d routes", len(routes))
	}
	var others, deleting []api.Route
	for _, rt := range routes {
		if rt.Method == http.MethodDelete {
			deleting = append(deleting, rt)
		} else {
			others = append(others, rt)
		}
	}
	// The routes that delete nothing run first, a few at a time. Each
	// route's inputs are sent one after another.
	t.Run("routes", func(t *testing.T) {
		work := make(chan api.Route)
		var wg sync.WaitGroup
		for range garbageWorkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rt := range work {
					t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) { w.route(t, rt) })
				}
			}()
		}
		for _, rt := range others {
			work <- rt
		}
		close(work)
		wg.Wait()
	})
	// Deleting routes run last and one at a time, the deepest paths (tags,
	// members, grants) before the objects they hang from, so each finds its
	// fixtures in place; garbage ids go before the real ones.
	seg := func(r api.Route) int { return strings.Count(r.Pattern, "/") }
	sort.SliceStable(deleting, func(i, j int) bool { return seg(deleting[i]) > seg(deleting[j]) })
	t.Run("deleting routes", func(t *testing.T) {
		for _, rt := range deleting {
			t.Run(rt.Method+" "+rt.Pattern, func(t *testing.T) { w.route(t, rt) })
		}
	})
	t.Logf("sent %d garbage requests to %d routes in %v", w.sent.Load(), len(routes), time.Since(start).Round(time.Millisecond))
}

// garbageWalk sends garbage to routes.
type garbageWalk struct {
	env      *sdktest.Env
	logs     *garbageLog
	client   *http.Client
	fixtures map[string]string // real path parameters
	queued   string            // an image still waiting for its data
	fill     *strings.Replacer // fills the templates' placeholders
	bodies   []garbageInput
	sent     atomic.Int64
}

// inputs lists the garbage for one route.
func (w *garbageWalk) inputs(t *testing.T, rt api.Route, params [][]string) []garbageInput {
	takesBody := rt.Method != http.MethodGet && rt.Method != http.MethodHead
	var tmpl []byte
	if s, ok := garbageTemplates[rt.Name]; ok {
		tmpl = []byte(w.fill.Replace(s))
	}
	var inputs []garbageInput
	// Garbage path parameters, one at a time, with a body that would pass
	// so the handler reaches its lookups.
	for _, m := range params {
		for _, g := range garbageIDs {
			in := garbageInput{name: "path " + m[1] + "=" + g.name, params: map[string]string{m[1]: g.id}}
			if tmpl != nil {
				in.name += " with template body"
				in.body, in.hasBody = tmpl, true
			}
			inputs = append(inputs, in)
		}
	}
	switch {
	case rt.Name == "UploadImageFile":
		// Image data is octet-stream: only a small wrong content type.
		inputs = append(inputs, garbageInput{name: "text/plain empty body"})
		for i := range inputs {
			inputs[i].hasBody, inputs[i].body, inputs[i].contentType = true, []byte{}, "text/plain"
		}
		return inputs
	case takesBody && tmpl != nil:
		inputs = append(inputs, w.bodies...)
	case takesBody:
		// Routes that read no body get the small garbage only.
		for _, b := range w.bodies {
			if len(b.body) < 1000 {
				inputs = append(inputs, b)
			}
		}
	default:
		inputs = append(inputs, w.bodies[0], w.bodies[3], w.bodies[5]) // none, "{", null
	}
	if rt.Method == http.MethodGet {
		queries := garbageQueries[:garbageCommonQueries]
		if !strings.HasSuffix(rt.Pattern, "}") {
			queries = garbageQueries // lists and searches get them all
		}
		for _, q := range queries {
			qq := url.Values{}
			var parts []string
			for k, vs := range q {
				for _, v := range vs {
					qq.Add(k, w.fill.Replace(v))
				}
				parts = append(parts, k+"="+shortName(vs[0]))
			}
			sort.Strings(parts)
			inputs = append(inputs, garbageInput{name: "query " + strings.Join(parts, "&"), query: qq})
		}
	}
	if tmpl != nil {
		inputs = append(inputs, templateMutations(t, string(tmpl))...)
	}
	for i, b := range garbageExtraBodies[rt.Name] {
		inputs = append(inputs, garbageInput{name: fmt.Sprintf("value %d %s", i, shortName(b)), body: []byte(w.fill.Replace(b)), hasBody: true})
	}
	if rt.Name == "GlanceUpdateImage" || rt.Name == "UpdateImage" {
		for i, p := range garbagePatches {
			inputs = append(inputs, garbageInput{name: fmt.Sprintf("patch %d %s", i, shortName(p)), body: []byte(p), hasBody: true})
		}
	}
	for _, h := range garbageHeaders[rt.Name] {
		inputs = append(inputs, garbageInput{name: "header " + h[0] + ": " + shortName(h[1]), header: http.Header{h[0]: {h[1]}}})
	}
	if rt.Name == "GlanceUpdateImage" {
		for i := range inputs {
			if inputs[i].contentType == "" {
				inputs[i].contentType = "application/openstack-images-v2.1-json-patch"
			}
		}
	}
	return inputs
}

// route sends every input of one route, one after another.
func (w *garbageWalk) route(t *testing.T, rt api.Route) {
	env := w.env
	params := pathParamPattern.FindAllStringSubmatch(rt.Pattern, -1)
	realParams := map[string]string{}
	for _, m := range params {
		v, ok := w.fixtures[m[1]]
		if !ok {
			t.Fatalf("no fixture for path parameter %s", m[1])
		}
		realParams[m[1]] = v
	}
	if rt.Name == "UploadImageFile" {
		realParams["image_id"] = w.queued
	}
	project := env.Creds.ProjectID
	if rt.Global {
		project = "" // as the SDK's global credentials
	}
	for _, in := range w.inputs(t, rt, params) {
		p := maps.Clone(realParams)
		maps.Copy(p, in.params)
		path := pathParamPattern.ReplaceAllStringFunc(rt.Pattern, func(s string) string { return p[s[1:len(s)-1]] })
		q := sdktest.Request{Method: rt.Method, Path: path, Query: in.query, Header: http.Header{}, ContentType: in.contentType}
		maps.Copy(q.Header, in.header)
		if rt.Global {
			q.Header.Set("X-Domain-Id", env.Creds.DomainID)
		}
		if in.hasBody {
			if in.contentType != "" && !strings.HasPrefix(in.contentType, "application/") {
				q.Body = strings.NewReader(string(in.body))
			} else {
				q.JSONBody = in.body
			}
		}
		t.Run(in.name, func(t *testing.T) {
			req := env.Signed(t, env.Creds.AccessKey, env.Creds.SecretKey, project, q)
			skips := w.logs.skips(rt.Name)
			w.sent.Add(1)
			resp, err := w.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			reqID := resp.Header.Get("X-Request-Id")
			if msg := judgeGarbageAnswer(rt.Method, resp.StatusCode, body); msg != "" {
				t.Errorf("%s %s: %s\nbody: %s\nserver log:\n%s", rt.Method, shorten(path), msg, shorten(string(body)), w.logs.lines(reqID))
			}
			// This route's inputs go one at a time, and the server logs a
			// route that skipped authorization before it sends the (small)
			// answer: a new such line is this request's.
			if w.logs.skips(rt.Name) != skips {
				t.Errorf("%s %s: answered %d %s without an authorization decision", rt.Method, shorten(path), resp.StatusCode, shorten(string(body)))
			}
		})
	}
}

// garbageLog is an slog.Handler that keeps the server's warnings and
// errors by request id, and counts by route the routes that returned
// without an authorization decision (that line has no request id).
type garbageLog struct {
	st    *garbageLogState
	attrs []slog.Attr
}

type garbageLogState struct {
	mu        sync.Mutex
	byRequest map[string][]string
	skipped   map[string]int
}

func newGarbageLog() *garbageLog {
	return &garbageLog{st: &garbageLogState{byRequest: map[string][]string{}, skipped: map[string]int{}}}
}

func (l *garbageLog) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }

func (l *garbageLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &garbageLog{st: l.st, attrs: append(slices.Clip(l.attrs), as...)}
}

func (l *garbageLog) WithGroup(string) slog.Handler { return l }

func (l *garbageLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	var reqID, route, stack string
	b.WriteString(r.Level.String() + " " + r.Message)
	each := func(a slog.Attr) bool {
		v := a.Value.Resolve().String()
		switch a.Key {
		case "request_id":
			reqID = v
		case "route":
			route = v
		case "stack":
			stack = v
			return true
		}
		fmt.Fprintf(&b, " %s=%q", a.Key, shorten(v))
		return true
	}
	for _, a := range l.attrs {
		each(a)
	}
	r.Attrs(each)
	// Of a panic's stack, keep imsd's own frames with their file:line,
	// without the HTTP middleware.
	lines := strings.Split(stack, "\n")
	for i := 0; i+1 < len(lines); i++ {
		fn, file := strings.TrimSpace(lines[i]), strings.TrimSpace(lines[i+1])
		if strings.Contains(fn, "github.com/imsd/imsd") && !strings.Contains(file, "/imshttp/server.go") && !strings.Contains(file, "/imshttp/text.go") {
			fmt.Fprintf(&b, "\n    %s\n        %s", fn, file)
		}
	}
	l.st.mu.Lock()
	defer l.st.mu.Unlock()
	if r.Message == "route returned without an authorization decision" {
		l.st.skipped[route]++
	}
	if reqID != "" {
		l.st.byRequest[reqID] = append(l.st.byRequest[reqID], b.String())
	}
	return nil
}

// skips counts the requests of a route that returned without an
// authorization decision.
func (l *garbageLog) skips(route string) int {
	l.st.mu.Lock()
	defer l.st.mu.Unlock()
	return l.st.skipped[route]
}

// lines returns what the server logged for one request.
func (l *garbageLog) lines(reqID string) string {
	l.st.mu.Lock()
	defer l.st.mu.Unlock()
	if len(l.st.byRequest[reqID]) == 0 {
		return "(nothing logged for request " + reqID + ")"
	}
	return strings.Join(l.st.byRequest[reqID], "\n")
}

// garbageHeaders are malformed headers for the routes that read one.
var garbageHeaders = map[string][][2]string{
	"KeystoneValidateToken": {{"X-Subject-Token", ""}, {"X-Subject-Token", "garbage"}, {"X-Subject-Token", strings.Repeat("t", 4096)},
		{"X-Subject-Token", "画像-ü-🙂"}},
	"DownloadImageFile": {{"Range", "bytes=abc"}, {"Range", "bytes=-0"}, {"Range", "bytes=5-1"}, {"Range", "bytes=-99999999999999999999"},
		{"Range", "bytes=99999999999999999999-"}, {"Range", "bytes=0-99999999999999999999"}, {"Range", "bytes=--1"}, {"Range", "bytes=0-1,2-3"},
		{"Range", "items=0-1"}, {"If-Range", "garbage"}},
	"CopyImageInRegion":           {{"X-Client-Token", strings.Repeat("c", 4096)}, {"X-Client-Token", "画像-ü-🙂"}},
	"CopyImageInRegionInSafeMode": {{"X-Client-Token", strings.Repeat("c", 4096)}, {"X-Client-Token", "画像-ü-🙂"}},
}

// judgeGarbageAnswer returns why an answer to malformed input is wrong, or
// "".
func judgeGarbageAnswer(method string, status int, body []byte) string {
	if status >= 500 {
		return fmt.Sprintf("status %d, want < 500", status)
	}
	if status < 400 || method == http.MethodHead {
		return ""
	}
	var e struct {
		Error struct {
			Code      string `json:"code"`
			ErrorCode string `json:"error_code"` // the KMS shape
		} `json:"error"`
		ErrorCode string `json:"error_code"`
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code == "" && e.Error.ErrorCode == "" && e.ErrorCode == "" {
		return fmt.Sprintf("status %d without an error code", status)
	}
	return ""
}

// shortName cuts a value for a subtest name.
func shortName(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%s…(%d bytes)", s[:20], len(s))
	}
	return s
}

func shorten(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}
