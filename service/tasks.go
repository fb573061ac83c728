package service

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"

	"github.com/imsd/imsd"
)

// Glance tasks: the jobs of Glance imports (api_image_import) and of the
// older task API's "import" tasks (POST /v2/tasks), which create an image
// and fill it from a URL of the operator's web-download allow list.

// TaskStatus is the Glance name of a job status.
func TaskStatus(s imsd.JobStatus) string {
	switch s {
	case imsd.JobInit:
		return "pending"
	case imsd.JobRunning:
		return "processing"
	case imsd.JobSuccess:
		return "success"
	}
	return "failure"
}

// taskTypes are the job types shown as Glance tasks.
var taskTypes = []string{imsd.JobTypeGlanceImport, imsd.JobTypeGlanceTask}

// TaskInput returns the input a task was created with (a JSON object), or
// nil.
func TaskInput(j *imsd.Job) json.RawMessage {
	var pl importPayload
	if json.Unmarshal(j.Payload, &pl) != nil {
		return nil
	}
	return pl.Task
}

// taskRead authorizes reading the project's tasks: as for jobs.
func (s *Service) taskRead(ctx context.Context, p *imsd.Principal) error {
	return s.precheckAny(ctx, p, jobReadActions...)
}

// TaskGet returns a task of the caller's project.
func (s *Service) TaskGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.Job, error) {
	if err := s.taskRead(ctx, p); err != nil {
		return nil, err
	}
	notFound := imsd.Errorf(imsd.CodeJobNotFound, "The task does not exist.")
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/?#%. ") {
		return nil, notFound
	}
	j, err := s.store.JobGet(ctx, id)
	if errors.Is(err, imsd.ErrNotFound) || errors.Is(err, imsd.ErrInvalidText) ||
		(err == nil && (j.DomainID != p.DomainID || j.ProjectID != p.ProjectID || !isTask(j))) {
		return nil, notFound
	}
	return j, internal(err, "get task")
}

func isTask(j *imsd.Job) bool {
	return j.Type == imsd.JobTypeGlanceImport || j.Type == imsd.JobTypeGlanceTask
}

// TaskListInput is a task list request after wire parsing.
type TaskListInput struct {
	// Type is "import" (the task API's) or "api_image_import"; "" any.
	Type string
	// Status is a Glance task status ("" any).
	Status  string
	SortAsc bool
	Marker  string
	Limit   int
}

// TaskList lists the caller project's tasks.
func (s *Service) TaskList(ctx context.Context, p *imsd.Principal, in TaskListInput) ([]*imsd.Job, error) {
	if err := s.taskRead(ctx, p); err != nil {
		return nil, err
	}
	q := imsd.JobQuery{DomainID: p.DomainID, ProjectID: p.ProjectID, Types: taskTypes, SortAsc: in.SortAsc, Marker: in.Marker, Limit: in.Limit}
	switch in.Type {
	case "":
	case imsd.JobTypeGlanceTask, imsd.JobTypeGlanceImport:
		q.Types = []string{in.Type}
	default:
		return nil, imsd.Errorf(imsd.CodeBadRequest, "type must be import or api_image_import, not %q.", in.Type)
	}
	switch in.Status {
	case "":
	case "pending":
		q.Statuses = []imsd.JobStatus{imsd.JobInit}
	case "processing":
		q.Statuses = []imsd.JobStatus{imsd.JobRunning}
	case "success":
		q.Statuses = []imsd.JobStatus{imsd.JobSuccess}
	case "failure":
		q.Statuses = []imsd.JobStatus{imsd.JobFail}
	default:
		return nil, imsd.Errorf(imsd.CodeBadRequest, "status must be pending, processing, success or failure, not %q.", in.Status)
	}
	if q.Limit <= 0 || q.Limit > MaxListLimit {
		q.Limit = MaxListLimit
	}
	jobs, err := s.store.JobFind(ctx, q)
	if errors.Is(err, imsd.ErrNotFound) {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The marker %q does not name a task of this list.", in.Marker)
	}
	return jobs, internal(err, "list tasks")
}

// ImageTasks lists the tasks of one image the caller owns.
func (s *Service) ImageTasks(ctx context.Context, p *imsd.Principal, imageID string) ([]*imsd.Job, error) {
	img, err := s.ownedImage(ctx, s.store, p, imageID)
	if err != nil {
		if perr := s.precheck(ctx, p, "ims:images:get"); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:get", EnterpriseProject: img.EnterpriseProjectID}); err != nil {
		return nil, err
	}
	jobs, err := s.store.JobFind(ctx, imsd.JobQuery{DomainID: p.DomainID, ProjectID: p.ProjectID, ImageID: img.ID, Types: taskTypes})
	return jobs, internal(err, "list image tasks")
}

// CreateTask starts an import task (POST /v2/tasks): a new image, made from
// input.image_properties, filled from input.import_from, a URL of the
// web-download allow list.
func (s *Service) CreateTask(ctx context.Context, p *imsd.Principal, typ string, input json.RawMessage) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:create"); err != nil {
		return nil, err
	}
	if typ != imsd.JobTypeGlanceTask {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "type must be \"import\", the only task type this server runs, not %q.", typ)
	}
	var in struct {
		ImportFrom       string         `json:"import_from"`
		ImportFromFormat string         `json:"import_from_format"`
		ImageProperties  map[string]any `json:"image_properties"`
	}
	if len(input) == 0 || string(input) == "null" {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "An import task needs an input: {\"import_from\": URL, \"import_from_format\", \"image_properties\"}.")
	}
	if err := json.Unmarshal(input, &in); err != nil {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The task input is invalid: %v", err)
	}
	switch {
	case len(s.cfg.WebDownloadAllow) == 0:
		return nil, imsd.Errorf(imsd.CodeImportMethodDisabled, "Import tasks download from URLs, which is not enabled on this server (imsd --web-download-allow).")
	case in.ImportFrom == "":
		return nil, imsd.Errorf(imsd.CodeBadRequest, "input.import_from is required: the URL to import from.")
	case !s.webAllowed(in.ImportFrom):
		return nil, imsd.Errorf(imsd.CodeURLInvalid, "input.import_from is not a URL this server may download from; the operator allows: %s.", strings.Join(s.cfg.WebDownloadAllow, ", "))
	}
	cin, err := createInputFromProps(in.ImageProperties)
	if err != nil {
		return nil, err
	}
	if cin.DiskFormat == "" {
		cin.DiskFormat = in.ImportFromFormat
	}
	img, err := s.newImage(p, cin)
	if err != nil {
		return nil, err
	}
	ep := cin.EnterpriseProjectID
	if ep == "" {
		ep = imsd.DefaultEnterpriseProject
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:create"}, Check{Action: "ims:images:upload", EnterpriseProject: ep}); err != nil {
		return nil, err
	}
	var job *imsd.Job
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		if err := s.checkTargetEnterpriseProject(ctx, q, p, ep); err != nil {
			return err
		}
		img.EnterpriseProjectID = ep
		if err := s.checkQuota(ctx, q, p, 1); err != nil {
			return err
		}
		job, err = s.insertImportJob(ctx, q, p, img, imsd.JobTypeGlanceTask, importPayload{Source: "web", URI: in.ImportFrom, Task: input})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return job, nil
}

// createInputFromProps reads Glance image properties (as POST /v2/images
// takes them) into a CreateImageInput.
func createInputFromProps(m map[string]any) (CreateImageInput, error) {
	var in CreateImageInput
	in.Props = map[string]string{}
	bad := func(k, kind string) error {
		return imsd.Errorf(imsd.CodeBadRequest, "image_properties.%s must be a JSON %s.", k, kind)
	}
	for k, v := range m {
		switch k {
		case "name", "__description":
			str, ok := v.(string)
			if !ok {
				return in, bad(k, "string")
			}
			if k == "name" {
				in.Name = &str
			} else {
				in.Description = &str
			}
		case "visibility", "container_format", "disk_format", "__os_version", "enterprise_project_id":
			str, ok := v.(string)
			if !ok {
				return in, bad(k, "string")
			}
			switch k {
			case "visibility":
				in.Visibility = str
			case "container_format":
				in.ContainerFormat = str
			case "disk_format":
				in.DiskFormat = str
			case "__os_version":
				in.OSVersion = str
			default:
				in.EnterpriseProjectID = str
			}
		case "min_disk", "min_ram":
			f, ok := v.(float64)
			if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
				return in, bad(k, "non-negative integer")
			}
			n := int(f)
			if k == "min_disk" {
				in.MinDisk = &n
			} else {
				in.MinRAM = &n
			}
		case "protected":
			b, ok := v.(bool)
			if !ok {
				return in, bad(k, "boolean")
			}
			in.Protected = &b
		case "tags":
			list, ok := v.([]any)
			if !ok {
				return in, bad(k, "array of strings")
			}
			for _, t := range list {
				str, ok := t.(string)
				if !ok {
					return in, bad(k, "array of strings")
				}
				in.Tags = append(in.Tags, str)
			}
		default:
			str, ok := v.(string)
			if !ok {
				return in, bad(k, "string")
			}
			in.Props[k] = str
		}
	}
	return in, nil
}
