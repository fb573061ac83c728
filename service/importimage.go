package service

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
)

// Creating images from files in object storage (Huawei: from OBS). The
// request creates the image (queued) and its job in one transaction, as a
// copy does; the job runner reads the object through the format sniffer
// into the blob store (RunImportJob) and the image becomes active.

// ImportKind selects the API a file import came through.
type ImportKind int

// Import kinds.
const (
	// ImportSystem is POST /v2/cloudimages/action with image_url.
	ImportSystem ImportKind = iota
	// ImportQuick is POST /v2/cloudimages/quickimport/action.
	ImportQuick
	// ImportData is POST /v1/cloudimages/dataimages/action.
	ImportData
)

// ImportInput is the body of the create-from-file APIs after wire parsing.
// Pointer fields are optional.
type ImportInput struct {
	Kind        ImportKind
	Name        *string
	Description *string
	ImageURL    string
	MinDisk     *int
	MinRAM      *int
	MaxRAM      *int
	OSVersion   string
	// OSType is Linux or Windows (data images).
	OSType string
	// Type is ECS, BMS, FusionCompute, Ironic, IsoImage or DataImage.
	Type           string
	Architecture   string
	HwFirmwareType string
	CmkID          string
	// Tags are "key.value" or "key=value" strings; ImageTags key/value
	// pairs. At most one of them may be given.
	Tags                []string
	ImageTags           []Tag
	EnterpriseProjectID string
	// InstanceID, VolumeID and DataImages select the create-from-server
	// and create-from-disk modes, which imsd cannot serve.
	InstanceID, VolumeID string
	DataImages           bool
}

// importPayload is the job payload of every import.
type importPayload struct {
	// Source is "object" (Bucket, Key), "web" (URI) or "staged" (the data
	// staged on the image before a Glance import).
	Source string `json:"source"`
	Bucket string `json:"bucket,omitempty"`
	Key    string `json:"key,omitempty"`
	URI    string `json:"uri,omitempty"`
	// Format is the disk format the file name declares ("" none).
	Format string `json:"format,omitempty"`
	// Size is the object's size when the job was accepted (0 unknown).
	Size int64 `json:"size,omitempty"`
	// Task is the input of a Glance task, shown by the task APIs.
	Task json.RawMessage `json:"task,omitempty"`
}

// Import task names reported in current_task.
const (
	importTaskName = "ImportImageTask:"
	exportTaskName = "ExportImageTask:"
)

// importTarget is what the validation of an import body decides.
type importTarget struct {
	action, jobType string
	url             objectURL
	format          string
}

// ImportImage accepts the creation of an image from a file in object
// storage: CreateImage with image_url, ImportImageQuick and
// CreateDataImage.
func (s *Service) ImportImage(ctx context.Context, p *imsd.Principal, in ImportInput) (*imsd.Job, error) {
	action := "ims:serverImages:create"
	if in.Kind == ImportData || (in.Kind == ImportQuick && in.Type == "DataImage") {
		action = "ims:dataImages:create"
	}
	if err := s.precheck(ctx, p, action); err != nil {
		return nil, err
	}
	img, tgt, err := s.importImageFromInput(p, in)
	if err != nil {
		return nil, err
	}
	tgt.action = action
	ep := in.EnterpriseProjectID
	if ep == "" {
		ep = imsd.DefaultEnterpriseProject
	}
	// Validation first, then the permission question on the target
	// enterprise project, and only then the object storage is asked.
	if err := s.checkTargetEnterpriseProject(ctx, s.store, p, ep); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: action, EnterpriseProject: ep}); err != nil {
		return nil, err
	}
	img.EnterpriseProjectID = ep
	info, err := s.statImportObject(ctx, tgt.url)
	if err != nil {
		return nil, err
	}
	pl := importPayload{Source: "object", Bucket: tgt.url.Bucket, Key: tgt.url.Key, Format: tgt.format, Size: info.Size}
	var job *imsd.Job
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		if err := s.checkQuota(ctx, q, p, 1); err != nil {
			return err
		}
		job, err = s.insertImportJob(ctx, q, p, img, tgt.jobType, pl)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("import accepted", "job_id", job.ID, "image_id", img.ID, "object", tgt.url.String(), "bytes", info.Size, "project_id", p.ProjectID)
	s.wake()
	return job, nil
}

// wake tells the runner a job was enqueued.
func (s *Service) wake() {
	if s.wakeup != nil {
		s.wakeup()
	}
}

// importImageFromInput validates an import body and builds the image it
// creates.
func (s *Service) importImageFromInput(p *imsd.Principal, in ImportInput) (*imsd.Image, importTarget, error) {
	var tgt importTarget
	if in.InstanceID != "" || in.VolumeID != "" || in.DataImages {
		return nil, tgt, imsd.Errorf(imsd.CodeUnsupported, "This server has no servers or disks to create images from: create an image from a file in object storage (image_url) or upload one (POST /v2/images, PUT /v2/images/{id}/file).")
	}
	if in.Name == nil || *in.Name == "" {
		return nil, tgt, imsd.Errorf(imsd.CodeNameRequired, "")
	}
	if err := imsd.ValidateName(*in.Name); err != nil {
		return nil, tgt, err
	}
	now := s.Now()
	img := &imsd.Image{
		ID: newImageID(), DomainID: p.DomainID, Owner: p.ProjectID, Name: *in.Name, Status: imsd.ImageQueued,
		Visibility: "private", ImageType: "private", ContainerFormat: "bare", VirtualEnvType: "FusionCompute",
		Tags: []string{}, Properties: map[string]string{}, CreatedAt: now, UpdatedAt: now,
	}
	if in.Description != nil {
		if err := imsd.ValidateDescription(*in.Description); err != nil {
			return nil, tgt, err
		}
		img.Description = *in.Description
	}
	if in.ImageURL == "" {
		return nil, tgt, imsd.Errorf(imsd.CodeURLInvalid, "image_url is required: the image file in object storage, \"bucket:path/to/file\".")
	}
	u, err := parseObjectURL(in.ImageURL, false)
	if err != nil {
		return nil, tgt, err
	}
	tgt.url = u
	format, ok := fileFormat(u.Key)
	if !ok {
		return nil, tgt, fileFormatError(u.Key)
	}
	tgt.format = format
	maxDisk := 1024
	if in.Kind == ImportData {
		maxDisk = 2048
	}
	switch {
	case in.MinDisk == nil:
		return nil, tgt, imsd.Errorf(imsd.CodeDiskSizeInvalid, "min_disk is required: the smallest system disk for the image, 1 to %d GB.", maxDisk)
	case *in.MinDisk < 1 || *in.MinDisk > maxDisk:
		return nil, tgt, imsd.Errorf(imsd.CodeDiskSizeInvalid, "min_disk must be between 1 and %d GB, not %d.", maxDisk, *in.MinDisk)
	}
	img.MinDisk = *in.MinDisk
	if in.MinRAM != nil {
		if *in.MinRAM < 0 {
			return nil, tgt, imsd.Errorf(imsd.CodeDiskSizeInvalid, "min_ram must not be negative.")
		}
		img.MinRAM = *in.MinRAM
	}
	if in.MaxRAM != nil {
		if *in.MaxRAM < 0 {
			return nil, tgt, imsd.Errorf(imsd.CodeDiskSizeInvalid, "max_ram must not be negative.")
		}
		if *in.MaxRAM > 0 {
			img.SetProp("max_ram", strconv.Itoa(*in.MaxRAM))
		}
	}
	if err := applyImportType(img, &tgt, in); err != nil {
		return nil, tgt, err
	}
	switch in.Architecture {
	case "", "x86":
	case "arm":
		img.SetProp("__support_arm", "true")
	default:
		return nil, tgt, imsd.Errorf(imsd.CodeArchitectureInvalid, "")
	}
	switch in.HwFirmwareType {
	case "":
	case "bios", "uefi":
		img.SetProp("hw_firmware_type", in.HwFirmwareType)
	default:
		return nil, tgt, imsd.Errorf(imsd.CodeFirmwareInvalid, "")
	}
	if in.CmkID != "" {
		return nil, tgt, errEncryptedImport
	}
	if err := applyImportTags(img, in); err != nil {
		return nil, tgt, err
	}
	img.SetProp("__root_origin", "file")
	img.SetProp("__data_origin", "file,"+u.String())
	return img, tgt, nil
}

// applyImportType sets the image's kind (system, bare-metal, ISO, data)
// and OS from the body.
func applyImportType(img *imsd.Image, tgt *importTarget, in ImportInput) error {
	tgt.jobType = imsd.JobTypeImportImage
	typ := in.Type
	if in.Kind == ImportData {
		typ = "DataImage"
	}
	switch typ {
	case "", "ECS", "FusionCompute":
	case "BMS", "Ironic":
		img.VirtualEnvType = "Ironic"
	case "IsoImage":
		if in.Kind != ImportSystem {
			return imsd.Errorf(imsd.CodeImageTypeInvalid, "ISO images are created with POST /v2/cloudimages/action.")
		}
		if in.OSVersion == "" {
			return imsd.Errorf(imsd.CodeOSInfoRequired, "")
		}
		if tgt.format != "" && tgt.format != "iso" {
			return imsd.Errorf(imsd.CodeImageFileInvalid, "An ISO image needs an .iso file, not %q.", tgt.url.Key)
		}
		img.VirtualEnvType, img.DiskFormat, tgt.format = "IsoImage", "iso", "iso"
	case "DataImage":
		if in.Kind == ImportSystem {
			return imsd.Errorf(imsd.CodeImageTypeInvalid, "Data images are created with POST /v1/cloudimages/dataimages/action or the quick import.")
		}
		img.VirtualEnvType = "DataImage"
		tgt.jobType = imsd.JobTypeImportDataImage
	default:
		return imsd.Errorf(imsd.CodeImageTypeInvalid, "type must be ECS, BMS, FusionCompute, Ironic or IsoImage%s, not %q.",
			map[bool]string{true: " (DataImage for a quick import)", false: ""}[in.Kind == ImportQuick], in.Type)
	}
	if tgt.format != "" {
		img.DiskFormat = tgt.format
	}
	if img.VirtualEnvType == "DataImage" {
		switch in.OSType {
		case "":
		case "Linux", "Windows":
			img.SetProp("__os_type", in.OSType)
		default:
			return imsd.Errorf(imsd.CodeOSTypeInvalid, "os_type must be Linux or Windows, not %q.", in.OSType)
		}
		return nil
	}
	osVersion := in.OSVersion
	if osVersion == "" {
		osVersion = "Other Linux(64 bit)"
	}
	applyOSVersion(img, osVersion)
	return nil
}

// applyImportTags sets the tags of tags ("key.value" or "key=value") or
// image_tags.
func applyImportTags(img *imsd.Image, in ImportInput) error {
	if len(in.Tags) > 0 && len(in.ImageTags) > 0 {
		return imsd.Errorf(imsd.CodeBadRequest, "Give tags or image_tags, not both.")
	}
	var tags []string
	for _, t := range in.Tags {
		if !strings.Contains(t, "=") {
			if k, v, ok := strings.Cut(t, "."); ok {
				t = k + "=" + v
			}
		}
		tags = append(tags, t)
	}
	for _, t := range in.ImageTags {
		if err := validateTagKV(t); err != nil {
			return err
		}
		tags = append(tags, t.Key+"="+t.Value)
	}
	for _, t := range tags {
		if err := validateStoredTag(t); err != nil {
			return err
		}
		img.Tags = appendTag(img.Tags, t)
	}
	if len(img.Tags) > 50 {
		return imsd.Errorf(imsd.CodeBadRequest, "An image can have at most 50 tags.")
	}
	return nil
}

// insertImportJob inserts the image (if new) and the job filling it.
func (s *Service) insertImportJob(ctx context.Context, q imsd.Queries, p *imsd.Principal, img *imsd.Image, jobType string, pl importPayload) (*imsd.Job, error) {
	now := s.Now()
	job := &imsd.Job{ID: imsd.NewHexID(), Type: jobType, DomainID: p.DomainID, ProjectID: p.ProjectID, Status: imsd.JobInit,
		ImageID: img.ID, ImageName: img.Name, CreatedAt: now, BeginTime: now, CurrentTask: importTaskName}
	if jobType == imsd.JobTypeGlanceImport || jobType == imsd.JobTypeGlanceTask {
		job.ID = newImageID() // Glance task ids are UUIDs
	}
	payload, err := json.Marshal(pl)
	if err != nil {
		return nil, internal(err, "encode job payload")
	}
	job.Payload = payload
	img.SetProp(propJobID, job.ID)
	if _, err := q.ImageGet(ctx, img.ID); err == nil {
		img.UpdatedAt = now
		if err := q.ImageUpdate(ctx, img); err != nil {
			return nil, internal(err, "update image")
		}
	} else if err := q.ImageInsert(ctx, img); err != nil {
		return nil, internal(err, "insert image")
	}
	if err := q.JobInsert(ctx, job); err != nil {
		return nil, internal(err, "insert job")
	}
	return job, nil
}

// RegisterImage fills an image made with POST /v2/images from a file in
// object storage (PUT /v1/cloudimages/{id}/upload), as a job.
func (s *Service) RegisterImage(ctx context.Context, p *imsd.Principal, id, imageURL string) (*imsd.Job, error) {
	var img *imsd.Image
	check := func(q imsd.Queries) error {
		var err error
		img, err = s.ownedImage(ctx, q, p, id)
		if err != nil {
			if perr := s.precheck(ctx, p, "ims:images:upload"); perr != nil {
				return perr
			}
			return err
		}
		ep := img.EnterpriseProjectID
		if err := s.authorize(ctx, p, Check{Action: "ims:images:get", EnterpriseProject: ep},
			Check{Action: "ims:images:update", EnterpriseProject: ep}, Check{Action: "ims:images:upload", EnterpriseProject: ep}); err != nil {
			return err
		}
		return s.checkFillable(ctx, q, img)
	}
	if err := check(s.store); err != nil {
		return nil, err
	}
	if imageURL == "" {
		return nil, imsd.Errorf(imsd.CodeURLInvalid, "image_url is required: the image file in object storage, \"bucket:path/to/file\".")
	}
	u, err := parseObjectURL(imageURL, false)
	if err != nil {
		return nil, err
	}
	format, ok := fileFormat(u.Key)
	if !ok {
		return nil, fileFormatError(u.Key)
	}
	info, err := s.statImportObject(ctx, u)
	if err != nil {
		return nil, err
	}
	var job *imsd.Job
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		if err := check(q); err != nil {
			return err
		}
		img.SetProp("__root_origin", "file")
		img.SetProp("__data_origin", "file,"+u.String())
		job, err = s.insertImportJob(ctx, q, p, img, imsd.JobTypeRegisterImage,
			importPayload{Source: "object", Bucket: u.Bucket, Key: u.Key, Format: format, Size: info.Size})
		return err
	})
	if err != nil {
		return nil, err
	}
	s.wake()
	return job, nil
}

// errEncryptedImport refuses imports that would have to encrypt: imsd
// encrypts data that is uploaded or copied, not data that is imported
// (docs/compat.md).
var errEncryptedImport = imsd.Errorf(imsd.CodeBadRequest,
	"imsd does not encrypt imported data: import into an unencrypted image, then copy it with cmk_id, or upload the data (PUT /v2/images/{image_id}/file) into an image created with cmk_id.")

// checkFillable refuses to fill an image that has data or is being
// filled: only queued and killed images without a running job take data.
func (s *Service) checkFillable(ctx context.Context, q imsd.Queries, img *imsd.Image) error {
	if img.Status != imsd.ImageQueued && img.Status != imsd.ImageKilled {
		return imsd.Errorf(imsd.CodeUploadConflict, "Image data can only be imported into a queued or killed image; the image is %s.", img.Status)
	}
	if img.CmkID != "" {
		return errEncryptedImport
	}
	busy, err := s.imageHasOpenJob(ctx, q, img)
	if err != nil {
		return err
	}
	if busy {
		return imsd.Errorf(imsd.CodeUploadConflict, "The image is already being filled by a job.")
	}
	return nil
}
