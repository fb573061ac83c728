package sigv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
)

// MaxBodyBytes is the largest body that is hashed for an AK/SK signature
// (12 MiB, the API gateway's AK/SK body limit). Larger uploads must use
// UNSIGNED-PAYLOAD, an explicit X-Sdk-Content-Sha256, or token auth.
const MaxBodyBytes = 12 << 20

// ReadBody reads r.Body completely, up to limit bytes (limit <= 0 means
// MaxBodyBytes), and replaces r.Body with a reader over the same bytes so
// that handlers can read it again. A request without a body yields nil.
//
// A body longer than limit (by Content-Length or by reading) fails with
// KindBodyTooLarge; r.Body is then left able to produce the complete original
// stream. A read error fails with KindMalformed wrapping the I/O error.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxBodyBytes
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, newError(KindBodyTooLarge, "Content-Length exceeds the AK/SK body limit")
	}
	orig := r.Body
	b, err := io.ReadAll(io.LimitReader(orig, limit+1))
	if err != nil {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), orig), orig}
		return nil, &Error{Kind: KindMalformed, Detail: "cannot read body", Err: err}
	}
	if int64(len(b)) > limit {
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), orig), orig}
		return nil, newError(KindBodyTooLarge, "body exceeds the AK/SK body limit")
	}
	r.Body = readCloser{bytes.NewReader(b), orig}
	return b, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// CheckBody wraps body so that the bytes read through it are hashed; when body
// reports io.EOF and the SHA-256 differs from wantHex (lower-case hex), Read
// returns an *Error of KindPayloadMismatch instead of io.EOF, and keeps
// returning it. Use it for PayloadDeclared requests, whose declared hash is
// signed but whose body the verifier did not read.
func CheckBody(body io.ReadCloser, wantHex string) io.ReadCloser {
	return &checkedBody{rc: body, want: wantHex, h: sha256.New()}
}

type checkedBody struct {
	rc   io.ReadCloser
	want string
	h    hash.Hash
	err  error
}

func (c *checkedBody) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.rc.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		if hex.EncodeToString(c.h.Sum(nil)) != c.want {
			err = newError(KindPayloadMismatch, "body does not match X-Sdk-Content-Sha256")
		}
		c.err = err
	}
	return n, err
}

func (c *checkedBody) Close() error { return c.rc.Close() }
