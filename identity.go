package imsd

import "time"

// Domain is an account: the owner of users, groups, projects and
// enterprise projects.
type Domain struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Project is an IAM project: a region project (its name is the region id)
// or a sub-project named "<region>_<suffix>".
type Project struct {
	ID          string
	DomainID    string
	Name        string
	Description string
	Enabled     bool
	CreatedAt   time.Time
}

// User is an IAM user. The account's root user has IsRoot set and bypasses
// policy evaluation.
type User struct {
	ID       string
	DomainID string
	Name     string
	// PasswordHash is an encoded argon2id hash; never the password.
	PasswordHash string
	Enabled      bool
	IsRoot       bool
	Description  string
	Email        string
	// PasswordChangedAt is when the password was last set or the user
	// last disabled; tokens issued before it are refused.
	PasswordChangedAt time.Time
	CreatedAt         time.Time
}

// AccessKey is a permanent AK/SK pair of a user. The secret is stored
// encrypted (SecretSealed); the plain secret is only ever shown once.
type AccessKey struct {
	AccessKey    string
	UserID       string
	DomainID     string
	SecretSealed []byte
	// Status is "active" or "inactive".
	Status      string
	Description string
	CreatedAt   time.Time
}

// EnterpriseProject groups resources across regions for authorization. The
// default enterprise project "0" is implicit in every domain and is not stored.
type EnterpriseProject struct {
	ID          string
	DomainID    string
	Name        string
	Description string
	// Status is 1 (enabled) or 2 (disabled), as EPS reports it.
	Status    int
	Type      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Enterprise project statuses.
const (
	EnterpriseProjectEnabled  = 1
	EnterpriseProjectDisabled = 2
)

// Principal is the authenticated caller of one request.
type Principal struct {
	DomainID   string
	DomainName string
	// ProjectID is the project the request is scoped to ("" for
	// domain-scoped calls).
	ProjectID   string
	ProjectName string
	UserID      string
	UserName    string
	// IsRoot marks the account's root user.
	IsRoot bool
	// AuthMethod is "aksk" or "token".
	AuthMethod string
	// AccessKey is the AK used, when AuthMethod is "aksk".
	AccessKey string
	// SourceIP is the client address, for IP conditions.
	SourceIP string
	// MFA reports whether the session was authenticated with MFA.
	MFA bool
	// SessionPolicy is the inline policy (JSON) of temporary credentials;
	// when set, a request must be allowed by it as well as by the user's
	// own permissions.
	SessionPolicy []byte
}

// AccessKeyOwner is an access key with the user, domain and project an
// AK/SK request made with it acts as (Store.AccessKeyResolve).
type AccessKeyOwner struct {
	Key    *AccessKey
	User   *User
	Domain *Domain
	// Project is nil when none was asked for or the id names no project of
	// the domain.
	Project *Project
}

// Check is one authorization question: may the principal perform Action on
// a resource in EnterpriseProject? EnterpriseProject is "" when the action
// is not resource bound or enterprise-project grants cannot satisfy it.
type Check struct {
	Action            string
	EnterpriseProject string
	// Shared marks an image another project owns and shares with the
	// caller's project: enterprise-project grants never apply to it, only
	// IAM-project grants do (iam.md case 35).
	Shared bool
}

// Decision is the explained outcome of one Check.
type Decision struct {
	Check   Check
	Allowed bool
	// Reason names the grant, policy and statement that decided, or says
	// that nothing matched.
	Reason string
}
