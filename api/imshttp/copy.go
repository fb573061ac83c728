package imshttp

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/service"
)

// pathParam returns a path parameter, percent-decoded.
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// handleCopy serves both in-region copy APIs (v1 and v2.1).
func (s *Server) handleCopy(safeMode bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, empty, err := readBody(r)
		if err != nil {
			s.denyBadInput(w, r, "ims:images:copy", err)
			return
		}
		var in struct {
			Name                *string `json:"name"`
			Description         *string `json:"description"`
			CmkID               string  `json:"cmk_id"`
			EnterpriseProjectID string  `json:"enterprise_project_id"`
		}
		if !empty {
			if err := unmarshal(body, &in); err != nil {
				s.denyBadInput(w, r, "ims:images:copy", err)
				return
			}
		}
		job, err := s.svc.CopyImage(r.Context(), principal(r), pathParam(r, "image_id"), service.CopyInput{
			BodyEmpty: empty, Name: in.Name, Description: in.Description, CmkID: in.CmkID,
			EnterpriseProjectID: in.EnterpriseProjectID, ClientToken: r.Header.Get("X-Client-Token"), SafeMode: safeMode,
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"job_id": job.ID})
	}
}

func (s *Server) showJob(w http.ResponseWriter, r *http.Request, progressView bool) {
	j, err := s.svc.JobGet(r.Context(), principal(r), pathParam(r, "job_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.JobJSON(j, progressView))
}

func (s *Server) handleShowJob(w http.ResponseWriter, r *http.Request) { s.showJob(w, r, false) }

func (s *Server) handleShowJobProgress(w http.ResponseWriter, r *http.Request) { s.showJob(w, r, true) }

// handleCancelJob cancels a job (POST /v1/imsd/jobs/{job_id}/cancel, an
// imsd extension) and answers the job as ShowJob does, now FAIL.
func (s *Server) handleCancelJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.svc.JobCancel(r.Context(), principal(r), pathParam(r, "job_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.JobJSON(j, false))
}
