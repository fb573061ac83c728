package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// table writes aligned columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

// row writes one line; tabs and newlines inside cells become spaces.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// printRaw prints a JSON document in the selected machine format (json or
// yaml). JSON is re-indented; object key order is kept.
func (c *cli) printRaw(raw []byte) error {
	switch c.opts.output {
	case "yaml":
		var b strings.Builder
		if err := jsonToYAML(&b, raw); err != nil {
			return err
		}
		_, err := io.WriteString(c.stdout, b.String())
		return err
	default:
		var b bytes.Buffer
		if err := json.Indent(&b, bytes.TrimSpace(raw), "", "  "); err != nil {
			return err
		}
		b.WriteByte('\n')
		_, err := c.stdout.Write(b.Bytes())
		return err
	}
}

// printValue encodes v as JSON (maps with sorted keys) and prints it in the
// selected machine format.
func (c *cli) printValue(v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	return c.printRaw(b.Bytes())
}

// node is a decoded JSON value that keeps object key order: an *object,
// []node, string, json.Number, bool or nil.
type node any

// object is a JSON object in source order.
type object struct {
	keys []string
	vals []node
}

// decodeOrdered decodes one JSON value keeping object key order.
func decodeOrdered(dec *json.Decoder) (node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				o.keys, o.vals = append(o.keys, k.(string)), append(o.vals, v)
			}
			_, err := dec.Token()
			return o, err
		case '[':
			a := []node{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := dec.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// jsonToYAML writes the JSON document raw as block-style YAML. Strings are
// left plain only when no YAML 1.1 or 1.2 reader could take them for
// anything else; all others are double-quoted.
func jsonToYAML(w *strings.Builder, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	n, err := decodeOrdered(dec)
	if err != nil {
		return fmt.Errorf("yaml output: %w", err)
	}
	switch v := n.(type) {
	case *object:
		if len(v.keys) == 0 {
			w.WriteString("{}\n")
			return nil
		}
		yamlObject(w, v, 0, false)
	case []node:
		if len(v) == 0 {
			w.WriteString("[]\n")
			return nil
		}
		yamlSeq(w, v, 0, false)
	default:
		w.WriteString(yamlScalar(v) + "\n")
	}
	return nil
}

// yamlNested reports whether n is written on the following lines (a
// non-empty object or array).
func yamlNested(n node) bool {
	switch v := n.(type) {
	case *object:
		return len(v.keys) > 0
	case []node:
		return len(v) > 0
	}
	return false
}

func yamlObject(w *strings.Builder, o *object, indent int, inline bool) {
	for i, k := range o.keys {
		if i > 0 || !inline {
			w.WriteString(strings.Repeat(" ", indent))
		}
		w.WriteString(yamlString(k) + ":")
		switch v := o.vals[i].(type) {
		case *object:
			if yamlNested(v) {
				w.WriteString("\n")
				yamlObject(w, v, indent+2, false)
				continue
			}
		case []node:
			if yamlNested(v) {
				w.WriteString("\n")
				yamlSeq(w, v, indent, false)
				continue
			}
		}
		w.WriteString(" " + yamlScalar(o.vals[i]) + "\n")
	}
}

func yamlSeq(w *strings.Builder, a []node, indent int, inline bool) {
	for i, v := range a {
		if i > 0 || !inline {
			w.WriteString(strings.Repeat(" ", indent))
		}
		w.WriteString("- ")
		switch x := v.(type) {
		case *object:
			if yamlNested(x) {
				yamlObject(w, x, indent+2, true)
				continue
			}
		case []node:
			if yamlNested(x) {
				yamlSeq(w, x, indent+2, true)
				continue
			}
		}
		w.WriteString(yamlScalar(v) + "\n")
	}
}

func yamlScalar(n node) string {
	switch v := n.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case json.Number:
		return v.String()
	case string:
		return yamlString(v)
	case *object:
		return "{}"
	case []node:
		return "[]"
	}
	return fmt.Sprint(n)
}

// plainSafe matches strings that read back as the same string in YAML 1.1
// and 1.2 when left unquoted: they start with a letter or underscore and
// hold no indicator characters.
var plainSafe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_./+-]*( [A-Za-z0-9_./+()-]+)*$`)

// yamlReserved are plain words YAML 1.1 or 1.2 read as booleans or null.
var yamlReserved = []string{"y", "n", "yes", "no", "on", "off", "true", "false", "null"}

func yamlString(s string) string {
	if plainSafe.MatchString(s) && !slices.Contains(yamlReserved, strings.ToLower(s)) {
		return s
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a JSON string is a valid YAML double-quoted scalar
	return strings.TrimSuffix(b.String(), "\n")
}

// humanBytes formats a byte count with binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
