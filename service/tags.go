package service

import (
	"context"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imsd/imsd"
)

// MaxTagsPerImage is the number of tags one image may carry.
const MaxTagsPerImage = 50

// Tag is an IMS key/value tag.
type Tag struct {
	Key   string
	Value string
}

// validateTagKV applies the IMS tag rules of Huawei's API reference (the
// image Tag model): a key of 1 to 128 characters from A–Z, a–z, 0–9, '-',
// '_' and Chinese characters; a value of 0 to 255 characters from the same
// set plus '.'. Anything else — spaces, other punctuation, control and
// bidi-override characters, text that was not valid UTF-8 — is refused, so
// a tag imsd stores is one Huawei Cloud would store.
func validateTagKV(t Tag) error {
	switch {
	case t.Key == "" || utf8.RuneCountInString(t.Key) > 128:
		return imsd.Errorf(imsd.CodeBadRequest, "A tag key must be 1 to 128 characters.")
	case !tagText(t.Key, false):
		return imsd.Errorf(imsd.CodeBadRequest, "Tag key %q may only contain letters A-Z and a-z, digits, '-', '_' and Chinese characters.", t.Key)
	case utf8.RuneCountInString(t.Value) > 255:
		return imsd.Errorf(imsd.CodeBadRequest, "A tag value cannot exceed 255 characters.")
	case !tagText(t.Value, true):
		return imsd.Errorf(imsd.CodeBadRequest, "Tag value %q may only contain letters A-Z and a-z, digits, '-', '_', '.' and Chinese characters.", t.Value)
	}
	return nil
}

// tagText reports whether s uses only the tag character set (with '.'
// when dot is set).
func tagText(s string, dot bool) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		case r == '.' && dot:
		case unicode.Is(unicode.Han, r):
		default:
			return false
		}
	}
	return true
}

// validateStoredTag validates a tag as given in POST /v2/images: either
// "key=value" or a plain Glance tag.
func validateStoredTag(tag string) error {
	if k, v, ok := imsd.SplitTag(tag); ok {
		return validateTagKV(Tag{k, v})
	}
	return validateGlanceTag(tag)
}

// validateGlanceTag applies the rules of a plain (Glance) tag: 1 to 255
// characters, no '=' or '/' (they would read as a key/value tag or a path),
// and no control characters, bidi overrides or replacement characters
// (what invalid UTF-8 and lone surrogates decode to): text that displays
// as something other than it is.
func validateGlanceTag(tag string) error {
	if tag == "" || utf8.RuneCountInString(tag) > 255 {
		return imsd.Errorf(imsd.CodeBadRequest, "A tag must be 1 to 255 characters.")
	}
	if strings.ContainsAny(tag, "=/") {
		return imsd.Errorf(imsd.CodeBadRequest, "A Glance tag must not contain '=' or '/'; use the key/value tag APIs for key=value tags.")
	}
	for _, r := range tag {
		if unicode.IsControl(r) || bidiControl(r) || r == utf8.RuneError {
			return imsd.Errorf(imsd.CodeBadRequest, "Tag %q contains a control, bidi-override or invalid character (U+%04X).", tag, r)
		}
	}
	return nil
}

// bidiControl reports the Unicode bidirectional formatting characters,
// which can make text display in another order than it is stored.
func bidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// appendTag adds tag, replacing an existing tag with the same key.
func appendTag(tags []string, tag string) []string {
	key, _, isKV := imsd.SplitTag(tag)
	out := tags[:0:0]
	for _, t := range tags {
		k, _, ok := imsd.SplitTag(t)
		if t == tag || (isKV && ok && k == key) {
			continue
		}
		out = append(out, t)
	}
	return append(out, tag)
}

// kvTags returns the key/value tags of an image in stored order.
func kvTags(img *imsd.Image) []Tag {
	var out []Tag
	for _, t := range img.Tags {
		if k, v, ok := imsd.SplitTag(t); ok {
			out = append(out, Tag{k, v})
		}
	}
	return out
}

// KVTags returns the key/value tags of an image.
func KVTags(img *imsd.Image) []Tag { return kvTags(img) }

// tagEdit loads an image for a tag change, authorizes it, applies edit and
// stores the result.
func (s *Service) tagEdit(ctx context.Context, p *imsd.Principal, id string, actions []string, edit func(img *imsd.Image) error) error {
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := s.visibleImage(ctx, q, p, id)
		checks := make([]Check, len(actions))
		for i, a := range actions {
			checks[i] = Check{Action: a}
		}
		if err != nil {
			if perr := s.precheck(ctx, p, actions[0]); perr != nil {
				return perr
			}
			return err
		}
		if err := s.authorize(ctx, p, checks...); err != nil {
			return err
		}
		next := img.Clone()
		if err := edit(next); err != nil {
			return err
		}
		if len(next.Tags) > MaxTagsPerImage {
			return imsd.Errorf(imsd.CodeBadRequest, "An image can have at most %d tags.", MaxTagsPerImage)
		}
		next.UpdatedAt = s.Now()
		return internal(q.ImageUpdate(ctx, next), "update tags")
	})
}

// TagsAdd adds or updates key/value tags of an image.
func (s *Service) TagsAdd(ctx context.Context, p *imsd.Principal, id string, tags []Tag) error {
	// Validation runs inside the edit, after authorization: a caller who
	// may not update the image learns nothing from its input being wrong.
	return s.tagEdit(ctx, p, id, []string{"ims:images:update"}, func(img *imsd.Image) error {
		for _, t := range tags {
			if err := validateTagKV(t); err != nil {
				return err
			}
		}
		for _, t := range tags {
			img.Tags = appendTag(img.Tags, t.Key+"="+t.Value)
		}
		return nil
	})
}

// TagsDelete removes key/value tags. With strict set, a key that is not
// present is an error; a Tag with a non-empty Value only matches that value.
func (s *Service) TagsDelete(ctx context.Context, p *imsd.Principal, id string, tags []Tag, strict bool) error {
	return s.tagEdit(ctx, p, id, []string{"ims:images:update"}, func(img *imsd.Image) error {
		for _, t := range tags {
			if t.Key == "" {
				return imsd.Errorf(imsd.CodeBadRequest, "A tag key must not be empty.")
			}
		}
		for _, t := range tags {
			found := false
			img.Tags = slices.DeleteFunc(img.Tags, func(s string) bool {
				k, v, ok := imsd.SplitTag(s)
				hit := ok && k == t.Key && (t.Value == "" || v == t.Value)
				found = found || hit
				return hit
			})
			if strict && !found {
				return imsd.Errorf(imsd.CodeNotFound, "The image has no tag with key %q.", t.Key)
			}
		}
		return nil
	})
}

// GlanceTagAdd adds a plain Glance tag (PUT /v2/images/{id}/tags/{tag}).
func (s *Service) GlanceTagAdd(ctx context.Context, p *imsd.Principal, id, tag string) error {
	return s.tagEdit(ctx, p, id, []string{"ims:images:get", "ims:images:update"}, func(img *imsd.Image) error {
		if err := validateGlanceTag(tag); err != nil {
			return err
		}
		img.Tags = appendTag(img.Tags, tag)
		return nil
	})
}

// GlanceTagDelete removes a plain Glance tag; a missing tag is 404.
func (s *Service) GlanceTagDelete(ctx context.Context, p *imsd.Principal, id, tag string) error {
	return s.tagEdit(ctx, p, id, []string{"ims:images:get", "ims:images:update"}, func(img *imsd.Image) error {
		n := len(img.Tags)
		img.Tags = slices.DeleteFunc(img.Tags, func(s string) bool { return s == tag })
		if len(img.Tags) == n {
			return imsd.Errorf(imsd.CodeNotFound, "The image has no tag %q.", tag)
		}
		return nil
	})
}

// SetTag is PUT /v1/cloudimages/tags: add or update one tag.
func (s *Service) SetTag(ctx context.Context, p *imsd.Principal, id string, t Tag) error {
	return s.tagEdit(ctx, p, id, []string{"ims:images:get", "ims:images:update"}, func(img *imsd.Image) error {
		if err := validateTagKV(t); err != nil {
			return err
		}
		img.Tags = appendTag(img.Tags, t.Key+"="+t.Value)
		return nil
	})
}

// ImageTags lists the key/value tags of one image.
func (s *Service) ImageTags(ctx context.Context, p *imsd.Principal, id string) ([]Tag, error) {
	img, err := s.visibleImage(ctx, s.store, p, id)
	if err != nil {
		if perr := s.precheck(ctx, p, "ims:images:list"); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:list"}); err != nil {
		return nil, err
	}
	return kvTags(img), nil
}

// TagValues is one key with all its values across a project's images.
type TagValues struct {
	Key    string
	Values []string
}

// ProjectTags aggregates the key/value tags of every image of the
// project, keys sorted, values sorted.
func (s *Service) ProjectTags(ctx context.Context, p *imsd.Principal) ([]TagValues, error) {
	imgs, err := s.ImageList(ctx, p, ListImagesInput{})
	if err != nil {
		return nil, err
	}
	byKey := map[string]map[string]bool{}
	for _, img := range imgs {
		for _, t := range kvTags(img) {
			if byKey[t.Key] == nil {
				byKey[t.Key] = map[string]bool{}
			}
			byKey[t.Key][t.Value] = true
		}
	}
	out := make([]TagValues, 0, len(byKey))
	for k, vs := range byKey {
		tv := TagValues{Key: k}
		for v := range vs {
			tv.Values = append(tv.Values, v)
		}
		sort.Strings(tv.Values)
		out = append(out, tv)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
