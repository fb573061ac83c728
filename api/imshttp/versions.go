package imshttp

import (
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
	"github.com/imsd/imsd/service"
)

type version struct {
	ID     string
	Status string
}

var versions = []version{{"v2.1", "CURRENT"}, {"v2.0", "SUPPORTED"}, {"v1.0", "SUPPORTED"}}

func versionJSON(r *http.Request, v version) map[string]any {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return map[string]any{"id": v.ID, "status": v.Status, "updated": "2026-11-26T00:00:00Z",
		"links": []map[string]string{{"rel": "self", "href": scheme + "://" + r.Host + "/" + v.ID[:2] + "/"}}}
}

// handleListVersions answers version discovery (GET /). OTC documents 300
// Multiple Choices, as Glance answers.
func (s *Server) handleListVersions(w http.ResponseWriter, r *http.Request) {
	out := make([]map[string]any, len(versions))
	for i, v := range versions {
		out[i] = versionJSON(r, v)
	}
	httpkit.WriteJSON(w, http.StatusMultipleChoices, map[string]any{"versions": out})
}

func (s *Server) handleShowVersion(w http.ResponseWriter, r *http.Request) {
	want := chi.URLParam(r, "version")
	for _, v := range versions {
		if want == v.ID || want == v.ID[:2] {
			httpkit.WriteJSON(w, http.StatusOK, map[string]any{"versions": []map[string]any{versionJSON(r, v)}})
			return
		}
	}
	s.writeError(w, r, imsd.Errorf(imsd.CodeRouteNotFound, "No API version %q; see GET / for the versions.", want))
}

// imageSchemaProps is the "properties" object of the image schema, built
// from the service's attribute table so that the schema says exactly what
// PATCH /v2/images/{id} accepts.
func imageSchemaProps() map[string]any {
	props := map[string]any{}
	for _, a := range service.ImageAttributeSchemas() {
		p := map[string]any{"description": a.Description}
		if len(a.Types) == 1 {
			p["type"] = a.Types[0]
		} else {
			p["type"] = a.Types
		}
		if a.Enum != nil {
			p["enum"] = a.Enum
		}
		if a.Minimum != nil {
			p["minimum"] = *a.Minimum
		}
		if a.Maximum != nil {
			p["maximum"] = *a.Maximum
		}
		if a.Pattern != "" {
			p["pattern"] = a.Pattern
		}
		if a.MaxLength > 0 {
			if slices.Contains(a.Types, "array") {
				p["items"] = map[string]any{"type": "string", "maxLength": a.MaxLength}
			} else {
				p["maxLength"] = a.MaxLength
			}
		} else if slices.Contains(a.Types, "array") {
			p["items"] = map[string]any{"type": "string"}
		}
		if a.ReadOnly {
			p["readOnly"] = true
		}
		props[a.Name] = p
	}
	return props
}

// imageSchema is the Glance image schema: the table's attributes, and
// custom properties as strings.
func imageSchema() map[string]any {
	return map[string]any{"name": "image", "properties": imageSchemaProps(),
		"additionalProperties": map[string]any{"type": "string", "maxLength": service.PropertyMaxLength},
		"links":                []map[string]string{{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"}, {"rel": "describedby", "href": "{schema}"}}}
}

func (s *Server) handleImageSchema(w http.ResponseWriter, r *http.Request) {
	httpkit.WriteJSON(w, http.StatusOK, imageSchema())
}

func (s *Server) handleImagesSchema(w http.ResponseWriter, r *http.Request) {
	item := imageSchema()
	delete(item, "links")
	httpkit.WriteJSON(w, http.StatusOK, map[string]any{"name": "images",
		"properties": map[string]any{"images": map[string]any{"type": "array", "items": item},
			"schema": map[string]string{"type": "string"}, "first": map[string]string{"type": "string"}, "next": map[string]string{"type": "string"}},
		"links": []map[string]string{{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"}, {"rel": "describedby", "href": "{schema}"}}})
}

// osVersions is the catalogue of OS versions ListOsVersions reports.
var osVersions = []struct {
	platform string
	versions []string
}{
	{"CentOS", []string{"CentOS 7.9 64bit", "CentOS 8.2 64bit"}},
	{"Debian", []string{"Debian GNU/Linux 11.1.0 64bit", "Debian GNU/Linux 12.0.0 64bit"}},
	{"Ubuntu", []string{"Ubuntu 20.04 server 64bit", "Ubuntu 22.04 server 64bit", "Ubuntu 24.04 server 64bit"}},
	{"EulerOS", []string{"EulerOS 2.9 64bit"}},
	{"Huawei Cloud EulerOS", []string{"Huawei Cloud EulerOS 2.0 64bit"}},
	{"Windows", []string{"Windows Server 2019 Datacenter 64bit", "Windows Server 2022 Datacenter 64bit"}},
	{"Other", []string{"Other Linux(64 bit)", "Other Linux(32 bit)"}},
}

func (s *Server) handleOSVersions(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.Authorize(r.Context(), httpkit.Principal(r), service.Check{Action: "ims:images:list"}); err != nil {
		s.writeError(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, p := range osVersions {
		var list []map[string]any
		for _, v := range p.versions {
			bit, osType := 64, "Linux"
			if p.platform == "Windows" {
				osType = "Windows"
			}
			if v == "Other Linux(32 bit)" {
				bit = 32
			}
			list = append(list, map[string]any{"platform": p.platform, "os_version_key": v, "os_version": v, "os_bit": bit, "os_type": osType})
		}
		out = append(out, map[string]any{"platform": p.platform, "version_list": list})
	}
	httpkit.WriteJSON(w, http.StatusOK, out)
}
