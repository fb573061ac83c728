package service

import (
	"slices"
	"strings"
)

// AttributeSchema describes one image attribute in /v2/schemas/image.
type AttributeSchema struct {
	Name string
	// Types are the JSON Schema types the attribute takes ("null" among
	// them when it may be null).
	Types []string
	// Enum lists the accepted values (nil among them when null is).
	Enum []any
	// Minimum and Maximum bound integers.
	Minimum, Maximum *int64
	// MaxLength bounds strings (of array items, for arrays), in characters.
	MaxLength int
	// Pattern is a regular expression string values match.
	Pattern string
	// ReadOnly attributes are set by the service only.
	ReadOnly    bool
	Description string
}

// ImageAttributeSchemas describes every attribute of the table that images
// show, in name order: what PATCH /v2/images/{id} accepts (readOnly ones
// it refuses) and what the Glance view shows.
func ImageAttributeSchemas() []AttributeSchema {
	var out []AttributeSchema
	for _, a := range attrs {
		if a.reserved {
			continue
		}
		s := AttributeSchema{Name: a.name, ReadOnly: a.readOnly, Description: a.description, MaxLength: a.maxLen}
		switch a.kind {
		case kindString:
			s.Types = []string{"string"}
		case kindInteger:
			s.Types = []string{"integer"}
			if !a.readOnly {
				lo, hi := a.min, a.max
				s.Minimum, s.Maximum = &lo, &hi
			}
		case kindBoolean:
			s.Types = []string{"boolean"}
		case kindStringList:
			s.Types = []string{"array"}
		case kindIntString:
			s.Types = []string{"string"}
			s.Pattern = "^(0|[1-9][0-9]*)$"
		case kindBoolString:
			s.Types = []string{"string"}
			s.Enum = []any{"true", "false"}
		}
		for _, e := range a.enum {
			s.Enum = append(s.Enum, e)
		}
		if a.nullable || a.nullSchema {
			s.Types = append([]string{"null"}, s.Types...)
			if s.Enum != nil {
				s.Enum = append([]any{nil}, s.Enum...)
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(x, y AttributeSchema) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// PropertyMaxLength is the longest value of a custom property.
const PropertyMaxLength = maxPropertyValue
