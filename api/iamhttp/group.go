package iamhttp

import (
	"net/http"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// groupJSON is a Keystone user group (KeystoneGroupResult); create_time is
// in milliseconds since the epoch.
type groupJSON struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	DomainID    string     `json:"domain_id"`
	Description string     `json:"description"`
	CreateTime  int64      `json:"create_time"`
	Links       *linksJSON `json:"links"`
}

func groupView(r *http.Request, g *imsd.Group) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, DomainID: g.DomainID, Description: g.Description,
		CreateTime: g.CreatedAt.UnixMilli(), Links: links(r, "/v3/groups/"+g.ID)}
}

func groupsView(r *http.Request, groups []*imsd.Group) []groupJSON {
	out := make([]groupJSON, len(groups))
	for i, g := range groups {
		out[i] = groupView(r, g)
	}
	return out
}

func (s *Server) handleGroupCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Group struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			DomainID    string `json:"domain_id"`
		} `json:"group"`
	}
	if !s.decodeIAM(w, r, &body, "iam:groups:createGroup", "") {
		return
	}
	in := body.Group
	g, err := s.svc.GroupCreate(r.Context(), httpkit.Principal(r), identity.GroupCreateInput{Name: in.Name, Description: in.Description, DomainID: in.DomainID})
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusCreated, map[string]any{"group": groupView(r, g)})
}

func (s *Server) handleGroupList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	groups, err := s.svc.GroupList(r.Context(), httpkit.Principal(r), q.Get("domain_id"), q.Get("name"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"groups": groupsView(r, groups), "links": links(r, "/v3/groups")})
}

func (s *Server) handleGroupShow(w http.ResponseWriter, r *http.Request) {
	g, err := s.svc.GroupGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"group": groupView(r, g)})
}

func (s *Server) handleGroupUpdate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Group struct {
			Name        *string `json:"name"`
			Description *string `json:"description"`
			DomainID    *string `json:"domain_id"`
		} `json:"group"`
	}
	if !s.decodeIAM(w, r, &body, "iam:groups:updateGroup", "") {
		return
	}
	in := body.Group
	g, err := s.svc.GroupUpdate(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id"),
		identity.GroupUpdateInput{Name: in.Name, Description: in.Description, DomainID: in.DomainID})
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"group": groupView(r, g)})
}

func (s *Server) handleGroupDelete(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.GroupDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id")))
}

func (s *Server) handleGroupAddUser(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.GroupAddUser(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id"), httpkit.PathParam(r, "user_id")))
}

func (s *Server) handleGroupRemoveUser(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.GroupRemoveUser(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id"), httpkit.PathParam(r, "user_id")))
}

func (s *Server) handleGroupCheckUser(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.GroupHasUser(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "group_id"), httpkit.PathParam(r, "user_id")))
}

func (s *Server) handleGroupUsers(w http.ResponseWriter, r *http.Request) {
	id := httpkit.PathParam(r, "group_id")
	users, err := s.svc.GroupUsers(r.Context(), httpkit.Principal(r), id)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"users": usersView(r, users), "links": links(r, "/v3/groups/"+id+"/users")})
}
