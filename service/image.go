package service

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/imsd/imsd"
)

// CreateImageInput is the body of POST /v2/images. Pointer fields are
// optional.
type CreateImageInput struct {
	Name                *string
	Visibility          string
	Protected           *bool
	ContainerFormat     string
	DiskFormat          string
	MinDisk             *int
	MinRAM              *int
	Tags                []string
	OSVersion           string
	Description         *string
	EnterpriseProjectID string
	// Hidden is Glance's os_hidden.
	Hidden *bool
	// CmkID ("__system__cmkid") names the key the image's data is to be
	// encrypted with; CmkIDAlt is the same given as "cmk_id", as IMS's
	// create calls name it. When both are set they must agree.
	CmkID    string
	CmkIDAlt string
	// Props are further string attributes (custom or IMS extension).
	Props map[string]string
}

// DiskFormats are the disk_format values an image may declare.
var DiskFormats = map[string]bool{
	"vhd": true, "zvhd": true, "zvhd2": true, "raw": true, "qcow2": true, "vmdk": true,
	"vhdx": true, "vdi": true, "iso": true, "qed": true, "qcow": true,
}

// ImageCreate creates image metadata (status queued) owned by the caller's
// project.
func (s *Service) ImageCreate(ctx context.Context, p *imsd.Principal, in CreateImageInput) (*imsd.Image, error) {
	if err := s.authorize(ctx, p, Check{Action: "ims:images:create"}); err != nil {
		return nil, err
	}
	img, err := s.newImage(p, in)
	if err != nil {
		return nil, err
	}
	cmk := in.CmkID
	if cmk == "" {
		cmk = in.CmkIDAlt
	} else if in.CmkIDAlt != "" && in.CmkIDAlt != cmk {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "__system__cmkid and cmk_id name different keys.")
	}
	return img, s.store.InTx(ctx, func(q imsd.Queries) error {
		if cmk != "" {
			// The data will be encrypted under a data key made with this
			// key: it must be usable, and the caller allowed to use it.
			k, err := s.keyForNewData(ctx, q, p, cmk)
			if err != nil {
				return err
			}
			if err := s.authorizeKeyUse(ctx, p, k, imsd.CodeKeyForbidden, kmsCreateDataKey); err != nil {
				return err
			}
			img.CmkID = k.ID
		}
		if in.EnterpriseProjectID != "" {
			if err := s.checkTargetEnterpriseProject(ctx, q, p, in.EnterpriseProjectID); err != nil {
				return err
			}
			img.EnterpriseProjectID = in.EnterpriseProjectID
		}
		if err := s.checkQuota(ctx, q, p, 1); err != nil {
			return err
		}
		return internal(q.ImageInsert(ctx, img), "insert image")
	})
}

// newImage validates the metadata of a new image (status queued) and
// builds it; enterprise project and quota are the caller's to check.
func (s *Service) newImage(p *imsd.Principal, in CreateImageInput) (*imsd.Image, error) {
	now := s.Now()
	img := &imsd.Image{
		ID: newImageID(), DomainID: p.DomainID, Owner: p.ProjectID, Status: imsd.ImageQueued,
		Visibility: "private", ImageType: "private", ContainerFormat: "bare",
		VirtualEnvType: "FusionCompute", EnterpriseProjectID: imsd.DefaultEnterpriseProject,
		Properties: map[string]string{}, CreatedAt: now, UpdatedAt: now,
	}
	if in.Name != nil {
		if utf8.RuneCountInString(*in.Name) > 255 {
			return nil, imsd.Errorf(imsd.CodeNameTooLong, "The image name cannot exceed 255 characters.")
		}
		if strings.IndexFunc(*in.Name, isControl) >= 0 {
			return nil, imsd.Errorf(imsd.CodeNameInvalid, "The image name must not contain control characters.")
		}
		img.Name = *in.Name
	}
	if in.Hidden != nil && *in.Hidden {
		img.SetProp(imsd.PropHidden, "true")
	}
	if in.Visibility != "" && in.Visibility != "private" {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "Only private images can be created; visibility %q is not allowed.", in.Visibility)
	}
	if in.Protected != nil {
		img.Protected = *in.Protected
	}
	if in.ContainerFormat != "" {
		if in.ContainerFormat != "bare" {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "container_format must be \"bare\".")
		}
	}
	if in.DiskFormat != "" {
		if !DiskFormats[in.DiskFormat] {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "disk_format %q is not supported; use one of vhd, zvhd, zvhd2, raw, qcow2, vmdk, vhdx, vdi, iso, qed, qcow.", in.DiskFormat)
		}
		img.DiskFormat = in.DiskFormat
		if in.DiskFormat == "iso" {
			img.VirtualEnvType = "IsoImage"
		}
	}
	if in.MinDisk != nil {
		if *in.MinDisk < 0 || *in.MinDisk > 1024 {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "min_disk must be between 0 and 1024 (GB).")
		}
		img.MinDisk = *in.MinDisk
	}
	if in.MinRAM != nil {
		if *in.MinRAM < 0 {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "min_ram must not be negative.")
		}
		img.MinRAM = *in.MinRAM
	}
	if in.Description != nil {
		if err := imsd.ValidateDescription(*in.Description); err != nil {
			return nil, err
		}
		img.Description = *in.Description
	}
	for _, t := range in.Tags {
		if err := validateStoredTag(t); err != nil {
			return nil, err
		}
		img.Tags = appendTag(img.Tags, t)
	}
	osVersion := in.OSVersion
	if osVersion == "" {
		osVersion = "Other Linux(64 bit)"
	}
	applyOSVersion(img, osVersion)
	for k, v := range in.Props {
		if err := validateCustomAttr(k, v); err != nil {
			return nil, err
		}
		img.SetProp(k, v)
	}
	return img, nil
}

// validateCustomAttr checks a further attribute of a created image against
// the attribute table (patch.go), with Glance's value rules: only
// properties may be set this way, each with its own type and range.
func validateCustomAttr(k, v string) error {
	a, err := lookupAttr(k, UpdateGlance)
	switch {
	case err != nil:
		if imsd.ErrorCode(err) == imsd.CodeAttrForbidden {
			return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q is reserved.", k)
		}
		return err
	case a.readOnly || a.reserved:
		return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q is read-only.", k)
	case !a.prop:
		return imsd.Errorf(imsd.CodeBadRequest, "Attribute %q cannot be set at creation.", k)
	}
	raw, _ := json.Marshal(v)
	_, err = a.decode(raw, UpdateGlance)
	return err
}

// checkQuota fails with IMG.0015 when the project would own more than the
// quota after adding n images.
func (s *Service) checkQuota(ctx context.Context, q imsd.Queries, p *imsd.Principal, n int) error {
	used, err := q.ImageCount(ctx, imsd.ImageQuery{DomainID: p.DomainID, Owner: p.ProjectID})
	if err != nil {
		return internal(err, "count images")
	}
	if used+n > s.cfg.ImageQuota {
		return imsd.Errorf(imsd.CodeQuotaExceeded, "The private image quota (%d) of the project has been reached.", s.cfg.ImageQuota)
	}
	return nil
}

// checkTargetEnterpriseProject validates that ep exists in the caller's
// domain and is enabled, so a resource may be placed in it.
func (s *Service) checkTargetEnterpriseProject(ctx context.Context, q imsd.Queries, p *imsd.Principal, ep string) error {
	return imsd.CheckTargetEnterpriseProject(ctx, q, p.DomainID, ep)
}

// visibleImage loads an image the principal's project owns, for a use
// only the owner has. A member of a shared image gets IMG.0047; anything
// else — missing, another project's, another account's — is IMG.0144
// (404).
func (s *Service) visibleImage(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Image, error) {
	return s.ownedImage(ctx, q, p, id)
}

// ImageGet returns one image of the caller's project, or one shared with
// it (as its members see it).
func (s *Service) ImageGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.Image, error) {
	img, member, err := s.readableImage(ctx, s.store, p, id)
	if err != nil {
		if perr := s.precheck(ctx, p, "ims:images:get"); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, readCheck("ims:images:get", img, member)); err != nil {
		return nil, err
	}
	if member != nil {
		return sharedView(img), nil
	}
	return img, nil
}

// ImageDelete deletes an image. Its data is freed by GC once no other image
// references it.
func (s *Service) ImageDelete(ctx context.Context, p *imsd.Principal, id string) error {
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := s.visibleImage(ctx, q, p, id)
		if err != nil {
			if perr := s.precheck(ctx, p, "ims:images:delete"); perr != nil {
				return perr
			}
			return err
		}
		if err := s.authorize(ctx, p, Check{Action: "ims:images:delete", EnterpriseProject: img.EnterpriseProjectID}); err != nil {
			return err
		}
		if img.Protected {
			return imsd.Errorf(imsd.CodeImageProtected, "")
		}
		if img.Status == imsd.ImageSaving {
			return imsd.Errorf(imsd.CodeImageBusy, "The image is being created (status saving) and cannot be deleted; wait for its job or upload to finish.")
		}
		if job, err := s.sourceOfRunningCopy(ctx, q, img); err != nil {
			return err
		} else if job != "" {
			return imsd.Errorf(imsd.CodeImageBusy, "The image is being copied by job %s; wait for the job to end or cancel it.", job)
		}
		busy, err := s.imageHasOpenJob(ctx, q, img)
		if err != nil {
			return err
		}
		if busy {
			return imsd.Errorf(imsd.CodeImageBusy, "The image is being created by a running job and cannot be deleted.")
		}
		if busy, err := s.exportRunning(ctx, q, img); err != nil || busy {
			if err == nil {
				err = imsd.Errorf(imsd.CodeImageExporting, "The image is being exported and cannot be deleted until the export job ends.")
			}
			return err
		}
		if err := q.ImageDelete(ctx, img.ID); err != nil {
			return internal(err, "delete image")
		}
		s.fail.Hit("delete.deleted") // inside the transaction: a crash here rolls it back
		return nil
	})
}

// imageHasOpenJob reports whether an unfinished job produces img.
func (s *Service) imageHasOpenJob(ctx context.Context, q imsd.Queries, img *imsd.Image) (bool, error) {
	jobID := img.Prop(propJobID)
	if jobID == "" {
		return false, nil
	}
	j, err := q.JobGet(ctx, jobID)
	if errors.Is(err, imsd.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal(err, "get job")
	}
	return !j.Status.Done(), nil
}

// internalPropPrefix marks properties the service keeps for itself; they are
// never shown on the wire and cannot be set by callers.
const internalPropPrefix = "__imsd_"

// propJobID is the internal property linking an image to the job creating it.
const propJobID = "__imsd_job_id"

// QuotaUsage is the image quota of a project.
type QuotaUsage struct {
	Used  int
	Quota int
}

// Quota reports the caller project's private-image quota.
func (s *Service) Quota(ctx context.Context, p *imsd.Principal) (QuotaUsage, error) {
	if err := s.authorize(ctx, p, Check{Action: "ims:quotas:get"}); err != nil {
		return QuotaUsage{}, err
	}
	used, err := s.store.ImageCount(ctx, imsd.ImageQuery{DomainID: p.DomainID, Owner: p.ProjectID})
	if err != nil {
		return QuotaUsage{}, internal(err, "count images")
	}
	return QuotaUsage{Used: used, Quota: s.cfg.ImageQuota}, nil
}
