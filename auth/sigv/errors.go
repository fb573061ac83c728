package sigv

import "strconv"

// Kind classifies why a request was refused.
type Kind uint8

// The kinds of verification failure.
const (
	// KindMalformed: the Authorization header, X-Sdk-Date,
	// X-Sdk-Content-Sha256 or the query string cannot be parsed, or the
	// algorithm is not SDK-HMAC-SHA256, or the body could not be read.
	KindMalformed Kind = iota + 1
	// KindMissingHeader: a required header is absent from the request
	// (Authorization, X-Sdk-Date, any header listed in SignedHeaders) or is
	// present but not listed in SignedHeaders (x-sdk-date always;
	// x-project-id, x-domain-id and x-security-token when present).
	KindMissingHeader
	// KindUnknownAccessKey: the lookup function does not know the AK.
	KindUnknownAccessKey
	// KindLookupFailed: the lookup function failed for another reason (for
	// example the credential store is down); not the client's fault.
	KindLookupFailed
	// KindExpired: X-Sdk-Date is more than MaxSkew before now.
	KindExpired
	// KindFuture: X-Sdk-Date is more than MaxSkew after now.
	KindFuture
	// KindBadSignature: the signature does not match the request.
	KindBadSignature
	// KindUnsignedPayload: UNSIGNED-PAYLOAD was used where the body must be
	// signed (JSON/BSON content type, or no content type).
	KindUnsignedPayload
	// KindPayloadMismatch: the body does not hash to the X-Sdk-Content-Sha256
	// value the client declared.
	KindPayloadMismatch
	// KindBodyTooLarge: a body that must be hashed exceeds MaxBodyBytes.
	KindBodyTooLarge
)

var kindNames = [...]string{
	KindMalformed:        "malformed request",
	KindMissingHeader:    "missing header",
	KindUnknownAccessKey: "unknown access key",
	KindLookupFailed:     "access key lookup failed",
	KindExpired:          "request date expired",
	KindFuture:           "request date in the future",
	KindBadSignature:     "signature mismatch",
	KindUnsignedPayload:  "unsigned payload not allowed",
	KindPayloadMismatch:  "payload hash mismatch",
	KindBodyTooLarge:     "body too large",
}

// String returns a short lower-case description of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Error is the error returned by every function of this package that can
// refuse a request. Detail and Err are meant for server logs; they never hold
// a secret key or the expected signature.
type Error struct {
	// Kind says why the request was refused.
	Kind Kind
	// Detail is a short explanation, safe to log.
	Detail string
	// Err is the underlying cause, if any (for example the lookup error).
	Err error
}

// Error formats the error as "sigv: <kind>[: <detail>][: <cause>]".
func (e *Error) Error() string {
	s := "sigv: " + e.Kind.String()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error of the same Kind, so that
// errors.Is(err, ErrBadSignature) matches any bad-signature error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind
}

// Sentinels for errors.Is, one per Kind. A lookup function reports an
// unknown access key by returning ErrUnknownAccessKey (or an error wrapping
// it).
var (
	ErrMalformed        = &Error{Kind: KindMalformed}
	ErrMissingHeader    = &Error{Kind: KindMissingHeader}
	ErrUnknownAccessKey = &Error{Kind: KindUnknownAccessKey}
	ErrLookupFailed     = &Error{Kind: KindLookupFailed}
	ErrExpired          = &Error{Kind: KindExpired}
	ErrFuture           = &Error{Kind: KindFuture}
	ErrBadSignature     = &Error{Kind: KindBadSignature}
	ErrUnsignedPayload  = &Error{Kind: KindUnsignedPayload}
	ErrPayloadMismatch  = &Error{Kind: KindPayloadMismatch}
	ErrBodyTooLarge     = &Error{Kind: KindBodyTooLarge}
)

func newError(k Kind, detail string) *Error { return &Error{Kind: k, Detail: detail} }

// quote renders client-supplied text for an error detail, bounded in length.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
