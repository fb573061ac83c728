package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxDocumentSize is the largest document Parse accepts, in bytes. Huawei
// documents no whole-policy size limit; 64 KiB holds 8 statements of 100
// long actions each with room to spare [inferred].
const MaxDocumentSize = 64 << 10

// Parse decodes a permission document. It checks the JSON structure and the
// grammar of the version the document declares: known element names (case-
// sensitive, as Huawei writes them), element types, Effect, operator names.
// It does not check action syntax, condition values or limits; call Validate
// for that, or Compile, which validates what evaluation depends on.
//
// Parse accepts versions "1.1" (policies) and "1.0" (roles, which may carry
// Depends); "5.0" is recognised and rejected as not yet supported. Single
// strings are accepted where arrays are documented (Action, Resource,
// condition values) and JSON numbers and booleans are accepted as condition
// values. The problem, if any, is returned as an *Error.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxDocumentSize {
		return nil, &Error{Statement: -1, Msg: fmt.Sprintf("document is %d bytes, the limit is %d", len(data), MaxDocumentSize)}
	}
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &Error{Statement: -1, Msg: "invalid JSON: " + err.Error()}
	}
	top, err := decodeObject(raw)
	if err != nil {
		return nil, &Error{Statement: -1, Msg: "the document " + err.Error()}
	}
	var (
		doc                         = &Document{}
		version, statement, depends json.RawMessage
	)
	for _, m := range top {
		switch m.key {
		case "Version":
			version = m.val
		case "Statement":
			statement = m.val
		case "Depends":
			depends = m.val
		default:
			return nil, &Error{Statement: -1, Path: m.key, Msg: "unknown element" + caseHint(m.key, "Version", "Statement", "Depends")}
		}
	}
	if version == nil {
		return nil, &Error{Statement: -1, Path: "Version", Msg: `is required ("1.1" for policies)`}
	}
	var v string
	if json.Unmarshal(version, &v) != nil || isNull(version) {
		return nil, &Error{Statement: -1, Path: "Version", Msg: "must be a string"}
	}
	doc.Version = Version(v)
	switch doc.Version {
	case Version10, Version11:
		if err := parse1x(doc, statement, depends); err != nil {
			return nil, err
		}
	case Version50:
		return nil, &Error{Statement: -1, Path: "Version", Msg: `"5.0" identity policies are not supported yet`}
	default:
		return nil, &Error{Statement: -1, Path: "Version", Msg: fmt.Sprintf(`unsupported version %q (want "1.1", or "1.0" for roles)`, v)}
	}
	return doc, nil
}

// parse1x parses the body of a version 1.0 or 1.1 document.
func parse1x(doc *Document, statement, depends json.RawMessage) error {
	if statement == nil {
		return &Error{Statement: -1, Path: "Statement", Msg: "is required"}
	}
	var stmts []json.RawMessage
	if json.Unmarshal(statement, &stmts) != nil || isNull(statement) {
		return &Error{Statement: -1, Path: "Statement", Msg: "must be an array of statements"}
	}
	doc.Statement = make([]Statement, len(stmts))
	for i, raw := range stmts {
		if err := parseStatement1x(&doc.Statement[i], i, raw); err != nil {
			return err
		}
	}
	if depends != nil {
		if doc.Version != Version10 {
			return &Error{Statement: -1, Path: "Depends", Msg: `is only allowed in version "1.0" roles`}
		}
		var deps []json.RawMessage
		if json.Unmarshal(depends, &deps) != nil || isNull(depends) {
			return &Error{Statement: -1, Path: "Depends", Msg: "must be an array"}
		}
		for i, raw := range deps {
			d, err := parseDepend(raw)
			if err != nil {
				return &Error{Statement: -1, Path: fmt.Sprintf("Depends[%d]", i), Msg: err.Error()}
			}
			doc.Depends = append(doc.Depends, d)
		}
	}
	return nil
}

// parseStatement1x parses one statement of a 1.0/1.1 document.
func parseStatement1x(s *Statement, i int, raw json.RawMessage) error {
	members, err := decodeObject(raw)
	if err != nil {
		return &Error{Statement: i, Path: stmtPath(i, ""), Msg: "the statement " + err.Error()}
	}
	var seenEffect, seenAction bool
	for _, m := range members {
		path := stmtPath(i, "."+m.key)
		switch m.key {
		case "Effect":
			var e string
			if json.Unmarshal(m.val, &e) != nil || isNull(m.val) {
				return &Error{Statement: i, Path: path, Msg: `must be "Allow" or "Deny"`}
			}
			switch {
			case strings.EqualFold(e, "Allow"):
				s.Effect = Allow
			case strings.EqualFold(e, "Deny"):
				s.Effect = Deny
			default:
				return &Error{Statement: i, Path: path, Msg: fmt.Sprintf(`%q must be "Allow" or "Deny"`, e)}
			}
			seenEffect = true
		case "Action":
			acts, err := decodeStrings(m.val)
			if err != nil {
				return &Error{Statement: i, Path: path, Msg: err.Error()}
			}
			for j, a := range acts {
				acts[j] = lowerService(a)
			}
			s.Action = acts
			seenAction = true
		case "Resource":
			if len(bytes.TrimSpace(m.val)) > 0 && bytes.TrimSpace(m.val)[0] == '{' {
				return &Error{Statement: i, Path: path, Msg: `the object form ({"uri": [...]}) is only for agency policies, which imsd does not support`}
			}
			res, err := decodeStrings(m.val)
			if err != nil {
				return &Error{Statement: i, Path: path, Msg: err.Error()}
			}
			s.Resource = res
		case "Condition":
			conds, err := parseCondition(i, m.val)
			if err != nil {
				return err
			}
			s.Condition = conds
		case "Sid", "NotAction", "NotResource", "Principal", "NotPrincipal":
			return &Error{Statement: i, Path: path, Msg: "is a version 5.0 element, not allowed in version 1.x"}
		default:
			return &Error{Statement: i, Path: path, Msg: "unknown element" + caseHint(m.key, "Effect", "Action", "Resource", "Condition")}
		}
	}
	if !seenEffect {
		return &Error{Statement: i, Path: stmtPath(i, ".Effect"), Msg: "is required"}
	}
	if !seenAction {
		return &Error{Statement: i, Path: stmtPath(i, ".Action"), Msg: "is required"}
	}
	return nil
}

// parseCondition parses a Condition block: operator → key → values.
func parseCondition(i int, raw json.RawMessage) ([]Condition, error) {
	opMembers, err := decodeObject(raw)
	if err != nil {
		return nil, &Error{Statement: i, Path: stmtPath(i, ".Condition"), Msg: err.Error()}
	}
	var conds []Condition
	for _, om := range opMembers {
		opPath := stmtPath(i, ".Condition."+om.key)
		op, err := ParseOperator(om.key)
		if err != nil {
			return nil, &Error{Statement: i, Path: opPath, Msg: err.Error()}
		}
		keyMembers, err := decodeObject(om.val)
		if err != nil {
			return nil, &Error{Statement: i, Path: opPath, Msg: err.Error()}
		}
		if len(keyMembers) == 0 {
			return nil, &Error{Statement: i, Path: opPath, Msg: "names no condition key"}
		}
		for _, km := range keyMembers {
			vals, err := decodeValues(km.val)
			if err != nil {
				return nil, &Error{Statement: i, Path: opPath + "." + km.key, Msg: err.Error()}
			}
			key := km.key
			if gk := lookupGlobalKey(key); gk != gkNone {
				key = globalKeyNames[gk]
			}
			conds = append(conds, Condition{Operator: op, Key: key, Values: vals})
		}
	}
	return conds, nil
}

// parseDepend parses one element of Depends.
func parseDepend(raw json.RawMessage) (Depend, error) {
	members, err := decodeObject(raw)
	if err != nil {
		return Depend{}, err
	}
	var d Depend
	for _, m := range members {
		var s string
		if json.Unmarshal(m.val, &s) != nil || isNull(m.val) {
			return Depend{}, fmt.Errorf("%s must be a string", m.key)
		}
		switch m.key {
		case "catalog":
			d.Catalog = s
		case "display_name":
			d.DisplayName = s
		default:
			return Depend{}, fmt.Errorf("unknown element %q (want catalog, display_name)", m.key)
		}
	}
	if d.Catalog == "" || d.DisplayName == "" {
		return Depend{}, errors.New("catalog and display_name are required")
	}
	return d, nil
}

// member is one name/value pair of a JSON object, in document order.
type member struct {
	key string
	val json.RawMessage
}

// decodeObject splits a JSON object into its members, keeping their order
// and rejecting duplicate names (encoding/json would silently keep the last).
func decodeObject(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, errors.New("must be a JSON object")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("must be a JSON object")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("must be a JSON object")
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, errors.New("must be a JSON object")
		}
		for _, m := range out {
			if m.key == key {
				return nil, fmt.Errorf("has %q twice", key)
			}
		}
		out = append(out, member{key: key, val: val})
	}
	return out, nil
}

// decodeStrings accepts a string or an array of strings.
func decodeStrings(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, errors.New("must be an array of strings")
		}
		return []string{one}, nil
	}
	var items []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil, errors.New("must be an array of strings")
	}
	out := make([]string, len(items))
	for i, it := range items {
		if it = bytes.TrimSpace(it); len(it) == 0 || it[0] != '"' || json.Unmarshal(it, &out[i]) != nil {
			return nil, fmt.Errorf("element %d must be a string", i)
		}
	}
	return out, nil
}

// decodeValues accepts a scalar or an array of scalars (string, number,
// boolean) and returns them as strings; numbers keep their literal form.
func decodeValues(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, errors.New("must be an array of values")
		}
		out := make([]string, len(items))
		for i, it := range items {
			s, err := decodeScalar(it)
			if err != nil {
				return nil, fmt.Errorf("value %d %s", i, err)
			}
			out[i] = s
		}
		return out, nil
	}
	s, err := decodeScalar(raw)
	if err != nil {
		return nil, errors.New("must be an array of values")
	}
	return []string{s}, nil
}

// decodeScalar decodes a JSON string, number or boolean to its string form.
func decodeScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("is empty")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", errors.New("is not a valid string")
		}
		return s, nil
	case 't', 'f':
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", errors.New("is not a valid boolean")
		}
		if b {
			return "true", nil
		}
		return "false", nil
	case 'n', '[', '{':
		return "", errors.New("must be a string, number or boolean")
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", errors.New("must be a string, number or boolean")
	}
	return n.String(), nil
}

// isNull reports whether raw is the JSON literal null.
func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// caseHint suggests the right spelling when name differs from a known
// element only by case.
func caseHint(name string, known ...string) string {
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf(" (element names are case-sensitive: write %q)", k)
		}
	}
	return ""
}

// lowerService lower-cases the service segment of an action: Huawei only
// supports lower-case service names, but its own examples write "KMS:*:*",
// so upper case is accepted and canonicalised [inferred].
func lowerService(a string) string {
	i := strings.IndexByte(a, ':')
	if i < 0 {
		return a
	}
	svc := a[:i]
	for j := 0; j < len(svc); j++ {
		if c := svc[j]; 'A' <= c && c <= 'Z' {
			return asciiLower(svc) + a[i:]
		}
	}
	return a
}

// asciiLower lower-cases ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// MarshalJSON encodes d in canonical form: Version, Statement, Depends;
// within a statement Effect, Action, Resource, Condition; conditions grouped
// by canonical operator in order of first appearance; values as strings.
// Parse(MarshalJSON(d)) yields d again for every valid document.
func (d *Document) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"Version":`)
	writeString(&b, string(d.Version))
	b.WriteString(`,"Statement":[`)
	for i, s := range d.Statement {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.Effect != Allow && s.Effect != Deny {
			return nil, fmt.Errorf("policy: Statement[%d] has no Effect", i)
		}
		b.WriteString(`{"Effect":`)
		writeString(&b, s.Effect.String())
		b.WriteString(`,"Action":`)
		writeStrings(&b, s.Action)
		if len(s.Resource) > 0 {
			b.WriteString(`,"Resource":`)
			writeStrings(&b, s.Resource)
		}
		if len(s.Condition) > 0 {
			b.WriteString(`,"Condition":`)
			writeConditions(&b, s.Condition)
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	if len(d.Depends) > 0 {
		b.WriteString(`,"Depends":[`)
		for i, dep := range d.Depends {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"catalog":`)
			writeString(&b, dep.Catalog)
			b.WriteString(`,"display_name":`)
			writeString(&b, dep.DisplayName)
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeConditions writes conditions grouped by operator.
func writeConditions(b *bytes.Buffer, conds []Condition) {
	b.WriteByte('{')
	done := make([]bool, len(conds))
	first := true
	for i, c := range conds {
		if done[i] {
			continue
		}
		op := c.Operator.String()
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeString(b, op)
		b.WriteString(":{")
		for j := i; j < len(conds); j++ {
			if done[j] || conds[j].Operator.String() != op {
				continue
			}
			if j != i {
				b.WriteByte(',')
			}
			done[j] = true
			writeString(b, conds[j].Key)
			b.WriteByte(':')
			writeStrings(b, conds[j].Values)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}

// writeStrings writes a JSON array of strings.
func writeStrings(b *bytes.Buffer, ss []string) {
	b.WriteByte('[')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, s)
	}
	b.WriteByte(']')
}

// writeString writes one JSON string.
func writeString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // never fails for a string
	b.Write(enc)
}
