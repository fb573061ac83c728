package imsd

import (
	"context"
	"time"
)

// Group is an IAM user group: the unit permissions are granted to.
type Group struct {
	ID          string
	DomainID    string
	Name        string
	Description string
	CreatedAt   time.Time
}

// AdminGroupName is the group every account has whose members administer
// the account's identities, as on Huawei Cloud.
const AdminGroupName = "admin"

// Policy is a custom policy (or 1.0-style custom role) of a domain: a
// policy document in the Huawei policy language. System policies are not
// stored; the policy package defines them.
type Policy struct {
	ID       string
	DomainID string
	// Name is the policy's display name, unique per domain.
	Name        string
	Description string
	// Type is the catalogue type as IAM reports it (for custom policies "XA"
	// for project-level services, "AX" for global services).
	Type string
	// Document is the policy JSON ({"Version":"1.1","Statement":[...]}).
	Document  []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// GrantScope says where a grant applies.
type GrantScope string

// Grant scopes (iam.md §2.1).
const (
	// ScopeProject: requests made in one IAM project (ScopeID = project id).
	ScopeProject GrantScope = "project"
	// ScopeAllProjects: every project of the domain, including later ones.
	ScopeAllProjects GrantScope = "all_projects"
	// ScopeDomain: the domain's global services (ScopeID = domain id).
	ScopeDomain GrantScope = "domain"
	// ScopeEnterpriseProject: resources in one enterprise project
	// (ScopeID = enterprise project id).
	ScopeEnterpriseProject GrantScope = "enterprise_project"
)

// Grant gives a group a policy (system or custom, by id) at a scope.
type Grant struct {
	DomainID  string
	GroupID   string
	PolicyID  string
	Scope     GrantScope
	ScopeID   string
	CreatedAt time.Time
}

// GrantQuery selects grants; empty string fields do not filter.
type GrantQuery struct {
	DomainID string
	// GroupIDs restricts to grants of these groups: nil means any group,
	// an empty non-nil slice none.
	GroupIDs []string
	PolicyID string
	Scope    GrantScope
	ScopeID  string
}

// IdentityQueries are the store operations behind groups, custom policies
// and grants. They follow the Queries conventions (ErrNotFound,
// ErrConflict).
type IdentityQueries interface {
	// LockDomain serialises, until the end of the transaction it runs in,
	// the identity writes of one account (users, groups, keys, policies,
	// grants, enterprise projects), so that their check-then-write steps
	// (limits, unique names, a grant of a policy being deleted) cannot
	// interleave. Outside a transaction it is a no-op.
	LockDomain(ctx context.Context, domainID string) error

	GroupInsert(ctx context.Context, g *Group) error
	GroupGet(ctx context.Context, id string) (*Group, error)
	GroupGetByName(ctx context.Context, domainID, name string) (*Group, error)
	GroupList(ctx context.Context, domainID string) ([]*Group, error)
	GroupUpdate(ctx context.Context, g *Group) error
	// GroupDelete removes the group with its memberships and grants.
	GroupDelete(ctx context.Context, id string) error
	// GroupMemberAdd adds a user to a group; adding twice is not an error.
	GroupMemberAdd(ctx context.Context, groupID, userID string) error
	// GroupMemberRemove returns ErrNotFound when the user is not a member.
	GroupMemberRemove(ctx context.Context, groupID, userID string) error
	GroupListForUser(ctx context.Context, userID string) ([]*Group, error)
	UserListForGroup(ctx context.Context, groupID string) ([]*User, error)

	PolicyInsert(ctx context.Context, p *Policy) error
	PolicyGet(ctx context.Context, id string) (*Policy, error)
	PolicyList(ctx context.Context, domainID string) ([]*Policy, error)
	PolicyUpdate(ctx context.Context, p *Policy) error
	// PolicyDelete removes the policy and every grant of it.
	PolicyDelete(ctx context.Context, id string) error

	// GrantInsert records a grant; an identical grant is not an error.
	GrantInsert(ctx context.Context, g *Grant) error
	// GrantDelete returns ErrNotFound when no such grant exists.
	GrantDelete(ctx context.Context, g *Grant) error
	GrantList(ctx context.Context, q GrantQuery) ([]*Grant, error)
}
