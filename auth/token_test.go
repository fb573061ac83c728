package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

func testSealer(t *testing.T, fill byte) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenSealOpen(t *testing.T) {
	s := testSealer(t, 1)
	now := time.Date(2026, 11, 26, 12, 0, 0, 123456789, time.UTC)
	const user = "user-id-that-must-not-show-in-the-token"
	c := &TokenClaims{ID: "jti", UserID: user, DomainID: "d1", ProjectID: "p1", Methods: []string{"password"},
		IssuedAt: now, ExpiresAt: now.Add(TokenTTL), Stamp: PasswordStamp("$argon2id$hash")}
	tok, err := SealToken(s, c)
	if err != nil {
		t.Fatal(err)
	}
	// Random ciphertext may hold any short string; a long one is a leak.
	if strings.Contains(tok, user) || strings.ContainsAny(tok, "+/=") {
		t.Fatalf("token %q is not opaque URL-safe base64", tok)
	}
	got, err := OpenToken(s, tok)
	if err != nil || got.UserID != user || got.DomainID != "d1" || got.ProjectID != "p1" || !got.IssuedAt.Equal(now) ||
		!got.ExpiresAt.Equal(now.Add(TokenTTL)) || !bytes.Equal(got.Stamp, c.Stamp) {
		t.Fatalf("OpenToken = %+v, %v", got, err)
	}
	tok2, _ := SealToken(s, c)
	if tok2 == tok {
		t.Fatal("two tokens of the same claims are equal: nonces are not random")
	}

	flipped := []byte(tok)
	flipped[len(flipped)/2] ^= 1
	sealedSecret := base64.RawURLEncoding.EncodeToString(s.Seal([]byte("secret-key"), []byte("AKID")))
	for name, bad := range map[string]string{
		"other key":           mustSeal(t, testSealer(t, 2), c),
		"tampered":            string(flipped),
		"truncated":           tok[:len(tok)-1],
		"empty":               "",
		"not base64":          "!!!!",
		"sealed secret":       sealedSecret,
		"too long":            strings.Repeat("A", 5000),
		"claims without user": mustSeal(t, s, &TokenClaims{DomainID: "d1", ExpiresAt: now.Add(time.Hour)}),
	} {
		if _, err := OpenToken(s, bad); !errors.Is(err, ErrTokenInvalid) {
			t.Errorf("%s: OpenToken err = %v, want ErrTokenInvalid", name, err)
		}
	}
}

func mustSeal(t *testing.T, s *Sealer, c *TokenClaims) string {
	t.Helper()
	tok, err := SealToken(s, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestCheckToken(t *testing.T) {
	issued := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	user := func(mod func(u *imsd.User)) *imsd.User {
		u := &imsd.User{ID: "u1", DomainID: "d1", Enabled: true, PasswordHash: "$argon2id$one", PasswordChangedAt: issued.Add(-time.Hour)}
		if mod != nil {
			mod(u)
		}
		return u
	}
	c := &TokenClaims{UserID: "u1", DomainID: "d1", IssuedAt: issued, ExpiresAt: issued.Add(TokenTTL), Stamp: PasswordStamp("$argon2id$one")}
	cases := []struct {
		name string
		u    *imsd.User
		now  time.Time
		want error
	}{
		{"valid", user(nil), issued.Add(time.Minute), nil},
		{"last valid instant", user(nil), issued.Add(TokenTTL - time.Nanosecond), nil},
		{"expired", user(nil), issued.Add(TokenTTL), ErrTokenExpired},
		{"user deleted", nil, issued, ErrTokenInvalid},
		{"user disabled", user(func(u *imsd.User) { u.Enabled = false }), issued, ErrTokenInvalid},
		{"another user", user(func(u *imsd.User) { u.ID = "u2" }), issued, ErrTokenInvalid},
		{"user of another domain", user(func(u *imsd.User) { u.DomainID = "d2" }), issued, ErrTokenInvalid},
		{"password changed (stamp)", user(func(u *imsd.User) { u.PasswordHash = "$argon2id$two" }), issued, ErrTokenInvalid},
		{"password changed after issue", user(func(u *imsd.User) { u.PasswordChangedAt = issued.Add(time.Microsecond) }), issued, ErrTokenInvalid},
		{"password changed at issue", user(func(u *imsd.User) { u.PasswordChangedAt = issued }), issued, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckToken(c, tc.u, tc.now); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("CheckToken = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestPasswordStamp(t *testing.T) {
	a, b := PasswordStamp("$argon2id$one"), PasswordStamp("$argon2id$two")
	if len(a) != 16 || bytes.Equal(a, b) || !bytes.Equal(a, PasswordStamp("$argon2id$one")) {
		t.Fatalf("stamps %x %x", a, b)
	}
}

// FuzzOpenToken: arbitrary X-Auth-Token values never panic and never open
// unless sealed with the key; a token that opens re-seals to the same
// claims.
func FuzzOpenToken(f *testing.F) {
	key := make([]byte, 32)
	s, err := NewSealer(key)
	if err != nil {
		f.Fatal(err)
	}
	tok, err := SealToken(s, &TokenClaims{ID: "t1", UserID: "u1", DomainID: "d1", Methods: []string{"password"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{tok, tok[:len(tok)/2], "", "MII", strings.Repeat("A", 4096), "\x00\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := OpenToken(s, token)
		if err != nil {
			return
		}
		again, err := SealToken(s, c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := OpenToken(s, again)
		if err != nil || !reflect.DeepEqual(c, c2) {
			t.Fatalf("re-sealed claims differ: %+v vs %+v (%v)", c, c2, err)
		}
	})
}
