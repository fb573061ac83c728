package imshttp

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/imsd/imsd/api/iamhttp"
	"github.com/imsd/imsd/api/kmshttp"
)

// TestObserverSeesRouteNamesNotPaths: requests are reported by route name,
// unmatched ones as NotFound / MethodNotAllowed, and unknown methods as
// OTHER, so metric labels stay bounded whatever clients send.
func TestObserverSeesRouteNamesNotPaths(t *testing.T) {
	s := New(nil, nil, nil)
	s.Mount(iamhttp.New(nil, nil).Handlers())
	s.Mount(kmshttp.New(nil, "", nil).Handlers())
	var mu sync.Mutex
	var got []RequestStats
	s.SetObserver(func(st RequestStats) { mu.Lock(); got = append(got, st); mu.Unlock() })
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path string
		want         RequestStats
	}{
		{"GET", "/healthz", RequestStats{Route: "Health", Method: "GET", Status: 200}},
		{"GET", "/v2/schemas/image", RequestStats{Route: "GlanceShowImageSchemas", Method: "GET", Status: 200}},
		{"GET", "/no/such/path/abc123", RequestStats{Route: RouteNotFound, Method: "GET", Status: 404}},
		{"DELETE", "/healthz", RequestStats{Route: RouteMethodNotAllowed, Method: "DELETE", Status: 404}},
		{"BREW", "/healthz", RequestStats{Route: RouteMethodNotAllowed, Method: "OTHER", Status: 404}},
	}
	for _, c := range cases {
		got = nil
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, http.NoBody))
		if len(got) != 1 {
			t.Fatalf("%s %s: observed %d times", c.method, c.path, len(got))
		}
		st := got[0]
		if st.Status != rec.Code {
			t.Errorf("%s %s: observed status %d, sent %d", c.method, c.path, st.Status, rec.Code)
		}
		st.Duration = 0
		if st != c.want {
			t.Errorf("%s %s: observed %+v, want %+v", c.method, c.path, st, c.want)
		}
	}
}
