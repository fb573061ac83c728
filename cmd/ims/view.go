package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// decodeMap decodes a JSON object leniently (numbers kept as json.Number).
func decodeMap(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	return m, nil
}

// field renders a scalar attribute for a table ("" for null or absent);
// arrays are joined with commas.
func field(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case nil:
		return ""
	case string:
		return v
	case []any:
		s := make([]string, len(v))
		for i, e := range v {
			s[i] = fmt.Sprint(e)
		}
		return strings.Join(s, ",")
	case map[string]any:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

// imageSize renders __image_size (bytes, as a string on the wire) for
// humans.
func imageSize(m map[string]any) string {
	s := field(m, "__image_size")
	if s == "" {
		s = field(m, "size")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n == 0 {
		return s
	}
	return humanBytes(n)
}

// imageRows are the attributes shown first, in this order, by image show.
var imageRows = []string{"id", "name", "status", "disk_format", "container_format", "__image_size", "virtual_size",
	"min_disk", "min_ram", "__os_version", "__platform", "__os_type", "__os_bit", "visibility", "__imagetype",
	"protected", "owner", "enterprise_project_id", "__description", "tags", "created_at", "updated_at", "active_at",
	"__data_origin", "__originalimagename", "__system__cmkid"}

// imageHidden are attributes image show leaves out of the table (links).
var imageHidden = []string{"schema", "self", "file"}

// printImage prints one image: every attribute as a two-column table, or
// the server's JSON object.
func (c *cli) printImage(raw []byte) error {
	if c.opts.output != "table" {
		return c.printRaw(raw)
	}
	m, err := decodeMap(raw)
	if err != nil {
		return err
	}
	t := newTable(c.stdout, "FIELD", "VALUE")
	seen := map[string]bool{}
	for _, k := range imageRows {
		seen[k] = true
		if _, ok := m[k]; !ok {
			continue
		}
		v := field(m, k)
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 && (k == "__image_size" || k == "virtual_size") {
			v = humanBytes(n) + " (" + v + " bytes)"
		}
		t.row(k, v)
	}
	if _, ok := m["__image_size"]; ok {
		seen["size"] = true // the same number
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if !seen[k] && !slices.Contains(imageHidden, k) && m[k] != nil && field(m, k) != "" {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		t.row(k, field(m, k))
	}
	return t.flush()
}

// printImages prints a list of images as a table, or as a JSON array of the
// server's objects.
func (c *cli) printImages(images []json.RawMessage) error {
	return c.printList(images, []string{"ID", "NAME", "STATUS", "DISK FORMAT", "SIZE", "MIN DISK", "CREATED"},
		func(m map[string]any) []string {
			return []string{field(m, "id"), field(m, "name"), field(m, "status"), field(m, "disk_format"), imageSize(m),
				field(m, "min_disk"), field(m, "created_at")}
		})
}

// printTags prints an image's tags (ListImageTags answer).
func (c *cli) printTags(raw []byte) error {
	if c.opts.output != "table" {
		return c.printRaw(raw)
	}
	var body struct {
		Tags []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	t := newTable(c.stdout, "KEY", "VALUE")
	for _, tg := range body.Tags {
		t.row(tg.Key, tg.Value)
	}
	return t.flush()
}

// printJob prints a job (ShowJobProgress answer).
func (c *cli) printJob(raw []byte) error {
	if c.opts.output != "table" {
		return c.printRaw(raw)
	}
	m, err := decodeMap(raw)
	if err != nil {
		return err
	}
	ent, _ := m["entities"].(map[string]any)
	if ent == nil {
		ent = map[string]any{}
	}
	t := newTable(c.stdout, "FIELD", "VALUE")
	t.row("job_id", field(m, "job_id"))
	t.row("job_type", field(m, "job_type"))
	t.row("status", field(m, "status"))
	if pct := field(ent, "process_percent"); pct != "" {
		if f, err := strconv.ParseFloat(pct, 64); err == nil {
			pct = strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
		}
		t.row("progress", pct)
	}
	for _, k := range []string{"image_id", "image_name", "current_task"} {
		if v := field(ent, k); v != "" {
			t.row(k, v)
		}
	}
	for _, k := range []string{"begin_time", "end_time", "error_code", "fail_reason"} {
		if v := field(m, k); v != "" {
			t.row(k, v)
		}
	}
	return t.flush()
}
