package imsd

import (
	"context"
	"time"
)

// MemberStatus is the answer of a project an image is shared with.
type MemberStatus string

// Member statuses, as on the wire. A new member is pending until its
// project accepts or rejects the image.
const (
	MemberPending  MemberStatus = "pending"
	MemberAccepted MemberStatus = "accepted"
	MemberRejected MemberStatus = "rejected"
)

// ImageMember records that an image is shared with a project, which may
// belong to another account (domain).
type ImageMember struct {
	ImageID string
	// MemberID is the id of the project the image is shared with.
	MemberID string
	// MemberDomainID is the account of that project.
	MemberDomainID string
	Status         MemberStatus
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// MemberQueries are the store operations behind image sharing. They follow
// the Queries conventions (ErrNotFound, ErrConflict).
type MemberQueries interface {
	// MemberInsert records a member; an existing (image, member) pair is
	// ErrConflict.
	MemberInsert(ctx context.Context, m *ImageMember) error
	MemberGet(ctx context.Context, imageID, memberID string) (*ImageMember, error)
	// MemberUpdate replaces the status and UpdatedAt of a member.
	MemberUpdate(ctx context.Context, m *ImageMember) error
	// MemberDelete removes a member; a missing one is ErrNotFound.
	MemberDelete(ctx context.Context, imageID, memberID string) error
	// MemberList returns the members of an image ordered by member id.
	MemberList(ctx context.Context, imageID string) ([]*ImageMember, error)
}
