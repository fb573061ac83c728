package imshttp

import (
	"net/http"

	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

// handleCopy serves both in-region copy APIs (v1 and v2.1).
func (s *Server) handleCopy(safeMode bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, empty, err := httpkit.ReadBody(r)
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
			if err := httpkit.Unmarshal(body, &in); err != nil {
				s.denyBadInput(w, r, "ims:images:copy", err)
				return
			}
		}
		job, err := s.svc.CopyImage(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), service.CopyInput{
			BodyEmpty: empty, Name: in.Name, Description: in.Description, CmkID: in.CmkID,
			EnterpriseProjectID: in.EnterpriseProjectID, ClientToken: r.Header.Get("X-Client-Token"), SafeMode: safeMode,
		})
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		httpkit.WriteJSON(w, http.StatusOK, map[string]string{"job_id": job.ID})
	}
}

func (s *Server) showJob(w http.ResponseWriter, r *http.Request, progressView bool) {
	j, err := s.svc.JobGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "job_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := api.JobJSON(j, progressView)
	if results := service.MemberJobResults(j); results != nil {
		out["entities"].(map[string]any)["results"] = results
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) handleShowJob(w http.ResponseWriter, r *http.Request) { s.showJob(w, r, false) }

func (s *Server) handleShowJobProgress(w http.ResponseWriter, r *http.Request) { s.showJob(w, r, true) }

// handleCancelJob cancels a job (POST /v1/imsd/jobs/{job_id}/cancel, an
// imsd extension) and answers the job as ShowJob does, now FAIL.
func (s *Server) handleCancelJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.svc.JobCancel(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "job_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, api.JobJSON(j, false))
}
