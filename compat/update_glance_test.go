package compat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
	"github.com/imsd/imsd/service"
)

// patchResult is the answer to a PATCH.
type patchResult struct {
	status int
	code   string
	header http.Header
	image  map[string]any
}

// patchImage sends a JSON patch to path with the content type and returns
// the answer.
func patchImage(t testing.TB, env *sdktest.Env, path, contentType, body string) patchResult {
	t.Helper()
	q := sdktest.Request{Method: "PATCH", Path: path, ContentType: contentType, Body: strings.NewReader(body)}
	if strings.HasPrefix(contentType, "application/json") {
		q.Body, q.JSONBody = nil, []byte(body) // the signer hashes JSON bodies
	}
	resp := env.Do(t, q)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	res := patchResult{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" {
			t.Fatalf("PATCH %s: %d with body %s", path, resp.StatusCode, b)
		}
		res.code = e.Error.Code
		return res
	}
	if err := json.Unmarshal(b, &res.image); err != nil {
		t.Fatalf("PATCH %s: %d with body %s", path, resp.StatusCode, b)
	}
	return res
}

// glancePatch sends a Glance v2.1 JSON patch.
func glancePatch(t testing.TB, env *sdktest.Env, id, body string) patchResult {
	t.Helper()
	return patchImage(t, env, "/v2/images/"+id, service.MediaJSONPatch21, body)
}

// TestGlancePatchContract drives PATCH /v2/images/{id} as OpenStack Glance
// defines it: every core attribute with its JSON type, custom properties,
// read-only and reserved attributes, JSON-pointer escapes, the order of
// operations and atomicity. Each case checks the answer and the stored
// image; a refused patch must leave the image exactly as it was.
func TestGlancePatchContract(t *testing.T) {
	env := sdktest.Start(t, nil)
	long := func(n int) string { return strings.Repeat("x", n) }
	manyTags := make([]string, service.MaxTagsPerImage+1)
	for i := range manyTags {
		manyTags[i] = fmt.Sprintf("t%d", i)
	}
	manyTagsJSON, _ := json.Marshal(manyTags)
	var manyProps []string
	for i := range service.MaxImageProperties {
		manyProps = append(manyProps, fmt.Sprintf(`{"op":"add","path":"/p%d","value":"v"}`, i))
	}
	type check func(t *testing.T, img *imsd.Image, resp map[string]any)
	prop := func(k, want string) check {
		return func(t *testing.T, img *imsd.Image, resp map[string]any) {
			t.Helper()
			got, ok := img.Properties[k]
			if !ok || got != want {
				t.Fatalf("stored %s = %q (present %v), want %q", k, got, ok, want)
			}
			if resp[k] != want {
				t.Fatalf("answered %s = %#v, want %q", k, resp[k], want)
			}
		}
	}
	noProp := func(k string) check {
		return func(t *testing.T, img *imsd.Image, resp map[string]any) {
			t.Helper()
			if v, ok := img.Properties[k]; ok {
				t.Fatalf("stored %s = %q, want it removed", k, v)
			}
			if _, ok := resp[k]; ok {
				t.Fatalf("answer still shows %s", k)
			}
		}
	}
	field := func(get func(*imsd.Image) any, key string, want any) check {
		return func(t *testing.T, img *imsd.Image, resp map[string]any) {
			t.Helper()
			if got := get(img); !reflect.DeepEqual(got, want) {
				t.Fatalf("stored %s = %#v, want %#v", key, got, want)
			}
			wantJSON, _ := json.Marshal(want)
			gotJSON, _ := json.Marshal(resp[key])
			if string(gotJSON) != string(wantJSON) {
				t.Fatalf("answered %s = %s, want %s", key, gotJSON, wantJSON)
			}
		}
	}
	name := func(want string) check { return field(func(i *imsd.Image) any { return i.Name }, "name", want) }
	tags := func(want ...string) check {
		if want == nil {
			want = []string{}
		}
		return field(func(i *imsd.Image) any {
			if i.Tags == nil {
				return []string{}
			}
			return i.Tags
		}, "tags", want)
	}
	all := func(cs ...check) check {
		return func(t *testing.T, img *imsd.Image, resp map[string]any) {
			t.Helper()
			for _, c := range cs {
				c(t, img, resp)
			}
		}
	}

	cases := []struct {
		name string
		// queued targets an image without data; otherwise an active one
		// with the property "existing" = "old" and the tag "old-tag".
		queued      bool
		contentType string
		body        string
		status      int
		code        string
		check       check // for a 200
	}{
		// name: a string or null, up to 255 characters.
		{name: "replace name", body: `[{"op":"replace","path":"/name","value":"renamed"}]`, status: 200, check: name("renamed")},
		{name: "add name replaces it", body: `[{"op":"add","path":"/name","value":"added"}]`, status: 200, check: name("added")},
		{name: "name null", body: `[{"op":"replace","path":"/name","value":null}]`, status: 200, check: name("")},
		{name: "name with Glance's looser characters", body: `[{"op":"replace","path":"/name","value":"Ubuntu 24.04 (minimal) + tools!"}]`, status: 200, check: name("Ubuntu 24.04 (minimal) + tools!")},
		{name: "name 255 characters", body: `[{"op":"replace","path":"/name","value":"` + long(255) + `"}]`, status: 200, check: name(long(255))},
		{name: "name 256 characters", body: `[{"op":"replace","path":"/name","value":"` + long(256) + `"}]`, status: 400, code: "IMG.0001"},
		{name: "name a number", body: `[{"op":"replace","path":"/name","value":1}]`, status: 400, code: "IMG.0001"},
		{name: "name a boolean", body: `[{"op":"replace","path":"/name","value":true}]`, status: 400, code: "IMG.0001"},
		{name: "name with a control character", body: `[{"op":"replace","path":"/name","value":"a\nb"}]`, status: 400, code: "IMG.0001"},
		{name: "remove name", body: `[{"op":"remove","path":"/name"}]`, status: 403, code: "IMG.0260"},

		// tags: a list of strings replacing the whole list.
		{name: "replace tags", body: `[{"op":"replace","path":"/tags","value":["a","b"]}]`, status: 200, check: tags("a", "b")},
		{name: "add tags replaces the list", body: `[{"op":"add","path":"/tags","value":["c"]}]`, status: 200, check: tags("c")},
		{name: "tags deduplicated", body: `[{"op":"replace","path":"/tags","value":["a","a","b"]}]`, status: 200, check: tags("a", "b")},
		{name: "tags key=value are IMS tags", body: `[{"op":"replace","path":"/tags","value":["env=prod","plain"]}]`, status: 200, check: tags("env=prod", "plain")},
		{name: "tags emptied", body: `[{"op":"replace","path":"/tags","value":[]}]`, status: 200, check: tags()},
		{name: "tags a string", body: `[{"op":"replace","path":"/tags","value":"a"}]`, status: 400, code: "IMG.0001"},
		{name: "tags with a number", body: `[{"op":"replace","path":"/tags","value":["a",1]}]`, status: 400, code: "IMG.0001"},
		{name: "tags null", body: `[{"op":"replace","path":"/tags","value":null}]`, status: 400, code: "IMG.0001"},
		{name: "tags over the limit", body: `[{"op":"replace","path":"/tags","value":` + string(manyTagsJSON) + `}]`, status: 400, code: "IMG.0001"},
		{name: "tag too long", body: `[{"op":"replace","path":"/tags","value":["` + long(256) + `"]}]`, status: 400, code: "IMG.0001"},
		{name: "append to tags", body: `[{"op":"add","path":"/tags/-","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "remove tags", body: `[{"op":"remove","path":"/tags"}]`, status: 403, code: "IMG.0260"},

		// min_disk, min_ram: integers >= 0.
		{name: "min_disk", body: `[{"op":"replace","path":"/min_disk","value":20}]`, status: 200, check: field(func(i *imsd.Image) any { return i.MinDisk }, "min_disk", 20)},
		{name: "min_ram", body: `[{"op":"add","path":"/min_ram","value":2048}]`, status: 200, check: field(func(i *imsd.Image) any { return i.MinRAM }, "min_ram", 2048)},
		{name: "min_ram zero", body: `[{"op":"replace","path":"/min_ram","value":0}]`, status: 200, check: field(func(i *imsd.Image) any { return i.MinRAM }, "min_ram", 0)},
		{name: "min_ram negative", body: `[{"op":"replace","path":"/min_ram","value":-1}]`, status: 400, code: "IMG.0001"},
		{name: "min_ram a string", body: `[{"op":"replace","path":"/min_ram","value":"2048"}]`, status: 400, code: "IMG.0001"},
		{name: "min_ram a fraction", body: `[{"op":"replace","path":"/min_ram","value":1.5}]`, status: 400, code: "IMG.0001"},
		{name: "min_ram over int32", body: `[{"op":"replace","path":"/min_ram","value":2147483648}]`, status: 400, code: "IMG.0001"},
		{name: "min_disk over 1024", body: `[{"op":"replace","path":"/min_disk","value":1025}]`, status: 400, code: "IMG.0001"},
		{name: "remove min_disk", body: `[{"op":"remove","path":"/min_disk"}]`, status: 403, code: "IMG.0260"},

		// protected, os_hidden: booleans.
		{name: "protected", body: `[{"op":"replace","path":"/protected","value":true}]`, status: 200, check: field(func(i *imsd.Image) any { return i.Protected }, "protected", true)},
		{name: "protected a string", body: `[{"op":"replace","path":"/protected","value":"true"}]`, status: 400, code: "IMG.0001"},
		{name: "os_hidden", body: `[{"op":"replace","path":"/os_hidden","value":true}]`, status: 200, check: field(func(i *imsd.Image) any { return i.Hidden() }, "os_hidden", true)},
		{name: "os_hidden a number", body: `[{"op":"replace","path":"/os_hidden","value":1}]`, status: 400, code: "IMG.0001"},

		// visibility: Glance's enum; imsd keeps images private.
		{name: "visibility private", body: `[{"op":"replace","path":"/visibility","value":"private"}]`, status: 200, check: field(func(i *imsd.Image) any { return i.Visibility }, "visibility", "private")},
		{name: "visibility public", body: `[{"op":"replace","path":"/visibility","value":"public"}]`, status: 403, code: "IMG.0260"},
		{name: "visibility shared", body: `[{"op":"replace","path":"/visibility","value":"shared"}]`, status: 403, code: "IMG.0260"},
		{name: "visibility unknown", body: `[{"op":"replace","path":"/visibility","value":"galaxy"}]`, status: 400, code: "IMG.0001"},

		// disk_format, container_format: only while queued.
		{name: "disk_format while queued", queued: true, body: `[{"op":"replace","path":"/disk_format","value":"qcow2"}]`, status: 200, check: field(func(i *imsd.Image) any { return i.DiskFormat }, "disk_format", "qcow2")},
		{name: "disk_format iso sets the environment", queued: true, body: `[{"op":"replace","path":"/disk_format","value":"iso"}]`, status: 200, check: field(func(i *imsd.Image) any { return i.VirtualEnvType }, "virtual_env_type", "IsoImage")},
		{name: "disk_format null while queued", queued: true, body: `[{"op":"replace","path":"/disk_format","value":null}]`, status: 200, check: field(func(i *imsd.Image) any { return i.DiskFormat }, "disk_format", "")},
		{name: "disk_format unknown", queued: true, body: `[{"op":"replace","path":"/disk_format","value":"ploop"}]`, status: 400, code: "IMG.0001"},
		{name: "disk_format once active", body: `[{"op":"replace","path":"/disk_format","value":"qcow2"}]`, status: 403, code: "IMG.0260"},
		{name: "container_format while queued", queued: true, body: `[{"op":"replace","path":"/container_format","value":"bare"}]`, status: 200, check: field(func(i *imsd.Image) any { return i.ContainerFormat }, "container_format", "bare")},
		{name: "container_format other than bare", queued: true, body: `[{"op":"replace","path":"/container_format","value":"ovf"}]`, status: 400, code: "IMG.0001"},
		{name: "container_format once active", body: `[{"op":"replace","path":"/container_format","value":"bare"}]`, status: 403, code: "IMG.0260"},
		{name: "any attribute while queued", queued: true, body: `[{"op":"replace","path":"/name","value":"q"}]`, status: 200, check: name("q")},

		// Read-only and reserved attributes: 403 whatever the operation.
		{name: "replace id", body: `[{"op":"replace","path":"/id","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "replace status", body: `[{"op":"replace","path":"/status","value":"active"}]`, status: 403, code: "IMG.0260"},
		{name: "replace checksum", body: `[{"op":"replace","path":"/checksum","value":"` + long(32) + `"}]`, status: 403, code: "IMG.0260"},
		{name: "replace size", body: `[{"op":"replace","path":"/size","value":1}]`, status: 403, code: "IMG.0260"},
		{name: "add virtual_size", body: `[{"op":"add","path":"/virtual_size","value":1}]`, status: 403, code: "IMG.0260"},
		{name: "replace owner", body: `[{"op":"replace","path":"/owner","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "remove created_at", body: `[{"op":"remove","path":"/created_at"}]`, status: 403, code: "IMG.0260"},
		{name: "replace os_hash_value", body: `[{"op":"replace","path":"/os_hash_value","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "replace self", body: `[{"op":"replace","path":"/self","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "replace __image_size", body: `[{"op":"replace","path":"/__image_size","value":"1"}]`, status: 403, code: "IMG.0260"},
		{name: "replace __imagetype", body: `[{"op":"replace","path":"/__imagetype","value":"gold"}]`, status: 403, code: "IMG.0260"},
		{name: "replace virtual_env_type", body: `[{"op":"replace","path":"/virtual_env_type","value":"Ironic"}]`, status: 403, code: "IMG.0260"},
		{name: "add a location", body: `[{"op":"add","path":"/locations/-","value":{"url":"file:///etc/passwd","metadata":{}}}]`, status: 403, code: "IMG.0260"},
		{name: "replace direct_url", body: `[{"op":"replace","path":"/direct_url","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "add deleted", body: `[{"op":"add","path":"/deleted","value":"true"}]`, status: 403, code: "IMG.0260"},
		{name: "add an internal property", body: `[{"op":"add","path":"/__imsd_job_id","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "add an os_glance_ property", body: `[{"op":"add","path":"/os_glance_import_task","value":"x"}]`, status: 403, code: "IMG.0260"},

		// Custom properties: strings, stored and returned as strings.
		{name: "add a property", body: `[{"op":"add","path":"/hw_qemu_guest_agent","value":"yes"}]`, status: 200, check: prop("hw_qemu_guest_agent", "yes")},
		{name: "add a namespaced property", body: `[{"op":"add","path":"/com.example:build-id","value":"42"}]`, status: 200, check: prop("com.example:build-id", "42")},
		{name: "add an empty property", body: `[{"op":"add","path":"/empty","value":""}]`, status: 200, check: prop("empty", "")},
		{name: "add of an existing property replaces it", body: `[{"op":"add","path":"/existing","value":"new"}]`, status: 200, check: prop("existing", "new")},
		{name: "replace an existing property", body: `[{"op":"replace","path":"/existing","value":"new"}]`, status: 200, check: prop("existing", "new")},
		{name: "replace a missing property", body: `[{"op":"replace","path":"/missing","value":"x"}]`, status: 409, code: "IMG.0261"},
		{name: "remove a property", body: `[{"op":"remove","path":"/existing"}]`, status: 200, check: noProp("existing")},
		{name: "remove a missing property", body: `[{"op":"remove","path":"/missing"}]`, status: 409, code: "IMG.0261"},
		{name: "property a number", body: `[{"op":"add","path":"/custom","value":1}]`, status: 400, code: "IMG.0001"},
		{name: "property a boolean", body: `[{"op":"add","path":"/custom","value":true}]`, status: 400, code: "IMG.0001"},
		{name: "property an object", body: `[{"op":"add","path":"/custom","value":{"a":"b"}}]`, status: 400, code: "IMG.0001"},
		{name: "property null", body: `[{"op":"add","path":"/custom","value":null}]`, status: 400, code: "IMG.0001"},
		{name: "property value 256 characters", body: `[{"op":"add","path":"/custom","value":"` + long(256) + `"}]`, status: 400, code: "IMG.0001"},
		{name: "property name upper case", body: `[{"op":"add","path":"/Custom","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "property name 256 characters", body: `[{"op":"add","path":"/` + long(256) + `","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "property name with a space", body: `[{"op":"add","path":"/a b","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "property name not ASCII", body: `[{"op":"add","path":"/画像","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "properties over the limit", body: "[" + strings.Join(manyProps, ",") + "]", status: 400, code: "IMG.0001"},
		{name: "metadata is reserved (gophercloud reads it as an object)", body: `[{"op":"add","path":"/metadata","value":"x"}]`, status: 403, code: "IMG.0260"},

		// IMS extension attributes keep their types in Glance's strict form.
		{name: "max_ram as a string", body: `[{"op":"add","path":"/max_ram","value":"4096"}]`, status: 200, check: prop("max_ram", "4096")},
		{name: "max_ram as a number", body: `[{"op":"add","path":"/max_ram","value":4096}]`, status: 400, code: "IMG.0001"},
		{name: "max_ram negative", body: `[{"op":"add","path":"/max_ram","value":"-1"}]`, status: 400, code: "IMG.0001"},
		{name: "replace a missing max_ram", body: `[{"op":"replace","path":"/max_ram","value":"1"}]`, status: 409, code: "IMG.0261"},
		{name: "__support_kvm", body: `[{"op":"add","path":"/__support_kvm","value":"true"}]`, status: 200, check: prop("__support_kvm", "true")},
		{name: "__support_kvm a boolean", body: `[{"op":"add","path":"/__support_kvm","value":true}]`, status: 400, code: "IMG.0001"},
		{name: "hw_firmware_type", body: `[{"op":"add","path":"/hw_firmware_type","value":"uefi"}]`, status: 200, check: prop("hw_firmware_type", "uefi")},
		{name: "hw_firmware_type unknown", body: `[{"op":"add","path":"/hw_firmware_type","value":"efi"}]`, status: 400, code: "IMG.0001"},
		{name: "__description", body: `[{"op":"replace","path":"/__description","value":"two\nlines"}]`, status: 200, check: field(func(i *imsd.Image) any { return i.Description }, "__description", "two\nlines")},
		{name: "remove __description", body: `[{"op":"remove","path":"/__description"}]`, status: 200, check: field(func(i *imsd.Image) any { return i.Description }, "__description", "")},
		{name: "__description too long", body: `[{"op":"replace","path":"/__description","value":"` + long(1025) + `"}]`, status: 400, code: "IMG.0004"},
		{name: "__os_version derives the platform", body: `[{"op":"replace","path":"/__os_version","value":"Debian GNU/Linux 12.0.0 64bit"}]`, status: 200, check: prop("__platform", "Debian")},

		// RFC 6901 pointers.
		{name: "escaped slash names a property with a slash", body: `[{"op":"add","path":"/a~1b","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "invalid escape", body: `[{"op":"add","path":"/a~2b","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "trailing tilde", body: `[{"op":"add","path":"/ab~","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "pointer without slash", body: `[{"op":"add","path":"name","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "whole-document pointer", body: `[{"op":"add","path":"","value":{}}]`, status: 400, code: "IMG.0001"},
		{name: "escaped name of a core attribute", body: `[{"op":"replace","path":"/na~0me","value":"x"}]`, status: 400, code: "IMG.0001"},

		// RFC 6902 order and atomicity.
		{name: "operations apply in order", body: `[{"op":"add","path":"/k","value":"1"},{"op":"replace","path":"/k","value":"2"}]`, status: 200, check: prop("k", "2")},
		{name: "remove then add", body: `[{"op":"remove","path":"/existing"},{"op":"add","path":"/existing","value":"again"}]`, status: 200, check: prop("existing", "again")},
		{name: "add then remove", body: `[{"op":"add","path":"/k","value":"1"},{"op":"remove","path":"/k"}]`, status: 200, check: noProp("k")},
		{name: "remove then replace", body: `[{"op":"remove","path":"/existing"},{"op":"replace","path":"/existing","value":"x"}]`, status: 409, code: "IMG.0261"},
		{name: "one bad operation changes nothing", body: `[{"op":"replace","path":"/name","value":"ok"},{"op":"add","path":"/k","value":"v"},{"op":"replace","path":"/min_ram","value":-1}]`, status: 400, code: "IMG.0001"},
		{name: "a refused operation after good ones changes nothing", body: `[{"op":"replace","path":"/tags","value":[]},{"op":"replace","path":"/id","value":"x"}]`, status: 403, code: "IMG.0260"},
		{name: "empty patch", body: `[]`, status: 200, check: name("target")},

		// The document and its media type.
		{name: "not an array", body: `{"op":"replace","path":"/name","value":"x"}`, status: 400, code: "IMG.0001"},
		{name: "operation not an object", body: `["replace"]`, status: 400, code: "IMG.0001"},
		{name: "missing op", body: `[{"path":"/name","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "unknown op", body: `[{"op":"bogus","path":"/name","value":"x"}]`, status: 400, code: "IMG.0001"},
		{name: "RFC 6902 test", body: `[{"op":"test","path":"/name","value":"target"}]`, status: 400, code: "IMG.0001"},
		{name: "missing value", body: `[{"op":"replace","path":"/name"}]`, status: 400, code: "IMG.0001"},
		{name: "empty body", body: ``, status: 400, code: "IMG.0007"},
		{name: "application/json", contentType: "application/json", body: `[{"op":"replace","path":"/name","value":"x"}]`, status: 415, code: "IMG.0262"},
		{name: "text/plain", contentType: "text/plain", body: `[{"op":"replace","path":"/name","value":"x"}]`, status: 415, code: "IMG.0262"},
		{name: "v2.1 media type with a charset", contentType: service.MediaJSONPatch21 + "; charset=UTF-8", body: `[{"op":"replace","path":"/name","value":"cs"}]`, status: 200, check: name("cs")},
		{name: "v2.0 media type", contentType: service.MediaJSONPatch20, body: `[{"replace":"/name","value":"d4"},{"add":"/k","value":"v"}]`, status: 200, check: all(name("d4"), prop("k", "v"))},
		{name: "v2.0 add of an existing property", contentType: service.MediaJSONPatch20, body: `[{"add":"/existing","value":"x"}]`, status: 409, code: "IMG.0261"},
		{name: "v2.0 add of a core attribute", contentType: service.MediaJSONPatch20, body: `[{"add":"/name","value":"x"}]`, status: 409, code: "IMG.0261"},
		{name: "v2.0 remove", contentType: service.MediaJSONPatch20, body: `[{"remove":"/existing"}]`, status: 200, check: noProp("existing")},
		{name: "v2.0 body in the v2.1 form", contentType: service.MediaJSONPatch20, body: `[{"op":"replace","path":"/name","value":"x"}]`, status: 400, code: "IMG.0001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var id string
			if tc.queued {
				id = createImage(t, env, "target", "raw")
			} else {
				id = activeImage(t, env, "target", randomBytes(t, 1024))
				if r := glancePatch(t, env, id, `[{"op":"add","path":"/existing","value":"old"},{"op":"add","path":"/tags","value":["old-tag"]}]`); r.status != 200 {
					t.Fatalf("fixture: %d %s", r.status, r.code)
				}
			}
			before := storedImage(t, env, id)
			ct := tc.contentType
			if ct == "" {
				ct = service.MediaJSONPatch21
			}
			res := patchImage(t, env, "/v2/images/"+id, ct, tc.body)
			if res.status != tc.status || res.code != tc.code {
				t.Fatalf("PATCH = %d %s, want %d %s", res.status, res.code, tc.status, tc.code)
			}
			after := storedImage(t, env, id)
			if tc.status != 200 {
				if !reflect.DeepEqual(before, after) {
					t.Fatalf("a refused patch changed the image:\nbefore %+v\nafter  %+v", before, after)
				}
				if tc.status == 415 && res.header.Get("Accept-Patch") != service.MediaJSONPatch20+", "+service.MediaJSONPatch21 {
					t.Fatalf("415 without Accept-Patch: %q", res.header.Get("Accept-Patch"))
				}
				return
			}
			if res.image["id"] != id {
				t.Fatalf("answer is not the image: %v", res.image)
			}
			tc.check(t, after, res.image)
			if tc.body == `[]` && !after.UpdatedAt.Equal(before.UpdatedAt) {
				t.Fatalf("an empty patch moved updated_at")
			}
		})
	}
}

// TestGlanceHiddenImages: os_hidden images leave the default Glance list
// and are listed by os_hidden=true, as in Glance; show still finds them.
func TestGlanceHiddenImages(t *testing.T) {
	env := sdktest.Start(t, nil)
	shown := activeImage(t, env, "shown", randomBytes(t, 512))
	hidden := activeImage(t, env, "hidden", randomBytes(t, 512))
	if r := glancePatch(t, env, hidden, `[{"op":"replace","path":"/os_hidden","value":true}]`); r.status != 200 || r.image["os_hidden"] != true {
		t.Fatalf("hide: %d %s %v", r.status, r.code, r.image["os_hidden"])
	}
	list := func(query string) []string {
		t.Helper()
		q := map[string][]string{}
		if query != "" {
			k, v, _ := strings.Cut(query, "=")
			q[k] = []string{v}
		}
		resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images", Query: q})
		defer resp.Body.Close()
		var out struct {
			Images []struct{ ID string } `json:"images"`
		}
		if resp.StatusCode != 200 || jsonDecode(resp.Body, &out) != nil {
			t.Fatalf("list ?%s: %d", query, resp.StatusCode)
		}
		var ids []string
		for _, img := range out.Images {
			ids = append(ids, img.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := list(""); !slices.Equal(got, []string{shown}) {
		t.Fatalf("default list %v, want only %s", got, shown)
	}
	if got := list("os_hidden=false"); !slices.Equal(got, []string{shown}) {
		t.Fatalf("os_hidden=false list %v, want only %s", got, shown)
	}
	if got := list("os_hidden=true"); !slices.Equal(got, []string{hidden}) {
		t.Fatalf("os_hidden=true list %v, want only %s", got, hidden)
	}
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images", Query: map[string][]string{"os_hidden": {"maybe"}}})
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("os_hidden=maybe: %d, want 400", resp.StatusCode)
	}
	resp = env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + hidden})
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("show hidden image: %d", resp.StatusCode)
	}
}
