package imshttp

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/service"
)

// glanceCreateFields are the typed fields of POST /v2/images; every other
// string-valued key is stored as a custom attribute.
var glanceCreateFields = map[string]bool{
	"name": true, "visibility": true, "protected": true, "container_format": true, "disk_format": true,
	"min_disk": true, "min_ram": true, "tags": true, "__os_version": true, "__description": true,
	"enterprise_project_id": true, "__system__cmkid": true, "cmk_id": true,
}

func (s *Server) handleGlanceCreate(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if err := decodeJSON(r, &raw); err != nil {
		s.denyBadInput(w, r, "ims:images:create", err)
		return
	}
	var in struct {
		Name                *string  `json:"name"`
		Visibility          string   `json:"visibility"`
		Protected           *bool    `json:"protected"`
		ContainerFormat     string   `json:"container_format"`
		DiskFormat          string   `json:"disk_format"`
		MinDisk             *int     `json:"min_disk"`
		MinRAM              *int     `json:"min_ram"`
		Tags                []string `json:"tags"`
		OSVersion           string   `json:"__os_version"`
		Description         *string  `json:"__description"`
		EnterpriseProjectID string   `json:"enterprise_project_id"`
		SystemCmkID         string   `json:"__system__cmkid"`
		CmkID               string   `json:"cmk_id"`
	}
	body, _ := json.Marshal(raw)
	if err := unmarshal(body, &in); err != nil {
		s.denyBadInput(w, r, "ims:images:create", err)
		return
	}
	props := map[string]string{}
	for k, v := range raw {
		if glanceCreateFields[k] {
			continue
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			s.denyBadInput(w, r, "ims:images:create", imsd.Errorf(imsd.CodeBadRequest, "Attribute %q must be a string.", k))
			return
		}
		props[k] = str
	}
	img, err := s.svc.ImageCreate(r.Context(), principal(r), service.CreateImageInput{
		Name: in.Name, Visibility: in.Visibility, Protected: in.Protected, ContainerFormat: in.ContainerFormat,
		DiskFormat: in.DiskFormat, MinDisk: in.MinDisk, MinRAM: in.MinRAM, Tags: in.Tags, OSVersion: in.OSVersion,
		Description: in.Description, EnterpriseProjectID: in.EnterpriseProjectID, Props: props,
		CmkID: in.SystemCmkID, CmkIDAlt: in.CmkID,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v2/images/"+img.ID)
	writeJSON(w, http.StatusCreated, api.ImageJSON(img, api.ViewGlance))
}

func (s *Server) handleGlanceShow(w http.ResponseWriter, r *http.Request) {
	img, err := s.svc.ImageGet(r.Context(), principal(r), pathParam(r, "image_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.ImageJSON(img, api.ViewGlance))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.ImageDelete(r.Context(), principal(r), pathParam(r, "image_id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleQuota(w http.ResponseWriter, r *http.Request) {
	q, err := s.svc.Quota(r.Context(), principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"quotas": map[string]any{"resources": []map[string]any{
		{"type": "image", "used": q.Used, "quota": q.Quota, "min": 1, "max": max(q.Quota, 1000)},
	}}})
}

// patchOp is one operation of either patch dialect. Value is raw so both
// the IMS form (always a string) and the Glance form (any JSON) decode.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

func parsePatch(body []byte) ([]service.PatchOp, error) {
	var ops []patchOp
	if err := unmarshal(body, &ops); err != nil {
		return nil, err
	}
	out := make([]service.PatchOp, 0, len(ops))
	for _, op := range ops {
		attr := strings.TrimPrefix(op.Path, "/")
		if !strings.HasPrefix(op.Path, "/") || strings.Contains(attr, "/") {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "Patch path %q must be \"/<attribute>\".", op.Path)
		}
		v, err := patchValue(op.Value)
		if err != nil {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "Patch value of %q must be a string, number or boolean.", op.Path)
		}
		if op.Op != "remove" && op.Value == nil {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "Patch operation %q on %q needs a value.", op.Op, op.Path)
		}
		out = append(out, service.PatchOp{Op: op.Op, Attr: attr, Value: v})
	}
	return out, nil
}

func patchValue(raw json.RawMessage) (string, error) {
	if raw == nil || string(raw) == "null" {
		return "", nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch t := v.(type) {
	case string:
		return t, nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(t), nil
	}
	return "", imsd.Errorf(imsd.CodeBadRequest, "unsupported value")
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, mode service.UpdateMode, view api.View) {
	ctx, p := r.Context(), principal(r)
	body, empty, err := readBody(r)
	if err == nil && empty {
		err = imsd.Errorf(imsd.CodeBodyEmpty, "")
	}
	var ops []service.PatchOp
	if err == nil {
		ops, err = parsePatch(body)
	}
	if err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	img, err := s.svc.ImageUpdate(ctx, p, pathParam(r, "image_id"), ops, mode)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.ImageJSON(img, view))
}

func (s *Server) handleUpdateImage(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, service.UpdateIMS, api.ViewIMS)
}

func (s *Server) handleGlanceUpdate(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, service.UpdateGlance, api.ViewGlance)
}

// parseListQuery turns list query parameters into a service input. Unknown
// parameters are ignored, as Glance does.
func parseListQuery(v url.Values, glance bool) (service.ListImagesInput, error) {
	in := service.ListImagesInput{}
	q := &in.Query
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	q.ID, q.Name = get("id"), v.Get("name")
	if st := get("status"); st != "" {
		q.Statuses = []imsd.ImageStatus{imsd.ImageStatus(st)}
	}
	q.Visibility, q.ImageType = get("visibility"), get("__imagetype")
	q.DiskFormat, q.ContainerFormat, q.VirtualEnvType = get("disk_format"), get("container_format"), get("virtual_env_type")
	q.Tag = get("tag")
	q.CmkID = get("__system__cmkid")
	in.Owner = get("owner")
	in.EnterpriseProjectID = get("enterprise_project_id")
	for _, k := range []string{"min_ram", "min_disk"} {
		if s := get(k); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return in, imsd.Errorf(imsd.CodeBadRequest, "%s must be an integer.", k)
			}
			if k == "min_ram" {
				q.MinRAM = &n
			} else {
				q.MinDisk = &n
			}
		}
	}
	if s := get("protected"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return in, imsd.Errorf(imsd.CodeBadRequest, "protected must be true or false.")
		}
		q.Protected = &b
	}
	if s := get("__isregistered"); s != "" && s != "true" {
		q.Statuses = []imsd.ImageStatus{"none"} // only registered images exist
	}
	if s := get("__whole_image"); s == "true" {
		q.Statuses = []imsd.ImageStatus{"none"}
	}
	props := map[string]string{}
	for _, k := range []string{"__os_bit", "__platform", "__os_type", "__support_kvm", "__support_xen",
		"__support_largememory", "__support_diskintensive", "__support_highperformance", "__support_xen_gpu_type",
		"__support_kvm_gpu_type", "__support_xen_hana", "__support_kvm_infiniband", "__os_version", "hw_firmware_type"} {
		if s := get(k); s != "" {
			props[k] = s
		}
	}
	if len(props) > 0 {
		q.Props = props
	}
	for _, f := range []struct {
		key  string
		dest *[]imsd.TimeCondition
	}{{"created_at", &q.CreatedAt}, {"updated_at", &q.UpdatedAt}} {
		for _, s := range v[f.key] {
			c, err := api.ParseTimeCondition(s)
			if err != nil {
				return in, err
			}
			*f.dest = append(*f.dest, c)
		}
	}
	q.SortKey = strings.TrimSpace(v.Get("sort_key"))
	switch q.SortKey {
	case "", "name", "container_format", "disk_format", "status", "id", "size", "created_at", "updated_at":
	default:
		return in, imsd.Errorf(imsd.CodeBadRequest, "sort_key %q is not supported; use name, container_format, disk_format, status, id, size, created_at or updated_at.", q.SortKey)
	}
	switch strings.TrimSpace(v.Get("sort_dir")) {
	case "", "desc":
	case "asc":
		q.SortAsc = true
	default:
		return in, imsd.Errorf(imsd.CodeBadRequest, "sort_dir must be asc or desc.")
	}
	q.Marker = get("marker")
	limit := 500
	if glance {
		limit = 25
	}
	if s := get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return in, imsd.Errorf(imsd.CodeBadRequest, "limit must be a non-negative integer.")
		}
		limit = min(n, service.MaxListLimit)
	}
	q.Limit = limit
	return in, nil
}

func (s *Server) handleListImages(w http.ResponseWriter, r *http.Request) {
	in, err := parseListQuery(r.URL.Query(), false)
	if err != nil {
		s.denyBadInput(w, r, "ims:images:list", err)
		return
	}
	imgs, err := s.svc.ImageList(r.Context(), principal(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, len(imgs))
	for i, img := range imgs {
		out[i] = api.ImageJSON(img, api.ViewIMS)
	}
	writeJSON(w, http.StatusOK, map[string]any{"images": out})
}

func (s *Server) handleGlanceList(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	in, err := parseListQuery(v, true)
	if err != nil {
		s.denyBadInput(w, r, "ims:images:list", err)
		return
	}
	in.ProjectOnly = true
	limit := in.Query.Limit
	in.Query.Limit = limit + 1 // one more tells whether a next page exists
	imgs, err := s.svc.ImageList(r.Context(), principal(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	first := cloneValues(v)
	first.Del("marker")
	resp := map[string]any{"schema": "/v2/schemas/images", "first": "/v2/images" + encodeQuery(first)}
	if len(imgs) > limit && limit > 0 {
		imgs = imgs[:limit]
		next := cloneValues(v)
		next.Set("marker", imgs[len(imgs)-1].ID)
		resp["next"] = "/v2/images" + encodeQuery(next)
	}
	out := make([]map[string]any, len(imgs))
	for i, img := range imgs {
		out[i] = api.ImageJSON(img, api.ViewGlance)
	}
	resp["images"] = out
	writeJSON(w, http.StatusOK, resp)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func encodeQuery(v url.Values) string {
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}
