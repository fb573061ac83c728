package service

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/blobcrypt"
)

// CopyInput is the body of POST /v1/cloudimages/{id}/copy after wire parsing.
type CopyInput struct {
	// BodyEmpty is set when the request carried no body at all.
	BodyEmpty           bool
	Name                *string
	Description         *string
	CmkID               string
	EnterpriseProjectID string
	// ClientToken is the X-Client-Token header ("" when absent).
	ClientToken string
	// SafeMode is set for the v2.1 API, which checks the caller's own KMS
	// permissions.
	SafeMode bool
}

// copyPayload is the job payload of an in-region copy.
type copyPayload struct {
	SourceImageID string `json:"source_image_id"`
	// SourceDigest is the address of the source's blob.
	SourceDigest string `json:"source_digest"`
	SourceCmkID  string `json:"source_cmk_id,omitempty"`
	CmkID        string `json:"cmk_id,omitempty"`
	// What a byte-moving copy (cmk_id differing from the source's key)
	// reads: the source's wrapped data key when it is encrypted, the
	// SHA-256 and size of its data.
	SourceDataKey     []byte `json:"source_data_key,omitempty"`
	SourcePlainDigest string `json:"source_sha256,omitempty"`
	SourceSize        int64  `json:"source_size,omitempty"`
}

// Copy task names reported in current_task.
const (
	copyTaskName = "CopyImageInRegionTask:"
)

// maxClientTokenLen bounds X-Client-Token.
const maxClientTokenLen = 64

// CopyImage validates and accepts an in-region copy. The new image and its
// job are written in one transaction; the job runner completes it. The
// same ClientToken from the same project within ClientTokenTTL returns the
// first job instead of making a second image.
func (s *Service) CopyImage(ctx context.Context, p *imsd.Principal, sourceID string, in CopyInput) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:copy"); err != nil {
		return nil, err
	}
	if in.BodyEmpty {
		return nil, imsd.Errorf(imsd.CodeBodyEmpty, "")
	}
	if in.Name == nil {
		return nil, imsd.Errorf(imsd.CodeNameRequired, "")
	}
	if err := imsd.ValidateName(*in.Name); err != nil {
		return nil, err
	}
	desc := ""
	if in.Description != nil {
		if err := imsd.ValidateDescription(*in.Description); err != nil {
			return nil, err
		}
		desc = *in.Description
	}
	if len(in.ClientToken) > maxClientTokenLen {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "X-Client-Token cannot exceed %d characters.", maxClientTokenLen)
	}
	targetEP := in.EnterpriseProjectID
	if targetEP == "" {
		targetEP = imsd.DefaultEnterpriseProject
	}
	var job *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		src, member, err := s.readableImage(ctx, q, p, sourceID)
		if err != nil {
			return err
		}
		// Validation of the source and the target comes before the
		// permission questions (iam.md §7 cases 41 and 44): a caller who may
		// use the API at all learns that an ISO image cannot be copied or
		// that an enterprise project does not exist, never a 403 first.
		if in.ClientToken != "" {
			prev, err := q.JobGetByClientToken(ctx, p.ProjectID, in.ClientToken, s.Now().Add(-s.cfg.ClientTokenTTL))
			if err == nil {
				job = prev
				return s.authorize(ctx, p, readCheck("ims:images:copy", src, member))
			}
			if !errors.Is(err, imsd.ErrNotFound) {
				return internal(err, "find job by client token")
			}
		}
		if err := s.checkCopySource(src); err != nil {
			return err
		}
		if err := checkSharedCopySource(src, member); err != nil {
			return err
		}
		if err := s.checkTargetEnterpriseProject(ctx, q, p, targetEP); err != nil {
			return err
		}
		checks := []Check{readCheck("ims:images:copy", src, member)}
		usesEPS, err := s.usesEnterpriseProjects(ctx, q, p.DomainID)
		if err != nil {
			return err
		}
		if usesEPS {
			checks = append(checks, Check{Action: "ims:serverImages:create", EnterpriseProject: targetEP})
		}
		if err := s.authorize(ctx, p, checks...); err != nil {
			return err
		}
		key, err := s.checkCopyKeys(ctx, q, p, src, in)
		if err != nil {
			return err
		}
		if err := s.checkQuota(ctx, q, p, 1); err != nil {
			return err
		}
		job, err = s.insertCopy(ctx, q, p, src, key, *in.Name, desc, targetEP, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.wakeup != nil {
		s.wakeup()
	}
	return job, nil
}

// checkCopySource applies the rules on what may be copied.
func (s *Service) checkCopySource(src *imsd.Image) error {
	switch {
	case src.Status != imsd.ImageActive || src.BlobDigest == "":
		return imsd.Errorf(imsd.CodeImageUnavailable, "Only active images can be copied; the source image is %s.", src.Status)
	case src.WholeImage:
		return imsd.Errorf(imsd.CodeWholeImage, "")
	case src.IsISO():
		return imsd.Errorf(imsd.CodeISOImage, "")
	case src.Size > s.cfg.MaxImageSize:
		return imsd.Errorf(imsd.CodeImageTooLarge, "Images larger than %d bytes cannot be copied within a region; the source has %d bytes.", s.cfg.MaxImageSize, src.Size)
	}
	return nil
}

// checkCopyKeys applies the KMS rules of a copy, after the IMS permission
// checks (iam.md case 43). A cmk_id must differ from the source's key
// (IMG.0096), name an enabled key of the caller's project (IMG.0095,
// IMG.0097) and, on the v2.1 API, one the caller may make data keys under
// (IMG.0099). An encrypted source's key must exist and be enabled
// (IMG.0101, IMG.0102) and, on v2.1, the caller must be allowed to decrypt
// with it (IMG.0103). On v1 the service acts for the caller, as Huawei's
// IMS does through its agency: only the keys' states are checked.
func (s *Service) checkCopyKeys(ctx context.Context, q imsd.Queries, p *imsd.Principal, src *imsd.Image, in CopyInput) (*imsd.Key, error) {
	var target *imsd.Key
	if in.CmkID != "" {
		if in.CmkID == src.CmkID {
			return nil, imsd.Errorf(imsd.CodeKeySame, "")
		}
		k, err := s.keyForNewData(ctx, q, p, in.CmkID)
		if err != nil {
			return nil, err
		}
		if in.SafeMode {
			if err := s.authorizeKeyUse(ctx, p, k, imsd.CodeKeyForbidden, kmsCreateDataKey); err != nil {
				return nil, err
			}
		}
		target = k
	}
	if src.CmkID != "" {
		k, err := s.keyOfImage(ctx, q, src, imsd.CodeSourceKeyNotFound, imsd.CodeSourceKeyDisabled)
		if err != nil {
			return nil, err
		}
		if in.SafeMode {
			if err := s.authorizeKeyUse(ctx, p, k, imsd.CodeSourceKeyForbidden, kmsDecryptDataKey); err != nil {
				return nil, err
			}
		}
	}
	return target, nil
}

// usesEnterpriseProjects reports whether the domain has any enterprise
// project besides the default one; only then does a copy also need
// ims:serverImages:create in the target enterprise project.
func (s *Service) usesEnterpriseProjects(ctx context.Context, q imsd.Queries, domainID string) (bool, error) {
	eps, err := q.EnterpriseProjectList(ctx, domainID)
	if err != nil {
		return false, internal(err, "list enterprise projects")
	}
	return len(eps) > 0, nil
}

// copyExcludedProps are source properties a copy does not inherit.
var copyExcludedProps = map[string]bool{
	"__originalimagename": true, "__data_origin": true, "__root_origin": true, "__backup_id": true,
	"__productcode": true, "__image_location": true, "__description": true,
}

// insertCopy records the copy's image and job. Without a new key the copy
// references the source's blob (and data key) at once. With one (key set),
// the copy gets its own data key now, so every attempt of the job writes
// the same bytes, and the address its sealed blob will have.
func (s *Service) insertCopy(ctx context.Context, q imsd.Queries, p *imsd.Principal, src *imsd.Image, key *imsd.Key, name, desc, ep string, in CopyInput) (*imsd.Job, error) {
	now := s.Now()
	props := maps.Clone(src.Properties)
	if props == nil {
		props = map[string]string{}
	}
	for k := range props {
		if copyExcludedProps[k] || strings.HasPrefix(k, internalPropPrefix) {
			delete(props, k)
		}
	}
	job := &imsd.Job{
		ID: imsd.NewHexID(), Type: imsd.JobTypeCopyInRegion, DomainID: p.DomainID, ProjectID: p.ProjectID,
		Status: imsd.JobInit, ClientToken: in.ClientToken, CreatedAt: now, BeginTime: now, CurrentTask: copyTaskName,
	}
	dst := &imsd.Image{
		ID: newImageID(), DomainID: p.DomainID, Owner: p.ProjectID, Name: name, Status: imsd.ImageQueued,
		Visibility: "private", ImageType: "private", ContainerFormat: src.ContainerFormat, DiskFormat: src.DiskFormat,
		MinDisk: src.MinDisk, MinRAM: src.MinRAM, Description: desc, EnterpriseProjectID: ep,
		VirtualEnvType: src.VirtualEnvType, CmkID: src.CmkID,
		BlobDigest: src.BlobDigest, DataKey: src.DataKey, PlainDigest: src.PlainDigest,
		Size: src.Size, VirtualSize: src.VirtualSize, Checksum: src.Checksum,
		Tags: []string{}, Properties: props, CreatedAt: now, UpdatedAt: now,
	}
	pl := copyPayload{SourceImageID: src.ID, SourceDigest: src.BlobDigest, SourceCmkID: src.CmkID, CmkID: in.CmkID}
	if key != nil {
		plainDigest, err := hex.DecodeString(src.DataSHA256())
		if err != nil {
			return nil, internal(err, "source digest")
		}
		dk, wrapped, err := s.newDataKey(ctx, key)
		if err != nil {
			return nil, internal(err, "new data key")
		}
		dst.CmkID, dst.DataKey, dst.PlainDigest = key.ID, wrapped, src.DataSHA256()
		dst.BlobDigest = blobcrypt.Address(plainDigest, dk, src.Size)
		clear(dk)
		pl.SourceDataKey, pl.SourcePlainDigest, pl.SourceSize = src.DataKey, src.DataSHA256(), src.Size
	}
	dst.SetProp("__originalimagename", src.ID)
	dst.SetProp("__data_origin", "image,"+src.ID)
	dst.SetProp(propJobID, job.ID)
	job.ImageID, job.ImageName = dst.ID, dst.Name
	payload, err := json.Marshal(pl)
	if err != nil {
		return nil, internal(err, "encode job payload")
	}
	job.Payload = payload
	if err := q.ImageInsert(ctx, dst); err != nil {
		return nil, internal(err, "insert copy image")
	}
	if err := q.JobInsert(ctx, job); err != nil {
		return nil, internal(err, "insert job")
	}
	s.log.Info("copy accepted", "job_id", job.ID, "source_image_id", src.ID, "image_id", dst.ID, "project_id", p.ProjectID)
	return job, nil
}

// JobGet returns a job of the caller's project; anything else is 404.
func (s *Service) JobGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.Job, error) {
	// Job queries have no dedicated IAM action. Reading a job needs, somewhere
	// in the project (an enterprise-project grant is enough), the right to
	// read images or to start the job's kind of work: whoever may copy can
	// follow their copies.
	if err := s.precheckAny(ctx, p, jobReadActions...); err != nil {
		return nil, err
	}
	if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, "/?#%. ") {
		return nil, imsd.Errorf(imsd.CodeJobNotFound, "")
	}
	j, err := s.store.JobGet(ctx, id)
	if err != nil {
		return nil, notFound(err, imsd.CodeJobNotFound)
	}
	if j.DomainID != p.DomainID || j.ProjectID != p.ProjectID {
		return nil, imsd.Errorf(imsd.CodeJobNotFound, "")
	}
	return j, nil
}

// cancelOwner is the lease owner a cancelled job is given, so that the
// runner working on it fails its next update and stops.
const cancelOwner = "imsd:cancelled"

// JobCancel cancels a queued or running job of the caller's project (an
// imsd extension, like Alibaba's CancelCopyImage): the job ends FAIL with
// IMG.0250 and its target image is deleted at once; a runner working on it
// notices at its next progress report (at least twice a second) and
// removes the data it staged. An ended job is 409 IMG.0249. Cancelling
// needs ims:images:copy on the target image's enterprise project.
func (s *Service) JobCancel(ctx context.Context, p *imsd.Principal, id string) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:copy"); err != nil {
		return nil, err
	}
	if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, "/?#%. ") {
		return nil, imsd.Errorf(imsd.CodeJobNotFound, "")
	}
	var out *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		j, err := q.JobGet(ctx, id)
		if errors.Is(err, imsd.ErrNotFound) || (err == nil && (j.DomainID != p.DomainID || j.ProjectID != p.ProjectID)) {
			return imsd.Errorf(imsd.CodeJobNotFound, "")
		}
		if err != nil {
			return internal(err, "get job")
		}
		img, err := q.ImageGet(ctx, j.ImageID)
		if err != nil && !errors.Is(err, imsd.ErrNotFound) {
			return internal(err, "get image")
		}
		ep := ""
		if img != nil {
			ep = img.EnterpriseProjectID
		}
		if err := s.authorize(ctx, p, Check{Action: "ims:images:copy", EnterpriseProject: ep}); err != nil {
			return err
		}
		if j.Status.Done() {
			return imsd.Errorf(imsd.CodeJobEnded, "The job has already ended (%s) and cannot be cancelled.", j.Status)
		}
		if err := q.JobSteal(ctx, j.ID, cancelOwner); err != nil {
			return internal(err, "take the job's lease")
		}
		now := s.Now()
		j.LeaseOwner, j.Status, j.EndTime, j.CurrentTask = cancelOwner, imsd.JobFail, now, ""
		j.ErrorCode, j.FailReason = string(imsd.CodeJobCancelled), "The job was cancelled; its image was deleted."
		if err := q.JobUpdate(ctx, j); err != nil {
			return internal(err, "cancel job")
		}
		if img != nil {
			if err := q.ImageDelete(ctx, img.ID); err != nil && !errors.Is(err, imsd.ErrNotFound) {
				return internal(err, "delete the cancelled job's image")
			}
		}
		out = j
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("job cancelled", "job_id", out.ID, "image_id", out.ImageID, "project_id", p.ProjectID)
	return out, nil
}

// sourceOfRunningCopy returns the id of an unfinished byte-moving copy
// reading img, or "". Such a source cannot be deleted: its data would be
// freed under the copy.
func (s *Service) sourceOfRunningCopy(ctx context.Context, q imsd.Queries, img *imsd.Image) (string, error) {
	jobs, err := q.JobList(ctx, []imsd.JobStatus{imsd.JobInit, imsd.JobRunning})
	if err != nil {
		return "", internal(err, "list jobs")
	}
	for _, j := range jobs {
		var pl copyPayload
		if j.Type != imsd.JobTypeCopyInRegion || json.Unmarshal(j.Payload, &pl) != nil {
			continue
		}
		if pl.SourceImageID == img.ID && pl.CmkID != "" && pl.CmkID != pl.SourceCmkID {
			return j.ID, nil
		}
	}
	return "", nil
}
