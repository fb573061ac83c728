package service

import (
	"context"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
)

// PatchOp is one JSON-patch operation on an image attribute.
type PatchOp struct {
	// Op is add, replace or remove.
	Op string
	// Attr is the attribute name (the patch path without its leading '/').
	Attr string
	// Value is the new value as a string (absent for remove).
	Value string
}

// UpdateMode selects the rules of the two update APIs.
type UpdateMode int

// Update modes.
const (
	// UpdateIMS is PATCH /v2/cloudimages/{id}: only active images; replace of
	// a missing attribute adds it.
	UpdateIMS UpdateMode = iota
	// UpdateGlance is PATCH /v2/images/{id}: replace and remove need an
	// existing attribute; add of an existing one replaces it.
	UpdateGlance
)

// ImageUpdate applies patch operations atomically: either all apply or none.
func (s *Service) ImageUpdate(ctx context.Context, p *imsd.Principal, id string, ops []PatchOp, mode UpdateMode) (*imsd.Image, error) {
	var out *imsd.Image
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := s.visibleImage(ctx, q, p, id)
		if err != nil {
			if perr := s.precheck(ctx, p, "ims:images:update"); perr != nil {
				return perr
			}
			return err
		}
		if err := s.authorize(ctx, p, Check{Action: "ims:images:update", EnterpriseProject: img.EnterpriseProjectID}); err != nil {
			return err
		}
		// Input is examined only once the caller may update the image.
		if len(ops) == 0 {
			return imsd.Errorf(imsd.CodeBadRequest, "The request must contain at least one patch operation.")
		}
		if mode == UpdateIMS && img.Status != imsd.ImageActive {
			return imsd.Errorf(imsd.CodeImageUnavailable, "Only active images can be updated; the image is %s.", img.Status)
		}
		next := img.Clone()
		for i, op := range ops {
			if err := s.applyPatch(ctx, q, p, next, op, mode); err != nil {
				if e, ok := err.(*imsd.Error); ok && len(ops) > 1 {
					e.Message = "Operation " + strconv.Itoa(i) + ": " + e.Message
				}
				return err
			}
		}
		next.UpdatedAt = s.Now()
		if err := q.ImageUpdate(ctx, next); err != nil {
			return internal(err, "update image")
		}
		out = next
		return nil
	})
	return out, err
}

func (s *Service) applyPatch(ctx context.Context, q imsd.Queries, p *imsd.Principal, img *imsd.Image, op PatchOp, mode UpdateMode) error {
	attr := op.Attr
	if attr == "" {
		return imsd.Errorf(imsd.CodeBadRequest, "The patch path must name an attribute, like \"/name\".")
	}
	switch op.Op {
	case "add", "replace", "remove":
	default:
		return imsd.Errorf(imsd.CodeBadRequest, "Unsupported patch operation %q; use add, replace or remove.", op.Op)
	}
	if strings.ToLower(attr) != attr {
		return imsd.Errorf(imsd.CodeBadRequest, "Attribute name %q must not contain upper-case letters.", attr)
	}
	if readOnlyAttrs[attr] || attr == "visibility" || attr == "disk_format" || attr == "container_format" || attr == "tags" {
		return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q cannot be changed.", attr)
	}
	if op.Op == "remove" {
		switch attr {
		case "name", "__description", "min_ram", "min_disk", "protected", "enterprise_project_id", "__os_version", "virtual_env_type":
			return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q cannot be removed.", attr)
		}
		if _, ok := img.Properties[attr]; !ok {
			return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q does not exist.", attr)
		}
		delete(img.Properties, attr)
		return nil
	}
	v := op.Value
	switch attr {
	case "name":
		if err := imsd.ValidateName(v); err != nil {
			return err
		}
		img.Name = v
	case "__description":
		if err := imsd.ValidateDescription(v); err != nil {
			return err
		}
		img.Description = v
	case "min_ram", "min_disk":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || (attr == "min_disk" && n > 1024) {
			return imsd.Errorf(imsd.CodeBadRequest, "%s must be a non-negative integer%s.", attr, map[bool]string{true: " up to 1024", false: ""}[attr == "min_disk"])
		}
		if attr == "min_ram" {
			img.MinRAM = n
		} else {
			img.MinDisk = n
		}
	case "max_ram":
		if _, err := strconv.Atoi(v); err != nil {
			return imsd.Errorf(imsd.CodeBadRequest, "max_ram must be an integer (MB).")
		}
		img.SetProp(attr, v)
	case "protected":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return imsd.Errorf(imsd.CodeBadRequest, "protected must be true or false.")
		}
		img.Protected = b
	case "__os_version":
		applyOSVersion(img, v)
	case "hw_firmware_type":
		if v != "bios" && v != "uefi" {
			return imsd.Errorf(imsd.CodeBadRequest, "hw_firmware_type must be bios or uefi.")
		}
		img.SetProp(attr, v)
	case "enterprise_project_id":
		if v == "" {
			v = imsd.DefaultEnterpriseProject
		}
		if v == img.EnterpriseProjectID {
			return nil
		}
		if err := s.checkTargetEnterpriseProject(ctx, q, p, v); err != nil {
			return err
		}
		if err := s.authorize(ctx, p, Check{Action: "ims:serverImages:create", EnterpriseProject: v}); err != nil {
			return err
		}
		img.EnterpriseProjectID = v
	default:
		if err := validateCustomAttr(attr, v); err != nil {
			return err
		}
		_, exists := img.Properties[attr]
		if mode == UpdateGlance && op.Op == "replace" && !exists {
			return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q does not exist; use add.", attr)
		}
		if v == "" {
			img.Properties[attr] = ""
			return nil
		}
		img.SetProp(attr, v)
	}
	return nil
}
