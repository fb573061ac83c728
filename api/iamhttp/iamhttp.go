// Package iamhttp serves the identity (IAM v3) and enterprise-project (EPS
// v1) APIs over HTTP for package identity; api/imshttp routes and
// authenticates the requests and mounts these handlers.
package iamhttp

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/identity"
)

// Server serves the identity (IAM v3) and enterprise-project (EPS v1)
// routes of api.Routes for an identity.Service. The handlers speak the JSON
// of Huawei's IAM (Keystone-style) and EPS APIs exactly as the Go SDK's
// iam/v3 and eps/v1 models decode it; authentication, routing and request
// ids are api/imshttp's, which mounts Handlers.
type Server struct {
	svc *identity.Service
	log *slog.Logger
}

// New returns a Server. log may be nil.
func New(svc *identity.Service, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{svc: svc, log: log}
}

// Handlers maps the identity and enterprise-project route names to
// handlers.
func (s *Server) Handlers() map[string]http.HandlerFunc {
	m := map[string]http.HandlerFunc{
		"KeystoneShowVersion":               s.handleKeystoneVersion,
		"KeystoneCreateUserTokenByPassword": s.handleTokenCreate,
		"KeystoneValidateToken":             s.handleTokenValidate,
		"KeystoneListAuthDomains":           s.handleAuthDomains,

		"KeystoneCreateProject": s.handleProjectCreate,
		"KeystoneListProjects":  s.handleProjectList,
		"KeystoneShowProject":   s.handleProjectShow,

		"KeystoneCreateUser":         s.handleUserCreate(false),
		"CreateUser":                 s.handleUserCreate(true),
		"KeystoneListUsers":          s.handleUserList,
		"KeystoneShowUser":           s.handleUserShow(false),
		"ShowUser":                   s.handleUserShow(true),
		"KeystoneUpdateUserByAdmin":  s.handleUserUpdate,
		"KeystoneUpdateUserPassword": s.handleUserPassword,
		"KeystoneDeleteUser":         s.handleUserDelete,
		"KeystoneListGroupsForUser":  s.handleUserGroups,

		"KeystoneCreateGroup":              s.handleGroupCreate,
		"KeystoneListGroups":               s.handleGroupList,
		"KeystoneShowGroup":                s.handleGroupShow,
		"KeystoneUpdateGroup":              s.handleGroupUpdate,
		"KeystoneDeleteGroup":              s.handleGroupDelete,
		"KeystoneAddUserToGroup":           s.handleGroupAddUser,
		"KeystoneRemoveUserFromGroup":      s.handleGroupRemoveUser,
		"KeystoneCheckUserInGroup":         s.handleGroupCheckUser,
		"KeystoneListUsersForGroupByAdmin": s.handleGroupUsers,

		"CreatePermanentAccessKey": s.handleKeyCreate,
		"ListPermanentAccessKeys":  s.handleKeyList,
		"ShowPermanentAccessKey":   s.handleKeyShow,
		"UpdatePermanentAccessKey": s.handleKeyUpdate,
		"DeletePermanentAccessKey": s.handleKeyDelete,

		"KeystoneListPermissions":        s.handlePermissionList,
		"KeystoneShowPermission":         s.handlePermissionShow,
		"CreateCloudServiceCustomPolicy": s.handleCustomPolicyCreate,
		"ListCustomPolicies":             s.handleCustomPolicyList,
		"ShowCustomPolicy":               s.handleCustomPolicyShow,
		"UpdateCloudServiceCustomPolicy": s.handleCustomPolicyUpdate,
		"DeleteCustomPolicy":             s.handleCustomPolicyDelete,

		"ListEnterpriseProjectsForGroup": s.handleGroupEnterpriseProjects,
		"ListGroupsForEnterpriseProject": s.handleEnterpriseProjectGroups,

		"CreateEnterpriseProject":           s.handleEPCreate,
		"ListEnterpriseProject":             s.handleEPList,
		"ShowEnterpriseProject":             s.handleEPShow,
		"UpdateEnterpriseProject":           s.handleEPUpdate,
		"EnableDisableEnterpriseProject":    s.handleEPAction,
		"MigrateResource":                   s.handleEPMigrate,
		"ShowResourceBindEnterpriseProject": s.handleEPResources,
	}
	for name, h := range s.grantHandlers() {
		m[name] = h
	}
	return m
}

// decodeIAM decodes a required JSON body into v. On failure it answers and
// returns false: with the authorization error when the caller may not
// perform action at all (self names the user the caller may act on as
// themselves), else with the decoding problem as a 400 of the IAM API.
func (s *Server) decodeIAM(w http.ResponseWriter, r *http.Request, v any, action, self string) bool {
	err := httpkit.DecodeJSON(r, v)
	if err == nil {
		return true
	}
	s.rejectIAM(w, r, action, self, iamBodyError(err, action))
	return false
}

// iamBodyError re-codes a body decoding error as the 400 of the IAM API (or
// of EPS, for an eps: action); a body too large keeps its own code.
func iamBodyError(err error, action string) error {
	if imsd.ErrorCode(err) == imsd.CodeEntityTooLarge {
		return err
	}
	code := imsd.CodeIAMBadRequest
	if strings.HasPrefix(action, "eps:") {
		code = imsd.CodeEPSBadRequest
	}
	return imsd.Errorf(code, "%s", imsd.ErrorMessage(err))
}

// baseURL is the unversioned URL of this server as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// linksJSON is Keystone's "links" object of a collection or an entity.
type linksJSON struct {
	Self     string  `json:"self"`
	Previous *string `json:"previous"`
	Next     *string `json:"next"`
}

func links(r *http.Request, path string) *linksJSON {
	return &linksJSON{Self: baseURL(r) + path}
}

// Time formats of the IAM and EPS APIs.
const (
	// keystoneTime: tokens and access keys ("2020-01-08T06:26:08.123059Z").
	keystoneTime = "2006-01-02T15:04:05.000000Z"
	// userTime: OS-USER create_time ("2020-07-08 02:19:03.0").
	userTime = "2006-01-02 15:04:05.0"
	// epTime: enterprise projects ("2018-05-18T06:16:16Z").
	epTime = "2006-01-02T15:04:05Z"
)

func fmtTime(t time.Time, layout string) string { return t.UTC().Format(layout) }

// millis renders t as milliseconds since the epoch, as a string (custom
// policies' created_time).
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// boolQuery parses an optional boolean query parameter.
func boolQuery(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, imsd.Errorf(imsd.CodeIAMBadRequest, "Query parameter %s must be true or false.", name)
	}
	return &b, nil
}

// intQuery parses an optional non-negative integer query parameter.
func intQuery(r *http.Request, name string, code imsd.Code) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, imsd.Errorf(code, "Query parameter %s must be a non-negative integer.", name)
	}
	return n, nil
}

// written answers an error, or nothing when err is nil; it reports whether
// the request is done.
func (s *Server) written(w http.ResponseWriter, r *http.Request, err error) bool {
	return httpkit.Written(s.log, w, r, err)
}

// rejectIAM answers a request whose parameters are unusable: with the
// authorization error when the caller may not perform action at all, else
// with err.
func (s *Server) rejectIAM(w http.ResponseWriter, r *http.Request, action, self string, err error) {
	s.writeError(w, r, s.svc.RejectIAM(r.Context(), httpkit.Principal(r), action, self, err))
}

// writeError answers err with the single error writer (httpkit.WriteError).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpkit.WriteError(s.log, w, r, err)
}

// noContent answers 204, or err.
func (s *Server) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if s.written(w, r, err) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
