package imshttp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

type tagKV struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

func (t tagKV) tag() (service.Tag, error) {
	if t.Key == nil {
		return service.Tag{}, imsd.Errorf(imsd.CodeBadRequest, "Every tag needs a key.")
	}
	v := ""
	if t.Value != nil {
		v = *t.Value
	}
	return service.Tag{Key: *t.Key, Value: v}, nil
}

// denyBadInput answers a request rejected before reaching the service: a
// caller with no grant for the action at all gets 403, others the input
// error.
func (s *Server) denyBadInput(w http.ResponseWriter, r *http.Request, action string, err error) {
	if perr := s.svc.Precheck(r.Context(), httpkit.Principal(r), action); perr != nil {
		err = perr
	}
	s.writeError(w, r, err)
}

func (s *Server) noContent(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAddImageTag(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tag *tagKV `json:"tag"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	if in.Tag == nil {
		s.denyBadInput(w, r, "ims:images:update", imsd.Errorf(imsd.CodeBadRequest, "The body must contain \"tag\": {\"key\", \"value\"}."))
		return
	}
	t, err := in.Tag.tag()
	if err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	s.noContent(w, r, s.svc.TagsAdd(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), []service.Tag{t}))
}

func parseTagList(in []tagKV) ([]service.Tag, error) {
	if len(in) == 0 {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The body must list at least one tag in \"tags\".")
	}
	out := make([]service.Tag, 0, len(in))
	for _, t := range in {
		tag, err := t.tag()
		if err != nil {
			return nil, err
		}
		out = append(out, tag)
	}
	return out, nil
}

func (s *Server) handleBatchTags(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Action string  `json:"action"`
		Tags   []tagKV `json:"tags"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	tags, err := parseTagList(in.Tags)
	if err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	id := httpkit.PathParam(r, "image_id")
	switch in.Action {
	case "create":
		s.noContent(w, r, s.svc.TagsAdd(r.Context(), httpkit.Principal(r), id, tags))
	case "delete":
		s.noContent(w, r, s.svc.TagsDelete(r.Context(), httpkit.Principal(r), id, tags, false))
	default:
		s.denyBadInput(w, r, "ims:images:update", imsd.Errorf(imsd.CodeBadRequest, "action must be \"create\" or \"delete\"."))
	}
}

func (s *Server) handleDeleteImageTag(w http.ResponseWriter, r *http.Request) {
	key := httpkit.PathParam(r, "key")
	s.noContent(w, r, s.svc.TagsDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), []service.Tag{{Key: key}}, true))
}

func (s *Server) handleBatchDeleteTags(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tags []tagKV `json:"tags"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	tags, err := parseTagList(in.Tags)
	if err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	s.noContent(w, r, s.svc.TagsDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), tags, false))
}

func (s *Server) handleListImageTags(w http.ResponseWriter, r *http.Request) {
	tags, err := s.svc.ImageTags(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]string, len(tags))
	for i, t := range tags {
		out[i] = map[string]string{"key": t.Key, "value": t.Value}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"tags": out})
}

func (s *Server) handleListProjectTags(w http.ResponseWriter, r *http.Request) {
	tags, err := s.svc.ProjectTags(r.Context(), httpkit.Principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, len(tags))
	for i, t := range tags {
		out[i] = map[string]any{"key": t.Key, "values": t.Values}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"tags": out})
}

func (s *Server) handleCreateOrUpdateTags(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ImageID  string `json:"image_id"`
		Tag      string `json:"tag"`
		ImageTag *tagKV `json:"image_tag"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	var t service.Tag
	switch {
	case in.ImageTag != nil:
		var err error
		if t, err = in.ImageTag.tag(); err != nil {
			s.denyBadInput(w, r, "ims:images:update", err)
			return
		}
	case in.Tag != "":
		k, v, _ := strings.Cut(in.Tag, "=")
		t = service.Tag{Key: k, Value: v}
	default:
		s.denyBadInput(w, r, "ims:images:update", imsd.Errorf(imsd.CodeBadRequest, "The body needs \"tag\" (\"key=value\") or \"image_tag\"."))
		return
	}
	s.noContent(w, r, s.svc.SetTag(r.Context(), httpkit.Principal(r), in.ImageID, t))
}

func (s *Server) handleListTags(w http.ResponseWriter, r *http.Request) {
	in, err := parseListQuery(r.URL.Query(), false)
	if err != nil {
		s.denyBadInput(w, r, "ims:images:list", err)
		return
	}
	in.Query.Limit = 0
	imgs, err := s.svc.ImageList(r.Context(), httpkit.Principal(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	seen := map[string]bool{}
	out := []string{}
	for _, img := range imgs {
		for _, t := range service.KVTags(img) {
			kv := t.Key + "=" + t.Value
			if !seen[kv] {
				seen[kv] = true
				out = append(out, kv)
			}
		}
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"tags": out})
}

type tagFilter struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

func (s *Server) handleListImageByTags(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Action        string      `json:"action"`
		Tags          []tagFilter `json:"tags"`
		TagsAny       []tagFilter `json:"tags_any"`
		NotTags       []tagFilter `json:"not_tags"`
		NotTagsAny    []tagFilter `json:"not_tags_any"`
		Limit         string      `json:"limit"`
		Offset        string      `json:"offset"`
		WithoutAnyTag bool        `json:"without_any_tag"`
		Matches       []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"matches"`
	}
	if err := httpkit.DecodeJSON(r, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:list", err)
		return
	}
	if in.Action != "filter" && in.Action != "count" {
		s.denyBadInput(w, r, "ims:images:list", imsd.Errorf(imsd.CodeBadRequest, "action must be \"filter\" or \"count\"."))
		return
	}
	limit, offset := 1000, 0
	for _, f := range []struct {
		s    string
		dest *int
		name string
	}{{in.Limit, &limit, "limit"}, {in.Offset, &offset, "offset"}} {
		if f.s == "" {
			continue
		}
		n, err := strconv.Atoi(f.s)
		if err != nil || n < 0 {
			s.denyBadInput(w, r, "ims:images:list", imsd.Errorf(imsd.CodeBadRequest, "%s must be a non-negative integer string.", f.name))
			return
		}
		*f.dest = n
	}
	imgs, err := s.svc.ImageList(r.Context(), httpkit.Principal(r), service.ListImagesInput{})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var hits []*imsd.Image
	for _, img := range imgs {
		tags := map[string]string{}
		for _, t := range service.KVTags(img) {
			tags[t.Key] = t.Value
		}
		ok := matchAll(tags, in.Tags) && (len(in.TagsAny) == 0 || matchAny(tags, in.TagsAny)) &&
			(len(in.NotTags) == 0 || !matchAll(tags, in.NotTags)) && (len(in.NotTagsAny) == 0 || !matchAny(tags, in.NotTagsAny)) &&
			(!in.WithoutAnyTag || len(tags) == 0)
		for _, m := range in.Matches {
			if m.Key == "resource_name" && !strings.Contains(img.Name, m.Value) {
				ok = false
			}
		}
		if ok {
			hits = append(hits, img)
		}
	}
	resp := map[string]any{"total_count": len(hits)}
	if in.Action == "filter" {
		start := min(offset, len(hits))
		page := hits[start : start+min(limit, len(hits)-start)] // no offset+limit: it may overflow
		res := make([]map[string]any, len(page))
		for i, img := range page {
			kv := []map[string]string{}
			for _, t := range service.KVTags(img) {
				kv = append(kv, map[string]string{"key": t.Key, "value": t.Value})
			}
			res[i] = map[string]any{"resource_id": img.ID, "resource_name": img.Name,
				"resource_detail": map[string]string{"status": string(img.Status)}, "tags": kv}
		}
		resp["resources"] = res
	}
	httpkit.WriteJSON(w, http.StatusOK, resp)
}

func matchOne(tags map[string]string, f tagFilter) bool {
	v, ok := tags[f.Key]
	if !ok {
		return false
	}
	if len(f.Values) == 0 {
		return true
	}
	for _, want := range f.Values {
		if want == v {
			return true
		}
	}
	return false
}

func matchAll(tags map[string]string, fs []tagFilter) bool {
	for _, f := range fs {
		if !matchOne(tags, f) {
			return false
		}
	}
	return true
}

func matchAny(tags map[string]string, fs []tagFilter) bool {
	for _, f := range fs {
		if matchOne(tags, f) {
			return true
		}
	}
	return false
}

func (s *Server) handleGlanceTagAdd(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.GlanceTagAdd(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), httpkit.PathParam(r, "tag")))
}

func (s *Server) handleGlanceTagDelete(w http.ResponseWriter, r *http.Request) {
	s.noContent(w, r, s.svc.GlanceTagDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), httpkit.PathParam(r, "tag")))
}
