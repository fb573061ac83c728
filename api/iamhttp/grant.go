package iamhttp

import (
	"net/http"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// grantTarget reads the scope of a grant route from its path.
func grantTarget(r *http.Request, scope imsd.GrantScope) identity.GrantTarget {
	switch scope {
	case imsd.ScopeProject:
		return identity.GrantTarget{Scope: scope, ScopeID: httpkit.PathParam(r, "iam_project_id")}
	case imsd.ScopeEnterpriseProject:
		return identity.GrantTarget{Scope: scope, ScopeID: httpkit.PathParam(r, "enterprise_project_id")}
	}
	return identity.GrantTarget{Scope: scope, ScopeID: httpkit.PathParam(r, "domain_id")}
}

// grantHandlers serves the grant, check, revoke and list APIs of the four
// scopes: one project, the domain, all projects and one enterprise project.
func (s *Server) grantHandlers() map[string]http.HandlerFunc {
	type route struct {
		scope imsd.GrantScope
		op    string
	}
	routes := map[string]route{
		"KeystoneAssociateGroupWithProjectPermission": {imsd.ScopeProject, "grant"},
		"KeystoneCheckProjectPermissionForGroup":      {imsd.ScopeProject, "check"},
		"KeystoneRemoveProjectPermissionFromGroup":    {imsd.ScopeProject, "revoke"},
		"KeystoneListProjectPermissionsForGroup":      {imsd.ScopeProject, "list"},
		"KeystoneAssociateGroupWithDomainPermission":  {imsd.ScopeDomain, "grant"},
		"KeystoneCheckDomainPermissionForGroup":       {imsd.ScopeDomain, "check"},
		"KeystoneRemoveDomainPermissionFromGroup":     {imsd.ScopeDomain, "revoke"},
		"KeystoneListDomainPermissionsForGroup":       {imsd.ScopeDomain, "list"},
		"UpdateDomainGroupInheritRole":                {imsd.ScopeAllProjects, "grant"},
		"KeystoneCheckroleForGroup":                   {imsd.ScopeAllProjects, "check"},
		"DeleteDomainGroupInheritedRole":              {imsd.ScopeAllProjects, "revoke"},
		"KeystoneListAllProjectPermissionsForGroup":   {imsd.ScopeAllProjects, "list"},
		"AssociateRoleToGroupOnEnterpriseProject":     {imsd.ScopeEnterpriseProject, "grant"},
		"RevokeRoleFromGroupOnEnterpriseProject":      {imsd.ScopeEnterpriseProject, "revoke"},
		"ListRolesForGroupOnEnterpriseProject":        {imsd.ScopeEnterpriseProject, "list"},
	}
	out := map[string]http.HandlerFunc{}
	for name, rt := range routes {
		out[name] = func(w http.ResponseWriter, r *http.Request) {
			ctx, p, t := r.Context(), httpkit.Principal(r), grantTarget(r, rt.scope)
			group, role := httpkit.PathParam(r, "group_id"), httpkit.PathParam(r, "role_id")
			switch rt.op {
			case "grant":
				s.noContent(w, r, s.svc.GrantAdd(ctx, p, group, role, t))
			case "check":
				s.noContent(w, r, s.svc.GrantCheck(ctx, p, group, role, t))
			case "revoke":
				s.noContent(w, r, s.svc.GrantRemove(ctx, p, group, role, t))
			default:
				perms, err := s.svc.GrantList(ctx, p, group, t)
				if s.written(w, r, err) {
					return
				}
				body := map[string]any{"roles": rolesView(r, perms)}
				if rt.scope != imsd.ScopeEnterpriseProject {
					body["links"] = links(r, r.URL.Path)
				}
				httpkit.WriteJSON(w, http.StatusOK, body)
			}
		}
	}
	return out
}

func (s *Server) handleGroupEnterpriseProjects(w http.ResponseWriter, r *http.Request) {
	eps, err := s.svc.GroupEnterpriseProjects(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id"))
	if s.written(w, r, err) {
		return
	}
	type epRef struct {
		ProjectID string `json:"projectId"`
	}
	out := make([]epRef, len(eps))
	for i, id := range eps {
		out[i] = epRef{ProjectID: id}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"enterprise-projects": out})
}

func (s *Server) handleEnterpriseProjectGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := s.svc.EnterpriseProjectGroups(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "enterprise_project_id"))
	if s.written(w, r, err) {
		return
	}
	type groupRef struct {
		CreateTime  int64  `json:"createTime"`
		Description string `json:"description"`
		DomainID    string `json:"domainId"`
		ID          string `json:"id"`
		Name        string `json:"name"`
	}
	out := make([]groupRef, len(groups))
	for i, g := range groups {
		out[i] = groupRef{CreateTime: g.CreatedAt.UnixMilli(), Description: g.Description, DomainID: g.DomainID, ID: g.ID, Name: g.Name}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"groups": out})
}
