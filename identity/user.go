package identity

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

// UserCreateInput is the body of KeystoneCreateUser and CreateUser.
type UserCreateInput struct {
	Name string
	// DomainID, when set, must be the caller's account.
	DomainID    string
	Description string
	Email       string
	// Password is optional: a user without one cannot obtain tokens.
	Password *string
	// Enabled defaults to true.
	Enabled *bool
}

// UserQuery filters KeystoneListUsers; empty fields do not filter.
type UserQuery struct {
	DomainID string
	Name     string
	Enabled  *bool
}

// UserUpdateInput is the body of KeystoneUpdateUserByAdmin; nil fields are
// left alone.
type UserUpdateInput struct {
	DomainID    *string
	Name        *string
	Password    *string
	Enabled     *bool
	Description *string
	Email       *string
}

// maxUserName is Huawei's limit on user and group names.
const maxUserName = 64

// UserCreate creates an IAM user (iam:users:createUser).
func (s *Service) UserCreate(ctx context.Context, p *imsd.Principal, in UserCreateInput) (*imsd.User, error) {
	if err := s.authorizeIAM(ctx, p, "iam:users:createUser"); err != nil {
		return nil, err
	}
	if err := checkDomain(p, in.DomainID); err != nil {
		return nil, err
	}
	if err := validateName("user", in.Name, maxUserName); err != nil {
		return nil, err
	}
	if err := validateDescription("user", in.Description, 255); err != nil {
		return nil, err
	}
	if err := validateEmail(in.Email); err != nil {
		return nil, err
	}
	now := s.Now()
	u := &imsd.User{ID: imsd.NewHexID(), DomainID: p.DomainID, Name: in.Name, Enabled: in.Enabled == nil || *in.Enabled,
		Description: in.Description, Email: in.Email, PasswordChangedAt: now, CreatedAt: now}
	if in.Password != nil {
		if err := s.setPassword(u, *in.Password); err != nil {
			return nil, err
		}
	}
	if err := s.store.UserInsert(ctx, u); err != nil {
		return nil, conflictOr(err, "insert user", "A user named "+in.Name+" already exists.")
	}
	s.log.Info("user created", "domain_id", p.DomainID, "user_id", u.ID, "name", u.Name, "by", p.UserID)
	return u, nil
}

// UserList lists the account's users, the root included
// (iam:users:listUsers).
func (s *Service) UserList(ctx context.Context, p *imsd.Principal, q UserQuery) ([]*imsd.User, error) {
	if err := s.authorizeIAM(ctx, p, "iam:users:listUsers"); err != nil {
		return nil, err
	}
	if err := checkDomain(p, q.DomainID); err != nil {
		return nil, err
	}
	all, err := s.store.UserList(ctx, p.DomainID)
	if err != nil {
		return nil, imsd.Internal(err, "list users")
	}
	out := []*imsd.User{}
	for _, u := range all {
		if (q.Name != "" && u.Name != q.Name) || (q.Enabled != nil && u.Enabled != *q.Enabled) {
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// UserGet returns one user of the account: the caller themselves, or any
// user with iam:users:getUser.
func (s *Service) UserGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.User, error) {
	if err := s.authorizeSelfOr(ctx, p, id, "iam:users:getUser"); err != nil {
		return nil, err
	}
	return s.getUser(ctx, s.store, p, id)
}

// UserUpdate changes a user as an administrator (iam:users:updateUser):
// name, description, email, enabled and password. Only the root may change
// the root user, and the root cannot be disabled.
func (s *Service) UserUpdate(ctx context.Context, p *imsd.Principal, id string, in UserUpdateInput) (*imsd.User, error) {
	if err := s.authorizeIAM(ctx, p, "iam:users:updateUser"); err != nil {
		return nil, err
	}
	var out *imsd.User
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		u, err := s.getUser(ctx, q, p, id)
		if err != nil {
			return err
		}
		if in.DomainID != nil && *in.DomainID != p.DomainID {
			return iamInvalid("A user cannot be moved to another account.")
		}
		if err := s.guardPrivileged(ctx, q, p, u, false); err != nil {
			return err
		}
		next := *u
		if in.Name != nil {
			if err := validateName("user", *in.Name, maxUserName); err != nil {
				return err
			}
			next.Name = *in.Name
		}
		if in.Description != nil {
			if err := validateDescription("user", *in.Description, 255); err != nil {
				return err
			}
			next.Description = *in.Description
		}
		if in.Email != nil {
			if err := validateEmail(*in.Email); err != nil {
				return err
			}
			next.Email = *in.Email
		}
		if in.Enabled != nil {
			if u.IsRoot && !*in.Enabled {
				return iamInvalid("The account root cannot be disabled.")
			}
			if u.Enabled && !*in.Enabled {
				// Disabling revokes every token for good: re-enabling the
				// user must not revive them.
				next.PasswordChangedAt = s.Now()
			}
			next.Enabled = *in.Enabled
		}
		if in.Password != nil {
			if err := s.setPassword(&next, *in.Password); err != nil {
				return err
			}
		}
		if err := q.UserUpdate(ctx, &next); err != nil {
			return conflictOr(err, "update user", "A user named "+next.Name+" already exists.")
		}
		out = &next
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("user updated", "domain_id", p.DomainID, "user_id", id, "enabled", out.Enabled,
		"password_changed", in.Password != nil, "by", p.UserID)
	return out, nil
}

// UserChangePassword changes the caller's own password, given the current
// one (KeystoneUpdateUserPassword). Nobody may change another user's
// password this way; administrators use UserUpdate.
func (s *Service) UserChangePassword(ctx context.Context, p *imsd.Principal, id, original, password string) error {
	imsd.MarkAuthorized(ctx)
	if p == nil || id != p.UserID {
		// Another account's user is not found, as everywhere; for a user of
		// the caller's account the answer is always no.
		if _, err := s.getUser(ctx, s.store, p, id); err != nil {
			return err
		}
		return imsd.Errorf(imsd.CodeIAMForbidden, "Users may only change their own password with this API.")
	}
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		u, err := s.getUser(ctx, q, p, id)
		if err != nil {
			return err
		}
		ok, err := auth.CheckPassword(u.PasswordHash, original)
		if u.PasswordHash == "" || err != nil || !ok {
			return iamInvalid("The original password is wrong.")
		}
		if err := s.setPassword(u, password); err != nil {
			return err
		}
		if err := q.UserUpdate(ctx, u); err != nil {
			return imsd.Internal(err, "update user")
		}
		s.log.Info("password changed", "domain_id", p.DomainID, "user_id", id)
		return nil
	})
}

// UserDelete deletes a user with its access keys and memberships
// (iam:users:deleteUser). The root cannot be deleted.
func (s *Service) UserDelete(ctx context.Context, p *imsd.Principal, id string) error {
	if err := s.authorizeIAM(ctx, p, "iam:users:deleteUser"); err != nil {
		return err
	}
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		u, err := s.getUser(ctx, q, p, id)
		if err != nil {
			return err
		}
		if u.IsRoot {
			return imsd.Errorf(imsd.CodeIAMForbidden, "The account root cannot be deleted.")
		}
		if err := s.guardPrivileged(ctx, q, p, u, false); err != nil {
			return err
		}
		return imsd.Internal(q.UserDelete(ctx, id), "delete user")
	})
	if err == nil {
		s.log.Info("user deleted", "domain_id", p.DomainID, "user_id", id, "by", p.UserID)
	}
	return err
}

// setPassword validates and hashes a new password into u; tokens issued
// before now stop working.
func (s *Service) setPassword(u *imsd.User, password string) error {
	if err := validatePassword(u.Name, password); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return imsd.Internal(err, "hash password")
	}
	u.PasswordHash, u.PasswordChangedAt = hash, s.Now()
	return nil
}

// validatePassword applies Huawei's default password policy: 8 to 32
// characters of at least two kinds (upper case, lower case, digits,
// special characters), not the user name or the user name reversed. The
// message never contains the password.
func validatePassword(name, pw string) error {
	if n := utf8.RuneCountInString(pw); n < 8 || n > 32 {
		return iamInvalid("The password must be 8 to 32 characters long.")
	}
	var upper, lower, digit, special bool
	for _, r := range pw {
		switch {
		case unicode.IsControl(r) || r > unicode.MaxASCII:
			return iamInvalid("The password may only contain printable ASCII characters.")
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			special = true
		}
	}
	kinds := 0
	for _, k := range []bool{upper, lower, digit, special} {
		if k {
			kinds++
		}
	}
	if kinds < 2 {
		return iamInvalid("The password must contain at least two of: upper-case letters, lower-case letters, digits, special characters.")
	}
	if strings.EqualFold(pw, name) || strings.EqualFold(pw, reverse(name)) {
		return iamInvalid("The password cannot be the user name or the user name reversed.")
	}
	return nil
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// validateEmail checks an optional e-mail address loosely.
func validateEmail(email string) error {
	if email == "" {
		return nil
	}
	at := strings.IndexByte(email, '@')
	if len(email) > 255 || at < 1 || at == len(email)-1 || strings.ContainsAny(email, " <>\t\r\n") {
		return iamInvalid("The e-mail address is invalid.")
	}
	return nil
}
