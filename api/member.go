package api

import "github.com/imsd/imsd"

// MemberJSON renders an image member as the Glance and IMS member APIs
// return it.
func MemberJSON(m *imsd.ImageMember) map[string]any {
	return map[string]any{
		"status":      string(m.Status),
		"created_at":  FormatTime(m.CreatedAt),
		"updated_at":  FormatTime(m.UpdatedAt),
		"image_id":    m.ImageID,
		"member_id":   m.MemberID,
		"member_type": "project",
		"schema":      "/v2/schemas/member",
	}
}
