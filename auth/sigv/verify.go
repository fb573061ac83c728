package sigv

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Header names and values of the scheme.
const (
	// HeaderDate carries the signing time in DateFormat; it must be signed.
	HeaderDate = "X-Sdk-Date"
	// HeaderContentSha256 carries UnsignedPayload or an explicit hex SHA-256
	// of the body; when present its value is the payload hash.
	HeaderContentSha256 = "X-Sdk-Content-Sha256"
	// UnsignedPayload is the HeaderContentSha256 value that leaves the body
	// unsigned.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// DateFormat is the basic ISO 8601 layout of HeaderDate.
	DateFormat = "20060102T150405Z"
)

// DefaultMaxSkew is the clock skew allowed between X-Sdk-Date and the
// server's clock when Verifier.MaxSkew is zero (the API gateway's 15 min).
const DefaultMaxSkew = 15 * time.Minute

// protectedHeaders are headers that, when present in a request, must be
// listed in SignedHeaders. X-Security-Token names temporary credentials, so
// an unsigned one is refused. X-Project-Id and X-Domain-Id are deliberately
// not here: github.com/chnsz/golangsdk (the Terraform provider's client)
// sets them after signing, and Huawei's gateway accepts that; the server
// checks that they name a project or domain of the key's own account
// (docs/compat.md, "Unsigned X-Project-Id").
var protectedHeaders = [...]string{"x-security-token"}

// LookupFunc returns the secret key of an access key. It returns an error
// wrapping ErrUnknownAccessKey when the AK does not exist (or is disabled);
// any other error is reported as KindLookupFailed. A nil or empty secret is
// treated as an unknown AK.
type LookupFunc func(ak string) (secret []byte, err error)

// PayloadMode says how the body is covered by a verified signature.
type PayloadMode uint8

// The payload modes.
const (
	// PayloadHashed: the verifier hashed the body; it is authenticated.
	PayloadHashed PayloadMode = iota + 1
	// PayloadDeclared: the client declared the body's SHA-256 in
	// X-Sdk-Content-Sha256 and the verifier did not read the body. The
	// declared hash is authenticated; the caller must check the streamed body
	// against Result.PayloadHash (see CheckBody).
	PayloadDeclared
	// PayloadUnsigned: X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD; the body is not
	// authenticated.
	PayloadUnsigned
)

// String returns "hashed", "declared" or "unsigned".
func (m PayloadMode) String() string {
	switch m {
	case PayloadHashed:
		return "hashed"
	case PayloadDeclared:
		return "declared"
	case PayloadUnsigned:
		return "unsigned"
	}
	return "PayloadMode(?)"
}

// Result describes a verified request. On error, Verify returns the fields it
// had established so far (AccessKey once the Authorization header parsed), for
// logging.
type Result struct {
	// AccessKey is the AK that signed the request.
	AccessKey string
	// Algorithm is the signing algorithm (Algorithm, AlgorithmDerived or
	// AlgorithmECDSA).
	Algorithm string
	// SignedHeaders lists the signed header names as the client sent them.
	SignedHeaders []string
	// Date is the X-Sdk-Date signing time (UTC).
	Date time.Time
	// Payload says whether and how the body is covered by the signature.
	Payload PayloadMode
	// PayloadHash is the payload line of the canonical request: the lower-case
	// hex SHA-256 of the body (PayloadHashed, PayloadDeclared) or
	// UnsignedPayload.
	PayloadHash string
}

// Signed reports whether the lower-case header name is among the signed
// headers.
func (r Result) Signed(name string) bool { return slices.Contains(r.SignedHeaders, name) }

// Verifier checks SDK-HMAC-SHA256 signatures. The zero value is ready to use
// (real clock, 15 min skew); a Verifier is safe for concurrent use once set
// up.
type Verifier struct {
	// Now returns the current time; nil means time.Now. Tests inject a fixed
	// clock.
	Now func() time.Time
	// MaxSkew is the largest allowed difference, either way, between
	// X-Sdk-Date and Now; zero or negative means DefaultMaxSkew. A date
	// exactly MaxSkew away is accepted.
	MaxSkew time.Duration
	// Region, when set, is the only region a V11-HMAC-SHA256 credential
	// scope may name; "" accepts any.
	Region string
}

// Verify checks the signature of r. body must be the exact request body when
// NeedsBody(r) reports true (use ReadBody); otherwise it is ignored and may be
// nil. lookup resolves the AK to its secret key and must not be nil.
//
// Checks, in order: Authorization present and well-formed; x-sdk-date signed,
// well-formed and within ±MaxSkew of Now; for V11-HMAC-SHA256 the scope's
// date equal to the X-Sdk-Date day and its region equal to Region; every
// signed header present; X-Security-Token signed when present; query
// parseable; payload rules (see the package documentation); AK known;
// signature valid (constant-time comparison for the HMAC algorithms). The
// first failure is returned as an *Error.
//
// Verify does not read or modify r.Body.
func (v *Verifier) Verify(r *http.Request, body []byte, lookup LookupFunc) (Result, error) {
	return v.verify(r, lookup, func() ([]byte, error) { return body, nil })
}

// VerifyRequest is Verify for a server handler: when the payload must be
// hashed it reads the body with ReadBody (at most MaxBodyBytes, after the
// header, date and AK checks passed) and restores r.Body; when the client
// declared an explicit body hash (PayloadDeclared) and verification succeeds
// it replaces r.Body with CheckBody(r.Body, hash), so that reading the body to
// its end fails with KindPayloadMismatch if the bytes do not match. With
// UNSIGNED-PAYLOAD r.Body is left alone.
func (v *Verifier) VerifyRequest(r *http.Request, lookup LookupFunc) (Result, error) {
	res, err := v.verify(r, lookup, func() ([]byte, error) { return ReadBody(r, MaxBodyBytes) })
	if err == nil && res.Payload == PayloadDeclared && r.Body != nil && r.Body != http.NoBody {
		r.Body = CheckBody(r.Body, res.PayloadHash)
	}
	return res, err
}

// NeedsBody reports whether verifying r requires the body bytes: true unless
// r carries an X-Sdk-Content-Sha256 header and a non-JSON content type.
func NeedsBody(r *http.Request) bool {
	return isJSON(r) || len(headerValues(r, "x-sdk-content-sha256")) == 0
}

func (v *Verifier) verify(r *http.Request, lookup LookupFunc, getBody func() ([]byte, error)) (Result, error) {
	var res Result
	auths := r.Header.Values("Authorization")
	switch len(auths) {
	case 0:
		return res, newError(KindMissingHeader, "no Authorization header")
	case 1:
	default:
		return res, newError(KindMalformed, "more than one Authorization header")
	}
	a, err := ParseAuthorization(auths[0])
	if err != nil {
		return res, err
	}
	res.AccessKey, res.SignedHeaders = a.AccessKey, a.SignedHeaders

	// Date.
	if !res.Signed("x-sdk-date") {
		return res, newError(KindMissingHeader, "x-sdk-date is not signed")
	}
	dates := headerValues(r, "x-sdk-date")
	switch len(dates) {
	case 0:
		return res, newError(KindMissingHeader, "no X-Sdk-Date header")
	case 1:
	default:
		return res, newError(KindMalformed, "more than one X-Sdk-Date header")
	}
	date := dates[0]
	t, err := time.Parse(DateFormat, date)
	if err != nil || t.Format(DateFormat) != date {
		return res, newError(KindMalformed, "X-Sdk-Date is not in "+DateFormat+" format: "+quote(date))
	}
	res.Date = t
	if err := v.checkSkew(t); err != nil {
		return res, err
	}
	res.Algorithm = a.Algorithm
	if a.Algorithm == AlgorithmDerived {
		day, region, _ := a.ScopeParts()
		if day != date[:8] {
			return res, newError(KindMalformed, "credential scope date "+quote(day)+" is not the X-Sdk-Date day")
		}
		if v.Region != "" && region != v.Region {
			return res, newError(KindMalformed, "credential scope region "+quote(region)+" is not this server's region")
		}
	}

	// Headers and query.
	for _, name := range a.SignedHeaders {
		if len(headerValues(r, name)) == 0 {
			return res, newError(KindMissingHeader, "signed header "+quote(name)+" is absent")
		}
	}
	for _, name := range protectedHeaders {
		if !res.Signed(name) && len(headerValues(r, name)) > 0 {
			return res, newError(KindMissingHeader, name+" is present but not signed")
		}
	}
	if r.URL != nil {
		if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
			return res, &Error{Kind: KindMalformed, Detail: "invalid query string", Err: err}
		}
	}

	// Payload, first the checks that need no body.
	jsonBody := isJSON(r)
	declared := headerValues(r, "x-sdk-content-sha256")
	switch {
	case len(declared) > 1:
		return res, newError(KindMalformed, "more than one X-Sdk-Content-Sha256 header")
	case len(declared) == 0:
		res.Payload = PayloadHashed
	case declared[0] == UnsignedPayload:
		if jsonBody {
			return res, newError(KindUnsignedPayload, "UNSIGNED-PAYLOAD with a JSON/BSON content type")
		}
		if !hasContentType(r) {
			return res, newError(KindUnsignedPayload, "UNSIGNED-PAYLOAD without a content type")
		}
		res.Payload, res.PayloadHash = PayloadUnsigned, UnsignedPayload
	case isLowerHexSHA256(declared[0]):
		res.PayloadHash = declared[0]
		res.Payload = PayloadDeclared
		if jsonBody {
			res.Payload = PayloadHashed // checked against the body below
		}
	default:
		return res, newError(KindMalformed, "X-Sdk-Content-Sha256 is neither UNSIGNED-PAYLOAD nor a lower-case hex SHA-256")
	}

	// Credentials.
	if lookup == nil {
		return res, newError(KindLookupFailed, "no lookup function")
	}
	secret, err := lookup(a.AccessKey)
	switch {
	case errors.Is(err, ErrUnknownAccessKey):
		return res, &Error{Kind: KindUnknownAccessKey, Detail: "access key " + quote(a.AccessKey), Err: err}
	case err != nil:
		return res, &Error{Kind: KindLookupFailed, Detail: "access key " + quote(a.AccessKey), Err: err}
	case len(secret) == 0:
		return res, newError(KindUnknownAccessKey, "access key "+quote(a.AccessKey)+" has no secret")
	}

	// Body.
	if res.Payload == PayloadHashed {
		body, err := getBody()
		if err != nil {
			return res, err
		}
		if len(body) > MaxBodyBytes {
			return res, newError(KindBodyTooLarge, "body exceeds the AK/SK limit")
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])
		if res.PayloadHash != "" && res.PayloadHash != h {
			return res, newError(KindPayloadMismatch, "body does not match X-Sdk-Content-Sha256")
		}
		res.PayloadHash = h
	}

	// Signature.
	canonical := CanonicalRequest(r, a.SignedHeaders, res.PayloadHash)
	if !signatureValid(a, secret, stringToSign(a, date, canonical)) {
		sum := sha256.Sum256([]byte(canonical))
		return res, newError(KindBadSignature, "access key "+quote(a.AccessKey)+
			", canonical request sha256 "+hex.EncodeToString(sum[:]))
	}
	return res, nil
}

func (v *Verifier) checkSkew(t time.Time) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	n := now()
	switch {
	case t.Before(n.Add(-skew)):
		return newError(KindExpired, "X-Sdk-Date "+t.Format(DateFormat)+" is older than "+skew.String())
	case t.After(n.Add(skew)):
		return newError(KindFuture, "X-Sdk-Date "+t.Format(DateFormat)+" is more than "+skew.String()+" ahead")
	}
	return nil
}

// isJSON mirrors the SDK's test for a signed body: a Content-Type containing
// application/json or application/bson (compared case-insensitively, which
// is stricter than the SDK).
func isJSON(r *http.Request) bool {
	for _, ct := range r.Header.Values("Content-Type") {
		ct = strings.ToLower(ct)
		if strings.Contains(ct, "application/json") || strings.Contains(ct, "application/bson") {
			return true
		}
	}
	return false
}

func hasContentType(r *http.Request) bool {
	for _, ct := range r.Header.Values("Content-Type") {
		if strings.TrimSpace(ct) != "" {
			return true
		}
	}
	return false
}

func isLowerHexSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
