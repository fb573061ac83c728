package service

import (
	"context"
	"errors"
	"slices"

	"github.com/imsd/imsd"
)

// AllGrantedEPs is the enterprise_project_id filter value that selects
// every enterprise project the caller is authorized for.
const AllGrantedEPs = "all_granted_eps"

// ListImagesInput is a list request after wire parsing.
type ListImagesInput struct {
	Query imsd.ImageQuery
	// EnterpriseProjectID is "", an enterprise project id, "0" or
	// AllGrantedEPs.
	EnterpriseProjectID string
	// Owner is the owner filter given by the caller ("" for none).
	Owner string
	// ProjectOnly ignores enterprise-project grants (the Glance list API,
	// whose permission row does not support enterprise projects).
	ProjectOnly bool
	// MemberStatus selects the images shared with the caller by its
	// answer: "" means accepted, "all" any answer.
	MemberStatus string
}

// MaxListLimit is the largest page any list API returns.
const MaxListLimit = 1000

// ImageList lists the caller project's images. Authorization follows the
// two tiers: a project-wide grant of ims:images:list shows everything;
// enterprise-project grants show the images of those enterprise projects.
func (s *Service) ImageList(ctx context.Context, p *imsd.Principal, in ListImagesInput) ([]*imsd.Image, error) {
	all, eps, err := true, []string(nil), error(nil)
	if in.ProjectOnly {
		err = s.authorize(ctx, p, Check{Action: "ims:images:list"})
	} else {
		all, eps, err = s.listScope(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	q := in.Query
	q.DomainID = p.DomainID
	q.Owner = p.ProjectID
	// Images shared with the caller's project come along when the caller
	// may list images project-wide: enterprise-project grants never cover
	// them (iam.md case 35), and they belong to no enterprise project of
	// the caller's.
	shared := all && (in.EnterpriseProjectID == "" || in.EnterpriseProjectID == AllGrantedEPs)
	if shared {
		q.SharedWith = p.ProjectID
		switch in.MemberStatus {
		case "":
			q.MemberStatuses = []imsd.MemberStatus{imsd.MemberAccepted}
		case "all":
		default:
			q.MemberStatuses = []imsd.MemberStatus{imsd.MemberStatus(in.MemberStatus)}
		}
	}
	if in.Owner != "" && in.Owner != p.ProjectID {
		if !shared {
			return []*imsd.Image{}, nil
		}
		q.OnlyShared, q.SharedOwner = true, in.Owner
	}
	switch in.EnterpriseProjectID {
	case "":
		if !all {
			q.EnterpriseProjects = eps
		}
	case AllGrantedEPs:
		if !all {
			q.EnterpriseProjects = eps
		}
	default:
		if !all && !slices.Contains(eps, in.EnterpriseProjectID) {
			return nil, imsd.Errorf(imsd.CodeForbidden, "Policy doesn't allow ims:images:list to be performed in enterprise project %s.", in.EnterpriseProjectID)
		}
		q.EnterpriseProjects = []string{in.EnterpriseProjectID}
	}
	// One more than a full page is allowed: the Glance list asks for it to
	// tell whether a next page exists.
	if q.Limit <= 0 || q.Limit > MaxListLimit+1 {
		q.Limit = MaxListLimit
	}
	imgs, err := s.store.ImageList(ctx, q)
	if errors.Is(err, imsd.ErrNotFound) {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The marker %q does not name an image of this list.", q.Marker)
	}
	if err != nil {
		return nil, internal(err, "list images")
	}
	for i, img := range imgs {
		if img.DomainID != p.DomainID || img.Owner != p.ProjectID {
			imgs[i] = sharedView(img)
		}
	}
	return imgs, nil
}

// listScope asks where the caller may list images; a caller with no grant
// at all is denied.
func (s *Service) listScope(ctx context.Context, p *imsd.Principal) (bool, []string, error) {
	if err := s.authorize(ctx, p, Check{Action: "ims:images:list"}); err == nil {
		return true, nil, nil
	} else if imsd.ErrorCode(err) != imsd.CodeForbidden {
		return false, nil, err
	}
	all, eps, err := s.authz.Scope(ctx, p, "ims:images:list")
	if err != nil {
		return false, nil, internal(err, "authorization scope")
	}
	if !all && len(eps) == 0 {
		return false, nil, imsd.Errorf(imsd.CodeForbidden, "Policy doesn't allow ims:images:list to be performed.")
	}
	return all, eps, nil
}
