package sigv

import (
	"encoding/hex"
	"strings"
)

// The signing algorithms the verifier accepts, as they appear at the start of
// the Authorization header.
const (
	// Algorithm is SDK-HMAC-SHA256, the default of every Huawei SDK: the
	// string to sign is HMAC-SHA256'd with the secret key itself.
	Algorithm = "SDK-HMAC-SHA256"
	// AlgorithmDerived is V11-HMAC-SHA256, the "derived" (regional) variant
	// of github.com/chnsz/golangsdk and huaweicloud-sdk-go-v3: the HMAC key is
	// derived from the secret key with HKDF-SHA256 over a credential scope
	// "yyyymmdd/region/service" that the header names.
	AlgorithmDerived = "V11-HMAC-SHA256"
	// AlgorithmECDSA is SDK-ECDSA-P256-SHA256: an ECDSA P-256 signature with
	// a private key derived deterministically from the AK/SK pair.
	AlgorithmECDSA = "SDK-ECDSA-P256-SHA256"
)

// maxAccessKeyLen bounds the AK accepted by ParseAuthorization.
const maxAccessKeyLen = 128

// maxECDSASignatureHex bounds an ECDSA signature: a DER sequence of two
// P-256 integers is at most 72 bytes.
const maxECDSASignatureHex = 2 * 72

// Authorization is a parsed Authorization header of one of the accepted
// algorithms.
type Authorization struct {
	// Algorithm is Algorithm, AlgorithmDerived or AlgorithmECDSA; "" means
	// Algorithm.
	Algorithm string
	// AccessKey is the AK from Access= (or the first part of Credential=).
	AccessKey string
	// Scope is the credential scope "yyyymmdd/region/service" of
	// AlgorithmDerived, "" otherwise.
	Scope string
	// SignedHeaders lists the lower-case header names from SignedHeaders=,
	// in the order the client gave them (the order used in the canonical
	// request).
	SignedHeaders []string
	// Signature is the lower-case hex signature from Signature=: 64 digits
	// for the HMAC algorithms, a hex DER ECDSA signature for AlgorithmECDSA.
	Signature string
}

// ScopeParts splits Scope into its date, region and service.
func (a Authorization) ScopeParts() (date, region, service string) {
	parts := strings.SplitN(a.Scope, "/", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return parts[0], parts[1], parts[2]
}

// String renders a in the format the SDKs send, for example
// "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex" or
// "V11-HMAC-SHA256 Credential=AK/20240101/region/service, SignedHeaders=a;b, Signature=hex".
func (a Authorization) String() string {
	alg := a.Algorithm
	if alg == "" {
		alg = Algorithm
	}
	cred := " Access=" + a.AccessKey
	if alg == AlgorithmDerived {
		cred = " Credential=" + a.AccessKey + "/" + a.Scope
	}
	return alg + cred +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
		", Signature=" + a.Signature
}

// ParseAuthorization parses an Authorization header value of the forms
//
//	SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex>
//	SDK-ECDSA-P256-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex DER>
//	V11-HMAC-SHA256 Credential=<AK>/<yyyymmdd>/<region>/<service>, SignedHeaders=<a;b>, Signature=<hex>
//
// Spaces and tabs around the parameters, around "=" and around each
// signed-header name are ignored, and the three parameters may come in any
// order. The algorithm must be one of the three above; each parameter must
// appear exactly once and no other parameter is allowed (Credential= only
// with V11-HMAC-SHA256, Access= only with the others); the AK must be
// printable ASCII without spaces, commas, semicolons, slashes, quotes or
// backslashes (at most 128 bytes); the scope must be an 8-digit date and a
// non-empty region and service; signed-header names must be non-empty
// lower-case HTTP tokens without duplicates (sorting is not required); the
// signature must be 64 hex digits for the HMAC algorithms and at most 144
// for ECDSA (upper case is accepted and normalised to lower case). Every
// error is an *Error of KindMalformed.
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
	switch alg {
	case Algorithm, AlgorithmDerived, AlgorithmECDSA:
		a.Algorithm = alg
	default:
		return a, newError(KindMalformed, "unsupported algorithm "+quote(alg))
	}
	credName := "Access"
	if alg == AlgorithmDerived {
		credName = "Credential"
	}
	var seenAccess, seenHeaders, seenSig bool
	for part := range strings.SplitSeq(rest, ",") {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return a, newError(KindMalformed, "authorization parameter without '=': "+quote(trimOWS(part)))
		}
		name, value = trimOWS(name), trimOWS(value)
		switch name {
		case credName:
			if seenAccess {
				return a, newError(KindMalformed, "duplicate "+credName)
			}
			seenAccess = true
			ak := value
			if alg == AlgorithmDerived {
				var scope string
				ak, scope, _ = strings.Cut(value, "/")
				if !validScope(scope) {
					return a, newError(KindMalformed, "invalid Credential scope "+quote(scope))
				}
				a.Scope = scope
			}
			if !validAccessKey(ak) {
				return a, newError(KindMalformed, "invalid "+credName+" "+quote(value))
			}
			a.AccessKey = ak
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
			if !validSignature(alg, value) {
				if alg == AlgorithmECDSA {
					return a, newError(KindMalformed, "signature is not a hex DER ECDSA signature")
				}
				return a, newError(KindMalformed, "signature is not 64 hex digits")
			}
			a.Signature = strings.ToLower(value)
		default:
			return a, newError(KindMalformed, "unknown authorization parameter "+quote(name))
		}
	}
	switch {
	case !seenAccess:
		return a, newError(KindMalformed, "authorization has no "+credName)
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
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`,;/"\`, c) >= 0 {
			return false
		}
	}
	return true
}

// validSignature checks the length and hex digits of a signature.
func validSignature(alg, v string) bool {
	if alg == AlgorithmECDSA {
		if len(v) == 0 || len(v) > maxECDSASignatureHex || len(v)%2 != 0 {
			return false
		}
	} else if len(v) != 64 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

// validScope checks a V11 credential scope: yyyymmdd/region/service, the
// region and service being non-empty and free of separators.
func validScope(scope string) bool {
	date, rest, ok := strings.Cut(scope, "/")
	if !ok || len(date) != 8 {
		return false
	}
	for i := 0; i < len(date); i++ {
		if date[i] < '0' || date[i] > '9' {
			return false
		}
	}
	region, service, ok := strings.Cut(rest, "/")
	return ok && validScopeName(region) && validScopeName(service)
}

func validScopeName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
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
