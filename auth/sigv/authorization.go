package sigv

import (
	"encoding/hex"
	"strings"
)

// Algorithm is the only signing algorithm this package accepts.
const Algorithm = "SDK-HMAC-SHA256"

// maxAccessKeyLen bounds the AK accepted by ParseAuthorization.
const maxAccessKeyLen = 128

// Authorization is a parsed "SDK-HMAC-SHA256" Authorization header.
type Authorization struct {
	// AccessKey is the AK from Access=.
	AccessKey string
	// SignedHeaders lists the lower-case header names from SignedHeaders=,
	// in the order the client gave them (the order used in the canonical
	// request).
	SignedHeaders []string
	// Signature is the 64-digit lower-case hex signature from Signature=.
	Signature string
}

// String renders a in the format the Go SDK sends:
// "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex".
func (a Authorization) String() string {
	return Algorithm + " Access=" + a.AccessKey +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
		", Signature=" + a.Signature
}

// ParseAuthorization parses an Authorization header value of the form
//
//	SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>
//
// Spaces and tabs around the parameters, around "=" and around each
// signed-header name are ignored, and the three parameters may come in any
// order. The algorithm must be exactly SDK-HMAC-SHA256; each parameter must
// appear exactly once and no other parameter is allowed; the AK must be
// printable ASCII without spaces, commas, semicolons, quotes or backslashes
// (at most 128 bytes); signed-header names must be non-empty lower-case HTTP
// tokens without duplicates (sorting is not required); the signature must be
// 64 hex digits (upper case is accepted and normalised to lower case).
// Every error is an *Error of KindMalformed.
func ParseAuthorization(h string) (Authorization, error) {
	var a Authorization
	h = trimOWS(h)
	alg, rest, ok := cutOWS(h)
	if !ok {
		if h == Algorithm {
			return a, newError(KindMalformed, "authorization has no parameters")
		}
		return a, newError(KindMalformed, "authorization is not "+Algorithm)
	}
	if alg != Algorithm {
		return a, newError(KindMalformed, "unsupported algorithm "+quote(alg))
	}
	var seenAccess, seenHeaders, seenSig bool
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return a, newError(KindMalformed, "authorization parameter without '=': "+quote(trimOWS(part)))
		}
		name, value = trimOWS(name), trimOWS(value)
		switch name {
		case "Access":
			if seenAccess {
				return a, newError(KindMalformed, "duplicate Access")
			}
			seenAccess = true
			if !validAccessKey(value) {
				return a, newError(KindMalformed, "invalid Access "+quote(value))
			}
			a.AccessKey = value
		case "SignedHeaders":
			if seenHeaders {
				return a, newError(KindMalformed, "duplicate SignedHeaders")
			}
			seenHeaders = true
			hs, err := parseSignedHeaders(value)
			if err != nil {
				return a, err
			}
			a.SignedHeaders = hs
		case "Signature":
			if seenSig {
				return a, newError(KindMalformed, "duplicate Signature")
			}
			seenSig = true
			if len(value) != 64 {
				return a, newError(KindMalformed, "signature is not 64 hex digits")
			}
			if _, err := hex.DecodeString(value); err != nil {
				return a, newError(KindMalformed, "signature is not 64 hex digits")
			}
			a.Signature = strings.ToLower(value)
		default:
			return a, newError(KindMalformed, "unknown authorization parameter "+quote(name))
		}
	}
	switch {
	case !seenAccess:
		return a, newError(KindMalformed, "authorization has no Access")
	case !seenHeaders:
		return a, newError(KindMalformed, "authorization has no SignedHeaders")
	case !seenSig:
		return a, newError(KindMalformed, "authorization has no Signature")
	}
	return a, nil
}

func parseSignedHeaders(v string) ([]string, error) {
	if v == "" {
		return nil, newError(KindMalformed, "empty SignedHeaders")
	}
	hs := make([]string, 0, strings.Count(v, ";")+1)
	for name := range strings.SplitSeq(v, ";") {
		name = trimOWS(name)
		if name == "" {
			return nil, newError(KindMalformed, "empty name in SignedHeaders")
		}
		if !validHeaderName(name) {
			return nil, newError(KindMalformed, "signed header name is not a lower-case token: "+quote(name))
		}
		for _, seen := range hs {
			if seen == name {
				return nil, newError(KindMalformed, "duplicate signed header "+quote(name))
			}
		}
		hs = append(hs, name)
	}
	return hs, nil
}

// validHeaderName reports whether s is an RFC 9110 token without upper-case
// letters.
func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validAccessKey(s string) bool {
	if s == "" || len(s) > maxAccessKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`,;"\`, c) >= 0 {
			return false
		}
	}
	return true
}

// trimOWS trims spaces and horizontal tabs.
func trimOWS(s string) string { return strings.Trim(s, " \t") }

// cutOWS splits s at its first run of spaces or tabs.
func cutOWS(s string) (before, after string, found bool) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, "", false
	}
	return s[:i], trimOWS(s[i:]), true
}
