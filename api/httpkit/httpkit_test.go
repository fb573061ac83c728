package httpkit

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/imsd/imsd"
)

// FuzzDecodeJSON feeds arbitrary request bodies to DecodeJSON with the
// shapes handlers decode into: it never panics, and every refusal is an
// *imsd.Error answered with a 4xx status (a client mistake is never a 5xx).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"copy","description":"d","cmk_id":"","enterprise_project_id":"0"}`,
		`[{"op":"replace","path":"/name","value":"x"}]`,
		`{"tag":{"key":"k","value":"v"}}`, `{"name":1}`, `{"name":"a\u0000b"}`, ``, ` `, `null`, `{`,
		"{\"name\":\"\xff\"}", `{"tags":[{"key":"k"}],"action":"create"}`, `{"auth":{"identity":{"methods":["password"]}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var targets = []any{
			&struct {
				Name, Description *string
				CmkID             string `json:"cmk_id"`
			}{},
			&[]struct {
				Op, Path string
				Value    any
			}{},
			&map[string]any{},
			&struct {
				Tags []struct{ Key, Value *string } `json:"tags"`
				N    int
				B    bool
			}{},
		}
		for _, v := range targets {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			err := DecodeJSON(r, v)
			if err == nil {
				continue
			}
			var e *imsd.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not an *imsd.Error", err, err)
			}
			if st := e.Code.Info().Status; st < 400 || st >= 500 {
				t.Fatalf("body %q refused with status %d (%s)", body, st, e.Code)
			}
		}
	})
}
