// Package api is the wire contract of imsd: the route table with the IAM
// action every route requires, and the Huawei-compatible JSON views of
// domain objects. It has no handlers; api/imshttp serves it.
package api

import (
	"net/http"
	"slices"
)

// Route is one API endpoint.
type Route struct {
	// Name is the Huawei SDK method name, or imsd's own name for calls the
	// SDK lacks.
	Name   string
	Method string
	// Pattern is a chi route pattern.
	Pattern string
	// Actions are the IAM actions the route requires (iam.md §4).
	Actions []string
	// EnterpriseProject reports whether a grant at enterprise-project scope
	// may satisfy the actions.
	EnterpriseProject bool
	// Public routes need no authentication (discovery and health only).
	Public bool
	// Global routes belong to a global service (IAM, EPS): they need no
	// project, and the SDK's global credentials send X-Domain-Id instead.
	Global bool
	// Self routes answer only about the caller (their own account): every
	// authenticated caller may use them, whatever their grants. Their
	// Actions name the closest IAM action for the record; no policy is
	// consulted.
	Self bool
}

const (
	actList     = "ims:images:list"
	actGet      = "ims:images:get"
	actCreate   = "ims:images:create"
	actUpdate   = "ims:images:update"
	actDelete   = "ims:images:delete"
	actUpload   = "ims:images:upload"
	actExport   = "ims:images:export"
	actCopy     = "ims:images:copy"
	actSrvImage = "ims:serverImages:create"
	actQuota    = "ims:quotas:get"
)

func acts(a ...string) []string { return a }

// routes is the table of every endpoint the server answers: the IMS
// routes below, those of routes_transfer.go, the identity routes of
// routes_iam.go and the key-service routes of routes_kms.go.
var routes = slices.Concat(imsRoutes, transferRoutes, importExportRoutes, iamRoutes, kmsRoutes)

// imsRoutes are the image service's endpoints.
var imsRoutes = []Route{
	{Name: "Health", Method: http.MethodGet, Pattern: "/healthz", Public: true},
	{Name: "Ready", Method: http.MethodGet, Pattern: "/readyz", Public: true},
	{Name: "ListVersions", Method: http.MethodGet, Pattern: "/", Public: true},
	{Name: "ShowVersion", Method: http.MethodGet, Pattern: "/{version}", Public: true},
	{Name: "GlanceShowImageSchemas", Method: http.MethodGet, Pattern: "/v2/schemas/image", Public: true},
	{Name: "GlanceListImageSchemas", Method: http.MethodGet, Pattern: "/v2/schemas/images", Public: true},

	{Name: "GlanceCreateImageMetadata", Method: http.MethodPost, Pattern: "/v2/images", Actions: acts(actCreate)},
	{Name: "GlanceListImages", Method: http.MethodGet, Pattern: "/v2/images", Actions: acts(actList)},
	{Name: "GlanceShowImage", Method: http.MethodGet, Pattern: "/v2/images/{image_id}", Actions: acts(actGet), EnterpriseProject: true},
	{Name: "GlanceUpdateImage", Method: http.MethodPatch, Pattern: "/v2/images/{image_id}", Actions: acts(actUpdate), EnterpriseProject: true},
	{Name: "GlanceDeleteImage", Method: http.MethodDelete, Pattern: "/v2/images/{image_id}", Actions: acts(actDelete), EnterpriseProject: true},
	{Name: "UploadImageFile", Method: http.MethodPut, Pattern: "/v2/images/{image_id}/file", Actions: acts(actGet, actUpdate, actUpload)},
	{Name: "DownloadImageFile", Method: http.MethodGet, Pattern: "/v2/images/{image_id}/file", Actions: acts(actExport), EnterpriseProject: true},
	{Name: "GlanceCreateTag", Method: http.MethodPut, Pattern: "/v2/images/{image_id}/tags/{tag}", Actions: acts(actGet, actUpdate)},
	{Name: "GlanceDeleteTag", Method: http.MethodDelete, Pattern: "/v2/images/{image_id}/tags/{tag}", Actions: acts(actGet, actUpdate)},

	{Name: "ListImages", Method: http.MethodGet, Pattern: "/v2/cloudimages", Actions: acts(actList), EnterpriseProject: true},
	{Name: "UpdateImage", Method: http.MethodPatch, Pattern: "/v2/cloudimages/{image_id}", Actions: acts(actUpdate), EnterpriseProject: true},
	{Name: "ShowImageQuota", Method: http.MethodGet, Pattern: "/v1/cloudimages/quota", Actions: acts(actQuota), EnterpriseProject: true},
	{Name: "ListOsVersions", Method: http.MethodGet, Pattern: "/v1/cloudimages/os_version", Actions: acts(actList)},

	{Name: "AddImageTag", Method: http.MethodPost, Pattern: "/v2/{project_id}/images/{image_id}/tags", Actions: acts(actUpdate)},
	{Name: "BatchAddOrDeleteTags", Method: http.MethodPost, Pattern: "/v2/{project_id}/images/{image_id}/tags/action", Actions: acts(actUpdate)},
	{Name: "DeleteImageTag", Method: http.MethodDelete, Pattern: "/v2/{project_id}/images/{image_id}/tags/{key}", Actions: acts(actUpdate)},
	{Name: "ListImageTags", Method: http.MethodGet, Pattern: "/v2/{project_id}/images/{image_id}/tags", Actions: acts(actList)},
	{Name: "ListImagesTags", Method: http.MethodGet, Pattern: "/v2/{project_id}/images/tags", Actions: acts(actList)},
	{Name: "ListImageByTags", Method: http.MethodPost, Pattern: "/v2/{project_id}/images/resource_instances/action", Actions: acts(actList)},
	{Name: "BatchDeleteTags", Method: http.MethodDelete, Pattern: "/v1/{project_id}/cloudimages/{image_id}/tags/delete", Actions: acts(actUpdate)},
	{Name: "CreateOrUpdateTags", Method: http.MethodPut, Pattern: "/v1/cloudimages/tags", Actions: acts(actGet, actUpdate)},
	{Name: "ListTags", Method: http.MethodGet, Pattern: "/v1/cloudimages/tags", Actions: acts(actList)},

	{Name: "CopyImageInRegion", Method: http.MethodPost, Pattern: "/v1/cloudimages/{image_id}/copy", Actions: acts(actCopy, actSrvImage), EnterpriseProject: true},
	{Name: "CopyImageInRegionInSafeMode", Method: http.MethodPost, Pattern: "/v2.1/cloudimages/{image_id}/copy", Actions: acts(actCopy, actSrvImage), EnterpriseProject: true},
	{Name: "ShowJob", Method: http.MethodGet, Pattern: "/v1/{project_id}/jobs/{job_id}", Actions: acts(actGet)},
	{Name: "ShowJobProgress", Method: http.MethodGet, Pattern: "/v1/cloudimages/job/{job_id}", Actions: acts(actGet)},

	// imsd's own: cancel a queued or running job (ims job cancel).
	{Name: "CancelJob", Method: http.MethodPost, Pattern: "/v1/imsd/jobs/{job_id}/cancel", Actions: acts(actCopy), EnterpriseProject: true},
	// imsd's own: explain how a user's request would be decided (ims policy check).
	{Name: "PolicyCheck", Method: http.MethodGet, Pattern: "/v1/imsd/policy-check", Actions: acts("iam:users:getUser")},
	// imsd's own: the account's audit trail (ims audit list), decided at
	// domain scope like IAM.
	{Name: "ListAuditEvents", Method: http.MethodGet, Pattern: "/v1/imsd/audit", Actions: acts("cts:trace:list"), Global: true},
}

// Routes returns a copy of the route table.
func Routes() []Route {
	out := make([]Route, len(routes))
	copy(out, routes)
	return out
}
