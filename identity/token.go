package identity

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

// TokenRequest is the body of KeystoneCreateUserTokenByPassword: who (a
// user by id, or by name within a domain named by id or name), the
// password, and the scope (a project by id, or by name; else the domain).
type TokenRequest struct {
	Methods    []string
	UserID     string
	UserName   string
	DomainID   string
	DomainName string
	Password   string

	ProjectID   string
	ProjectName string
	// ScopeDomainID and ScopeDomainName name the domain of a domain-scoped
	// token; they must be the user's.
	ScopeDomainID   string
	ScopeDomainName string
}

// IssuedToken is a token with the identities it names, as the token APIs
// show it. Token is the secret itself: it goes into X-Subject-Token once
// and must never be logged.
type IssuedToken struct {
	Token   string
	Claims  *auth.TokenClaims
	User    *imsd.User
	Domain  *imsd.Domain
	Project *imsd.Project
	// Roles are the permissions the user's groups hold in the token's scope.
	Roles []Permission
}

// dummyHash is checked against when the user does not exist, so a wrong
// user name costs as much time as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, err := auth.HashPassword(imsd.NewHexID())
	if err != nil {
		panic("argon2: " + err.Error())
	}
	return h
})

// badCredentials is the one answer to every failed password login.
func badCredentials() error {
	return imsd.Errorf(imsd.CodeAuthFailed, "The username or password is wrong.")
}

// TokenCreate authenticates a user by password and issues a token valid
// for auth.TokenTTL, scoped to a project (project id or name given) or to
// the user's domain. Every failure to authenticate looks the same (401).
func (s *Service) TokenCreate(ctx context.Context, in TokenRequest) (*IssuedToken, error) {
	if !slices.Contains(in.Methods, "password") {
		return nil, iamInvalid("auth.identity.methods must contain \"password\".")
	}
	if s.sealer == nil {
		return nil, imsd.Internal(errors.New("service has no sealer"), "create token")
	}
	u, d, err := s.tokenUser(ctx, in)
	if err != nil && imsd.ErrorCode(err) != imsd.CodeAuthFailed {
		return nil, err
	}
	key := loginKey(u, in)
	if locked, until := s.logins.Locked(key); locked {
		s.log.Info("token refused", "reason", "login locked after repeated failures", "until", until.Format(time.RFC3339))
		return nil, imsd.Errorf(imsd.CodeAuthFailed, "The account is locked after too many failed logins; try again in %d minutes.",
			int(auth.PasswordLockout.LockFor/time.Minute))
	}
	if err != nil {
		s.logins.Fail(key)
		return nil, err
	}
	hash := dummyHash()
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, err := auth.CheckPassword(hash, in.Password)
	if err != nil {
		return nil, imsd.Internal(err, "check password")
	}
	if u == nil || u.PasswordHash == "" || !ok || !u.Enabled {
		if s.logins.Fail(key) {
			s.log.Warn("password logins locked after repeated failures", "domain_id", d.ID, "for", auth.PasswordLockout.LockFor.String())
		}
		s.log.Info("token refused", "reason", "bad credentials or disabled user", "domain_id", d.ID)
		return nil, badCredentials()
	}
	s.logins.Succeed(key)
	proj, err := s.tokenScope(ctx, in, u, d)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	c := &auth.TokenClaims{ID: imsd.NewHexID(), UserID: u.ID, DomainID: d.ID, Methods: []string{"password"},
		IssuedAt: now, ExpiresAt: now.Add(auth.TokenTTL), Stamp: auth.PasswordStamp(u.PasswordHash)}
	if proj != nil {
		c.ProjectID = proj.ID
	}
	token, err := auth.SealToken(s.sealer, c)
	if err != nil {
		return nil, imsd.Internal(err, "seal token")
	}
	roles, err := s.tokenRoles(ctx, u, c.ProjectID)
	if err != nil {
		return nil, err
	}
	s.log.Info("token issued", "domain_id", d.ID, "user_id", u.ID, "token_id", c.ID, "project_id", c.ProjectID)
	return &IssuedToken{Token: token, Claims: c, User: u, Domain: d, Project: proj, Roles: roles}, nil
}

// LoginDomain returns the id of the account a password login names (by
// user id, domain id or domain name), or "" when there is none; the audit
// trail files failed logins under it.
func (s *Service) LoginDomain(ctx context.Context, in TokenRequest) string {
	switch {
	case in.UserID != "":
		if u, err := s.store.UserGet(ctx, in.UserID); err == nil {
			return u.DomainID
		}
	case in.DomainID != "":
		if d, err := s.store.DomainGet(ctx, in.DomainID); err == nil {
			return d.ID
		}
	case in.DomainName != "":
		if d, err := s.store.DomainGetByName(ctx, in.DomainName); err == nil {
			return d.ID
		}
	}
	return ""
}

// loginKey names what a password login locks: the user when it exists,
// else the account and user name as given, so that names that do not exist
// lock the same way (a lock message must not tell which users exist).
func loginKey(u *imsd.User, in TokenRequest) string {
	if u != nil {
		return "user:" + u.ID
	}
	return "name:" + in.DomainID + "/" + in.DomainName + "/" + in.UserID + "/" + in.UserName
}

// tokenUser finds the user (nil when there is none) and the domain of a
// token request. An unknown domain is a login failure like any other.
func (s *Service) tokenUser(ctx context.Context, in TokenRequest) (*imsd.User, *imsd.Domain, error) {
	var u *imsd.User
	var d *imsd.Domain
	var err error
	switch {
	case in.UserID != "":
		u, err = s.store.UserGet(ctx, in.UserID)
		if err == nil {
			d, err = s.store.DomainGet(ctx, u.DomainID)
		}
	case in.DomainID != "":
		d, err = s.store.DomainGet(ctx, in.DomainID)
	case in.DomainName != "":
		d, err = s.store.DomainGetByName(ctx, in.DomainName)
	default:
		return nil, nil, iamInvalid("auth.identity.password.user needs an id, or a name and a domain.")
	}
	if errors.Is(err, imsd.ErrNotFound) {
		_, _ = auth.CheckPassword(dummyHash(), in.Password) // same cost as a real check
		return nil, nil, badCredentials()
	}
	if err != nil {
		return nil, nil, imsd.Internal(err, "find token user")
	}
	if u == nil {
		u, err = s.store.UserGetByName(ctx, d.ID, in.UserName)
		if errors.Is(err, imsd.ErrNotFound) {
			return nil, d, nil
		}
		if err != nil {
			return nil, nil, imsd.Internal(err, "find token user")
		}
	}
	if (in.UserName != "" && u.Name != in.UserName) || (in.DomainID != "" && in.DomainID != d.ID) ||
		(in.DomainName != "" && in.DomainName != d.Name) {
		return nil, d, nil
	}
	return u, d, nil
}

// tokenScope resolves the requested scope: a project of the user's domain
// (by id or name), or the domain itself (nil project). A scope the user
// cannot have is a login failure.
func (s *Service) tokenScope(ctx context.Context, in TokenRequest, u *imsd.User, d *imsd.Domain) (*imsd.Project, error) {
	if in.ProjectID == "" && in.ProjectName == "" {
		if (in.ScopeDomainID != "" && in.ScopeDomainID != d.ID) || (in.ScopeDomainName != "" && in.ScopeDomainName != d.Name) {
			s.log.Info("token refused", "reason", "domain scope of another account", "user_id", u.ID)
			return nil, badCredentials()
		}
		return nil, nil
	}
	var proj *imsd.Project
	var err error
	if in.ProjectID != "" {
		proj, err = s.store.ProjectGet(ctx, in.ProjectID)
	} else {
		proj, err = s.store.ProjectGetByName(ctx, d.ID, in.ProjectName)
	}
	if errors.Is(err, imsd.ErrNotFound) || (err == nil && (proj.DomainID != d.ID || !proj.Enabled ||
		(in.ProjectName != "" && proj.Name != in.ProjectName))) {
		s.log.Info("token refused", "reason", "project scope unknown, disabled or of another account", "user_id", u.ID)
		return nil, badCredentials()
	}
	if err != nil {
		return nil, imsd.Internal(err, "get project")
	}
	return proj, nil
}

// tokenRoles returns the permissions the user's groups hold in the token's
// scope: the project and all projects, or the domain and all projects.
func (s *Service) tokenRoles(ctx context.Context, u *imsd.User, projectID string) ([]Permission, error) {
	groups, err := s.store.GroupListForUser(ctx, u.ID)
	if err != nil {
		return nil, imsd.Internal(err, "list groups of user")
	}
	ids := make([]string, 0, len(groups))
	for _, g := range groups {
		ids = append(ids, g.ID)
	}
	grants, err := s.store.GrantList(ctx, imsd.GrantQuery{DomainID: u.DomainID, GroupIDs: ids})
	if err != nil {
		return nil, imsd.Internal(err, "list grants")
	}
	p := &imsd.Principal{DomainID: u.DomainID, UserID: u.ID}
	seen := map[string]bool{}
	out := []Permission{}
	for _, g := range grants {
		inScope := g.Scope == imsd.ScopeAllProjects ||
			(projectID != "" && g.Scope == imsd.ScopeProject && g.ScopeID == projectID) ||
			(projectID == "" && g.Scope == imsd.ScopeDomain)
		if !inScope || seen[g.PolicyID] {
			continue
		}
		seen[g.PolicyID] = true
		perm, err := s.permission(ctx, s.store, p, g.PolicyID)
		if imsd.ErrorCode(err) == imsd.CodeIAMNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, perm)
	}
	return out, nil
}

// TokenValidate verifies a token and describes it (KeystoneValidateToken).
// Anyone may validate their own token; any other needs
// iam:tokens:validate. A token that is invalid, expired, revoked or of
// another account is not found (404).
func (s *Service) TokenValidate(ctx context.Context, p *imsd.Principal, subject string) (*IssuedToken, error) {
	if s.sealer == nil {
		return nil, imsd.Internal(errors.New("service has no sealer"), "validate token")
	}
	info, err := auth.ResolveToken(ctx, s.store, s.sealer, subject, s.Now())
	if err != nil && !errors.Is(err, auth.ErrTokenInvalid) && !errors.Is(err, auth.ErrTokenExpired) {
		return nil, imsd.Internal(err, "resolve token")
	}
	owner := ""
	if err == nil && info.User.DomainID == p.DomainID {
		owner = info.User.ID
	}
	if aerr := s.authorizeSelfOr(ctx, p, owner, "iam:tokens:validate"); aerr != nil {
		return nil, aerr
	}
	if subject == "" {
		return nil, iamInvalid("The X-Subject-Token header is required.")
	}
	if err != nil || info.Domain.ID != p.DomainID {
		return nil, iamNotFound("token", "(X-Subject-Token)")
	}
	roles, err := s.tokenRoles(ctx, info.User, info.Claims.ProjectID)
	if err != nil {
		return nil, err
	}
	return &IssuedToken{Token: subject, Claims: info.Claims, User: info.User, Domain: info.Domain, Project: info.Project, Roles: roles}, nil
}
