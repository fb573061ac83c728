package identity

// Authorization. IAM and EPS are global services: their actions
// (iam:users:createUser, eps:enterpriseProjects:create, ...) are decided at
// domain scope, from grants on the domain and on all projects. The account
// root may do everything. Every account has a group named "admin"; it holds
// the system policy FullAccess granted at domain scope, so its members may
// perform every IAM and EPS action (and explicit Deny statements granted to
// them still apply, as everywhere). The admin group cannot be deleted or
// renamed, and its grants cannot be changed. A caller may always manage
// their own password and access keys (Huawei lets IAM users do that).
//
// Isolation. Anything that belongs to another account — a user, group,
// project, policy, enterprise project, access key or token — is answered
// exactly like something that does not exist (404), never 403. The
// permission question is asked first, before the request is examined, so a
// caller without the action learns nothing about ids (403 whatever the id).

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imsd/imsd"
)

// authorizeIAM decides an IAM or EPS action at domain scope. A denial is
// reported with the IAM (or EPS) forbidden code.
func (s *Service) authorizeIAM(ctx context.Context, p *imsd.Principal, action string) error {
	err := s.authorize(ctx, p, imsd.Check{Action: action})
	if imsd.ErrorCode(err) != imsd.CodeForbidden {
		return err
	}
	code := imsd.CodeIAMForbidden
	if strings.HasPrefix(action, "eps:") {
		code = imsd.CodeEPSForbidden
	}
	return imsd.Errorf(code, "Policy doesn't allow %s to be performed.", action)
}

// authorizeSelfOr allows the caller to act on their own user (userID) and
// otherwise decides action like authorizeIAM.
func (s *Service) authorizeSelfOr(ctx context.Context, p *imsd.Principal, userID, action string) error {
	if p != nil && userID != "" && userID == p.UserID {
		imsd.MarkAuthorized(ctx)
		return nil
	}
	return s.authorizeIAM(ctx, p, action)
}

// RejectIAM is what the HTTP layer answers when a request to an identity
// route cannot even be decoded: the authorization error when the caller may
// not perform action at all (selfUserID names the user a caller may act on
// as themselves, "" for none), otherwise err.
func (s *Service) RejectIAM(ctx context.Context, p *imsd.Principal, action, selfUserID string, err error) error {
	if aerr := s.authorizeSelfOr(ctx, p, selfUserID, action); aerr != nil {
		return aerr
	}
	return err
}

// identityTx runs fn in a transaction that holds the caller's account
// lock (imsd.IdentityQueries.LockDomain): identity writes of one account
// run one at a time, so limits, unique names and grants of policies being
// deleted hold under concurrency on every store.
func (s *Service) identityTx(ctx context.Context, p *imsd.Principal, fn func(q imsd.Queries) error) error {
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		if err := q.LockDomain(ctx, p.DomainID); err != nil {
			return imsd.Internal(err, "lock account")
		}
		return fn(q)
	})
}

// guardPrivileged protects the account's most powerful identities from
// callers who hold a narrow IAM action: only the root may manage the root
// user (its password, status and access keys), and only the root or a
// member of the admin group may manage an admin-group member or change
// the admin group's membership. Without it, iam:credentials:createCredential
// alone would mint keys for the root, and iam:groups:addUserToGroup alone
// would let anyone join the admin group. target is the user acted on (nil
// for none); adminGroup says the admin group's membership changes. A
// caller acting on themselves is not a privilege question.
func (s *Service) guardPrivileged(ctx context.Context, q imsd.Queries, p *imsd.Principal, target *imsd.User, adminGroup bool) error {
	if p.IsRoot || (target != nil && target.ID == p.UserID && !adminGroup) {
		return nil
	}
	if target != nil && target.IsRoot {
		return imsd.Errorf(imsd.CodeIAMForbidden, "Only the account root may manage the root user.")
	}
	targetAdmin := false
	if target != nil {
		var err error
		if targetAdmin, err = isAdminMember(ctx, q, target.ID); err != nil {
			return err
		}
	}
	if !adminGroup && !targetAdmin {
		return nil
	}
	callerAdmin, err := isAdminMember(ctx, q, p.UserID)
	if err != nil {
		return err
	}
	if !callerAdmin {
		return imsd.Errorf(imsd.CodeIAMForbidden, "Only the account root and members of the admin group may manage administrators or the admin group.")
	}
	return nil
}

// isAdminMember reports whether a user belongs to the account's admin group.
func isAdminMember(ctx context.Context, q imsd.Queries, userID string) (bool, error) {
	groups, err := q.GroupListForUser(ctx, userID)
	if err != nil {
		return false, imsd.Internal(err, "list groups of user")
	}
	for _, g := range groups {
		if g.Name == imsd.AdminGroupName {
			return true, nil
		}
	}
	return false, nil
}

// iamNotFound is the 404 of the identity APIs.
func iamNotFound(what, id string) error {
	return imsd.Errorf(imsd.CodeIAMNotFound, "Could not find %s: %s.", what, id)
}

// iamInvalid is the 400 of the identity APIs.
func iamInvalid(format string, args ...any) error {
	return imsd.Errorf(imsd.CodeIAMBadRequest, format, args...)
}

// checkDomain returns a 404 unless domainID is empty or the caller's own
// account: another account's id is indistinguishable from a missing one.
func checkDomain(p *imsd.Principal, domainID string) error {
	if domainID != "" && domainID != p.DomainID {
		return iamNotFound("domain", domainID)
	}
	return nil
}

// ownedBy loads the resource id with get and returns it when it belongs
// to the caller's account. An implausible id, a missing resource and one of
// another account are the same error, notFound.
func ownedBy[T any](ctx context.Context, p *imsd.Principal, what, id string, notFound error,
	get func(context.Context, string) (T, error), domainOf func(T) string) (T, error) {
	var zero T
	if !imsd.PlausibleID(id) {
		return zero, notFound
	}
	v, err := get(ctx, id)
	if errors.Is(err, imsd.ErrNotFound) || (err == nil && domainOf(v) != p.DomainID) {
		return zero, notFound
	}
	if err != nil {
		return zero, imsd.Internal(err, "get "+what)
	}
	return v, nil
}

// getUser loads a user of the caller's account (404 otherwise).
func (s *Service) getUser(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.User, error) {
	return ownedBy(ctx, p, "user", id, iamNotFound("user", id), q.UserGet, func(u *imsd.User) string { return u.DomainID })
}

// getGroup loads a group of the caller's account (404 otherwise).
func (s *Service) getGroup(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Group, error) {
	return ownedBy(ctx, p, "group", id, iamNotFound("group", id), q.GroupGet, func(g *imsd.Group) string { return g.DomainID })
}

// getProject loads a project of the caller's account (404 otherwise).
func (s *Service) getProject(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Project, error) {
	return ownedBy(ctx, p, "project", id, iamNotFound("project", id), q.ProjectGet, func(pr *imsd.Project) string { return pr.DomainID })
}

// validateName checks the name of a user, group or project: 1 to max
// characters, letters (any script), digits, spaces and "-_.".
func validateName(what, name string, max int) error {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > max {
		return iamInvalid("The %s name must be 1 to %d characters long.", what, max)
	}
	if strings.TrimSpace(name) != name {
		return iamInvalid("The %s name cannot start or end with a space.", what)
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '-' || r == '_' || r == '.') {
			return iamInvalid("The %s name may only contain letters, digits, spaces and the characters -_.", what)
		}
	}
	return nil
}

// validateDescription checks a free-text description: at most max
// characters, no control characters and none of <>.
func validateDescription(what, desc string, max int) error {
	if utf8.RuneCountInString(desc) > max {
		return iamInvalid("The %s description cannot exceed %d characters.", what, max)
	}
	for _, r := range desc {
		if unicode.IsControl(r) || r == '<' || r == '>' {
			return iamInvalid("The %s description contains an invalid character.", what)
		}
	}
	return nil
}

// conflictOr maps a store ErrConflict to a 409 with msg, other errors to
// internal ones.
func conflictOr(err error, what, msg string) error {
	if errors.Is(err, imsd.ErrConflict) {
		return imsd.Errorf(imsd.CodeIAMConflict, "%s", msg)
	}
	return imsd.Internal(err, what)
}
