// Package sigv verifies Huawei Cloud "SDK-HMAC-SHA256" request signatures,
// the AK/SK scheme used by huaweicloud-sdk-go-v3 and the API gateway
// (ims-api.md §6.2–§6.4).
//
// A client signs a request by building a canonical request (method,
// canonical URI, canonical query, canonical headers, signed-header list and
// payload hash), hashing it into a string to sign together with the
// X-Sdk-Date value, and computing HMAC-SHA256 of that string keyed with the
// secret key. It sends the result as
//
//	Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b;c>, Signature=<hex>
//
// The server rebuilds the same canonical request from what it received and
// compares signatures in constant time. [CanonicalRequest], [StringToSign]
// and [Sign] expose each step so that tests and command-line tools can
// reproduce a signature by hand.
//
// # Body handling
//
// The payload hash is the value of the X-Sdk-Content-Sha256 header when the
// request carries one, otherwise the SHA-256 of the exact body bytes. The
// verifier distinguishes three cases (see [PayloadMode]):
//
//   - [PayloadHashed]: no X-Sdk-Content-Sha256 header, or a JSON/BSON body.
//     The body (at most [MaxBodyBytes]) is hashed by the verifier, so a
//     verified request has an authenticated body.
//   - [PayloadUnsigned]: X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD on a
//     non-JSON content type (octet-stream uploads, Glance JSON-patch). The
//     body is never read and is not authenticated. UNSIGNED-PAYLOAD on a JSON
//     or BSON content type, or on a request without Content-Type, is refused:
//     Content-Type is not a signed header, so a body the server would parse as
//     JSON must always be covered by the signature.
//   - [PayloadDeclared]: X-Sdk-Content-Sha256 holds an explicit hex digest on
//     a non-JSON body. The body is not read by the verifier; the caller must
//     check the streamed bytes against [Result.PayloadHash]
//     ([Verifier.VerifyRequest] does this by wrapping r.Body with
//     [CheckBody]).
//
// # Errors
//
// Every failure is an [*Error] whose [Kind] tells the server why the request
// was refused, for logging, while the client gets one generic answer. Error
// text never contains a secret key or the expected signature. Match with
// errors.Is against the Err… sentinels or errors.As to read the Kind.
//
// The package uses only the standard library.
package sigv
