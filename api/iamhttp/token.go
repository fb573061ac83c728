package iamhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// handleKeystoneVersion answers Keystone version discovery at GET /v3, so
// Keystone clients given an auth URL ending in /v3 find the identity API.
func (s *Server) handleKeystoneVersion(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"version": map[string]any{
		"id": "v3.0", "status": "stable", "updated": "2013-03-06T00:00:00Z",
		"links":       []map[string]string{{"rel": "self", "href": baseURL(r) + "/v3/"}},
		"media-types": []map[string]string{{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}},
	}})
}

// idName is the {"id","name"} pair of token bodies.
type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// tokenJSON is a Keystone token body (TokenResult).
type tokenJSON struct {
	Methods   []string          `json:"methods"`
	ExpiresAt string            `json:"expires_at"`
	IssuedAt  string            `json:"issued_at"`
	AuditIDs  []string          `json:"audit_ids"`
	User      tokenUserJSON     `json:"user"`
	Domain    *idName           `json:"domain,omitempty"`
	Project   *tokenProjectJSON `json:"project,omitempty"`
	Roles     []idName          `json:"roles"`
	Catalog   []catalogJSON     `json:"catalog,omitempty"`
}

type tokenUserJSON struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Domain            idName `json:"domain"`
	PasswordExpiresAt string `json:"password_expires_at"`
}

type tokenProjectJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain idName `json:"domain"`
}

// catalogJSON is one service of a token's catalog (TokenCatalog).
type catalogJSON struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Name      string         `json:"name"`
	Endpoints []endpointJSON `json:"endpoints"`
}

type endpointJSON struct {
	ID        string `json:"id"`
	Interface string `json:"interface"`
	Region    string `json:"region"`
	RegionID  string `json:"region_id"`
	URL       string `json:"url"`
}

// catalog lists this server under the service types a client looks for:
// "image" (Glance-style clients), "ims" and "identity", all with the
// unversioned URL of this server, in the server's region.
func catalog(r *http.Request, region string) []catalogJSON {
	base := baseURL(r)
	id := func(parts ...string) string {
		h := sha256.New()
		for _, p := range parts {
			h.Write([]byte(p + "\x00"))
		}
		return hex.EncodeToString(h.Sum(nil))[:32]
	}
	var out []catalogJSON
	for _, svc := range []struct{ typ, name string }{{"image", "glance"}, {"ims", "ims"}, {"identity", "keystone"}} {
		out = append(out, catalogJSON{ID: id(svc.typ), Type: svc.typ, Name: svc.name, Endpoints: []endpointJSON{{
			ID: id(svc.typ, region, base), Interface: "public", Region: region, RegionID: region, URL: base}}})
	}
	return out
}

// tokenView renders a token's body; nocatalog leaves the catalog out.
func (s *Server) tokenView(r *http.Request, t *identity.IssuedToken) tokenJSON {
	c := t.Claims
	out := tokenJSON{Methods: c.Methods, ExpiresAt: fmtTime(c.ExpiresAt, keystoneTime), IssuedAt: fmtTime(c.IssuedAt, keystoneTime),
		AuditIDs: []string{c.ID}, Roles: []idName{},
		User: tokenUserJSON{ID: t.User.ID, Name: t.User.Name, Domain: idName{ID: t.Domain.ID, Name: t.Domain.Name}}}
	if t.Project != nil {
		out.Project = &tokenProjectJSON{ID: t.Project.ID, Name: t.Project.Name, Domain: idName{ID: t.Domain.ID, Name: t.Domain.Name}}
	} else {
		out.Domain = &idName{ID: t.Domain.ID, Name: t.Domain.Name}
	}
	for _, p := range t.Roles {
		out.Roles = append(out.Roles, idName{ID: p.ID, Name: p.Name})
	}
	if _, nocatalog := r.URL.Query()["nocatalog"]; !nocatalog {
		out.Catalog = catalog(r, s.svc.Config().Region)
	}
	return out
}

// handleTokenCreate serves POST /v3/auth/tokens with the password method
// (KeystoneCreateUserTokenByPassword): the token is returned once, in
// X-Subject-Token.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						ID       string `json:"id"`
						Name     string `json:"name"`
						Password string `json:"password"`
						Domain   idName `json:"domain"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project *idName `json:"project"`
				Domain  *idName `json:"domain"`
			} `json:"scope"`
		} `json:"auth"`
	}
	if err := httpkit.DecodeJSON(r, &body); err != nil {
		s.writeError(w, r, iamBodyError(err, "iam:tokens:create"))
		return
	}
	id, u := body.Auth.Identity, body.Auth.Identity.Password.User
	in := identity.TokenRequest{Methods: id.Methods, UserID: u.ID, UserName: u.Name, DomainID: u.Domain.ID,
		DomainName: u.Domain.Name, Password: u.Password}
	if sc := body.Auth.Scope; sc.Project != nil {
		in.ProjectID, in.ProjectName = sc.Project.ID, sc.Project.Name
	} else if sc.Domain != nil {
		in.ScopeDomainID, in.ScopeDomainName = sc.Domain.ID, sc.Domain.Name
	}
	t, err := s.svc.TokenCreate(r.Context(), in)
	e := httpkit.AuditEvent(r)
	e.AuthMethod, e.UserName = "password", u.Name
	if err != nil {
		// A failed login is recorded under the account it named, when
		// that account exists, so its administrators see it.
		e.DomainID, e.UserID = s.svc.LoginDomain(r.Context(), in), u.ID
	} else {
		e.DomainID, e.UserID, e.UserName, e.ProjectID = t.Domain.ID, t.User.ID, t.User.Name, t.Claims.ProjectID
	}
	if s.written(w, r, err) {
		return
	}
	w.Header().Set("X-Subject-Token", t.Token)
	w.Header().Set("Cache-Control", "no-store")
	httpkit.WriteJSON(w, http.StatusCreated, map[string]any{"token": s.tokenView(r, t)})
}

// handleTokenValidate serves GET /v3/auth/tokens (KeystoneValidateToken).
// The validated token is not echoed back: a token appears in a response
// only when it is created.
func (s *Server) handleTokenValidate(w http.ResponseWriter, r *http.Request) {
	t, err := s.svc.TokenValidate(r.Context(), httpkit.Principal(r), r.Header.Get("X-Subject-Token"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"token": s.tokenView(r, t)})
}
