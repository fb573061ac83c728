package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
)

// userAgent identifies the CLI in the requests it signs itself.
const userAgent = "imsd-cli/1.0"

// globalOpts are the persistent flags.
type globalOpts struct {
	configPath string
	profile    string
	endpoint   string
	output     string
}

// cli is the state shared by the commands of one invocation.
type cli struct {
	opts      globalOpts
	stdout    io.Writer
	stderr    io.Writer
	stderrTTY bool
	// started is set once a command's RunE is reached (flags and
	// arguments were valid).
	started bool

	settings *settings
	ims      *ims.ImsClient
	capture  *captureTransport
	transfer *http.Client
}

func newCLI(stdout, stderr io.Writer) *cli {
	return &cli{stdout: stdout, stderr: stderr, stderrTTY: isTerminal(stderr)}
}

// isTerminal reports whether w is a character device (a terminal) and TERM
// is not "dumb".
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// connect resolves the settings and builds the SDK client and the HTTP
// client for transfers, once.
func (c *cli) connect() error {
	if c.ims != nil {
		return nil
	}
	s, err := resolveSettings(c.opts)
	if err != nil {
		return err
	}
	cred, err := basic.NewCredentialsBuilder().WithAk(s.AccessKey).WithSk(s.SecretKey).WithProjectId(s.ProjectID).SafeBuild()
	if err != nil {
		return usagef("credentials: %v", err)
	}
	c.capture = &captureTransport{base: newTransport()}
	hc, err := ims.ImsClientBuilder().WithEndpoints([]string{s.Endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithHttpRoundTripper(c.capture).WithTimeout(2 * time.Minute)).SafeBuild()
	if err != nil {
		return usagef("client: %v", err)
	}
	c.settings = s
	c.ims = ims.NewImsClient(hc)
	c.transfer = &http.Client{Transport: newTransport()}
	return nil
}

// newTransport is http.DefaultTransport's configuration with larger socket
// buffers for image data.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.WriteBufferSize = 256 << 10
	t.ReadBufferSize = 256 << 10
	return t
}

// captureTransport keeps the body of the last JSON response so commands can
// print exactly what the server sent (the SDK models drop fields they do not
// know, such as custom image attributes).
type captureTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	last []byte
}

// maxCapture bounds the JSON bodies kept (every IMS answer is far smaller).
const maxCapture = 64 << 20

// RoundTrip sends the request and buffers a JSON response body.
func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.Body == nil || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
		return resp, err
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxCapture))
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	t.mu.Lock()
	t.last = b
	t.mu.Unlock()
	return resp, nil
}

func (t *captureTransport) take() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.last
	t.last = nil
	return b
}

// call runs one SDK call and returns its response body as the server sent
// it (or the SDK response re-encoded when none was captured). op names the
// operation in errors.
func (c *cli) call(op string, fn func(*ims.ImsClient) (any, error)) (json.RawMessage, error) {
	if err := c.connect(); err != nil {
		return nil, err
	}
	return c.captured(op, func() (any, error) { return fn(c.ims) })
}

// captured runs one SDK call and returns the JSON body the transport
// captured, or the SDK response re-encoded when there was none (204
// answers); op names the operation in errors.
func (c *cli) captured(op string, fn func() (any, error)) (json.RawMessage, error) {
	c.capture.take()
	resp, err := fn()
	if err != nil {
		return nil, sdkError(op, err)
	}
	raw := c.capture.take()
	if len(bytes.TrimSpace(raw)) == 0 {
		if raw, err = json.Marshal(resp); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// apiError is an error answered by the server.
type apiError struct {
	Op        string
	Status    int
	Code      string
	Message   string
	RequestID string
}

// Error renders "op: CODE message (HTTP status, request id ID)".
func (e *apiError) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	if e.Code != "" {
		b.WriteString(e.Code + " ")
	}
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	b.WriteString(msg)
	rid := e.RequestID
	if rid == "" {
		rid = "none"
	}
	fmt.Fprintf(&b, " (HTTP %d, request id %s)", e.Status, rid)
	return b.String()
}

// sdkError turns an SDK error into an apiError when the server answered.
func sdkError(op string, err error) error {
	var se *sdkerr.ServiceResponseError
	if errors.As(err, &se) {
		return &apiError{Op: op, Status: se.StatusCode, Code: se.ErrorCode, Message: se.ErrorMessage, RequestID: se.RequestId}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// responseError reads an error response of a request the CLI signed itself.
// It understands the IMS body {"error":{"code","message"}}, the API-gateway
// body {"error_code","error_msg","request_id"} and any other text.
func responseError(op string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	e := &apiError{Op: op, Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
		ErrorMsg  string `json:"error_msg"`
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(b, &body) == nil {
		switch {
		case body.Error != nil && body.Error.Code != "":
			e.Code, e.Message = body.Error.Code, body.Error.Message
		case body.ErrorCode != "":
			e.Code, e.Message = body.ErrorCode, body.ErrorMsg
		case body.Code != "":
			e.Code, e.Message = body.Code, body.Message
		}
		if e.RequestID == "" {
			e.RequestID = body.RequestID
		}
	}
	if e.Code == "" {
		e.Message = string(b)
	}
	return e
}

// signedRequest describes a request the SDK has no method for.
type signedRequest struct {
	Method string
	Path   string // unescaped
	// Query parameters, signed with the request.
	Query map[string]string
	// ContentType application/octet-stream leaves the body unsigned
	// (UNSIGNED-PAYLOAD), so it streams.
	ContentType   string
	Header        map[string]string
	Body          io.Reader
	ContentLength int64
	// JSONBody, when set, is the body, hashed into the signature (Body and
	// ContentLength are then ignored).
	JSONBody []byte
}

// newSigned builds an *http.Request signed by the SDK's own signer with the
// configured AK/SK and X-Project-Id.
func (c *cli) newSigned(ctx context.Context, q signedRequest) (*http.Request, error) {
	if err := c.connect(); err != nil {
		return nil, err
	}
	s := c.settings
	ct := q.ContentType
	if ct == "" {
		ct = "application/json"
	}
	b := request.NewHttpRequestBuilder().WithEndpoint(s.Endpoint).WithPath(q.Path).WithMethod(q.Method).
		AddHeaderParam("Content-Type", ct).
		AddHeaderParam("User-Agent", userAgent).
		AddHeaderParam("X-Project-Id", s.ProjectID)
	for k, v := range q.Header {
		b.AddHeaderParam(k, v)
	}
	for k, v := range q.Query {
		b.AddQueryParam(k, reflect.ValueOf(v))
	}
	if q.JSONBody != nil {
		b.WithBody("", string(q.JSONBody))
		q.Body, q.ContentLength = bytes.NewReader(q.JSONBody), int64(len(q.JSONBody))
	}
	sreq := b.Build()
	extra, err := signer.Sign(sreq, s.AccessKey, s.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	for k, v := range extra {
		sreq.AddHeaderParam(k, v)
	}
	hr, err := sreq.ConvertRequest()
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	body := q.Body
	if body == nil {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, q.Method, hr.URL.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header = hr.Header.Clone()
	if q.Body != nil {
		req.ContentLength = q.ContentLength
	}
	return req, nil
}
