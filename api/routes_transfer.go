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
