package iamhttp

import (
	"net/http"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// credentialJSON is a permanent access key without its secret
// (Credentials, ShowCredential, UpdateCredentialResult).
type credentialJSON struct {
	UserID      string `json:"user_id"`
	Access      string `json:"access"`
	Status      string `json:"status"`
	CreateTime  string `json:"create_time"`
	Description string `json:"description"`
}

// shownCredentialJSON adds ShowCredential's last use time, which imsd does
// not track ("").
type shownCredentialJSON struct {
	credentialJSON
	LastUseTime string `json:"last_use_time"`
}

// createdCredentialJSON is CreateCredentialResult: the only response that
// ever carries a secret key.
type createdCredentialJSON struct {
	credentialJSON
	Secret string `json:"secret"`
}

func credentialView(k *imsd.AccessKey) credentialJSON {
	return credentialJSON{UserID: k.UserID, Access: k.AccessKey, Status: k.Status, CreateTime: fmtTime(k.CreatedAt, keystoneTime),
		Description: k.Description}
}

func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Credential struct {
			UserID      string `json:"user_id"`
			Description string `json:"description"`
		} `json:"credential"`
	}
	if !s.decodeIAM(w, r, &body, "iam:credentials:createCredential", "") {
		return
	}
	k, err := s.svc.AccessKeyCreate(r.Context(), httpkit.Principal(r), body.Credential.UserID, body.Credential.Description)
	if s.written(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpkit.WriteJSON(w, http.StatusCreated, map[string]any{"credential": createdCredentialJSON{credentialJSON: credentialView(k.AccessKey), Secret: k.Secret}})
}

func (s *Server) handleKeyList(w http.ResponseWriter, r *http.Request) {
	keys, err := s.svc.AccessKeyList(r.Context(), httpkit.Principal(r), r.URL.Query().Get("user_id"))
	if s.written(w, r, err) {
		return
	}
	out := make([]credentialJSON, len(keys))
	for i, k := range keys {
		out[i] = credentialView(k)
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"credentials": out})
}

func (s *Server) handleKeyShow(w http.ResponseWriter, r *http.Request) {
	k, err := s.svc.AccessKeyGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "access_key"))
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"credential": shownCredentialJSON{credentialJSON: credentialView(k)}})
}

func (s *Server) handleKeyUpdate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Credential struct {
			Status      *string `json:"status"`
			Description *string `json:"description"`
		} `json:"credential"`
	}
	if !s.decodeIAM(w, r, &body, "iam:credentials:updateCredential", "") {
		return
	}
	k, err := s.svc.AccessKeyUpdate(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "access_key"),
		identity.AccessKeyUpdateInput{Status: body.Credential.Status, Description: body.Credential.Description})
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"credential": credentialView(k)})
}

func (s *Server) handleKeyDelete(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.AccessKeyDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "access_key")))
}
