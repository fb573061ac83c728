package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// jsonSchema is the part of JSON Schema (draft 4) /v2/schemas/image uses.
type jsonSchema struct {
	Type                 any                    `json:"type"` // a string or a list of strings
	Enum                 []any                  `json:"enum"`
	Minimum              *float64               `json:"minimum"`
	Maximum              *float64               `json:"maximum"`
	MaxLength            *int                   `json:"maxLength"`
	Pattern              string                 `json:"pattern"`
	Items                *jsonSchema            `json:"items"`
	ReadOnly             bool                   `json:"readOnly"`
	Properties           map[string]*jsonSchema `json:"properties"`
	AdditionalProperties *jsonSchema            `json:"additionalProperties"`
}

func (s *jsonSchema) types() []string {
	switch t := s.Type.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// validate returns why v does not match s, or "".
func (s *jsonSchema) validate(v any) string {
	kind := "null"
	switch t := v.(type) {
	case string:
		kind = "string"
	case bool:
		kind = "boolean"
	case float64:
		kind = "number"
		if t == math.Trunc(t) {
			kind = "integer"
		}
	case []any:
		kind = "array"
	case map[string]any:
		kind = "object"
	}
	if ts := s.types(); !slices.Contains(ts, kind) && !(kind == "integer" && slices.Contains(ts, "number")) {
		return fmt.Sprintf("%s is not of type %v", kind, ts)
	}
	if s.Enum != nil && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) && (e == nil) == (v == nil) }) {
		return fmt.Sprintf("%v is not one of %v", v, s.Enum)
	}
	switch t := v.(type) {
	case float64:
		if s.Minimum != nil && t < *s.Minimum || s.Maximum != nil && t > *s.Maximum {
			return fmt.Sprintf("%v is out of range", t)
		}
	case string:
		if s.MaxLength != nil && len([]rune(t)) > *s.MaxLength {
			return fmt.Sprintf("longer than %d", *s.MaxLength)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(t) {
			return fmt.Sprintf("%q does not match %s", t, s.Pattern)
		}
	case []any:
		for i, e := range t {
			if why := s.Items.validate(e); why != "" {
				return fmt.Sprintf("item %d: %s", i, why)
			}
		}
	}
	return ""
}

// validateImage checks an image as the Glance API shows it against the
// image schema, as python-glanceclient (warlock) does with every answer.
func (s *jsonSchema) validateImage(t *testing.T, img map[string]any) {
	t.Helper()
	for k, v := range img {
		p := s.Properties[k]
		if p == nil {
			p = s.AdditionalProperties
		}
		if why := p.validate(v); why != "" {
			t.Errorf("image attribute %s = %#v does not match the schema: %s", k, v, why)
		}
	}
}

// valueSamples returns values the schema accepts for a property and
// values it refuses.
func valueSamples(name string, p *jsonSchema) (good, bad []any) {
	ts := p.types()
	if slices.Contains(ts, "null") {
		good = append(good, nil)
	} else {
		bad = append(bad, nil)
	}
	switch {
	case p.Enum != nil:
		for _, e := range p.Enum {
			if e != nil {
				good = append(good, e)
			}
		}
		bad = append(bad, "not-in-the-enum", 1)
	case slices.Contains(ts, "string"):
		good = append(good, "x")
		if p.Pattern != "" {
			good, bad = []any{"0", "1024"}, append(bad, "x", "-1", 1024)
		}
		if p.MaxLength != nil && p.Pattern == "" {
			good = append(good, strings.Repeat("y", *p.MaxLength))
			bad = append(bad, strings.Repeat("y", *p.MaxLength+1))
		}
		bad = append(bad, 1, true)
	case slices.Contains(ts, "integer") && p.Minimum == nil: // read-only
		good = append(good, 0)
	case slices.Contains(ts, "integer"):
		good = append(good, *p.Minimum, *p.Maximum)
		bad = append(bad, *p.Minimum-1, *p.Maximum+1, 1.5, fmt.Sprint(*p.Minimum))
	case slices.Contains(ts, "boolean"):
		good = append(good, true, false)
		bad = append(bad, "true", 1)
	case slices.Contains(ts, "array"):
		good = append(good, []any{"a", "b"}, []any{})
		bad = append(bad, "a", []any{1})
	}
	switch name { // values the schema cannot express
	case "enterprise_project_id": // must name an enterprise project
		good, bad = []any{"0"}, []any{1, nil}
	case "__os_version":
		good = slices.DeleteFunc(good, func(v any) bool { return v == "" })
	}
	return good, bad
}

// TestImageSchemaAgreesWithPatch: /v2/schemas/image says what PATCH
// /v2/images/{id} accepts. For every property, values the schema allows
// are accepted (readOnly ones refused with 403) and values it refuses are
// refused with 400; every answer validates against the schema.
func TestImageSchemaAgreesWithPatch(t *testing.T) {
	env := sdktest.Start(t, nil)
	sch, err := env.IMS.GlanceShowImageSchemas(&model.GlanceShowImageSchemasRequest{})
	if err != nil || *sch.Name != "image" {
		t.Fatalf("GlanceShowImageSchemas: %v", err)
	}
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/schemas/image"})
	var schema jsonSchema
	if err := jsonDecode(resp.Body, &schema); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, k := range []string{"name", "tags", "min_ram", "min_disk", "protected", "os_hidden", "visibility", "checksum"} {
		if schema.Properties[k] == nil {
			t.Fatalf("schema lacks %s", k)
		}
	}
	active := activeImage(t, env, "schema", randomBytes(t, 1024))
	queued := createImage(t, env, "schema-queued", "")
	names := make([]string, 0, len(schema.Properties))
	for k := range schema.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	accepted := 0
	for _, name := range names {
		p := schema.Properties[name]
		good, bad := valueSamples(name, p)
		for _, v := range good {
			t.Run(fmt.Sprintf("%s=%.40s", name, fmt.Sprint(v)), func(t *testing.T) {
				id := active
				if name == "disk_format" || name == "container_format" {
					id = queued
				}
				body, _ := json.Marshal([]map[string]any{{"op": "add", "path": "/" + name, "value": v}})
				r := glancePatch(t, env, id, string(body))
				switch {
				case p.ReadOnly:
					if r.status != 403 {
						t.Fatalf("readOnly attribute: %d %s, want 403", r.status, r.code)
					}
				case name == "visibility" && v != "private":
					if r.status != 403 { // valid, but imsd keeps images private
						t.Fatalf("%d %s, want 403", r.status, r.code)
					}
				default:
					if r.status != 200 {
						t.Fatalf("a value the schema allows: %d %s", r.status, r.code)
					}
					accepted++
					schema.validateImage(t, r.image)
				}
			})
		}
		if p.ReadOnly {
			continue
		}
		for _, v := range bad {
			t.Run(fmt.Sprintf("%s=%.40s refused", name, fmt.Sprint(v)), func(t *testing.T) {
				body, _ := json.Marshal([]map[string]any{{"op": "add", "path": "/" + name, "value": v}})
				if r := glancePatch(t, env, queued, string(body)); r.status != 400 {
					t.Fatalf("a value the schema refuses: %d %s, want 400", r.status, r.code)
				}
			})
		}
	}
	if accepted < 20 {
		t.Fatalf("only %d accepted samples; the schema lost its properties?", accepted)
	}
	// Custom properties: additionalProperties.
	if a := schema.AdditionalProperties; a == nil || a.validate("x") != "" || a.validate(1.0) == "" {
		t.Fatalf("additionalProperties %+v, want strings only", a)
	}
	for _, id := range []string{active, queued} {
		resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id})
		var img map[string]any
		if err := jsonDecode(resp.Body, &img); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		schema.validateImage(t, img)
	}
}

// TestNoPropertyShadowsATypedField: the clients decode some image fields
// as numbers, booleans, lists or objects; a custom property (always a
// string) of that name would make every answer about the image
// undecodable. Each such field of the Huawei SDK's and gophercloud's image
// models is a typed attribute of the table, or a name PATCH refuses.
func TestNoPropertyShadowsATypedField(t *testing.T) {
	env := sdktest.Start(t, nil)
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/schemas/image"})
	var schema jsonSchema
	if err := jsonDecode(resp.Body, &schema); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := activeImage(t, env, "shadow", randomBytes(t, 512))
	fields := map[string]bool{}
	for _, m := range []any{model.ImageInfo{}, model.GlanceShowImageResponse{}, model.GlanceShowImageListResponseBody{},
		model.UpdateImageResponse{}, model.GlanceUpdateImageResponse{}, model.GlanceCreateImageMetadataResponse{}, images.Image{}} {
		typ := reflect.TypeOf(m)
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Interface: // takes a string too
				continue
			case reflect.String, reflect.Struct: // strings, and the SDK's enums (decoded from strings)
				if ft != reflect.TypeOf(time.Time{}) {
					continue
				}
			}
			if name != "" && name != "-" {
				fields[name] = true
			}
		}
	}
	for _, extra := range []string{"size", "os_hidden", "metadata"} { // gophercloud's fields it decodes by hand
		fields[extra] = true
	}
	if len(fields) < 8 {
		t.Fatalf("found only %v", fields)
	}
	for name := range fields {
		if p := schema.Properties[name]; p != nil && !slices.Contains(p.types(), "string") {
			continue
		}
		r := glancePatch(t, env, id, `[{"op":"add","path":"/`+name+`","value":"x"}]`)
		if r.status == 200 {
			t.Errorf("%s: a string property of this name is accepted, and would break the clients' decoding", name)
		}
	}
}
