package service

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/imsd/imsd"
)

// Image sharing. An owner shares an image with projects (of its own account
// or of others); each member project accepts or rejects it. A shared image
// has visibility and __imagetype "shared" for its owner and its members
// alike. Members see the image and may copy it once accepted; everything
// else about it (updates, tags, data, its members) stays the owner's. Across
// accounts a member learns the image and its owner's project id, nothing
// more: the owner's enterprise project, tags, lineage and other members are
// left out of what a member reads.

// Limits of sharing.
const (
	// MaxMembers is how many projects one image can be shared with
	// (Huawei's limit for system and data disk images).
	MaxMembers = 256
	// maxShareBatch bounds the images and the projects of one batch call.
	maxShareBatch = 100
)

// memberResult is one entry of a member job's entities.results.
type memberResult struct {
	ImageID   string `json:"image_id"`
	ProjectID string `json:"project_id"`
	Status    string `json:"status"`
}

// memberJobPayload is the payload of a member job.
type memberJobPayload struct {
	Results []memberResult `json:"results"`
}

// MemberJobResults returns the per-image results of a member job, nil for
// any other job.
func MemberJobResults(j *imsd.Job) []map[string]string {
	switch j.Type {
	case imsd.JobTypeAddMembers, imsd.JobTypeUpdateMembers, imsd.JobTypeDeleteMembers:
	default:
		return nil
	}
	var pl memberJobPayload
	if json.Unmarshal(j.Payload, &pl) != nil {
		return nil
	}
	out := make([]map[string]string, len(pl.Results))
	for i, r := range pl.Results {
		out[i] = map[string]string{"image_id": r.ImageID, "project_id": r.ProjectID, "status": r.Status}
	}
	return out
}

// readableImage loads an image the principal's project may read: one it
// owns (member nil), or one shared with it, whatever the member's answer
// (member set). Anything else is IMG.0144 (404).
func (s *Service) readableImage(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Image, *imsd.ImageMember, error) {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/?#%") {
		return nil, nil, imsd.Errorf(imsd.CodeImageNotFound, "")
	}
	img, err := q.ImageGet(ctx, id)
	if err != nil {
		return nil, nil, notFound(err, imsd.CodeImageNotFound)
	}
	if img.Status == imsd.ImageDeleted {
		return nil, nil, imsd.Errorf(imsd.CodeImageNotFound, "")
	}
	if img.DomainID == p.DomainID && img.Owner == p.ProjectID {
		return img, nil, nil
	}
	m, err := q.MemberGet(ctx, id, p.ProjectID)
	if errors.Is(err, imsd.ErrNotFound) {
		return nil, nil, imsd.Errorf(imsd.CodeImageNotFound, "")
	}
	if err != nil {
		return nil, nil, internal(err, "get image member")
	}
	return img, m, nil
}

// readCheck is the authorization question for action on an image the
// caller read with readableImage: enterprise-project grants count for the
// owner's own images, never for an image shared with the caller (iam.md
// case 35).
func readCheck(action string, img *imsd.Image, member *imsd.ImageMember) Check {
	if member != nil {
		return Check{Action: action, Shared: true}
	}
	return Check{Action: action, EnterpriseProject: img.EnterpriseProjectID}
}

// sharedView is what a member project reads of an image shared with it:
// the image without what belongs to the owner alone (its enterprise
// project, its tags, and the lineage naming the owner's other images).
func sharedView(img *imsd.Image) *imsd.Image {
	v := img.Clone()
	v.EnterpriseProjectID = ""
	v.Tags = []string{}
	for k := range v.Properties {
		if sharedHiddenProps[k] || strings.HasPrefix(k, internalPropPrefix) {
			delete(v.Properties, k)
		}
	}
	return v
}

// sharedHiddenProps are the properties a member never reads.
var sharedHiddenProps = map[string]bool{
	"__originalimagename": true, "__data_origin": true, "__backup_id": true, "__image_location": true,
	"__root_origin": true, "__productcode": true,
}

// ownedImage loads an image for a change only its owner may make: the
// owner gets it, a member of a shared image gets IMG.0047 (it knows the
// image, so 404 would mislead), anyone else IMG.0144.
func (s *Service) ownedImage(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Image, error) {
	img, member, err := s.readableImage(ctx, q, p, id)
	if err != nil {
		return nil, err
	}
	if member != nil {
		return nil, imsd.Errorf(imsd.CodeOwnerOnly, "Only the owner of image %s can perform this operation; it is shared with your project.", id)
	}
	return img, nil
}

// checkShareable applies the rules on what may be shared.
func checkShareable(img *imsd.Image) error {
	switch {
	case img.Status != imsd.ImageActive:
		return imsd.Errorf(imsd.CodeImageUnavailable, "Only active images can be shared; image %s is %s.", img.ID, img.Status)
	case img.Visibility == "public" || img.ImageType == "gold":
		return imsd.Errorf(imsd.CodeSharePublic, "")
	case img.CmkID != "":
		return imsd.Errorf(imsd.CodeShareEncrypted, "Image %s is encrypted and cannot be shared; copy it without encryption and share the copy.", img.ID)
	case img.WholeImage:
		return imsd.Errorf(imsd.CodeShareWholeImage, "")
	}
	return nil
}

// checkProjectID rejects text that cannot be a project id before any lookup.
func checkProjectID(id string) error {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/?#% \t\r\n") {
		return imsd.Errorf(imsd.CodeProjectIDInvalid, "The project ID %q is incorrect.", id)
	}
	return nil
}

// memberProject resolves a project an image is to be shared with: any
// enabled or disabled project of any account, but not the owner's own.
func (s *Service) memberProject(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Project, error) {
	if err := checkProjectID(id); err != nil {
		return nil, err
	}
	if id == p.ProjectID {
		return nil, imsd.Errorf(imsd.CodeShareWithSelf, "")
	}
	proj, err := q.ProjectGet(ctx, id)
	if errors.Is(err, imsd.ErrNotFound) || errors.Is(err, imsd.ErrInvalidText) {
		return nil, imsd.Errorf(imsd.CodeProjectIDInvalid, "The project ID %q is incorrect: no such project.", id)
	}
	if err != nil {
		return nil, internal(err, "get project")
	}
	return proj, nil
}

// setShared makes the image's visibility and __imagetype "shared" while it
// has members and "private" once it has none.
func (s *Service) setShared(ctx context.Context, q imsd.Queries, img *imsd.Image) error {
	ms, err := q.MemberList(ctx, img.ID)
	if err != nil {
		return internal(err, "list image members")
	}
	want := "private"
	if len(ms) > 0 {
		want = "shared"
	}
	if img.Visibility == want && img.ImageType == want {
		return nil
	}
	img.Visibility, img.ImageType = want, want
	img.UpdatedAt = s.Now()
	return internal(q.ImageUpdate(ctx, img), "update image visibility")
}

// lockImage writes the image row at the start of a sharing change, so
// that on a store with concurrent writers the change's count-then-insert
// of members cannot interleave with another's (the member limit holds).
func (s *Service) lockImage(ctx context.Context, q imsd.Queries, img *imsd.Image) error {
	img.UpdatedAt = s.Now()
	return internal(q.ImageUpdate(ctx, img), "lock image")
}

// addMember shares img with proj; an existing member is left as it is and
// reported by existed.
func (s *Service) addMember(ctx context.Context, q imsd.Queries, img *imsd.Image, proj *imsd.Project) (m *imsd.ImageMember, existed bool, err error) {
	if cur, err := q.MemberGet(ctx, img.ID, proj.ID); err == nil {
		return cur, true, nil
	} else if !errors.Is(err, imsd.ErrNotFound) {
		return nil, false, internal(err, "get image member")
	}
	ms, err := q.MemberList(ctx, img.ID)
	if err != nil {
		return nil, false, internal(err, "list image members")
	}
	if len(ms) >= MaxMembers {
		return nil, false, imsd.Errorf(imsd.CodeShareQuota, "Image %s is already shared with %d projects, the most allowed.", img.ID, MaxMembers)
	}
	now := s.Now()
	m = &imsd.ImageMember{ImageID: img.ID, MemberID: proj.ID, MemberDomainID: proj.DomainID, Status: imsd.MemberPending,
		CreatedAt: now, UpdatedAt: now}
	if err := q.MemberInsert(ctx, m); err != nil {
		return nil, false, internal(err, "insert image member")
	}
	return m, false, s.setShared(ctx, q, img)
}

// MemberBatch is the body of the batch member APIs after wire parsing.
type MemberBatch struct {
	Images   []string
	Projects []string
	// Domains and Organizations are the SDK's other member kinds, which
	// imsd does not support.
	Domains, Organizations []string
	// ProjectID and Status are the fields of BatchUpdateMembers.
	ProjectID string
	Status    string
}

func checkBatchIDs(what string, ids []string) error {
	if len(ids) == 0 {
		return imsd.Errorf(imsd.CodeBadRequest, "The request must name at least one of %s.", what)
	}
	if len(ids) > maxShareBatch {
		return imsd.Errorf(imsd.CodeBadRequest, "One request can name at most %d %s.", maxShareBatch, what)
	}
	return nil
}

// ownedShareableImages loads the owner's images of a batch, authorizing
// ims:images:share on each, and checks they may be shared.
func (s *Service) ownedShareableImages(ctx context.Context, q imsd.Queries, p *imsd.Principal, ids []string, forAdd bool) ([]*imsd.Image, error) {
	var imgs []*imsd.Image
	for _, id := range uniq(ids) {
		img, err := s.ownedImage(ctx, q, p, id)
		if err != nil {
			return nil, err
		}
		if err := s.authorize(ctx, p, Check{Action: "ims:images:share"}); err != nil {
			return nil, err
		}
		if forAdd {
			if err := checkShareable(img); err != nil {
				return nil, err
			}
		}
		if err := s.lockImage(ctx, q, img); err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

func uniq(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// AddMembers shares images with projects (POST /v1/cloudimages/members).
// Every image and project is checked first; then all of them are shared at
// once and the job is recorded as finished. Projects already members keep
// their answer.
func (s *Service) AddMembers(ctx context.Context, p *imsd.Principal, in MemberBatch) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:share"); err != nil {
		return nil, err
	}
	if err := checkBatchIDs("images", in.Images); err != nil {
		return nil, err
	}
	if len(in.Domains) > 0 || len(in.Organizations) > 0 {
		return nil, imsd.Errorf(imsd.CodeUnsupported, "Images can be shared with projects only, not with whole accounts (domains) or organizations.")
	}
	if err := checkBatchIDs("projects", in.Projects); err != nil {
		return nil, err
	}
	var job *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		imgs, err := s.ownedShareableImages(ctx, q, p, in.Images, true)
		if err != nil {
			return err
		}
		var projects []*imsd.Project
		for _, id := range uniq(in.Projects) {
			proj, err := s.memberProject(ctx, q, p, id)
			if err != nil {
				return err
			}
			projects = append(projects, proj)
		}
		var results []memberResult
		for _, img := range imgs {
			for _, proj := range projects {
				if _, _, err := s.addMember(ctx, q, img, proj); err != nil {
					return err
				}
				results = append(results, memberResult{ImageID: img.ID, ProjectID: proj.ID, Status: "success"})
			}
		}
		job, err = s.insertFinishedJob(ctx, q, p, imsd.JobTypeAddMembers, results)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("images shared", "job_id", job.ID, "images", len(in.Images), "projects", len(in.Projects), "project_id", p.ProjectID)
	return job, nil
}

// DeleteMembers stops sharing images with projects (DELETE
// /v1/cloudimages/members). A project that is not a member is skipped.
func (s *Service) DeleteMembers(ctx context.Context, p *imsd.Principal, in MemberBatch) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:share"); err != nil {
		return nil, err
	}
	if err := checkBatchIDs("images", in.Images); err != nil {
		return nil, err
	}
	if err := checkBatchIDs("projects", in.Projects); err != nil {
		return nil, err
	}
	for _, id := range in.Projects {
		if err := checkProjectID(id); err != nil {
			return nil, err
		}
	}
	var job *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		imgs, err := s.ownedShareableImages(ctx, q, p, in.Images, false)
		if err != nil {
			return err
		}
		var results []memberResult
		for _, img := range imgs {
			for _, proj := range uniq(in.Projects) {
				err := q.MemberDelete(ctx, img.ID, proj)
				if err != nil && !errors.Is(err, imsd.ErrNotFound) {
					return internal(err, "delete image member")
				}
				results = append(results, memberResult{ImageID: img.ID, ProjectID: proj, Status: "success"})
			}
			if err := s.setShared(ctx, q, img); err != nil {
				return err
			}
		}
		job, err = s.insertFinishedJob(ctx, q, p, imsd.JobTypeDeleteMembers, results)
		return err
	})
	return job, err
}

// UpdateMembers records the caller's project's answer to images shared
// with it (PUT /v1/cloudimages/members). project_id must be the caller's
// own project.
func (s *Service) UpdateMembers(ctx context.Context, p *imsd.Principal, in MemberBatch) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:share"); err != nil {
		return nil, err
	}
	if err := checkBatchIDs("images", in.Images); err != nil {
		return nil, err
	}
	if in.ProjectID == "" {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "project_id is required: the project accepting or rejecting the images.")
	}
	if in.ProjectID != p.ProjectID {
		return nil, imsd.Errorf(imsd.CodeProjectMismatch, "project_id must be the project of the request (X-Project-Id or token scope): a project answers only for itself.")
	}
	status, err := parseMemberStatus(in.Status, false)
	if err != nil {
		return nil, err
	}
	var job *imsd.Job
	err = s.store.InTx(ctx, func(q imsd.Queries) error {
		var results []memberResult
		for _, id := range uniq(in.Images) {
			m, err := s.ownMembership(ctx, q, p, id)
			if err != nil {
				return err
			}
			if err := s.setMemberStatus(ctx, q, m, status); err != nil {
				return err
			}
			results = append(results, memberResult{ImageID: id, ProjectID: p.ProjectID, Status: "success"})
		}
		job, err = s.insertFinishedJob(ctx, q, p, imsd.JobTypeUpdateMembers, results)
		return err
	})
	return job, err
}

// ownMembership loads the caller's project's membership of an image,
// authorizing ims:images:share; an image not shared with the caller is
// IMG.0144, its owner included (an owner is not a member).
func (s *Service) ownMembership(ctx context.Context, q imsd.Queries, p *imsd.Principal, imageID string) (*imsd.ImageMember, error) {
	_, m, err := s.readableImage(ctx, q, p, imageID)
	if err == nil && m == nil {
		err = imsd.Errorf(imsd.CodeImageNotFound, "Image %s is not shared with your project; only a member project accepts or rejects an image.", imageID)
	}
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:share", Shared: true}); err != nil {
		return nil, err
	}
	return m, nil
}

func (s *Service) setMemberStatus(ctx context.Context, q imsd.Queries, m *imsd.ImageMember, st imsd.MemberStatus) error {
	if m.Status == st {
		return nil
	}
	m.Status, m.UpdatedAt = st, s.Now()
	return internal(q.MemberUpdate(ctx, m), "update image member")
}

// parseMemberStatus checks a member status from the wire; pending is a
// Glance value only.
func parseMemberStatus(s string, allowPending bool) (imsd.MemberStatus, error) {
	switch st := imsd.MemberStatus(s); {
	case st == imsd.MemberAccepted || st == imsd.MemberRejected:
		return st, nil
	case st == imsd.MemberPending && allowPending:
		return st, nil
	}
	allowed := "accepted or rejected"
	if allowPending {
		allowed = "accepted, rejected or pending"
	}
	return "", imsd.Errorf(imsd.CodeBadRequest, "status must be %s, not %q.", allowed, s)
}

// insertFinishedJob records a member job, already SUCCESS: its changes were
// made in the same transaction.
func (s *Service) insertFinishedJob(ctx context.Context, q imsd.Queries, p *imsd.Principal, typ string, results []memberResult) (*imsd.Job, error) {
	payload, err := json.Marshal(memberJobPayload{Results: results})
	if err != nil {
		return nil, internal(err, "encode job payload")
	}
	now := s.Now()
	j := &imsd.Job{ID: imsd.NewHexID(), Type: typ, DomainID: p.DomainID, ProjectID: p.ProjectID, Status: imsd.JobSuccess,
		Progress: 1, Payload: payload, CreatedAt: now, BeginTime: now, EndTime: now}
	if err := q.JobInsert(ctx, j); err != nil {
		return nil, internal(err, "insert job")
	}
	return j, nil
}

// MemberAdd shares an image with one project (Glance POST
// /v2/images/{id}/members). An existing member is IMG.0260 (409).
func (s *Service) MemberAdd(ctx context.Context, p *imsd.Principal, imageID, memberID string) (*imsd.ImageMember, error) {
	var out *imsd.ImageMember
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := s.ownedImage(ctx, q, p, imageID)
		if err != nil {
			if perr := s.precheck(ctx, p, "ims:images:share"); perr != nil {
				return perr
			}
			return err
		}
		if err := s.authorize(ctx, p, readCheck("ims:images:get", img, nil), Check{Action: "ims:images:share"}); err != nil {
			return err
		}
		if err := checkShareable(img); err != nil {
			return err
		}
		if err := s.lockImage(ctx, q, img); err != nil {
			return err
		}
		proj, err := s.memberProject(ctx, q, p, memberID)
		if err != nil {
			return err
		}
		m, existed, err := s.addMember(ctx, q, img, proj)
		if err != nil {
			return err
		}
		if existed {
			return imsd.Errorf(imsd.CodeMemberExists, "Image %s is already shared with project %s.", imageID, memberID)
		}
		out = m
		return nil
	})
	return out, err
}

// memberAccess loads an image for the Glance member routes and authorizes
// ims:images:get and ims:images:share on it.
func (s *Service) memberAccess(ctx context.Context, q imsd.Queries, p *imsd.Principal, imageID string) (*imsd.Image, *imsd.ImageMember, error) {
	img, m, err := s.readableImage(ctx, q, p, imageID)
	if err != nil {
		if perr := s.precheck(ctx, p, "ims:images:share"); perr != nil {
			return nil, nil, perr
		}
		return nil, nil, err
	}
	if err := s.authorize(ctx, p, readCheck("ims:images:get", img, m), readCheck("ims:images:share", img, m)); err != nil {
		return nil, nil, err
	}
	return img, m, nil
}

// MemberList lists an image's members: all of them for the owner, its own
// membership only for a member project.
func (s *Service) MemberList(ctx context.Context, p *imsd.Principal, imageID string) ([]*imsd.ImageMember, error) {
	img, m, err := s.memberAccess(ctx, s.store, p, imageID)
	if err != nil {
		return nil, err
	}
	if m != nil {
		return []*imsd.ImageMember{m}, nil
	}
	ms, err := s.store.MemberList(ctx, img.ID)
	if err != nil {
		return nil, internal(err, "list image members")
	}
	return ms, nil
}

// MemberGet returns one member of an image; a member project sees only its
// own membership.
func (s *Service) MemberGet(ctx context.Context, p *imsd.Principal, imageID, memberID string) (*imsd.ImageMember, error) {
	img, m, err := s.memberAccess(ctx, s.store, p, imageID)
	if err != nil {
		return nil, err
	}
	if m != nil {
		if memberID != m.MemberID {
			return nil, imsd.Errorf(imsd.CodeNotFound, "Image %s has no member %q that your project can see.", imageID, memberID)
		}
		return m, nil
	}
	if checkProjectID(memberID) != nil {
		return nil, imsd.Errorf(imsd.CodeNotFound, "Image %s has no member %q.", imageID, memberID)
	}
	got, err := s.store.MemberGet(ctx, img.ID, memberID)
	if errors.Is(err, imsd.ErrNotFound) || errors.Is(err, imsd.ErrInvalidText) {
		return nil, imsd.Errorf(imsd.CodeNotFound, "Image %s has no member %q.", imageID, memberID)
	}
	return got, internal(err, "get image member")
}

// MemberSetStatus records a member project's answer (Glance PUT
// /v2/images/{id}/members/{member_id}): only the member itself answers.
func (s *Service) MemberSetStatus(ctx context.Context, p *imsd.Principal, imageID, memberID, status string) (*imsd.ImageMember, error) {
	var out *imsd.ImageMember
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		_, m, err := s.memberAccess(ctx, q, p, imageID)
		if err != nil {
			return err
		}
		if m == nil {
			return imsd.Errorf(imsd.CodeForbidden, "Only the member project accepts or rejects a shared image; the owner cannot answer for it.")
		}
		if memberID != m.MemberID {
			return imsd.Errorf(imsd.CodeNotFound, "Image %s has no member %q that your project can see.", imageID, memberID)
		}
		st, err := parseMemberStatus(status, true)
		if err != nil {
			return err
		}
		if err := s.setMemberStatus(ctx, q, m, st); err != nil {
			return err
		}
		out = m
		return nil
	})
	return out, err
}

// MemberRemove stops sharing an image with one project (Glance DELETE
// /v2/images/{id}/members/{member_id}); only the owner may.
func (s *Service) MemberRemove(ctx context.Context, p *imsd.Principal, imageID, memberID string) error {
	return s.store.InTx(ctx, func(q imsd.Queries) error {
		img, m, err := s.memberAccess(ctx, q, p, imageID)
		if err != nil {
			return err
		}
		if m != nil {
			return imsd.Errorf(imsd.CodeOwnerOnly, "Only the owner of image %s stops sharing it.", imageID)
		}
		if checkProjectID(memberID) != nil {
			return imsd.Errorf(imsd.CodeNotFound, "Image %s has no member %q.", imageID, memberID)
		}
		err = q.MemberDelete(ctx, img.ID, memberID)
		if errors.Is(err, imsd.ErrNotFound) || errors.Is(err, imsd.ErrInvalidText) {
			return imsd.Errorf(imsd.CodeNotFound, "Image %s has no member %q.", imageID, memberID)
		}
		if err != nil {
			return internal(err, "delete image member")
		}
		return s.setShared(ctx, q, img)
	})
}

// checkSharedCopySource applies the rules on copying an image shared with
// the caller: only once accepted, and never an encrypted one.
func checkSharedCopySource(src *imsd.Image, member *imsd.ImageMember) error {
	switch {
	case member == nil:
		return nil
	case member.Status != imsd.MemberAccepted:
		return imsd.Errorf(imsd.CodeSharedNotAccepted, "Image %s is shared with your project but not accepted (%s); accept it before copying it.", src.ID, member.Status)
	case src.CmkID != "":
		return imsd.Errorf(imsd.CodeSharedEncryptedCopy, "")
	}
	return nil
}
