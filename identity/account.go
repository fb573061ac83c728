package identity

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

// AccountCredentials is what the operator receives for a new account: the
// keys of bootstrap.json. Password and SecretKey are shown only here.
type AccountCredentials struct {
	Endpoint    string `json:"endpoint"`
	Region      string `json:"region"`
	DomainID    string `json:"domain_id"`
	DomainName  string `json:"domain_name"`
	ProjectID   string `json:"project_id"`
	ProjectName string `json:"project_name"`
	UserID      string `json:"user_id"`
	UserName    string `json:"user_name"`
	Password    string `json:"password"`
	AccessKey   string `json:"access_key"`
	SecretKey   string `json:"secret_key"`
}

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alnum      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	var b strings.Builder
	max := big.NewInt(int64(len(alphabet)))
	for i := 0; i < n; i++ {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(fmt.Sprintf("crypto/rand: %v", err))
		}
		b.WriteByte(alphabet[k.Int64()])
	}
	return b.String()
}

// NewAccessKeyPair returns a fresh AK (20 upper-case alphanumerics, as
// Huawei issues them) and SK (40 alphanumerics).
func NewAccessKeyPair() (ak, sk string) {
	return randomString(20, upperAlnum), randomString(40, alnum)
}

// validateAccountName checks an account (domain) name.
func validateAccountName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("account name must be 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("account name %q may only contain letters, digits, '-' and '_'", name)
		}
	}
	return nil
}

// CreateAccount creates a domain with its region project, its root user
// (same name as the account) with a random password, the "admin" group
// (FullAccess at domain scope, the root as member), and one AK/SK for the
// root user, in one transaction. It is an operator action, not an API.
func (s *Service) CreateAccount(ctx context.Context, name string, sealer *auth.Sealer) (*AccountCredentials, error) {
	if err := validateAccountName(name); err != nil {
		return nil, err
	}
	if sealer == nil {
		return nil, errors.New("service: CreateAccount needs a Sealer")
	}
	now := s.Now()
	password := randomString(24, alnum)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	ak, sk := NewAccessKeyPair()
	d := &imsd.Domain{ID: imsd.NewHexID(), Name: name, CreatedAt: now}
	p := &imsd.Project{ID: imsd.NewHexID(), DomainID: d.ID, Name: s.cfg.Region, Enabled: true, CreatedAt: now}
	u := &imsd.User{ID: imsd.NewHexID(), DomainID: d.ID, Name: name, PasswordHash: hash, Enabled: true, IsRoot: true,
		PasswordChangedAt: now, CreatedAt: now}
	k := &imsd.AccessKey{AccessKey: ak, UserID: u.ID, DomainID: d.ID, SecretSealed: sealer.Seal([]byte(sk), []byte(ak)),
		Status: "active", Description: "created with the account", CreatedAt: now}
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		if err := q.DomainInsert(ctx, d); err != nil {
			if errors.Is(err, imsd.ErrConflict) {
				return fmt.Errorf("an account named %q already exists", name)
			}
			return err
		}
		if err := q.ProjectInsert(ctx, p); err != nil {
			return err
		}
		if err := q.UserInsert(ctx, u); err != nil {
			return err
		}
		if _, err := createAdminGroup(ctx, q, d.ID, []string{u.ID}, now); err != nil {
			return err
		}
		return q.AccessKeyInsert(ctx, k)
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("account created", "domain_id", d.ID, "domain_name", name, "project_id", p.ID, "access_key", ak)
	return &AccountCredentials{Region: s.cfg.Region, DomainID: d.ID, DomainName: name, ProjectID: p.ID,
		ProjectName: p.Name, UserID: u.ID, UserName: u.Name, Password: password, AccessKey: ak, SecretKey: sk}, nil
}
