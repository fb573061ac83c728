package iamhttp

import (
	"net/http"
	"strconv"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// epJSON is an enterprise project (EpDetail).
type epJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      int    `json:"status"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	Type        string `json:"type"`
	DeleteFlag  bool   `json:"delete_flag"`
}

func epView(ep *imsd.EnterpriseProject) epJSON {
	return epJSON{ID: ep.ID, Name: ep.Name, Description: ep.Description, Status: ep.Status,
		CreatedAt: fmtTime(ep.CreatedAt, epTime), UpdatedAt: fmtTime(ep.UpdatedAt, epTime), Type: ep.Type}
}

// epBody is the body of CreateEnterpriseProject and UpdateEnterpriseProject.
type epBody struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Type        string  `json:"type"`
}

func (b epBody) input() identity.EnterpriseProjectInput {
	return identity.EnterpriseProjectInput{Name: b.Name, Description: b.Description, Type: b.Type}
}

func (s *Server) handleEPCreate(w http.ResponseWriter, r *http.Request) {
	var body epBody
	if !s.decodeIAM(w, r, &body, "eps:enterpriseProjects:create", "") {
		return
	}
	ep, err := s.svc.EnterpriseProjectCreate(r.Context(), httpkit.Principal(r), body.input())
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"enterprise_project": epView(ep)})
}

func (s *Server) handleEPList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := identity.EnterpriseProjectQuery{ID: q.Get("id"), Name: q.Get("name"), Type: q.Get("type"),
		SortKey: q.Get("sort_key"), SortDir: q.Get("sort_dir")}
	var err error
	if in.Limit, err = intQuery(r, "limit", imsd.CodeEPSBadRequest); err == nil {
		if in.Offset, err = intQuery(r, "offset", imsd.CodeEPSBadRequest); err == nil {
			in.Status, err = intQuery(r, "status", imsd.CodeEPSBadRequest)
		}
	}
	if err != nil {
		s.rejectIAM(w, r, "eps:enterpriseProjects:list", "", err)
		return
	}
	eps, total, err := s.svc.EnterpriseProjectList(r.Context(), httpkit.Principal(r), in)
	if s.written(w, r, err) {
		return
	}
	out := make([]epJSON, len(eps))
	for i, ep := range eps {
		out[i] = epView(ep)
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"enterprise_projects": out, "total_count": total})
}

func (s *Server) handleEPShow(w http.ResponseWriter, r *http.Request) {
	ep, err := s.svc.EnterpriseProjectGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "enterprise_project_id"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"enterprise_project": epView(ep)})
}

func (s *Server) handleEPUpdate(w http.ResponseWriter, r *http.Request) {
	var body epBody
	if !s.decodeIAM(w, r, &body, "eps:enterpriseProjects:update", "") {
		return
	}
	ep, err := s.svc.EnterpriseProjectUpdate(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "enterprise_project_id"), body.input())
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"enterprise_project": epView(ep)})
}

// handleEPAction serves EnableEnterpriseProject and
// DisableEnterpriseProject: {"action":"enable"|"disable"}.
func (s *Server) handleEPAction(w http.ResponseWriter, r *http.Request) {
	const enableAction = "eps:enterpriseProjects:enable"
	var body struct {
		Action string `json:"action"`
	}
	if !s.decodeIAM(w, r, &body, enableAction, "") {
		return
	}
	id := httpkit.PathParam(r, "enterprise_project_id")
	switch body.Action {
	case "enable", "disable":
		s.noContent(w, r, s.svc.EnterpriseProjectSetEnabled(r.Context(), httpkit.Principal(r), id, body.Action == "enable"))
	default:
		s.rejectIAM(w, r, enableAction, "", imsd.Errorf(imsd.CodeEPSBadRequest, "action must be enable or disable, not %s.", strconv.Quote(body.Action)))
	}
}

func (s *Server) handleEPMigrate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ResourceID   string `json:"resource_id"`
		ResourceType string `json:"resource_type"`
		RegionID     string `json:"region_id"`
		ProjectID    string `json:"project_id"`
		Associated   bool   `json:"associated"`
	}
	if !s.decodeIAM(w, r, &body, "eps:resources:add", "") {
		return
	}
	s.noContent(w, r, s.svc.EnterpriseProjectMigrate(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "enterprise_project_id"),
		identity.MigrateInput{ResourceID: body.ResourceID, ResourceType: body.ResourceType, RegionID: body.RegionID, ProjectID: body.ProjectID}))
}

// handleEPResources serves ShowResourceBindEnterpriseProject
// (POST /v1.0/enterprise-projects/{id}/resources/filter).
func (s *Server) handleEPResources(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Projects      []string `json:"projects"`
		ResourceTypes []string `json:"resource_types"`
		Offset        int      `json:"offset"`
		Limit         int      `json:"limit"`
		Matches       []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"matches"`
	}
	const action = "eps:resources:list"
	if !s.decodeIAM(w, r, &body, action, "") {
		return
	}
	in := identity.ResourceFilterInput{Projects: body.Projects, ResourceTypes: body.ResourceTypes, Offset: body.Offset, Limit: body.Limit}
	for _, m := range body.Matches {
		if m.Key != "resource_name" {
			s.rejectIAM(w, r, action, "", imsd.Errorf(imsd.CodeEPSBadRequest, "matches key must be resource_name, not %s.", strconv.Quote(m.Key)))
			return
		}
		in.NameContains = m.Value
	}
	res, total, err := s.svc.EnterpriseProjectResources(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "enterprise_project_id"), in)
	if s.written(w, r, err) {
		return
	}
	out := make([]map[string]any, len(res))
	for i, x := range res {
		out[i] = map[string]any{
			"enterprise_project_id": x.Image.EnterpriseProjectID, "project_id": x.Image.Owner, "project_name": x.ProjectName,
			"resource_id": x.Image.ID, "resource_name": x.Image.Name, "resource_type": "images",
			"resource_detail": map[string]any{"status": string(x.Image.Status), "size": x.Image.Size},
		}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"resources": out, "errors": []any{}, "total_count": total})
}
