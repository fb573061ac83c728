package sigv_test

// Requests signed by the real huaweicloud-sdk-go-v3 signer, sent over an
// HTTP/1.1 wire image and parsed back as a server would, must verify; every
// single-point tamper must fail with the right Kind. The SDK is a test-only
// dependency.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"

	"github.com/imsd/imsd/auth/sigv"
)

// sdkRequest describes a request for the SDK's request builder.
type sdkRequest struct {
	method   string
	endpoint string // scheme://host[:port]
	path     string // unescaped, as the SDK takes it
	query    map[string][]string
	headers  map[string]string
	body     any // nil, string (sent raw) or a value the SDK JSON-encodes
}

// sdkSign signs q with the SDK's SDK-HMAC-SHA256 signer, converts it to an
// *http.Request the way the SDK's HTTP client does, and returns the bytes the
// client would put on the wire.
func sdkSign(tb testing.TB, q sdkRequest, ak, sk string) []byte {
	tb.Helper()
	b := request.NewHttpRequestBuilder().WithEndpoint(q.endpoint).WithPath(q.path).WithMethod(q.method)
	for k, vs := range q.query {
		if len(vs) == 1 {
			b.AddQueryParam(k, reflect.ValueOf(vs[0]))
		} else {
			b.AddQueryParam(k, reflect.ValueOf(vs))
		}
	}
	for k, v := range q.headers {
		b.AddHeaderParam(k, v)
	}
	b.WithBody("", q.body)
	req := b.Build()
	extra, err := signer.Sign(req, ak, sk)
	if err != nil {
		tb.Fatalf("SDK signer: %v", err)
	}
	for k, v := range extra {
		req.AddHeaderParam(k, v)
	}
	hr, err := req.ConvertRequest()
	if err != nil {
		tb.Fatalf("SDK ConvertRequest: %v", err)
	}
	var wire bytes.Buffer
	if err := hr.Write(&wire); err != nil {
		tb.Fatalf("writing request: %v", err)
	}
	return wire.Bytes()
}

// serverRequest parses a wire image the way net/http's server does.
func serverRequest(tb testing.TB, wire []byte) *http.Request {
	tb.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		tb.Fatalf("parsing wire request: %v\n%s", err, wire)
	}
	return r
}

// TestSDKWorkedExamples re-derives the §6.3 Authorization headers with the
// SDK signer itself and checks that they verify.
func TestSDKWorkedExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  sdkRequest
		want string
	}{
		{
			name: "copy with JSON body",
			req: sdkRequest{
				method: "POST", endpoint: "https://ims.cn-north-4.myhuaweicloud.com",
				path: "/v1/cloudimages/465076de-dc36-4aec-80f5-ef9d8009428f/copy",
				headers: map[string]string{
					"Content-Type": "application/json;charset=UTF-8", "User-Agent": "huaweicloud-usdk-go/3.0",
					"X-Project-Id": projectID, "X-Sdk-Date": exampleDate,
				},
				body: struct {
					Description string `json:"description"`
					Name        string `json:"name"`
				}{"test copy", "ims_encrypted_copy3"},
			},
			want: "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=user-agent;x-project-id;x-sdk-date, " +
				"Signature=f11051a145bb535bee9c3b431f33cdd5e4eb7fb7f06aa07128ec5fab6bfc917e",
		},
		{
			name: "list with query and no body",
			req: sdkRequest{
				method: "GET", endpoint: "https://ims.cn-north-4.myhuaweicloud.com", path: "/v2/cloudimages",
				query: map[string][]string{"limit": {"2"}, "name": {"my image+x"}, "__imagetype": {"private"}},
				headers: map[string]string{
					"Content-Type": "application/json", "X-Project-Id": projectID, "X-Sdk-Date": exampleDate,
				},
			},
			want: "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAK0000001, SignedHeaders=x-project-id;x-sdk-date, " +
				"Signature=78ac2eafa5fbc713993e18cece15fec6bfd725da9280f56dbce55d07775a8b2a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := serverRequest(t, sdkSign(t, tt.req, exampleAK, exampleSK))
			if got := r.Header.Get("Authorization"); got != tt.want {
				t.Fatalf("SDK Authorization = %q, want %q", got, tt.want)
			}
			_, err := exampleVerifier(t).VerifyRequest(r, exampleKeys)
			wantKind(t, err, 0)
		})
	}
}

// Alphabets for the random requests: every piece is a string so that
// multi-byte characters stay whole.
var (
	pathPieces = []string{
		"a", "Z", "9", "v1", "cloudimages", "-", "_", ".", "~", " ", "+", "%", "%20", "%2F", "..", "é", "镜像",
		"!", "$", "&", "'", "(", ")", "*", ",", ";", "=", ":", "@", "?", "#", "[", "]", "\"", "<", ">",
		"^", "`", "{", "|", "}", "\\",
	}
	queryPieces = []string{
		"a", "B", "7", "limit", "name", " ", "+", "/", "=", "&", "%", "%2B", "é", "镜像", "?", "#", ";", "~", "-",
		"_", ".", "*", "'", "\"",
	}
	headerValuePieces = []string{"a", "Z", "0", " ", "  ", "\t", "/", ";", ",", "=", "é", "镜像", "\u00a0", "(", ")", "\"", "'"}
	tokenChars        = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"
	methods           = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
	contentTypes      = []string{
		"", "application/json", "application/json;charset=UTF-8", "application/octet-stream",
		"application/openstack-images-v2.1-json-patch", "text/plain", "application/bson",
	}
	endpoints = []string{
		"http://ims.example.com", "https://ims.cn-north-4.myhuaweicloud.com", "http://127.0.0.1:31943",
		"http://[::1]:8443", "http://localhost:80",
	}
)

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func randString(rng *rand.Rand, pieces []string, maxPieces int) string {
	var b strings.Builder
	for range rng.IntN(maxPieces + 1) {
		b.WriteString(pick(rng, pieces))
	}
	return b.String()
}

func randToken(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenChars[rng.IntN(len(tokenChars))]
	}
	return string(b)
}

// randomRequest builds a random SDK request signed at date.
func randomRequest(rng *rand.Rand, date time.Time) sdkRequest {
	q := sdkRequest{
		method:   pick(rng, methods),
		endpoint: pick(rng, endpoints),
		query:    map[string][]string{},
		headers: map[string]string{
			"User-Agent":   "huaweicloud-usdk-go/3.0 " + randToken(rng, rng.IntN(5)),
			"X-Project-Id": fmt.Sprintf("%032x", rng.Uint64()),
			"X-Sdk-Date":   date.UTC().Format(sigv.DateFormat),
		},
	}
	var path strings.Builder
	for range 1 + rng.IntN(5) {
		path.WriteString("/" + randString(rng, pathPieces, 4))
	}
	if rng.IntN(4) == 0 {
		path.WriteString("/")
	}
	q.path = path.String()

	for range rng.IntN(5) {
		k := randString(rng, queryPieces, 3)
		if k == "" {
			k = "k"
		}
		for range 1 + rng.IntN(3) {
			q.query[k] = append(q.query[k], randString(rng, queryPieces, 4)) // may be empty
		}
	}

	seen := map[string]bool{"user-agent": true, "x-project-id": true, "x-sdk-date": true}
	for range rng.IntN(5) {
		name := "X-" + randToken(rng, 1+rng.IntN(8))
		if rng.IntN(5) == 0 {
			name += "_u" // underscores are never signed by the SDK
		}
		if seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		q.headers[name] = randString(rng, headerValuePieces, 6)
	}
	if rng.IntN(4) == 0 {
		q.headers["X-Security-Token"] = randToken(rng, 40)
	}
	if rng.IntN(4) == 0 {
		// The SDK signs a Host header it is given; the Go client puts the
		// endpoint host on the wire.
		u, _ := url.Parse(q.endpoint)
		q.headers["Host"] = u.Host
	}

	ct := pick(rng, contentTypes)
	if ct != "" {
		q.headers["Content-Type"] = ct
	}
	if q.method != "HEAD" {
		switch rng.IntN(4) {
		case 0: // no body
		case 1:
			q.body = map[string]any{"name": randString(rng, queryPieces, 5), "n": rng.IntN(1000), "html": "<&>"}
		default:
			raw := make([]byte, rng.IntN(600))
			for i := range raw {
				raw[i] = byte(rng.UintN(256))
			}
			q.body = string(raw)
		}
	}
	return q
}

func TestSDKSignedRequestsVerify(t *testing.T) {
	t.Parallel()
	const seed = 20240101
	n := 400
	if testing.Short() {
		n = 60
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	keys := keyring(map[string]string{exampleAK: exampleSK, "OTHERAK0000000000002": "another-secret-key-00000000000000000000"})
	tally := &coverage{seen: map[string]int{}}
	t.Cleanup(func() {
		// Every tamper and payload mode was exercised by some request.
		for _, k := range []string{
			"path", "query value", "signed header", "host", "body byte of hashed payload",
			"body byte of unsigned payload is accepted", "date by one second", "date beyond skew",
			"access key of another user", "unknown access key", "signature hex digit",
			"signed header list reordered", "unsigned header added",
			"payload hashed", "payload unsigned", "query", "multi-valued query", "security token",
		} {
			if tally.seen[k] == 0 {
				t.Errorf("no random request exercised %q", k)
			}
		}
		t.Logf("coverage: %v", tally.seen)
	})
	for i := range n {
		date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(10*365*24*3600)) * time.Second)
		q := randomRequest(rng, date)
		wire := sdkSign(t, q, exampleAK, exampleSK)
		now := date.Add(time.Duration(rng.Int64N(int64(30*time.Minute)+1)) - 15*time.Minute)
		v := &sigv.Verifier{Now: clockAt(now)}
		t.Run(fmt.Sprintf("%03d_%s", i, q.method), func(t *testing.T) {
			t.Parallel()
			checkSDKRequest(t, v, keys, wire, tally)
		})
	}
}

// tamper mutates a freshly parsed request; it returns false when it does
// not apply to that request.
type tamper struct {
	name  string
	apply func(r *http.Request, res sigv.Result) bool
	want  sigv.Kind
}

// coverage counts what the random requests exercised.
type coverage struct {
	mu   sync.Mutex
	seen map[string]int
}

func (c *coverage) add(k string) {
	c.mu.Lock()
	c.seen[k]++
	c.mu.Unlock()
}

func checkSDKRequest(t *testing.T, v *sigv.Verifier, keys sigv.LookupFunc, wire []byte, tally *coverage) {
	r := serverRequest(t, wire)
	res, err := v.VerifyRequest(r, keys)
	if err != nil {
		t.Fatalf("SDK-signed request does not verify: %v\n%s", err, wire)
	}
	tally.add("payload " + res.Payload.String())
	if r.URL.RawQuery != "" {
		tally.add("query")
	}
	for _, vs := range r.URL.Query() {
		if len(vs) > 1 {
			tally.add("multi-valued query")
		}
	}
	if res.Signed("x-security-token") {
		tally.add("security token")
	}
	// The Authorization header renders back identically.
	a, _ := sigv.ParseAuthorization(r.Header.Get("Authorization"))
	if a.String() != r.Header.Get("Authorization") {
		t.Fatalf("Authorization round trip: %q vs %q", a.String(), r.Header.Get("Authorization"))
	}

	tampers := []tamper{
		{name: "path", want: sigv.KindBadSignature, apply: func(r *http.Request, _ sigv.Result) bool {
			r.URL.RawPath = ""
			r.URL.Path += "x"
			return true
		}},
		{name: "query value", want: sigv.KindBadSignature, apply: func(r *http.Request, _ sigv.Result) bool {
			q := r.URL.Query()
			if len(q) == 0 {
				q.Set("tamper", "1")
			} else {
				for k := range q {
					q[k][0] += "x"
					break
				}
			}
			r.URL.RawQuery = q.Encode()
			return true
		}},
		{name: "signed header", want: sigv.KindBadSignature, apply: func(r *http.Request, res sigv.Result) bool {
			for _, name := range res.SignedHeaders {
				if name == "x-sdk-date" || name == "host" || name == "x-sdk-content-sha256" {
					continue
				}
				k := http.CanonicalHeaderKey(name)
				r.Header[k] = []string{r.Header.Get(k) + "x"}
				return true
			}
			return false
		}},
		{name: "host", want: sigv.KindBadSignature, apply: func(r *http.Request, res sigv.Result) bool {
			r.Host = "x" + r.Host
			return res.Signed("host")
		}},
		{name: "body byte of hashed payload", want: sigv.KindBadSignature, apply: func(r *http.Request, res sigv.Result) bool {
			if res.Payload != sigv.PayloadHashed {
				return false
			}
			b, _ := io.ReadAll(r.Body)
			if len(b) == 0 {
				b = []byte{'x'}
			} else {
				b[len(b)/2] ^= 0x01
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
			return true
		}},
		{name: "body byte of unsigned payload is accepted", apply: func(r *http.Request, res sigv.Result) bool {
			if res.Payload != sigv.PayloadUnsigned {
				return false
			}
			r.Body = io.NopCloser(strings.NewReader("replaced"))
			return true
		}},
		{name: "date by one second", want: sigv.KindBadSignature, apply: func(r *http.Request, res sigv.Result) bool {
			d := res.Date.Add(time.Second)
			if now := v.Now(); d.Sub(now) > sigv.DefaultMaxSkew {
				d = res.Date.Add(-time.Second)
			}
			r.Header.Set(sigv.HeaderDate, d.Format(sigv.DateFormat))
			return true
		}},
		{name: "date beyond skew", want: sigv.KindExpired, apply: func(r *http.Request, _ sigv.Result) bool {
			r.Header.Set(sigv.HeaderDate, v.Now().Add(-sigv.DefaultMaxSkew-time.Second).UTC().Format(sigv.DateFormat))
			return true
		}},
		{name: "access key of another user", want: sigv.KindBadSignature, apply: func(r *http.Request, _ sigv.Result) bool {
			a, _ := sigv.ParseAuthorization(r.Header.Get("Authorization"))
			a.AccessKey = "OTHERAK0000000000002"
			r.Header.Set("Authorization", a.String())
			return true
		}},
		{name: "unknown access key", want: sigv.KindUnknownAccessKey, apply: func(r *http.Request, _ sigv.Result) bool {
			a, _ := sigv.ParseAuthorization(r.Header.Get("Authorization"))
			a.AccessKey += "X"
			r.Header.Set("Authorization", a.String())
			return true
		}},
		{name: "signature hex digit", want: sigv.KindBadSignature, apply: func(r *http.Request, _ sigv.Result) bool {
			a, _ := sigv.ParseAuthorization(r.Header.Get("Authorization"))
			s := []byte(a.Signature)
			i := len(s) / 3
			s[i] = "1032547698badcfe"[strings.IndexByte("0123456789abcdef", s[i])]
			a.Signature = string(s)
			r.Header.Set("Authorization", a.String())
			return true
		}},
		{name: "signed header list reordered", want: sigv.KindBadSignature, apply: func(r *http.Request, _ sigv.Result) bool {
			a, _ := sigv.ParseAuthorization(r.Header.Get("Authorization"))
			if len(a.SignedHeaders) < 2 {
				return false
			}
			slices.Reverse(a.SignedHeaders)
			r.Header.Set("Authorization", a.String())
			return true
		}},
		{name: "unsigned header added", apply: func(r *http.Request, _ sigv.Result) bool {
			r.Header.Set("X-Not-Signed-Zz", "1")
			return true
		}},
	}
	for _, tp := range tampers {
		r := serverRequest(t, wire)
		if !tp.apply(r, res) {
			continue
		}
		tally.add(tp.name)
		_, err := v.VerifyRequest(r, keys)
		if tp.want == 0 && err != nil {
			t.Fatalf("tamper %q: unexpected error %v\n%s", tp.name, err, wire)
		}
		if tp.want != 0 {
			var e *sigv.Error
			if err == nil {
				t.Fatalf("tamper %q: request still verifies\n%s", tp.name, wire)
			}
			if !errors.As(err, &e) || e.Kind != tp.want {
				t.Fatalf("tamper %q: error %v, want kind %q\n%s", tp.name, err, tp.want, wire)
			}
		}
	}
}
