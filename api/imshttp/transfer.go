package imshttp

import "net/http"

// transferHandlers maps the routes of api/routes_transfer.go (sharing,
// import, export, Glance import and tasks) to handlers.
func (s *Server) transferHandlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GlanceShowImageMemberSchemas": s.handleMemberSchema,
		"GlanceListImageMemberSchemas": s.handleMembersSchema,
		"BatchAddMembers":              s.handleMemberBatch(s.svc.AddMembers),
		"BatchUpdateMembers":           s.handleMemberBatch(s.svc.UpdateMembers),
		"BatchDeleteMembers":           s.handleMemberBatch(s.svc.DeleteMembers),
		"ListImageMembers":             s.handleListImageMembers,
		"ShowImageMember":              s.handleShowImageMember,
		"GlanceAddImageMember":         s.handleGlanceAddMember,
		"GlanceListImageMembers":       s.handleGlanceListMembers,
		"GlanceShowImageMember":        s.handleShowImageMember,
		"GlanceUpdateImageMember":      s.handleGlanceUpdateMember,
		"GlanceDeleteImageMember":      s.handleGlanceDeleteMember,
	}
}
