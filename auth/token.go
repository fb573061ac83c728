package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/imsd/imsd"
)

// Tokens are self-contained: the claims below, JSON-encoded, sealed with
// the server's Sealer (AES-256-GCM under the master key, with tokenAD as
// associated data so a sealed secret key can never pass for a token) and
// base64url-encoded. Nothing about a token is stored, so no raw token and no
// token hash can leak from the database; the AEAD tag check is the
// constant-time comparison. A token stops working when it expires, when its
// user is deleted or disabled, and when the user's password changes: the
// claims carry a stamp derived from the password hash the user had when the
// token was issued (compared in constant time), and tokens issued before
// the user's PasswordChangedAt are refused as well.

// TokenTTL is how long a token is valid (Huawei: 24 hours).
const TokenTTL = 24 * time.Hour

// tokenAD is the associated data of every sealed token; bump the version to
// invalidate every token of an older format.
var tokenAD = []byte("imsd token v1")

// Token verification errors. Both mean the caller must authenticate again.
var (
	// ErrTokenInvalid is a token that is malformed, forged, sealed under
	// another key, or revoked (user deleted or disabled, password changed).
	ErrTokenInvalid = errors.New("token is invalid")
	// ErrTokenExpired is a genuine token past its expiry time.
	ErrTokenExpired = errors.New("token expired")
)

// TokenClaims is what a token asserts.
type TokenClaims struct {
	// ID is a random id of the token, for audit logs (never the token).
	ID       string `json:"jti"`
	UserID   string `json:"uid"`
	DomainID string `json:"did"`
	// ProjectID is the project the token is scoped to; "" for a
	// domain-scoped token.
	ProjectID string    `json:"pid,omitempty"`
	Methods   []string  `json:"m"`
	IssuedAt  time.Time `json:"iat"`
	ExpiresAt time.Time `json:"exp"`
	// Stamp binds the token to the user's password hash at issue time.
	Stamp []byte `json:"st"`
}

// PasswordStamp derives the stamp of a password hash: it changes whenever
// the password is set (every hash has a fresh salt) and reveals nothing
// about the password.
func PasswordStamp(passwordHash string) []byte {
	sum := sha256.Sum256([]byte("imsd token stamp\x00" + passwordHash))
	return sum[:16]
}

// SealToken encodes and seals claims into a token string.
func SealToken(s *Sealer, c *TokenClaims) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.Seal(b, tokenAD)), nil
}

// OpenToken unseals a token and returns its claims; anything that is not a
// token this server sealed is ErrTokenInvalid. It does not check expiry or
// the user: see CheckToken.
func OpenToken(s *Sealer, token string) (*TokenClaims, error) {
	if len(token) == 0 || len(token) > 4096 {
		return nil, ErrTokenInvalid
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, ErrTokenInvalid
	}
	plain, err := s.Open(sealed, tokenAD)
	if err != nil {
		return nil, ErrTokenInvalid
	}
	var c TokenClaims
	if err := json.Unmarshal(plain, &c); err != nil || c.UserID == "" || c.DomainID == "" {
		return nil, ErrTokenInvalid
	}
	return &c, nil
}

// CheckToken decides whether claims are still honoured for user u (nil when
// the user no longer exists) at time now.
func CheckToken(c *TokenClaims, u *imsd.User, now time.Time) error {
	if !now.Before(c.ExpiresAt) {
		return ErrTokenExpired
	}
	if u == nil || u.ID != c.UserID || u.DomainID != c.DomainID || !u.Enabled {
		return ErrTokenInvalid
	}
	if subtle.ConstantTimeCompare(c.Stamp, PasswordStamp(u.PasswordHash)) != 1 {
		return ErrTokenInvalid
	}
	if u.PasswordChangedAt.After(c.IssuedAt) {
		return ErrTokenInvalid
	}
	return nil
}

// TokenInfo is a verified token with the identities it names.
type TokenInfo struct {
	Claims *TokenClaims
	User   *imsd.User
	Domain *imsd.Domain
	// Project is nil for a domain-scoped token.
	Project *imsd.Project
}

// ResolveToken verifies a token completely: seal, expiry, user, password
// stamp, and that its project still exists, is enabled and belongs to the
// user's account. It returns ErrTokenInvalid or ErrTokenExpired for tokens
// that must not be honoured, and other errors for store failures.
func ResolveToken(ctx context.Context, store imsd.Queries, s *Sealer, token string, now time.Time) (*TokenInfo, error) {
	c, err := OpenToken(s, token)
	if err != nil {
		return nil, err
	}
	if !now.Before(c.ExpiresAt) {
		return nil, ErrTokenExpired
	}
	u, err := store.UserGet(ctx, c.UserID)
	if errors.Is(err, imsd.ErrNotFound) {
		u, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token user: %w", err)
	}
	if err := CheckToken(c, u, now); err != nil {
		return nil, err
	}
	d, err := store.DomainGet(ctx, u.DomainID)
	if err != nil {
		return nil, fmt.Errorf("token domain: %w", err)
	}
	info := &TokenInfo{Claims: c, User: u, Domain: d}
	if c.ProjectID != "" {
		p, err := store.ProjectGet(ctx, c.ProjectID)
		if errors.Is(err, imsd.ErrNotFound) {
			return nil, ErrTokenInvalid
		}
		if err != nil {
			return nil, fmt.Errorf("token project: %w", err)
		}
		if p.DomainID != d.ID || !p.Enabled {
			return nil, ErrTokenInvalid
		}
		info.Project = p
	}
	return info, nil
}

// authenticateToken is the X-Auth-Token branch of Authenticate. The
// request's project is the token's scope; an X-Project-Id header naming
// another project, or an X-Domain-Id naming another account, fails. The
// request body is never read, so token-authenticated uploads stream.
func (a *Authenticator) authenticateToken(r *http.Request, token string) (*imsd.Principal, error) {
	info, err := ResolveToken(r.Context(), a.store, a.sealer, token, a.now())
	switch {
	case errors.Is(err, ErrTokenExpired):
		a.log.Info("authentication failed", "method", "token", "reason", "token expired", "path", r.URL.Path)
		return nil, failure("token expires")
	case errors.Is(err, ErrTokenInvalid):
		a.log.Info("authentication failed", "method", "token", "reason", "token invalid or revoked", "path", r.URL.Path)
		return nil, failure("decrypt token fail")
	case err != nil:
		return nil, &imsd.Error{Code: imsd.CodeInternal, Message: imsd.CodeInternal.Info().Message, Err: err}
	}
	p := &imsd.Principal{DomainID: info.Domain.ID, DomainName: info.Domain.Name, UserID: info.User.ID,
		UserName: info.User.Name, IsRoot: info.User.IsRoot, AuthMethod: "token"}
	if info.Project != nil {
		p.ProjectID, p.ProjectName = info.Project.ID, info.Project.Name
	}
	if pid := r.Header.Get("X-Project-Id"); pid != "" && pid != p.ProjectID {
		a.log.Info("authentication failed", "method", "token", "token_id", info.Claims.ID, "reason", "X-Project-Id differs from the token's project", "path", r.URL.Path)
		return nil, failure("the project in X-Project-Id is not the token's project")
	}
	if d := r.Header.Get("X-Domain-Id"); d != "" && d != p.DomainID {
		a.log.Info("authentication failed", "method", "token", "token_id", info.Claims.ID, "reason", "X-Domain-Id differs from the token's account", "path", r.URL.Path)
		return nil, failure("the domain in X-Domain-Id does not belong to the token's account")
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		p.SourceIP = host
	}
	return p, nil
}
