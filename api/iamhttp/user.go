package iamhttp

import (
	"net/http"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// projectJSON is a Keystone project (AuthProjectResult, ProjectResult).
type projectJSON struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	DomainID    string     `json:"domain_id"`
	ParentID    string     `json:"parent_id"`
	Description string     `json:"description"`
	Enabled     bool       `json:"enabled"`
	IsDomain    bool       `json:"is_domain"`
	Links       *linksJSON `json:"links"`
}

func projectView(r *http.Request, p *identity.ProjectInfo) projectJSON {
	return projectJSON{ID: p.ID, Name: p.Name, DomainID: p.DomainID, ParentID: p.ParentID, Description: p.Description,
		Enabled: p.Enabled, Links: links(r, "/v3/projects/"+p.ID)}
}

func (s *Server) handleAuthDomains(w http.ResponseWriter, r *http.Request) {
	ds, err := s.svc.AuthDomains(r.Context(), httpkit.Principal(r))
	if s.written(w, r, err) {
		return
	}
	out := make([]map[string]any, len(ds))
	for i, d := range ds {
		out[i] = map[string]any{"id": d.ID, "name": d.Name, "enabled": true, "description": "",
			"links": links(r, "/v3/domains/"+d.ID)}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"domains": out, "links": links(r, "/v3/auth/domains")})
}

func (s *Server) handleProjectCreate(w http.ResponseWriter, r *http.Request) {
	const action = "iam:projects:create"
	var body struct {
		Project struct {
			Name        string `json:"name"`
			ParentID    string `json:"parent_id"`
			DomainID    string `json:"domain_id"`
			Description string `json:"description"`
		} `json:"project"`
	}
	if !s.decodeIAM(w, r, &body, action, "") {
		return
	}
	in := body.Project
	p, err := s.svc.ProjectCreate(r.Context(), httpkit.Principal(r), identity.ProjectCreateInput{Name: in.Name, ParentID: in.ParentID,
		DomainID: in.DomainID, Description: in.Description})
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusCreated, map[string]any{"project": projectView(r, p)})
}

func (s *Server) handleProjectList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := identity.ProjectQuery{DomainID: q.Get("domain_id"), Name: q.Get("name"), ParentID: q.Get("parent_id")}
	var err error
	if in.Enabled, err = boolQuery(r, "enabled"); err == nil {
		in.IsDomain, err = boolQuery(r, "is_domain")
	}
	if err != nil {
		s.rejectIAM(w, r, "iam:projects:list", "", err)
		return
	}
	list, err := s.svc.ProjectList(r.Context(), httpkit.Principal(r), in)
	if s.written(w, r, err) {
		return
	}
	out := make([]projectJSON, len(list))
	for i := range list {
		out[i] = projectView(r, &list[i])
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"projects": out, "links": links(r, "/v3/projects")})
}

func (s *Server) handleProjectShow(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.ProjectGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "iam_project_id"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"project": projectView(r, p)})
}

// userJSON is a Keystone user (KeystoneShowUserResult and its siblings).
type userJSON struct {
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	DomainID          string     `json:"domain_id"`
	Enabled           bool       `json:"enabled"`
	Description       string     `json:"description"`
	PasswordExpiresAt string     `json:"password_expires_at"`
	Links             *linksJSON `json:"links"`
}

func userView(r *http.Request, u *imsd.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, DomainID: u.DomainID, Enabled: u.Enabled, Description: u.Description,
		Links: links(r, "/v3/users/"+u.ID)}
}

// userDetailJSON is a user of the OS-USER APIs (CreateUserResult,
// ShowUserResult).
type userDetailJSON struct {
	userJSON
	Email         string `json:"email"`
	CreateTime    string `json:"create_time"`
	UpdateTime    string `json:"update_time"`
	IsDomainOwner bool   `json:"is_domain_owner"`
	AccessMode    string `json:"access_mode"`
}

func userDetailView(r *http.Request, u *imsd.User) userDetailJSON {
	return userDetailJSON{userJSON: userView(r, u), Email: u.Email, CreateTime: fmtTime(u.CreatedAt, userTime),
		UpdateTime: fmtTime(u.PasswordChangedAt, userTime), IsDomainOwner: u.IsRoot, AccessMode: "default"}
}

func usersView(r *http.Request, users []*imsd.User) []userJSON {
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userView(r, u)
	}
	return out
}

// handleUserCreate serves KeystoneCreateUser and, with detail, the
// OS-USER CreateUser.
func (s *Server) handleUserCreate(detail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			User struct {
				Name        string  `json:"name"`
				DomainID    string  `json:"domain_id"`
				Password    *string `json:"password"`
				Enabled     *bool   `json:"enabled"`
				Description string  `json:"description"`
				Email       string  `json:"email"`
			} `json:"user"`
		}
		if !s.decodeIAM(w, r, &body, "iam:users:createUser", "") {
			return
		}
		in := body.User
		u, err := s.svc.UserCreate(r.Context(), httpkit.Principal(r), identity.UserCreateInput{Name: in.Name, DomainID: in.DomainID,
			Description: in.Description, Email: in.Email, Password: in.Password, Enabled: in.Enabled})
		if s.written(w, r, err) {
			return
		}
		httpkit.WriteJSON(w, http.StatusCreated, map[string]any{"user": userBody(r, u, detail)})
	}
}

func (s *Server) handleUserList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := identity.UserQuery{DomainID: q.Get("domain_id"), Name: q.Get("name")}
	var err error
	if in.Enabled, err = boolQuery(r, "enabled"); err != nil {
		s.rejectIAM(w, r, "iam:users:listUsers", "", err)
		return
	}
	users, err := s.svc.UserList(r.Context(), httpkit.Principal(r), in)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"users": usersView(r, users), "links": links(r, "/v3/users")})
}

// handleUserShow serves KeystoneShowUser and, with detail, the OS-USER
// ShowUser.
func (s *Server) handleUserShow(detail bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := s.svc.UserGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "user_id"))
		if s.written(w, r, err) {
			return
		}
		httpkit.WriteJSON(w, http.StatusOK, map[string]any{"user": userBody(r, u, detail)})
	}
}

func (s *Server) handleUserUpdate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		User struct {
			DomainID    *string `json:"domain_id"`
			Name        *string `json:"name"`
			Password    *string `json:"password"`
			Enabled     *bool   `json:"enabled"`
			Description *string `json:"description"`
			Email       *string `json:"email"`
		} `json:"user"`
	}
	if !s.decodeIAM(w, r, &body, "iam:users:updateUser", "") {
		return
	}
	in := body.User
	u, err := s.svc.UserUpdate(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "user_id"), identity.UserUpdateInput{DomainID: in.DomainID,
		Name: in.Name, Password: in.Password, Enabled: in.Enabled, Description: in.Description, Email: in.Email})
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"user": userView(r, u)})
}

func (s *Server) handleUserPassword(w http.ResponseWriter, r *http.Request) {
	id := httpkit.PathParam(r, "user_id")
	var body struct {
		User struct {
			Password         string `json:"password"`
			OriginalPassword string `json:"original_password"`
		} `json:"user"`
	}
	if !s.decodeIAM(w, r, &body, "iam:users:updateUser", id) {
		return
	}
	s.noContent(w, r, s.svc.UserChangePassword(r.Context(), httpkit.Principal(r), id, body.User.OriginalPassword, body.User.Password))
}

func (s *Server) handleUserDelete(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.UserDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "user_id")))
}

func (s *Server) handleUserGroups(w http.ResponseWriter, r *http.Request) {
	id := httpkit.PathParam(r, "user_id")
	groups, err := s.svc.GroupListForUser(r.Context(), httpkit.Principal(r), id)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"groups": groupsView(r, groups), "links": links(r, "/v3/users/"+id+"/groups")})
}

// userBody renders a user as the Keystone APIs show it or, with detail, as
// the OS-USER APIs do.
func userBody(r *http.Request, u *imsd.User, detail bool) any {
	if detail {
		return userDetailView(r, u)
	}
	return userView(r, u)
}
