package imshttp

import (
	"context"
	"net/http"
	"strconv"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

// The member APIs: the IMS batch calls (jobs) and reads, and Glance's
// members API.

// memberBatchBody is the body of POST, PUT and DELETE /v1/cloudimages/members.
type memberBatchBody struct {
	Images        []string `json:"images"`
	Projects      []string `json:"projects"`
	Domains       []string `json:"domains"`
	Organizations []string `json:"organizations"`
	ProjectID     string   `json:"project_id"`
	Status        string   `json:"status"`
	VaultID       string   `json:"vault_id"`
}

// handleMemberBatch serves one of the batch member APIs (op is the
// service call), which answer 200 {"job_id"}.
func (s *Server) handleMemberBatch(op func(context.Context, *imsd.Principal, service.MemberBatch) (*imsd.Job, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in memberBatchBody
		if err := httpkit.DecodeJSON(r, &in); err != nil {
			s.denyBadInput(w, r, "ims:images:share", err)
			return
		}
		job, err := op(r.Context(), httpkit.Principal(r), service.MemberBatch{
			Images: in.Images, Projects: in.Projects, Domains: in.Domains, Organizations: in.Organizations,
			ProjectID: in.ProjectID, Status: in.Status,
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		httpkit.WriteJSON(w, http.StatusOK, map[string]string{"job_id": job.ID})
	}
}

func membersJSON(ms []*imsd.ImageMember) []map[string]any {
	out := make([]map[string]any, len(ms))
	for i, m := range ms {
		out[i] = api.MemberJSON(m)
	}
	return out
}

// handleListImageMembers is the IMS member list, paged by member id with
// limit and marker.
func (s *Server) handleListImageMembers(w http.ResponseWriter, r *http.Request) {
	ms, err := s.svc.MemberList(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	if marker := q.Get("marker"); marker != "" {
		i := 0
		for i < len(ms) && ms[i].MemberID <= marker {
			i++
		}
		ms = ms[i:]
	}
	next := ""
	if ls := q.Get("limit"); ls != "" {
		n, err := strconv.Atoi(ls)
		if err != nil || n < 1 {
			s.writeError(w, r, imsd.Errorf(imsd.CodeBadRequest, "limit must be a positive integer."))
			return
		}
		if n < len(ms) {
			ms = ms[:n]
			next = ms[n-1].MemberID
		}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"members": membersJSON(ms), "schema": "/v2/schemas/members",
		"page_info": map[string]any{"next_marker": next, "current_count": len(ms)}})
}

func (s *Server) handleShowImageMember(w http.ResponseWriter, r *http.Request) {
	m, err := s.svc.MemberGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), httpkit.PathParam(r, "member_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, api.MemberJSON(m))
}

func (s *Server) handleGlanceAddMember(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Member *string `json:"member"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:share", err)
		return
	}
	if in.Member == nil {
		s.denyBadInput(w, r, "ims:images:share", imsd.Errorf(imsd.CodeBadRequest, "The body must name the project to share with: {\"member\": \"<project id>\"}."))
		return
	}
	m, err := s.svc.MemberAdd(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), *in.Member)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, api.MemberJSON(m))
}

func (s *Server) handleGlanceListMembers(w http.ResponseWriter, r *http.Request) {
	ms, err := s.svc.MemberList(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"members": membersJSON(ms), "schema": "/v2/schemas/members"})
}

func (s *Server) handleGlanceUpdateMember(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status  *string `json:"status"`
		VaultID string  `json:"vault_id"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:share", err)
		return
	}
	if in.Status == nil {
		s.denyBadInput(w, r, "ims:images:share", imsd.Errorf(imsd.CodeBadRequest, "The body must hold the member's answer: {\"status\": \"accepted\"} or \"rejected\"."))
		return
	}
	m, err := s.svc.MemberSetStatus(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), httpkit.PathParam(r, "member_id"), *in.Status)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, api.MemberJSON(m))
}

func (s *Server) handleGlanceDeleteMember(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.MemberRemove(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), httpkit.PathParam(r, "member_id")))
}

var memberSchemaProps = map[string]any{
	"image_id": map[string]string{"type": "string"}, "member_id": map[string]string{"type": "string"},
	"status":     map[string]any{"type": "string", "enum": []string{"pending", "accepted", "rejected"}},
	"created_at": map[string]string{"type": "string"}, "updated_at": map[string]string{"type": "string"},
	"schema": map[string]string{"type": "string"}, "member_type": map[string]string{"type": "string"},
}

func (s *Server) handleMemberSchema(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"name": "member", "properties": memberSchemaProps})
}

func (s *Server) handleMembersSchema(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"name": "members",
		"properties": map[string]any{"members": map[string]any{"type": "array", "items": map[string]any{"name": "member", "properties": memberSchemaProps}},
			"schema": map[string]string{"type": "string"}},
		"links": []map[string]string{{"rel": "describedby", "href": "{schema}"}}})
}
