package service

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
)

// PatchOp is one operation of a JSON patch on an image.
type PatchOp struct {
	// Op is add, replace or remove.
	Op string
	// Path is the JSON pointer as sent, e.g. "/name".
	Path string
	// Attr is the attribute Path names, unescaped (RFC 6901).
	Attr string
	// Value is the raw JSON value; nil when the operation has none.
	Value json.RawMessage
}

// Glance's media types for PATCH /v2/images/{id}, and the update mode each
// selects.
const (
	MediaJSONPatch21 = "application/openstack-images-v2.1-json-patch"
	MediaJSONPatch20 = "application/openstack-images-v2.0-json-patch"
)

// patchOps are the operations Glance supports (RFC 6902 also has move,
// copy and test, which Glance refuses).
var patchOps = []string{"add", "remove", "replace"}

// ParsePatch reads a JSON patch document: an array of operation objects,
// each with a known op, a JSON pointer naming one attribute (RFC 6901
// escapes ~0 and ~1; any other ~ is refused) and, for add and replace, a
// value. It checks the document's shape only; ImageUpdate checks each
// operation against the attribute table once the caller may update the
// image.
func ParsePatch(body []byte, mode UpdateMode) ([]PatchOp, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "The request body is not valid JSON: %v", err)
		}
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The request body must be a JSON array of operation objects.")
	}
	out := make([]PatchOp, 0, len(raw))
	for i, r := range raw {
		op, err := parseOp(r, mode)
		if err != nil {
			if e, ok := err.(*imsd.Error); ok && len(raw) > 1 {
				e.Message = "Operation " + strconv.Itoa(i) + ": " + e.Message
			}
			return nil, err
		}
		out = append(out, op)
	}
	return out, nil
}

func parseOp(raw json.RawMessage, mode UpdateMode) (PatchOp, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return PatchOp{}, imsd.Errorf(imsd.CodeBadRequest, "Operations must be JSON objects.")
	}
	str := func(key string) (string, bool, error) {
		v, ok := m[key]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, imsd.Errorf(imsd.CodeBadRequest, "The member %q of an operation must be a string.", key)
		}
		return s, true, nil
	}
	var op PatchOp
	if mode == UpdateGlanceDraft4 {
		found := 0
		for _, name := range patchOps {
			path, ok, err := str(name)
			if err != nil {
				return op, err
			}
			if ok {
				op.Op, op.Path = name, path
				found++
			}
		}
		if found != 1 {
			return op, imsd.Errorf(imsd.CodeBadRequest, "An operation must have exactly one of the members add, remove or replace, naming the path.")
		}
	} else {
		name, ok, err := str("op")
		if err != nil {
			return op, err
		}
		if !ok {
			return op, imsd.Errorf(imsd.CodeBadRequest, "Unable to find \"op\" in the operation; it must be one of add, remove, replace.")
		}
		switch name {
		case "add", "remove", "replace":
		case "move", "copy", "test":
			return op, imsd.Errorf(imsd.CodeBadRequest, "The operation %q is not supported; use add, remove or replace.", name)
		default:
			return op, imsd.Errorf(imsd.CodeBadRequest, "Invalid operation %q; it must be one of add, remove, replace.", name)
		}
		op.Op = name
		path, ok, err := str("path")
		if err != nil {
			return op, err
		}
		if !ok {
			return op, imsd.Errorf(imsd.CodeBadRequest, "Unable to find \"path\" in the operation.")
		}
		op.Path = path
	}
	tokens, err := decodePointer(op.Path)
	if err != nil {
		return op, err
	}
	// Every attribute is one level deep. Glance also takes /locations/N,
	// which the attribute table refuses as a whole.
	if len(tokens) != 1 && tokens[0] != "locations" {
		return op, imsd.Errorf(imsd.CodeBadRequest, "Invalid JSON pointer for this resource: %q; a path names one attribute, like \"/name\".", op.Path)
	}
	op.Attr = tokens[0]
	if op.Op != "remove" {
		v, ok := m["value"]
		if !ok {
			return op, imsd.Errorf(imsd.CodeBadRequest, "Operation %q requires a member named \"value\".", op.Op)
		}
		op.Value = v
	}
	return op, nil
}

// decodePointer splits an RFC 6901 JSON pointer into its unescaped
// reference tokens: ~1 is '/', ~0 is '~', and a '~' followed by anything
// else is refused. The empty pointer (the whole image) and empty tokens
// are refused too: no attribute has an empty name.
func decodePointer(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The path %q must be a JSON pointer starting with \"/\", like \"/name\".", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, part := range parts {
		if part == "" {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "The path %q has an empty reference token.", p)
		}
		var b strings.Builder
		for j := 0; j < len(part); j++ {
			if part[j] != '~' {
				b.WriteByte(part[j])
				continue
			}
			if j+1 < len(part) && (part[j+1] == '0' || part[j+1] == '1') {
				b.WriteByte("~/"[part[j+1]-'0'])
				j++
				continue
			}
			return nil, imsd.Errorf(imsd.CodeBadRequest, "The path %q contains \"~\" not part of an escape (~0 or ~1).", p)
		}
		parts[i] = b.String()
	}
	return parts, nil
}
