package imshttp

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

// Images from files in object storage, export, and Glance's import and
// tasks.

// importBody is the union of the bodies of CreateImage, CreateDataImage and
// ImportImageQuick, as the SDK sends them.
type importBody struct {
	Name                *string           `json:"name"`
	Description         *string           `json:"description"`
	ImageURL            string            `json:"image_url"`
	MinDisk             *int              `json:"min_disk"`
	MinRAM              *int              `json:"min_ram"`
	MaxRAM              *int              `json:"max_ram"`
	OSVersion           string            `json:"os_version"`
	OSType              string            `json:"os_type"`
	Type                string            `json:"type"`
	Architecture        string            `json:"architecture"`
	HwFirmwareType      string            `json:"hw_firmware_type"`
	CmkID               string            `json:"cmk_id"`
	Tags                []string          `json:"tags"`
	ImageTags           []tagKV           `json:"image_tags"`
	EnterpriseProjectID string            `json:"enterprise_project_id"`
	InstanceID          string            `json:"instance_id"`
	VolumeID            string            `json:"volume_id"`
	DataImages          []json.RawMessage `json:"data_images"`
	IsConfig            bool              `json:"is_config"`
	IsQuickImport       bool              `json:"is_quick_import"`
	LicenseType         string            `json:"license_type"`
}

// handleImport serves the create-from-file APIs of one kind (200 {"job_id"}).
func (s *Server) handleImport(kind service.ImportKind) http.HandlerFunc {
	action := "ims:serverImages:create"
	if kind == service.ImportData {
		action = "ims:dataImages:create"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var in importBody
		if err := httpkit.DecodeJSON(r, &in); err != nil {
			s.denyBadInput(w, r, action, err)
			return
		}
		var imageTags []service.Tag
		for _, t := range in.ImageTags {
			tag, err := t.tag()
			if err != nil {
				s.denyBadInput(w, r, action, err)
				return
			}
			imageTags = append(imageTags, tag)
		}
		job, err := s.svc.ImportImage(r.Context(), httpkit.Principal(r), service.ImportInput{
			Kind: kind, Name: in.Name, Description: in.Description, ImageURL: in.ImageURL, MinDisk: in.MinDisk,
			MinRAM: in.MinRAM, MaxRAM: in.MaxRAM, OSVersion: in.OSVersion, OSType: in.OSType, Type: in.Type,
			Architecture: in.Architecture, HwFirmwareType: in.HwFirmwareType, CmkID: in.CmkID, Tags: in.Tags,
			ImageTags: imageTags, EnterpriseProjectID: in.EnterpriseProjectID, InstanceID: in.InstanceID,
			VolumeID: in.VolumeID, DataImages: len(in.DataImages) > 0,
		})
		s.jobAnswer(w, r, job, err)
	}
}

// jobAnswer answers an accepted job with 200 {"job_id"}, or the error.
func (s *Server) jobAnswer(w http.ResponseWriter, r *http.Request, job *imsd.Job, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]string{"job_id": job.ID})
}

func (s *Server) handleRegisterImage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ImageURL string `json:"image_url"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:upload", err)
		return
	}
	job, err := s.svc.RegisterImage(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), in.ImageURL)
	s.jobAnswer(w, r, job, err)
}

func (s *Server) handleExportImage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		BucketURL     string `json:"bucket_url"`
		FileFormat    string `json:"file_format"`
		IsQuickExport bool   `json:"is_quick_export"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:export", err)
		return
	}
	job, err := s.svc.ExportImage(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), service.ExportInput{
		BucketURL: in.BucketURL, FileFormat: in.FileFormat, IsQuickExport: in.IsQuickExport})
	s.jobAnswer(w, r, job, err)
}

// handleImportInfo answers GET /v2/info/import: the import methods this
// server offers.
func (s *Server) handleImportInfo(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"import-methods": map[string]any{
		"description": "Import methods available.", "type": "array", "value": s.svc.ImportMethods()}})
}

// handleStage stores data for a glance-direct import (204).
func (s *Server) handleStage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ImageStage(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), r.Body); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleGlanceImport starts an import (202, no body).
func (s *Server) handleGlanceImport(w http.ResponseWriter, r *http.Request) {
	body, empty, err := httpkit.ReadBody(r)
	if err == nil && empty {
		err = imsd.Errorf(imsd.CodeBodyEmpty, "")
	}
	var in struct {
		Method *struct {
			Name string `json:"name"`
			URI  string `json:"uri"`
		} `json:"method"`
	}
	if err == nil {
		err = httpkit.Unmarshal(body, &in)
	}
	if err == nil && in.Method == nil {
		err = imsd.Errorf(imsd.CodeBadRequest, "The body must name an import method: {\"method\": {\"name\": \"glance-direct\"}}.")
	}
	if err != nil {
		s.denyBadInput(w, r, "ims:images:upload", err)
		return
	}
	_, err = s.svc.GlanceImport(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), service.GlanceImportInput{
		Method: in.Method.Name, URI: in.Method.URI, Raw: body})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func taskJSON(j *imsd.Job) map[string]any {
	return api.TaskJSON(j, service.TaskStatus(j.Status), service.TaskInput(j))
}

func tasksJSON(js []*imsd.Job) []map[string]any {
	out := make([]map[string]any, len(js))
	for i, j := range js {
		out[i] = taskJSON(j)
	}
	return out
}

func (s *Server) handleCreateTask(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Type  string          `json:"type"`
		Input json.RawMessage `json:"input"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:create", err)
		return
	}
	j, err := s.svc.CreateTask(r.Context(), httpkit.Principal(r), in.Type, in.Input)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v2/tasks/"+j.ID)
	httpkit.WriteJSON(w, http.StatusCreated, taskJSON(j))
}

func (s *Server) handleShowTask(w http.ResponseWriter, r *http.Request) {
	j, err := s.svc.TaskGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "task_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, taskJSON(j))
}

// handleListTasks is GET /v2/tasks, paged like the Glance image list.
func (s *Server) handleListTasks(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	in := service.TaskListInput{Type: strings.TrimSpace(v.Get("type")), Status: strings.TrimSpace(v.Get("status")), Marker: strings.TrimSpace(v.Get("marker")), Limit: 25}
	var bad error
	if ls := v.Get("limit"); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n < 0 {
			bad = imsd.Errorf(imsd.CodeBadRequest, "limit must be a non-negative integer.")
		}
		in.Limit = min(n, service.MaxListLimit)
	}
	switch v.Get("sort_dir") {
	case "", "desc":
	case "asc":
		in.SortAsc = true
	default:
		bad = imsd.Errorf(imsd.CodeBadRequest, "sort_dir must be asc or desc.")
	}
	switch v.Get("sort_key") {
	case "", "created_at":
	default:
		bad = imsd.Errorf(imsd.CodeBadRequest, "sort_key must be created_at.")
	}
	if bad != nil {
		s.denyBadInput(w, r, "ims:images:get", bad)
		return
	}
	limit := in.Limit
	in.Limit = limit + 1
	js, err := s.svc.TaskList(r.Context(), httpkit.Principal(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, n := glancePage(v, "/v2/tasks", "/v2/schemas/tasks", len(js), limit, func(i int) string { return js[i].ID })
	js = js[:n]
	resp["tasks"] = tasksJSON(js)
	httpkit.WriteJSON(w, http.StatusOK, resp)
}

func (s *Server) handleImageTasks(w http.ResponseWriter, r *http.Request) {
	js, err := s.svc.ImageTasks(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"tasks": tasksJSON(js)})
}

var taskSchemaProps = map[string]any{
	"id": map[string]string{"type": "string"}, "type": map[string]any{"type": "string", "enum": []string{"import", "api_image_import"}},
	"status":     map[string]any{"type": "string", "enum": []string{"pending", "processing", "success", "failure"}},
	"input":      map[string]any{"type": []string{"null", "object"}},
	"result":     map[string]any{"type": []string{"null", "object"}},
	"owner":      map[string]string{"type": "string"},
	"message":    map[string]string{"type": "string"},
	"image_id":   map[string]string{"type": "string"},
	"expires_at": map[string]any{"type": []string{"null", "string"}},
	"created_at": map[string]string{"type": "string"}, "updated_at": map[string]string{"type": "string"},
	"self": map[string]string{"type": "string"}, "schema": map[string]string{"type": "string"},
}

func (s *Server) handleTaskSchema(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"name": "task", "properties": taskSchemaProps})
}

func (s *Server) handleTasksSchema(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"name": "tasks",
		"properties": map[string]any{"tasks": map[string]any{"type": "array", "items": map[string]any{"name": "task", "properties": taskSchemaProps}},
			"schema": map[string]string{"type": "string"}, "first": map[string]string{"type": "string"}, "next": map[string]string{"type": "string"}},
		"links": []map[string]string{{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}}})
}
