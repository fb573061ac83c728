package iamhttp

import (
	"encoding/json"
	"net/http"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// roleJSON is a permission as the IAM APIs show it: RoleResult (system and
// custom), ServicePolicyRoleResult and ShowPolicyRoleResult (custom), and
// RolesItem (grants in enterprise projects). domain_id is null for system
// permissions.
type roleJSON struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	DisplayName   string          `json:"display_name"`
	Description   string          `json:"description"`
	DescriptionCN string          `json:"description_cn"`
	Catalog       string          `json:"catalog"`
	Type          string          `json:"type"`
	Flag          string          `json:"flag,omitempty"`
	DomainID      *string         `json:"domain_id"`
	Policy        json.RawMessage `json:"policy"`
	Links         *linksJSON      `json:"links"`
	CreatedTime   string          `json:"created_time,omitempty"`
	UpdatedTime   string          `json:"updated_time,omitempty"`
	References    *int            `json:"references,omitempty"`
}

func roleView(r *http.Request, p identity.Permission) roleJSON {
	out := roleJSON{ID: p.ID, Name: p.Name, DisplayName: p.DisplayName, Description: p.Description,
		DescriptionCN: p.DescriptionCN, Catalog: p.Catalog, Type: p.Type, Flag: p.Flag, Policy: json.RawMessage(p.Document),
		Links: links(r, "/v3/roles/"+p.ID)}
	if !p.System() {
		d := p.DomainID
		out.DomainID = &d
		out.CreatedTime, out.UpdatedTime = millis(p.CreatedAt), millis(p.UpdatedAt)
	}
	return out
}

func rolesView(r *http.Request, perms []identity.Permission) []roleJSON {
	out := make([]roleJSON, len(perms))
	for i, p := range perms {
		out[i] = roleView(r, p)
	}
	return out
}

func (s *Server) handlePermissionList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := identity.PermissionQuery{Name: q.Get("name"), DisplayName: q.Get("display_name"), Type: q.Get("type"),
		Catalog: q.Get("catalog"), PermissionType: q.Get("permission_type"), DomainID: q.Get("domain_id")}
	var err error
	if in.Page, err = intQuery(r, "page", imsd.CodeIAMBadRequest); err == nil {
		in.PerPage, err = intQuery(r, "per_page", imsd.CodeIAMBadRequest)
	}
	if err != nil {
		s.rejectIAM(w, r, "iam:roles:listRoles", "", err)
		return
	}
	perms, total, err := s.svc.PermissionList(r.Context(), httpkit.Principal(r), in)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"roles": rolesView(r, perms), "links": links(r, "/v3/roles"), "total_number": total})
}

func (s *Server) handlePermissionShow(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.PermissionGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "role_id"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"role": roleView(r, p)})
}

// customPolicyBody is the request body of the custom-policy create and
// update APIs (ServicePolicyRoleOption).
type customPolicyBody struct {
	Role struct {
		DisplayName string          `json:"display_name"`
		Type        string          `json:"type"`
		Description *string         `json:"description"`
		Policy      json.RawMessage `json:"policy"`
	} `json:"role"`
}

func (b customPolicyBody) input() identity.CustomPolicyInput {
	in := identity.CustomPolicyInput{DisplayName: b.Role.DisplayName, Type: b.Role.Type, Description: b.Role.Description}
	if len(b.Role.Policy) > 0 && string(b.Role.Policy) != "null" {
		in.Policy = b.Role.Policy
	}
	return in
}

func (s *Server) handleCustomPolicyCreate(w http.ResponseWriter, r *http.Request) {
	var body customPolicyBody
	if !s.decodeIAM(w, r, &body, "iam:roles:createRole", "") {
		return
	}
	p, err := s.svc.CustomPolicyCreate(r.Context(), httpkit.Principal(r), body.input())
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusCreated, map[string]any{"role": roleView(r, p)})
}

func (s *Server) handleCustomPolicyList(w http.ResponseWriter, r *http.Request) {
	page, err := intQuery(r, "page", imsd.CodeIAMBadRequest)
	perPage := 0
	if err == nil {
		perPage, err = intQuery(r, "per_page", imsd.CodeIAMBadRequest)
	}
	if err != nil {
		s.rejectIAM(w, r, "iam:roles:listRoles", "", err)
		return
	}
	perms, total, err := s.svc.CustomPolicyList(r.Context(), httpkit.Principal(r), page, perPage)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"roles": rolesView(r, perms), "links": links(r, "/v3.0/OS-ROLE/roles"), "total_number": total})
}

func (s *Server) handleCustomPolicyShow(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.CustomPolicyGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "role_id"))
	if s.written(w, r, err) {
		return
	}
	v := roleView(r, p)
	v.References = &p.References
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"role": v})
}

func (s *Server) handleCustomPolicyUpdate(w http.ResponseWriter, r *http.Request) {
	var body customPolicyBody
	if !s.decodeIAM(w, r, &body, "iam:roles:updateRole", "") {
		return
	}
	p, err := s.svc.CustomPolicyUpdate(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "role_id"), body.input())
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"role": roleView(r, p)})
}

func (s *Server) handleCustomPolicyDelete(w http.ResponseWriter, r *http.Request) {
	if s.written(w, r, s.svc.CustomPolicyDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "role_id"))) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{})
}
