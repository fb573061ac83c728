package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// ParseStrict is Parse with Huawei's published syntax enforced where Parse
// is lenient: Action and Resource must be arrays of strings, and every
// condition value an array of strings, as the IAM API's request model
// (CreateCloudServiceCustomPolicy) types them. The AWS-style single string
// ("Action": "ims:images:list") and bare numbers or booleans in conditions
// are refused, so a custom policy accepted here is accepted by Huawei Cloud
// too. Stored documents are canonical (arrays) and keep going through Parse.
func ParseStrict(data []byte) (*Document, error) {
	doc, err := Parse(data)
	if err != nil {
		return nil, err
	}
	var raw struct {
		Statement []struct {
			Action    json.RawMessage
			Resource  json.RawMessage
			Condition map[string]map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(data, &raw); err != nil { // Parse accepted it: cannot happen
		return nil, &Error{Statement: -1, Msg: "invalid JSON: " + err.Error()}
	}
	for i, st := range raw.Statement {
		if !isStringArray(st.Action) {
			return nil, &Error{Statement: i, Path: stmtPath(i, ".Action"), Msg: `must be an array of strings, like ["ims:images:list"]`}
		}
		if st.Resource != nil && !isStringArray(st.Resource) {
			return nil, &Error{Statement: i, Path: stmtPath(i, ".Resource"), Msg: "must be an array of strings"}
		}
		for op, keys := range st.Condition {
			for key, vals := range keys {
				if !isStringArray(vals) {
					return nil, &Error{Statement: i, Path: stmtPath(i, fmt.Sprintf(".Condition.%s.%s", op, key)),
						Msg: `must be an array of strings, like ["value"]`}
				}
			}
		}
	}
	return doc, nil
}

// isStringArray reports whether raw is a JSON array whose elements are all
// strings.
func isStringArray(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return false
	}
	for _, it := range items {
		if it = bytes.TrimSpace(it); len(it) == 0 || it[0] != '"' {
			return false
		}
	}
	return true
}
