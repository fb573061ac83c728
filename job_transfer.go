package imsd

import "context"

// Job types of sharing, import and export, as ShowJob reports them
// (job_type). The Glance import types are Glance's own task types: those
// jobs are what GET /v2/tasks and GET /v2/images/{id}/tasks show.
const (
	JobTypeAddMembers      = "imsAddImageMembersJob"
	JobTypeUpdateMembers   = "imsUpdateImageMembersJob"
	JobTypeDeleteMembers   = "imsDelImageMembersJob"
	JobTypeImportImage     = "imsImportImageJob"       // system image from a file (CreateImage, ImportImageQuick)
	JobTypeImportDataImage = "imsImportDataImageJob"   // data image from a file
	JobTypeRegisterImage   = "imsNativeImportImageJob" // PUT /v1/cloudimages/{id}/upload
	JobTypeExportImage     = "imsNativeExportImageJob"
	JobTypeGlanceImport    = "api_image_import" // POST /v2/images/{id}/import
	JobTypeGlanceTask      = "import"           // POST /v2/tasks
)

// JobQuery selects jobs (the Glance task lists). Empty fields do not
// filter.
type JobQuery struct {
	DomainID  string
	ProjectID string
	// Types restricts to these job types.
	Types    []string
	ImageID  string
	Statuses []JobStatus
	// SortAsc sorts by creation time, oldest first; the default is newest
	// first. Ties are broken by id in the same direction.
	SortAsc bool
	// Marker is the id of the last job of the previous page (exclusive);
	// one that names no job of the selection is ErrNotFound.
	Marker string
	// Limit caps the result; 0 means no cap.
	Limit int
}

// JobFinder is the store operation behind the task lists.
type JobFinder interface {
	// JobFind returns the jobs q selects in q's order.
	JobFind(ctx context.Context, q JobQuery) ([]*Job, error)
}
