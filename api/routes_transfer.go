package api

import "net/http"

const (
	actShare     = "ims:images:share"
	actDataImage = "ims:dataImages:create"
)

// transferRoutes are the endpoints of image sharing, import from object
// storage, export, and Glance's interoperable import and tasks (issue 13).
// Actions follow iam.md §4; routes it does not list take the actions of
// the closest listed one (docs/compat.md, "Sharing, import and export").
var transferRoutes = []Route{
	{Name: "GlanceShowImageMemberSchemas", Method: http.MethodGet, Pattern: "/v2/schemas/member", Public: true},
	{Name: "GlanceListImageMemberSchemas", Method: http.MethodGet, Pattern: "/v2/schemas/members", Public: true},

	{Name: "BatchAddMembers", Method: http.MethodPost, Pattern: "/v1/cloudimages/members", Actions: acts(actShare)},
	{Name: "BatchUpdateMembers", Method: http.MethodPut, Pattern: "/v1/cloudimages/members", Actions: acts(actShare)},
	{Name: "BatchDeleteMembers", Method: http.MethodDelete, Pattern: "/v1/cloudimages/members", Actions: acts(actShare)},
	{Name: "ListImageMembers", Method: http.MethodGet, Pattern: "/v1/{project_id}/cloudimages/{image_id}/members", Actions: acts(actGet, actShare)},
	{Name: "ShowImageMember", Method: http.MethodGet, Pattern: "/v1/{project_id}/cloudimages/{image_id}/members/{member_id}", Actions: acts(actGet, actShare)},
	{Name: "GlanceAddImageMember", Method: http.MethodPost, Pattern: "/v2/images/{image_id}/members", Actions: acts(actGet, actShare)},
	{Name: "GlanceListImageMembers", Method: http.MethodGet, Pattern: "/v2/images/{image_id}/members", Actions: acts(actGet, actShare)},
	{Name: "GlanceShowImageMember", Method: http.MethodGet, Pattern: "/v2/images/{image_id}/members/{member_id}", Actions: acts(actGet, actShare)},
	{Name: "GlanceUpdateImageMember", Method: http.MethodPut, Pattern: "/v2/images/{image_id}/members/{member_id}", Actions: acts(actGet, actShare)},
	{Name: "GlanceDeleteImageMember", Method: http.MethodDelete, Pattern: "/v2/images/{image_id}/members/{member_id}", Actions: acts(actGet, actShare)},
}

// importExportRoutes create images from files in object storage, export
// them, and serve Glance's interoperable import and tasks.
var importExportRoutes = []Route{
	{Name: "CreateImage", Method: http.MethodPost, Pattern: "/v2/cloudimages/action", Actions: acts(actSrvImage), EnterpriseProject: true},
	{Name: "CreateImageInSafeMode", Method: http.MethodPost, Pattern: "/v2.1/cloudimages/action", Actions: acts(actSrvImage), EnterpriseProject: true},
	{Name: "CreateDataImage", Method: http.MethodPost, Pattern: "/v1/cloudimages/dataimages/action", Actions: acts(actDataImage), EnterpriseProject: true},
	{Name: "CreateDataImageInSafeMode", Method: http.MethodPost, Pattern: "/v2.1/cloudimages/dataimages/action", Actions: acts(actDataImage), EnterpriseProject: true},
	{Name: "ImportImageQuick", Method: http.MethodPost, Pattern: "/v2/cloudimages/quickimport/action", Actions: acts(actSrvImage, actDataImage), EnterpriseProject: true},
	{Name: "ImportImageQuickInSafeMode", Method: http.MethodPost, Pattern: "/v2.1/cloudimages/quickimport/action", Actions: acts(actSrvImage, actDataImage), EnterpriseProject: true},
	{Name: "RegisterImage", Method: http.MethodPut, Pattern: "/v1/cloudimages/{image_id}/upload", Actions: acts(actUpload, actGet, actUpdate), EnterpriseProject: true},
	{Name: "ExportImage", Method: http.MethodPost, Pattern: "/v1/cloudimages/{image_id}/file", Actions: acts(actExport), EnterpriseProject: true},
	{Name: "ExportImageInSafeMode", Method: http.MethodPost, Pattern: "/v2.1/cloudimages/{image_id}/file", Actions: acts(actExport), EnterpriseProject: true},

	{Name: "GlanceImportInfo", Method: http.MethodGet, Pattern: "/v2/info/import", Public: true},
	{Name: "GlanceShowTaskSchema", Method: http.MethodGet, Pattern: "/v2/schemas/task", Public: true},
	{Name: "GlanceListTaskSchemas", Method: http.MethodGet, Pattern: "/v2/schemas/tasks", Public: true},
	{Name: "GlanceStageImageFile", Method: http.MethodPut, Pattern: "/v2/images/{image_id}/stage", Actions: acts(actGet, actUpdate, actUpload)},
	{Name: "GlanceImportImage", Method: http.MethodPost, Pattern: "/v2/images/{image_id}/import", Actions: acts(actGet, actUpdate, actUpload)},
	{Name: "GlanceListImageTasks", Method: http.MethodGet, Pattern: "/v2/images/{image_id}/tasks", Actions: acts(actGet), EnterpriseProject: true},
	{Name: "GlanceCreateTask", Method: http.MethodPost, Pattern: "/v2/tasks", Actions: acts(actCreate, actUpload)},
	{Name: "GlanceListTasks", Method: http.MethodGet, Pattern: "/v2/tasks", Actions: acts(actGet)},
	{Name: "GlanceShowTask", Method: http.MethodGet, Pattern: "/v2/tasks/{task_id}", Actions: acts(actGet)},
}
