package imshttp

import (
	"net/http"

	"github.com/imsd/imsd/service"
)

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
		"CreateImage":                  s.handleImport(service.ImportSystem),
		"CreateImageInSafeMode":        s.handleImport(service.ImportSystem),
		"CreateDataImage":              s.handleImport(service.ImportData),
		"CreateDataImageInSafeMode":    s.handleImport(service.ImportData),
		"ImportImageQuick":             s.handleImport(service.ImportQuick),
		"ImportImageQuickInSafeMode":   s.handleImport(service.ImportQuick),
		"RegisterImage":                s.handleRegisterImage,
		"ExportImage":                  s.handleExportImage,
		"ExportImageInSafeMode":        s.handleExportImage,
		"GlanceImportInfo":             s.handleImportInfo,
		"GlanceShowTaskSchema":         s.handleTaskSchema,
		"GlanceListTaskSchemas":        s.handleTasksSchema,
		"GlanceStageImageFile":         s.handleStage,
		"GlanceImportImage":            s.handleGlanceImport,
		"GlanceListImageTasks":         s.handleImageTasks,
		"GlanceCreateTask":             s.handleCreateTask,
		"GlanceListTasks":              s.handleListTasks,
		"GlanceShowTask":               s.handleShowTask,
	}
}
