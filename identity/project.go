package identity

import (
	"context"
	"strings"

	"github.com/imsd/imsd"
)

// ProjectInfo is a project with its parent: the domain for a region
// project, the region project for a sub-project, as Keystone reports it.
type ProjectInfo struct {
	*imsd.Project
	ParentID string
}

// ProjectCreateInput is the body of KeystoneCreateProject.
type ProjectCreateInput struct {
	// Name is "<region>_<suffix>", the region being the parent's name.
	Name string
	// ParentID is the id of the region project.
	ParentID string
	// DomainID, when set, must be the caller's account.
	DomainID    string
	Description string
}

// ProjectQuery filters KeystoneListProjects; empty fields do not filter.
type ProjectQuery struct {
	DomainID string
	Name     string
	ParentID string
	Enabled  *bool
	// IsDomain true matches nothing (no project is a domain here).
	IsDomain *bool
}

// maxProjectName is Huawei's limit on project names.
const maxProjectName = 64

// ProjectCreate creates a sub-project of a region project
// (iam:projects:create). Project names are unique in the account.
func (s *Service) ProjectCreate(ctx context.Context, p *imsd.Principal, in ProjectCreateInput) (*ProjectInfo, error) {
	if err := s.authorizeIAM(ctx, p, "iam:projects:create"); err != nil {
		return nil, err
	}
	if err := checkDomain(p, in.DomainID); err != nil {
		return nil, err
	}
	if in.ParentID == "" {
		return nil, iamInvalid("parent_id (the id of the region project) is required.")
	}
	parent, err := s.getProject(ctx, s.store, p, in.ParentID)
	if err != nil {
		return nil, err
	}
	if strings.Contains(parent.Name, "_") {
		return nil, iamInvalid("The parent must be a region project, not the sub-project %s.", parent.Name)
	}
	suffix, ok := strings.CutPrefix(in.Name, parent.Name+"_")
	if !ok || suffix == "" {
		return nil, iamInvalid("The project name must be \"%s_<name>\".", parent.Name)
	}
	if len(in.Name) > maxProjectName {
		return nil, iamInvalid("The project name cannot exceed %d characters.", maxProjectName)
	}
	for _, r := range suffix {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return nil, iamInvalid("The project name may only contain letters, digits and the characters _-.")
		}
	}
	if err := validateDescription("project", in.Description, 255); err != nil {
		return nil, err
	}
	pr := &imsd.Project{ID: imsd.NewHexID(), DomainID: p.DomainID, Name: in.Name, Description: in.Description,
		Enabled: true, CreatedAt: s.Now()}
	if err := s.store.ProjectInsert(ctx, pr); err != nil {
		return nil, conflictOr(err, "insert project", "A project named "+in.Name+" already exists.")
	}
	s.log.Info("project created", "domain_id", p.DomainID, "project_id", pr.ID, "name", pr.Name, "by", p.UserID)
	return &ProjectInfo{Project: pr, ParentID: parent.ID}, nil
}

// ProjectList lists the account's projects (iam:projects:list).
func (s *Service) ProjectList(ctx context.Context, p *imsd.Principal, q ProjectQuery) ([]ProjectInfo, error) {
	if err := s.authorizeIAM(ctx, p, "iam:projects:list"); err != nil {
		return nil, err
	}
	if err := checkDomain(p, q.DomainID); err != nil {
		return nil, err
	}
	all, err := s.store.ProjectList(ctx, p.DomainID)
	if err != nil {
		return nil, imsd.Internal(err, "list projects")
	}
	out := []ProjectInfo{}
	if q.IsDomain != nil && *q.IsDomain {
		return out, nil
	}
	for _, pr := range all {
		info := ProjectInfo{Project: pr, ParentID: projectParent(all, pr)}
		switch {
		case q.Name != "" && pr.Name != q.Name,
			q.ParentID != "" && info.ParentID != q.ParentID,
			q.Enabled != nil && pr.Enabled != *q.Enabled:
			continue
		}
		out = append(out, info)
	}
	return out, nil
}

// ProjectGet returns one project of the account (iam:projects:get).
func (s *Service) ProjectGet(ctx context.Context, p *imsd.Principal, id string) (*ProjectInfo, error) {
	if err := s.authorizeIAM(ctx, p, "iam:projects:get"); err != nil {
		return nil, err
	}
	pr, err := s.getProject(ctx, s.store, p, id)
	if err != nil {
		return nil, err
	}
	all, err := s.store.ProjectList(ctx, p.DomainID)
	if err != nil {
		return nil, imsd.Internal(err, "list projects")
	}
	return &ProjectInfo{Project: pr, ParentID: projectParent(all, pr)}, nil
}

// AuthDomains answers KeystoneListAuthDomains (GET /v3/auth/domains): the
// accounts the caller may use, which is their own. Every authenticated
// caller may ask (the SDKs' global credentials resolve the domain id this
// way, and the Terraform provider looks it up at start).
func (s *Service) AuthDomains(ctx context.Context, p *imsd.Principal) ([]*imsd.Domain, error) {
	imsd.MarkAuthorized(ctx)
	if p == nil {
		return nil, imsd.Errorf(imsd.CodeAuthFailed, "")
	}
	d, err := s.store.DomainGet(ctx, p.DomainID)
	if err != nil {
		return nil, imsd.Internal(err, "get account")
	}
	return []*imsd.Domain{d}, nil
}

// projectParent returns the parent id of pr: the region project a
// sub-project's name starts with, or the domain for a region project.
func projectParent(all []*imsd.Project, pr *imsd.Project) string {
	region, _, sub := strings.Cut(pr.Name, "_")
	if sub {
		for _, o := range all {
			if o.Name == region {
				return o.ID
			}
		}
	}
	return pr.DomainID
}
