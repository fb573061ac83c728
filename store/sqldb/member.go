package sqldb

import (
	"context"

	"github.com/imsd/imsd"
)

// Image members: one row per (image, project) an image is shared with.

const memberCols = `image_id, member_id, member_domain_id, status, created_at, updated_at`

func scanMember(s scanner) (*imsd.ImageMember, error) {
	var m imsd.ImageMember
	err := s.Scan(&m.ImageID, &m.MemberID, &m.MemberDomainID, &m.Status, timeDst{&m.CreatedAt}, timeDst{&m.UpdatedAt})
	return &m, err
}

// MemberInsert inserts a member; an existing (image, member) pair is
// ErrConflict.
func (q *queries) MemberInsert(ctx context.Context, m *imsd.ImageMember) error {
	return q.insert(ctx, "insert image member "+m.ImageID+"/"+m.MemberID,
		`INSERT INTO image_members (`+memberCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		m.ImageID, m.MemberID, m.MemberDomainID, string(m.Status), q.t(m.CreatedAt), q.t(m.UpdatedAt))
}

// MemberGet returns one member of an image.
func (q *queries) MemberGet(ctx context.Context, imageID, memberID string) (*imsd.ImageMember, error) {
	return getOne(ctx, q, q.read, scanMember, "image member "+imageID+"/"+memberID,
		`SELECT `+memberCols+` FROM image_members WHERE image_id = ? AND member_id = ?`, imageID, memberID)
}

// MemberUpdate replaces the status and update time of a member.
func (q *queries) MemberUpdate(ctx context.Context, m *imsd.ImageMember) error {
	return q.change(ctx, "update image member "+m.ImageID+"/"+m.MemberID,
		`UPDATE image_members SET status = ?, updated_at = ? WHERE image_id = ? AND member_id = ?`,
		string(m.Status), q.t(m.UpdatedAt), m.ImageID, m.MemberID)
}

// MemberDelete removes a member.
func (q *queries) MemberDelete(ctx context.Context, imageID, memberID string) error {
	return q.change(ctx, "delete image member "+imageID+"/"+memberID,
		`DELETE FROM image_members WHERE image_id = ? AND member_id = ?`, imageID, memberID)
}

// MemberList returns the members of an image by member id.
func (q *queries) MemberList(ctx context.Context, imageID string) ([]*imsd.ImageMember, error) {
	ms, err := getAll(ctx, q, scanMember, "list image members",
		`SELECT `+memberCols+` FROM image_members WHERE image_id = ? ORDER BY member_id`, imageID)
	if ms == nil && err == nil {
		ms = []*imsd.ImageMember{}
	}
	return ms, err
}
