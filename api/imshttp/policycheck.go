package imshttp

import (
	"net/http"

	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

// handlePolicyCheck explains how a user's request would be decided
// (GET /v1/imsd/policy-check?user_id=&action=&image_id=&target_enterprise_project_id=).
func (s *Server) handlePolicyCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ds, err := s.svc.PolicyCheck(r.Context(), httpkit.Principal(r), service.PolicyCheckInput{
		UserID: q.Get("user_id"), Action: q.Get("action"), ImageID: q.Get("image_id"),
		TargetEnterpriseProject: q.Get("target_enterprise_project_id"),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, len(ds))
	for i, d := range ds {
		out[i] = map[string]any{"action": d.Check.Action, "enterprise_project_id": d.Check.EnterpriseProject,
			"allowed": d.Allowed, "reason": d.Reason}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"decisions": out})
}
