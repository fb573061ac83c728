// Package kmshttp serves the key service (Huawei KMS v2 subset, package
// kms) over HTTP; api/imshttp routes and authenticates the requests and
// mounts these handlers.
package kmshttp

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/kms"
)

// Server serves the key-service routes of api.Routes. Its handlers speak
// Huawei KMS v2's JSON exactly as the Go SDK's kms/v2 models decode it:
// every scalar is a string (key_state "2", creation_date in milliseconds,
// truncated "true"), except ListKeys' total and the alias page's
// current_count, which are numbers.
type Server struct {
	svc    *kms.Service
	region string
	log    *slog.Logger
}

// New returns a Server for the keys of region. log may be nil.
func New(svc *kms.Service, region string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{svc: svc, region: region, log: log}
}

// Handlers maps the key-service route names to handlers.
func (s *Server) Handlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"CreateKey":         s.handleKeyCreateKMS,
		"ListKeys":          s.handleKeyListKMS,
		"ListKeyDetail":     s.handleKeyDescribe,
		"EnableKey":         s.handleKeyState(s.svc.KeyEnable, "kms:cmk:enable"),
		"DisableKey":        s.handleKeyState(s.svc.KeyDisable, "kms:cmk:disable"),
		"DeleteKey":         s.handleKeyScheduleDeletion,
		"CancelKeyDeletion": s.handleKeyCancelDeletion,
		"CreateAlias":       s.handleAliasCreate,
		"ListAliases":       s.handleAliasList,
		"DeleteAlias":       s.handleAliasDelete,
		"AssociateAlias":    s.handleAliasAssociate,
	}
}

// keyDetailsJSON is the SDK's KeyDetails.
type keyDetailsJSON struct {
	KeyID                  string `json:"key_id"`
	DomainID               string `json:"domain_id"`
	KeyAlias               string `json:"key_alias"`
	Realm                  string `json:"realm"`
	KeySpec                string `json:"key_spec"`
	KeyUsage               string `json:"key_usage"`
	KeyDescription         string `json:"key_description"`
	CreationDate           string `json:"creation_date"`
	ScheduledDeletionDate  string `json:"scheduled_deletion_date"`
	KeyState               string `json:"key_state"`
	DefaultKeyFlag         string `json:"default_key_flag"`
	KeyType                string `json:"key_type"`
	ExpirationTime         string `json:"expiration_time"`
	Origin                 string `json:"origin"`
	KeyRotationEnabled     string `json:"key_rotation_enabled"`
	SysEnterpriseProjectID string `json:"sys_enterprise_project_id"`
	KeystoreID             string `json:"keystore_id"`
}

// kmsMillis renders a time as KMS does: milliseconds since the epoch as a
// string, "" for the zero time.
func kmsMillis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func (s *Server) keyView(k *imsd.Key) keyDetailsJSON {
	return keyDetailsJSON{
		KeyID: k.ID, DomainID: k.DomainID, KeyAlias: k.Alias, Realm: s.region,
		KeySpec: "AES_256", KeyUsage: "ENCRYPT_DECRYPT", KeyDescription: k.Description,
		CreationDate: kmsMillis(k.CreatedAt), ScheduledDeletionDate: kmsMillis(k.DeletionDate),
		KeyState: string(k.State), DefaultKeyFlag: "0", KeyType: "1", Origin: "kms",
		KeyRotationEnabled: "false", SysEnterpriseProjectID: k.EnterpriseProjectID, KeystoreID: "0",
	}
}

// keyStatusJSON is the SDK's KeyStatusInfo (and the body of DeleteKey and
// CancelKeyDeletion).
type keyStatusJSON struct {
	KeyID    string `json:"key_id"`
	KeyState string `json:"key_state"`
}

// decodeKMS decodes a required JSON body into v. On failure it answers, with
// the authorization error when the caller may not perform action at all,
// else with the body problem in KMS's codes, and returns false.
func (s *Server) decodeKMS(w http.ResponseWriter, r *http.Request, v any, action string) bool {
	err := httpkit.DecodeJSON(r, v)
	if err == nil {
		return true
	}
	switch imsd.ErrorCode(err) {
	case imsd.CodeEntityTooLarge:
	case imsd.CodeBodyEmpty:
		err = imsd.Errorf(imsd.CodeKMSMissingParam, "The request body is empty.")
	default:
		err = imsd.Errorf(imsd.CodeKMSBadJSON, "%s", imsd.ErrorMessage(err))
	}
	s.writeError(w, r, s.svc.RejectKMS(r.Context(), httpkit.Principal(r), action, err))
	return false
}

// keyIDBody is the SDK's OperateKeyRequestBody.
type keyIDBody struct {
	KeyID    string `json:"key_id"`
	Sequence string `json:"sequence"`
}

func (s *Server) handleKeyCreateKMS(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyAlias            string `json:"key_alias"`
		KeySpec             string `json:"key_spec"`
		KeyUsage            string `json:"key_usage"`
		KeyDescription      string `json:"key_description"`
		Origin              string `json:"origin"`
		EnterpriseProjectID string `json:"enterprise_project_id"`
		Sequence            string `json:"sequence"`
		KeystoreID          string `json:"keystore_id"`
		VMID                string `json:"vm_id"`
	}
	if !s.decodeKMS(w, r, &in, "kms:cmk:create") {
		return
	}
	if in.KeystoreID != "" && in.KeystoreID != "0" {
		s.writeError(w, r, s.svc.RejectKMS(r.Context(), httpkit.Principal(r), "kms:cmk:create",
			imsd.Errorf(imsd.CodeKMSBadParam, "Dedicated key stores are not supported; omit keystore_id.")))
		return
	}
	k, err := s.svc.KeyCreate(r.Context(), httpkit.Principal(r), kms.KeyCreateInput{
		Alias: in.KeyAlias, KeySpec: in.KeySpec, KeyUsage: in.KeyUsage, Description: in.KeyDescription,
		Origin: in.Origin, EnterpriseProjectID: in.EnterpriseProjectID,
	})
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"key_info": map[string]string{
		"key_id": k.ID, "domain_id": k.DomainID, "region_id": s.region,
	}})
}

func (s *Server) handleKeyListKMS(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Limit               string `json:"limit"`
		Marker              string `json:"marker"`
		KeyState            string `json:"key_state"`
		KeySpec             string `json:"key_spec"`
		EnterpriseProjectID string `json:"enterprise_project_id"`
		Sequence            string `json:"sequence"`
	}
	// The SDK sends "{}" for an empty request; no body at all is fine too.
	body, empty, err := httpkit.ReadBody(r)
	if err == nil && !empty {
		err = httpkit.Unmarshal(body, &in)
	}
	if err != nil {
		if imsd.ErrorCode(err) != imsd.CodeEntityTooLarge {
			err = imsd.Errorf(imsd.CodeKMSBadJSON, "%s", imsd.ErrorMessage(err))
		}
		s.writeError(w, r, s.svc.RejectKMS(r.Context(), httpkit.Principal(r), "kms:cmk:list", err))
		return
	}
	page, err := s.svc.KeyList(r.Context(), httpkit.Principal(r), kms.KeyListInput{
		Limit: in.Limit, Marker: in.Marker, KeyState: in.KeyState, KeySpec: in.KeySpec, EnterpriseProjectID: in.EnterpriseProjectID,
	})
	if s.written(w, r, err) {
		return
	}
	ids := make([]string, len(page.Keys))
	details := make([]keyDetailsJSON, len(page.Keys))
	for i, k := range page.Keys {
		ids[i], details[i] = k.ID, s.keyView(k)
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{
		"keys": ids, "key_details": details, "next_marker": page.NextMarker,
		"truncated": strconv.FormatBool(page.Truncated), "total": page.Total,
	})
}

func (s *Server) handleKeyDescribe(w http.ResponseWriter, r *http.Request) {
	var in keyIDBody
	if !s.decodeKMS(w, r, &in, "kms:cmk:get") {
		return
	}
	k, err := s.svc.KeyGet(r.Context(), httpkit.Principal(r), in.KeyID)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"key_info": s.keyView(k)})
}

// handleKeyState serves EnableKey and DisableKey.
func (s *Server) handleKeyState(op func(context.Context, *imsd.Principal, string) (*imsd.Key, error), action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in keyIDBody
		if !s.decodeKMS(w, r, &in, action) {
			return
		}
		k, err := op(r.Context(), httpkit.Principal(r), in.KeyID)
		if s.written(w, r, err) {
			return
		}
		httpkit.WriteJSON(w, http.StatusOK, map[string]any{"key_info": keyStatusJSON{KeyID: k.ID, KeyState: string(k.State)}})
	}
}

func (s *Server) handleKeyScheduleDeletion(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyID       string `json:"key_id"`
		PendingDays string `json:"pending_days"`
		Sequence    string `json:"sequence"`
	}
	if !s.decodeKMS(w, r, &in, "kms:cmk:update") {
		return
	}
	k, err := s.svc.KeyScheduleDeletion(r.Context(), httpkit.Principal(r), in.KeyID, in.PendingDays)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, keyStatusJSON{KeyID: k.ID, KeyState: string(k.State)})
}

func (s *Server) handleKeyCancelDeletion(w http.ResponseWriter, r *http.Request) {
	var in keyIDBody
	if !s.decodeKMS(w, r, &in, "kms:cmk:update") {
		return
	}
	k, err := s.svc.KeyCancelDeletion(r.Context(), httpkit.Principal(r), in.KeyID)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, keyStatusJSON{KeyID: k.ID, KeyState: string(k.State)})
}

// aliasJSON is the SDK's AliasEntity (and CreateAliasResponse).
type aliasJSON struct {
	DomainID   string `json:"domain_id"`
	KeyID      string `json:"key_id"`
	Alias      string `json:"alias"`
	AliasURN   string `json:"alias_urn"`
	CreateTime string `json:"create_time"`
	UpdateTime string `json:"update_time"`
}

func (s *Server) aliasView(a *imsd.KeyAlias) aliasJSON {
	return aliasJSON{DomainID: a.DomainID, KeyID: a.KeyID, Alias: a.Alias,
		AliasURN:   "kms:" + s.region + ":" + a.DomainID + ":" + a.Alias,
		CreateTime: kmsMillis(a.CreatedAt), UpdateTime: kmsMillis(a.UpdatedAt)}
}

func (s *Server) handleAliasCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyID string `json:"key_id"`
		Alias string `json:"alias"`
	}
	if !s.decodeKMS(w, r, &in, "kms:cmk:update") {
		return
	}
	a, err := s.svc.AliasCreate(r.Context(), httpkit.Principal(r), in.KeyID, in.Alias)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, s.aliasView(a))
}

// handleAliasList answers ListAliases. The SDK decodes the body as an
// array of pages (ListAliasesResponse.Body is *[]ListAliasResponseBody), so
// the one page is sent inside an array.
func (s *Server) handleAliasList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, next, err := s.svc.AliasList(r.Context(), httpkit.Principal(r), q.Get("key_id"), q.Get("limit"), q.Get("marker"))
	if s.written(w, r, err) {
		return
	}
	out := make([]aliasJSON, len(list))
	for i, a := range list {
		out[i] = s.aliasView(a)
	}
	page := map[string]any{"current_count": len(out)}
	if next != "" {
		page["next_marker"] = next
	}
	httpkit.WriteJSON(w, http.StatusOK, []any{map[string]any{"aliases": out, "page_info": page}})
}

func (s *Server) handleAliasDelete(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Aliases []string `json:"aliases"`
		KeyID   string   `json:"key_id"`
	}
	if !s.decodeKMS(w, r, &in, "kms:cmk:update") {
		return
	}
	if s.written(w, r, s.svc.AliasDelete(r.Context(), httpkit.Principal(r), in.KeyID, in.Aliases)) {
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleAliasAssociate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Alias       string `json:"alias"`
		TargetKeyID string `json:"target_key_id"`
	}
	if !s.decodeKMS(w, r, &in, "kms:cmk:update") {
		return
	}
	a, err := s.svc.AliasAssociate(r.Context(), httpkit.Principal(r), in.Alias, in.TargetKeyID)
	if s.written(w, r, err) {
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, s.aliasView(a))
}

// written answers an error, or nothing when err is nil; it reports whether
// the request is done.
func (s *Server) written(w http.ResponseWriter, r *http.Request, err error) bool {
	return httpkit.Written(s.log, w, r, err)
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	httpkit.WriteError(s.log, w, r, err)
}
