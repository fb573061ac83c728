package sigv

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// CanonicalRequest builds the canonical request of r the way the Go SDK's
// signer does (ims-api.md §6.2 step 4), from the request as received:
//
//	METHOD
//	canonical URI    r.URL.EscapedPath() split on "/", each segment unescaped
//	                 and re-escaped with the strict encoder, "/" appended if
//	                 missing
//	canonical query  url.ParseQuery(r.URL.RawQuery), keys sorted, values of a
//	                 key sorted, "escape(k)=escape(v)" joined by "&" (a key
//	                 without "=" gives "key=")
//	canonical headers  "name:value\n" for every value of every signed header,
//	                 in signedHeaders order; values trimmed, then sorted;
//	                 "host" is r.Host exactly (r.URL.Host when r.Host
//	                 is empty)
//	signed headers   signedHeaders joined by ";"
//	payloadHash
//
// The strict encoder keeps A–Z a–z 0–9 - _ . ~ and writes every other byte as
// %XX with upper-case hex. A signed header absent from r contributes no line,
// as in the SDK. CanonicalRequest does not validate r: undecodable path
// segments are encoded as they are and query-parsing errors are ignored
// (Verifier rejects such queries before signing).
func CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.Grow(256)
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	b.WriteString(method)
	b.WriteByte('\n')
	var path, rawQuery string
	if r.URL != nil {
		path, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	writeCanonicalURI(&b, path)
	b.WriteByte('\n')
	writeCanonicalQuery(&b, rawQuery)
	b.WriteByte('\n')
	lines := 0
	for _, name := range signedHeaders {
		for _, v := range headerValues(r, name) {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(v)
			b.WriteByte('\n')
			lines++
		}
	}
	if lines == 0 {
		// The SDK terminates the (empty) header block with "\n" anyway.
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	for i, name := range signedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(name)
	}
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// StringToSign returns "SDK-HMAC-SHA256\n<date>\n<hex sha256(canonical)>",
// where date is the X-Sdk-Date value (basic format 20060102T150405Z).
func StringToSign(date, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + date + "\n" + hex.EncodeToString(sum[:])
}

// Sign returns the lower-case hex HMAC-SHA256 of stringToSign keyed with the
// secret key (no key derivation).
func Sign(secret []byte, stringToSign string) string {
	return hex.EncodeToString(mac(secret, stringToSign))
}

func mac(secret []byte, stringToSign string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}

func writeCanonicalURI(b *strings.Builder, escapedPath string) {
	first := true
	for seg := range strings.SplitSeq(escapedPath, "/") {
		if !first {
			b.WriteByte('/')
		}
		first = false
		if strings.IndexByte(seg, '%') >= 0 {
			if u, err := url.PathUnescape(seg); err == nil {
				seg = u
			}
		}
		writeEscaped(b, seg)
	}
	if !strings.HasSuffix(escapedPath, "/") {
		b.WriteByte('/')
	}
}

func writeCanonicalQuery(b *strings.Builder, rawQuery string) {
	if rawQuery == "" {
		return
	}
	q, _ := url.ParseQuery(rawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	first := true
	for _, k := range keys {
		vs := q[k]
		slices.Sort(vs) // q is ours; sorting in place is fine
		for _, v := range vs {
			if !first {
				b.WriteByte('&')
			}
			first = false
			writeEscaped(b, k)
			b.WriteByte('=')
			writeEscaped(b, v)
		}
	}
}

// headerValues returns the trimmed, sorted values of the header whose
// lower-cased name is name; "host" is taken from r.Host.
func headerValues(r *http.Request, name string) []string {
	if name == "host" {
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		if h == "" {
			return nil
		}
		return []string{h}
	}
	var vs []string
	canon := http.CanonicalHeaderKey(name)
	for _, v := range r.Header[canon] {
		vs = append(vs, strings.TrimSpace(v))
	}
	// Keys that are not in canonical form (set directly on the map, or not
	// canonicalisable) are matched by lower-casing, as the SDK does.
	for k, kvs := range r.Header {
		if k == canon || len(k) != len(name) || !strings.EqualFold(k, name) || strings.ToLower(k) != name {
			continue
		}
		for _, v := range kvs {
			vs = append(vs, strings.TrimSpace(v))
		}
	}
	if len(vs) > 1 {
		slices.Sort(vs)
	}
	return vs
}

const upperHex = "0123456789ABCDEF"

// unreserved reports whether c is kept verbatim by the strict encoder.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

func writeEscaped(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}
