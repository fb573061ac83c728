package imshttp

import (
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

// glanceCreateFields are the typed fields of POST /v2/images; every other
// string-valued key is stored as a custom attribute.
var glanceCreateFields = map[string]bool{
	"name": true, "visibility": true, "protected": true, "container_format": true, "disk_format": true,
	"min_disk": true, "min_ram": true, "tags": true, "__os_version": true, "__description": true,
	"enterprise_project_id": true, "os_hidden": true, "__system__cmkid": true, "cmk_id": true,
}

func (s *Server) handleGlanceCreate(w http.ResponseWriter, r *http.Request) {
	var raw map[string]json.RawMessage
	if err := httpkit.DecodeJSON(r, &raw); err != nil {
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
		Hidden              *bool    `json:"os_hidden"`
		SystemCmkID         string   `json:"__system__cmkid"`
		CmkID               string   `json:"cmk_id"`
	}
	body, _ := json.Marshal(raw)
	if err := httpkit.Unmarshal(body, &in); err != nil {
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
	img, err := s.svc.ImageCreate(r.Context(), httpkit.Principal(r), service.CreateImageInput{
		Name: in.Name, Visibility: in.Visibility, Protected: in.Protected, ContainerFormat: in.ContainerFormat,
		DiskFormat: in.DiskFormat, MinDisk: in.MinDisk, MinRAM: in.MinRAM, Tags: in.Tags, OSVersion: in.OSVersion,
		Description: in.Description, EnterpriseProjectID: in.EnterpriseProjectID, Hidden: in.Hidden, Props: props,
		CmkID: in.SystemCmkID, CmkIDAlt: in.CmkID,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v2/images/"+img.ID)
	httpkit.WriteJSON(w, http.StatusCreated, api.ImageJSON(img, api.ViewGlance))
}

func (s *Server) handleGlanceShow(w http.ResponseWriter, r *http.Request) {
	img, err := s.svc.ImageGet(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, api.ImageJSON(img, api.ViewGlance))
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.ImageDelete(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleQuota(w http.ResponseWriter, r *http.Request) {
	q, err := s.svc.Quota(r.Context(), httpkit.Principal(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"quotas": map[string]any{"resources": []map[string]any{
		{"type": "image", "used": q.Used, "quota": q.Quota, "min": 1, "max": max(q.Quota, 1000)},
	}}})
}

// patchMode picks the update rules from the request's content type.
// Glance's PATCH takes only its two JSON-patch media types, as OpenStack
// Glance does (415 otherwise, with Accept-Patch); IMS's takes
// application/json, which the SDK sends, and Glance's v2.1 media type,
// which Terraform's huaweicloud provider sends.
func patchMode(r *http.Request, glance bool) (service.UpdateMode, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	switch {
	case glance && mt == service.MediaJSONPatch21:
		return service.UpdateGlance, nil
	case glance && mt == service.MediaJSONPatch20:
		return service.UpdateGlanceDraft4, nil
	case !glance && (mt == "application/json" || mt == service.MediaJSONPatch21):
		return service.UpdateIMS, nil
	}
	accept := []string{service.MediaJSONPatch20, service.MediaJSONPatch21}
	if !glance {
		accept = []string{"application/json", service.MediaJSONPatch21}
	}
	return 0, imsd.Errorf(imsd.CodeUnsupportedMedia, "The content type %q is not supported; send %s.", r.Header.Get("Content-Type"), strings.Join(accept, " or "))
}

func (s *Server) update(w http.ResponseWriter, r *http.Request, glance bool) {
	ctx, p := r.Context(), httpkit.Principal(r)
	mode, err := patchMode(r, glance)
	if err != nil {
		if glance {
			w.Header().Set("Accept-Patch", service.MediaJSONPatch20+", "+service.MediaJSONPatch21)
		}
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	body, empty, err := httpkit.ReadBody(r)
	if err == nil && empty {
		err = imsd.Errorf(imsd.CodeBodyEmpty, "")
	}
	var ops []service.PatchOp
	if err == nil {
		ops, err = service.ParsePatch(body, mode)
	}
	if err != nil {
		s.denyBadInput(w, r, "ims:images:update", err)
		return
	}
	img, err := s.svc.ImageUpdate(ctx, p, httpkit.PathParam(r, "image_id"), ops, mode)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	view := api.ViewIMS
	if glance {
		view = api.ViewGlance
	}
	httpkit.WriteJSON(w, http.StatusOK, api.ImageJSON(img, view))
}

func (s *Server) handleUpdateImage(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, false)
}

func (s *Server) handleGlanceUpdate(w http.ResponseWriter, r *http.Request) {
	s.update(w, r, true)
}

// listEnums are the enumerated list filters and the values each accepts:
// the official SDK's ListImagesRequest enums, widened by what imsd stores
// (its disk formats, IsoImage) and, for the Glance list, by Glance's own
// values. A value outside them is a 400 naming the parameter, not an empty
// list that looks like "no such images".
var listEnums = []struct {
	name        string
	values      []string
	glanceExtra []string
}{
	{name: "__imagetype", values: []string{"gold", "private", "shared", "market"}},
	{name: "status", values: []string{"queued", "saving", "active", "killed", "deleted"},
		glanceExtra: []string{"uploading", "importing", "pending_delete", "deactivated"}},
	{name: "visibility", values: []string{"public", "private", "shared"}, glanceExtra: []string{"community", "all"}},
	{name: "member_status", values: []string{"accepted", "rejected", "pending"}, glanceExtra: []string{"all"}},
	{name: "virtual_env_type", values: []string{"FusionCompute", "Ironic", "DataImage", "IsoImage"}},
	{name: "__os_type", values: []string{"Linux", "Windows", "Other"}},
	{name: "__os_bit", values: []string{"32", "64"}},
	{name: "__platform", values: []string{"Windows", "Ubuntu", "RedHat", "SUSE", "CentOS", "Debian", "OpenSUSE",
		"Oracle Linux", "Fedora", "Other", "CoreOS", "EulerOS", "Huawei Cloud EulerOS"}},
	{name: "container_format", values: []string{"bare"}, glanceExtra: []string{"ovf", "aki", "ari", "ami", "ova", "docker", "compressed"}},
	{name: "hw_firmware_type", values: []string{"bios", "uefi"}},
	{name: "__isregistered", values: []string{"true", "false"}},
	{name: "__whole_image", values: []string{"true", "false"}},
	{name: "__support_kvm", values: []string{"true", "false"}},
	{name: "__support_xen", values: []string{"true", "false"}},
	{name: "__support_largememory", values: []string{"true", "false"}},
	{name: "__support_diskintensive", values: []string{"true", "false"}},
	{name: "__support_highperformance", values: []string{"true", "false"}},
	{name: "__support_xen_hana", values: []string{"true", "false"}},
	{name: "__support_kvm_infiniband", values: []string{"true", "false"}},
}

// checkListEnums refuses an enumerated filter with a value it cannot take.
// disk_format is checked against service.DiskFormats.
func checkListEnums(v url.Values, glance bool) error {
	for _, e := range listEnums {
		got := strings.TrimSpace(v.Get(e.name))
		if got == "" {
			continue
		}
		allowed := e.values
		if glance {
			allowed = append(slices.Clip(allowed), e.glanceExtra...)
		}
		if slices.Contains(allowed, got) {
			continue
		}
		return imsd.Errorf(imsd.CodeBadRequest, "Query parameter %s must be one of %s, not %q.", e.name, strings.Join(allowed, ", "), got)
	}
	if df := strings.TrimSpace(v.Get("disk_format")); df != "" && !service.DiskFormats[df] {
		formats := slices.Sorted(maps.Keys(service.DiskFormats))
		return imsd.Errorf(imsd.CodeBadRequest, "Query parameter disk_format must be one of %s, not %q.", strings.Join(formats, ", "), df)
	}
	return nil
}

// parseListQuery turns list query parameters into a service input. Unknown
// parameters are ignored, as Glance does; known enumerated ones must hold
// one of their values (listEnums).
func parseListQuery(v url.Values, glance bool) (service.ListImagesInput, error) {
	in := service.ListImagesInput{}
	if err := checkListEnums(v, glance); err != nil {
		return in, err
	}
	q := &in.Query
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	q.ID, q.Name = get("id"), v.Get("name")
	if st := get("status"); st != "" {
		q.Statuses = []imsd.ImageStatus{imsd.ImageStatus(st)}
	}
	q.Visibility, q.ImageType = get("visibility"), get("__imagetype")
	if q.Visibility == "all" { // Glance: no visibility filter
		q.Visibility = ""
	}
	q.DiskFormat, q.ContainerFormat, q.VirtualEnvType = get("disk_format"), get("container_format"), get("virtual_env_type")
	q.Tag = get("tag")
	q.CmkID = get("__system__cmkid")
	in.Owner = get("owner")
	in.MemberStatus = get("member_status")
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
	notProps := map[string]string{}
	// architecture (x86 or arm) is how Huawei's list and the Terraform data
	// source ask for __support_arm.
	switch get("architecture") {
	case "":
	case "arm":
		props["__support_arm"] = "true"
	case "x86":
		notProps["__support_arm"] = "true"
	default:
		return in, imsd.Errorf(imsd.CodeBadRequest, "architecture must be x86 or arm.")
	}
	if get("flavor_id") != "" {
		return in, imsd.Errorf(imsd.CodeBadRequest, "flavor_id is not supported: this server has no flavors to match images against.")
	}
	if glance {
		// Glance hides os_hidden images unless os_hidden=true asks for
		// exactly those.
		switch get("os_hidden") {
		case "", "false":
			notProps[imsd.PropHidden] = "true"
		case "true":
			props[imsd.PropHidden] = "true"
		default:
			return in, imsd.Errorf(imsd.CodeBadRequest, "os_hidden must be true or false.")
		}
	}
	if len(notProps) > 0 {
		q.PropsNot = notProps
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
	imgs, err := s.svc.ImageList(r.Context(), httpkit.Principal(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, len(imgs))
	for i, img := range imgs {
		out[i] = api.ImageJSON(img, api.ViewIMS)
	}
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"images": out})
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
	imgs, err := s.svc.ImageList(r.Context(), httpkit.Principal(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	resp, n := glancePage(v, "/v2/images", "/v2/schemas/images", len(imgs), limit, func(i int) string { return imgs[i].ID })
	imgs = imgs[:n]
	out := make([]map[string]any, len(imgs))
	for i, img := range imgs {
		out[i] = api.ImageJSON(img, api.ViewGlance)
	}
	resp["images"] = out
	httpkit.WriteJSON(w, http.StatusOK, resp)
}

// glancePage starts a Glance list body: its schema, its first link, and a
// next link when the n rows fetched (limit+1 were asked for) hold more
// than one page. It returns how many rows belong to this page.
func glancePage(v url.Values, path, schema string, n, limit int, idAt func(int) string) (map[string]any, int) {
	first := cloneValues(v)
	first.Del("marker")
	resp := map[string]any{"schema": schema, "first": path + encodeQuery(first)}
	if n > limit && limit > 0 {
		n = limit
		next := cloneValues(v)
		next.Set("marker", idAt(n-1))
		resp["next"] = path + encodeQuery(next)
	}
	return resp, n
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
