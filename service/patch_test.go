package service

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/imsd/imsd"
)

func TestDecodePointer(t *testing.T) {
	for _, tc := range []struct {
		name, pointer string
		want          []string // nil: refused
	}{
		{"plain", "/name", []string{"name"}},
		{"escaped slash", "/a~1b", []string{"a/b"}},
		{"escaped tilde", "/a~0b", []string{"a~b"}},
		{"tilde zero one is a tilde then 1", "/~01", []string{"~1"}},
		{"tilde one zero is a slash then 0", "/~10", []string{"/0"}},
		{"two tokens", "/tags/0", []string{"tags", "0"}},
		{"invalid escape", "/a~2b", nil},
		{"trailing tilde", "/a~", nil},
		{"tilde alone", "/~", nil},
		{"no leading slash", "name", nil},
		{"empty pointer", "", nil},
		{"root token empty", "/", nil},
		{"adjacent slashes", "/a//b", nil},
		{"trailing slash", "/name/", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodePointer(tc.pointer)
			if tc.want == nil {
				if err == nil || imsd.ErrorCode(err) != imsd.CodeBadRequest {
					t.Fatalf("decodePointer(%q) = %q, %v; want IMG.0001", tc.pointer, got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("decodePointer(%q) = %q, %v; want %q", tc.pointer, got, err, tc.want)
			}
		})
	}
}

func TestParsePatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode UpdateMode
		body string
		want []PatchOp // nil: refused with IMG.0001
	}{
		{"v2.1 replace", UpdateGlance, `[{"op":"replace","path":"/name","value":"x"}]`,
			[]PatchOp{{Op: "replace", Path: "/name", Attr: "name", Value: json.RawMessage(`"x"`)}}},
		{"remove needs no value", UpdateGlance, `[{"op":"remove","path":"/a~1b"}]`,
			[]PatchOp{{Op: "remove", Path: "/a~1b", Attr: "a/b"}}},
		{"null is a value", UpdateGlance, `[{"op":"add","path":"/name","value":null}]`,
			[]PatchOp{{Op: "add", Path: "/name", Attr: "name", Value: json.RawMessage(`null`)}}},
		{"empty document", UpdateGlance, `[]`, []PatchOp{}},
		{"draft 4 form", UpdateGlanceDraft4, `[{"replace":"/name","value":"x"},{"remove":"/k"}]`,
			[]PatchOp{{Op: "replace", Path: "/name", Attr: "name", Value: json.RawMessage(`"x"`)}, {Op: "remove", Path: "/k", Attr: "k"}}},
		{"locations keeps its depth for the table to refuse", UpdateGlance, `[{"op":"add","path":"/locations/-","value":{}}]`,
			[]PatchOp{{Op: "add", Path: "/locations/-", Attr: "locations", Value: json.RawMessage(`{}`)}}},
		{"not an array", UpdateGlance, `{"op":"replace","path":"/name","value":"x"}`, nil},
		{"not JSON", UpdateGlance, `[{"op":`, nil},
		{"element not an object", UpdateGlance, `["replace"]`, nil},
		{"null element", UpdateGlance, `[null]`, nil},
		{"missing op", UpdateGlance, `[{"path":"/name","value":"x"}]`, nil},
		{"op not a string", UpdateGlance, `[{"op":1,"path":"/name","value":"x"}]`, nil},
		{"unknown op", UpdateGlance, `[{"op":"bogus","path":"/name","value":"x"}]`, nil},
		{"RFC 6902 test is not supported", UpdateGlance, `[{"op":"test","path":"/name","value":"x"}]`, nil},
		{"RFC 6902 move is not supported", UpdateGlance, `[{"op":"move","from":"/name","path":"/x"}]`, nil},
		{"missing path", UpdateGlance, `[{"op":"replace","value":"x"}]`, nil},
		{"path not a string", UpdateGlance, `[{"op":"replace","path":["name"],"value":"x"}]`, nil},
		{"missing value", UpdateGlance, `[{"op":"add","path":"/name"}]`, nil},
		{"deeper path", UpdateGlance, `[{"op":"add","path":"/tags/-","value":"x"}]`, nil},
		{"invalid escape", UpdateGlance, `[{"op":"add","path":"/a~2","value":"x"}]`, nil},
		{"draft 4 with two ops", UpdateGlanceDraft4, `[{"replace":"/name","add":"/x","value":"x"}]`, nil},
		{"draft 4 with v2.1 form", UpdateGlanceDraft4, `[{"op":"replace","path":"/name","value":"x"}]`, nil},
		{"IMS reads the v2.1 form", UpdateIMS, `[{"op":"replace","path":"/min_ram","value":1024}]`,
			[]PatchOp{{Op: "replace", Path: "/min_ram", Attr: "min_ram", Value: json.RawMessage(`1024`)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePatch([]byte(tc.body), tc.mode)
			if tc.want == nil {
				if imsd.ErrorCode(err) != imsd.CodeBadRequest {
					t.Fatalf("ParsePatch = %+v, %v; want IMG.0001", got, err)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("ParsePatch = %+v, %v; want %+v", got, err, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.Op != w.Op || g.Path != w.Path || g.Attr != w.Attr || string(g.Value) != string(w.Value) {
					t.Fatalf("op %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// TestAttributeValues pins each type of the attribute table under both
// APIs' rules: Glance's strict JSON types, IMS's values as strings.
func TestAttributeValues(t *testing.T) {
	const bad = "refused"
	for _, tc := range []struct {
		attr, value string
		glance      any // the decoded value, or bad
		ims         any
	}{
		{"name", `"n"`, "n", "n"},
		{"name", `null`, nil, bad},
		{"name", `1`, bad, bad},
		{"name", `true`, bad, bad},
		{"name", `"a\u0007b"`, bad, "a\ab"}, // IMS: refused by the name rules when set
		{"min_ram", `1024`, int64(1024), int64(1024)},
		{"min_ram", `"1024"`, bad, int64(1024)},
		{"min_ram", `0`, int64(0), int64(0)},
		{"min_ram", `-1`, bad, bad},
		{"min_ram", `"-1"`, bad, bad},
		{"min_ram", `1.5`, bad, bad},
		{"min_ram", `1.0`, bad, bad},
		{"min_ram", `1e3`, bad, bad},
		{"min_ram", `"01024"`, bad, bad},
		{"min_ram", `" 1"`, bad, bad},
		{"min_ram", `2147483647`, int64(2147483647), int64(2147483647)},
		{"min_ram", `2147483648`, bad, bad},
		{"min_ram", `99999999999999999999`, bad, bad},
		{"min_ram", `null`, bad, bad},
		{"min_disk", `1024`, int64(1024), int64(1024)},
		{"min_disk", `1025`, bad, bad},
		{"protected", `true`, true, true},
		{"protected", `"true"`, bad, true},
		{"protected", `"yes"`, bad, bad},
		{"protected", `1`, bad, bad},
		{"os_hidden", `false`, false, false},
		{"max_ram", `"1024"`, int64(1024), int64(1024)},
		{"max_ram", `1024`, bad, int64(1024)},
		{"max_ram", `"-1"`, bad, bad},
		{"max_ram", `"big"`, bad, bad},
		{"__support_kvm", `"true"`, true, true},
		{"__support_kvm", `true`, bad, true},
		{"__support_kvm", `"maybe"`, bad, bad},
		{"hw_firmware_type", `"uefi"`, "uefi", "uefi"},
		{"hw_firmware_type", `"efi"`, bad, bad},
		{"visibility", `"public"`, "public", "public"}, // a valid value; refused with 403 when applied
		{"visibility", `"galaxy"`, bad, bad},
		{"disk_format", `null`, nil, bad},
		{"disk_format", `"qcow2"`, "qcow2", "qcow2"},
		{"disk_format", `"ploop"`, bad, bad},
		{"tags", `["a","b"]`, []string{"a", "b"}, []string{"a", "b"}},
		{"tags", `"a"`, bad, bad},
		{"tags", `["a",1]`, bad, bad},
		{"tags", `null`, bad, bad},
		{"__description", "\"line\\nbreak\"", "line\nbreak", "line\nbreak"},
		{"__description", `"esc\u001b"`, bad, bad},
		{"custom", `"v"`, "v", "v"},
		{"custom", `1`, bad, bad},
		{"custom", `""`, "", ""},
		{"custom", `"tab\there"`, bad, bad},
	} {
		for _, m := range []struct {
			name string
			mode UpdateMode
			want any
		}{{"glance", UpdateGlance, tc.glance}, {"ims", UpdateIMS, tc.ims}} {
			t.Run(m.name+" "+tc.attr+" "+tc.value, func(t *testing.T) {
				a, err := lookupAttr(tc.attr, m.mode)
				if err != nil {
					t.Fatal(err)
				}
				got, err := a.decode(json.RawMessage(tc.value), m.mode)
				if m.want == bad {
					if imsd.ErrorCode(err) != imsd.CodeBadRequest {
						t.Fatalf("decode = %#v, %v; want IMG.0001", got, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if gl, ok := got.([]string); ok {
					if !slices.Equal(gl, m.want.([]string)) {
						t.Fatalf("decode = %q, want %q", gl, m.want)
					}
					return
				}
				if got != m.want {
					t.Fatalf("decode = %#v, want %#v", got, m.want)
				}
			})
		}
	}
}

func TestPropertyNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"custom", true},
		{"hw_qemu_guest_agent", true},
		{"com.example:build-id", true},
		{"x9", true},
		{"Upper", false},
		{"", false},
		{"has space", false},
		{"a/b", false},
		{"a~b", false},
		{"画像", false},
		{"tab\tname", false},
		{string(make([]byte, 256)), false},
	} {
		if err := ValidatePropertyName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidatePropertyName(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	for _, name := range []string{"__imsd_job_id", "os_glance_import_task"} {
		if _, err := lookupAttr(name, UpdateGlance); imsd.ErrorCode(err) != imsd.CodeAttrForbidden {
			t.Errorf("lookupAttr(%q) = %v, want 403 reserved", name, err)
		}
	}
}
