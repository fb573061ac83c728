package identity

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/imsd/imsd"
)

// EnterpriseProjectInput is the body of CreateEnterpriseProject and
// UpdateEnterpriseProject.
type EnterpriseProjectInput struct {
	Name        string
	Description *string
	// Type is "prod" (default) or "poc".
	Type string
}

// EnterpriseProjectQuery filters and pages ListEnterpriseProject; empty
// fields do not filter.
type EnterpriseProjectQuery struct {
	ID string
	// Name matches names containing it, case-insensitively.
	Name string
	Type string
	// Status is 1 (enabled) or 2 (disabled); 0 does not filter.
	Status int
	// Limit is 1 to 1000 (default 1000); Offset skips that many.
	Limit  int
	Offset int
	// SortKey is created_at (default) or updated_at; SortDir desc (default)
	// or asc.
	SortKey string
	SortDir string
}

// MigrateInput is the body of MigrateResource.
type MigrateInput struct {
	ResourceID string
	// ResourceType must be "images", the EPS type of IMS images.
	ResourceType string
	// RegionID, when set, must be this server's region.
	RegionID string
	// ProjectID, when set, must be the project owning the image.
	ProjectID string
}

// Enterprise-project limits and names.
const (
	maxEnterpriseProjects = 100
	maxEPName             = 64
	maxEPDescription      = 512
	defaultEPName         = "default"
	epResourceImages      = "images"
)

// defaultEnterpriseProject is the built-in "0" of an account; it is not
// stored and dates from the account's creation.
func (s *Service) defaultEnterpriseProject(ctx context.Context, p *imsd.Principal) (*imsd.EnterpriseProject, error) {
	d, err := s.store.DomainGet(ctx, p.DomainID)
	if err != nil {
		return nil, imsd.Internal(err, "get domain")
	}
	return &imsd.EnterpriseProject{ID: imsd.DefaultEnterpriseProject, DomainID: d.ID, Name: defaultEPName,
		Description: "Default enterprise project", Status: imsd.EnterpriseProjectEnabled, Type: "prod",
		CreatedAt: d.CreatedAt, UpdatedAt: d.CreatedAt}, nil
}

// getEnterpriseProject loads a stored enterprise project of the caller's
// account (404 otherwise; "0" is not stored).
func (s *Service) getEnterpriseProject(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.EnterpriseProject, error) {
	notFound := imsd.Errorf(imsd.CodeEPSNotFound, "The enterprise project %s does not exist.", id)
	if id == imsd.DefaultEnterpriseProject {
		return nil, notFound
	}
	return ownedBy(ctx, p, "enterprise project", id, notFound, q.EnterpriseProjectGet,
		func(ep *imsd.EnterpriseProject) string { return ep.DomainID })
}

// validateEP checks the name, description and type of an enterprise
// project; names may not contain "default" in any case.
func validateEP(in EnterpriseProjectInput) error {
	n := utf8.RuneCountInString(in.Name)
	if n == 0 || n > maxEPName {
		return imsd.Errorf(imsd.CodeEPSBadRequest, "The enterprise project name must be 1 to %d characters long.", maxEPName)
	}
	for _, r := range in.Name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_') {
			return imsd.Errorf(imsd.CodeEPSBadRequest, "The enterprise project name may only contain letters, digits, - and _.")
		}
	}
	if strings.Contains(strings.ToLower(in.Name), defaultEPName) {
		return imsd.Errorf(imsd.CodeEPSBadRequest, "The enterprise project name cannot contain \"default\".")
	}
	if in.Description != nil {
		if err := validateDescription("enterprise project", *in.Description, maxEPDescription); err != nil {
			return imsd.Errorf(imsd.CodeEPSBadRequest, "%s", imsd.ErrorMessage(err))
		}
	}
	if in.Type != "" && in.Type != "prod" && in.Type != "poc" {
		return imsd.Errorf(imsd.CodeEPSBadRequest, "The enterprise project type must be prod or poc.")
	}
	return nil
}

// nameTaken reports whether another enterprise project of the account has
// the name (case-insensitively).
func nameTaken(eps []*imsd.EnterpriseProject, name, exceptID string) bool {
	for _, ep := range eps {
		if ep.ID != exceptID && strings.EqualFold(ep.Name, name) {
			return true
		}
	}
	return false
}

// EnterpriseProjectCreate creates an enterprise project
// (eps:enterpriseProjects:create).
func (s *Service) EnterpriseProjectCreate(ctx context.Context, p *imsd.Principal, in EnterpriseProjectInput) (*imsd.EnterpriseProject, error) {
	if err := s.authorizeIAM(ctx, p, "eps:enterpriseProjects:create"); err != nil {
		return nil, err
	}
	if err := validateEP(in); err != nil {
		return nil, err
	}
	now := s.Now()
	ep := &imsd.EnterpriseProject{ID: uuid.NewString(), DomainID: p.DomainID, Name: in.Name, Status: imsd.EnterpriseProjectEnabled,
		Type: in.Type, CreatedAt: now, UpdatedAt: now}
	if ep.Type == "" {
		ep.Type = "prod"
	}
	if in.Description != nil {
		ep.Description = *in.Description
	}
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		eps, err := q.EnterpriseProjectList(ctx, p.DomainID)
		if err != nil {
			return imsd.Internal(err, "list enterprise projects")
		}
		if len(eps) >= maxEnterpriseProjects {
			return imsd.Errorf(imsd.CodeEPSBadRequest, "An account can have at most %d enterprise projects.", maxEnterpriseProjects)
		}
		if nameTaken(eps, in.Name, "") {
			return imsd.Errorf(imsd.CodeEPSConflict, "An enterprise project named %s already exists.", in.Name)
		}
		return imsd.Internal(q.EnterpriseProjectInsert(ctx, ep), "insert enterprise project")
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("enterprise project created", "domain_id", p.DomainID, "enterprise_project_id", ep.ID, "name", ep.Name, "by", p.UserID)
	return ep, nil
}

// EnterpriseProjectList lists the account's enterprise projects, the
// default "0" included (eps:enterpriseProjects:list). It returns the page
// and the total count of matches.
func (s *Service) EnterpriseProjectList(ctx context.Context, p *imsd.Principal, q EnterpriseProjectQuery) ([]*imsd.EnterpriseProject, int, error) {
	if err := s.authorizeIAM(ctx, p, "eps:enterpriseProjects:list"); err != nil {
		return nil, 0, err
	}
	switch {
	case q.Limit < 0 || q.Limit > 1000 || q.Offset < 0:
		return nil, 0, imsd.Errorf(imsd.CodeEPSBadRequest, "limit must be 1 to 1000 and offset not negative.")
	case q.SortKey != "" && q.SortKey != "created_at" && q.SortKey != "updated_at":
		return nil, 0, imsd.Errorf(imsd.CodeEPSBadRequest, "sort_key must be created_at or updated_at.")
	case q.SortDir != "" && q.SortDir != "asc" && q.SortDir != "desc":
		return nil, 0, imsd.Errorf(imsd.CodeEPSBadRequest, "sort_dir must be asc or desc.")
	}
	def, err := s.defaultEnterpriseProject(ctx, p)
	if err != nil {
		return nil, 0, err
	}
	stored, err := s.store.EnterpriseProjectList(ctx, p.DomainID)
	if err != nil {
		return nil, 0, imsd.Internal(err, "list enterprise projects")
	}
	all := append([]*imsd.EnterpriseProject{def}, stored...)
	out := []*imsd.EnterpriseProject{}
	for _, ep := range all {
		switch {
		case q.ID != "" && ep.ID != q.ID,
			q.Name != "" && !strings.Contains(strings.ToLower(ep.Name), strings.ToLower(q.Name)),
			q.Type != "" && ep.Type != q.Type,
			q.Status != 0 && ep.Status != q.Status:
			continue
		}
		out = append(out, ep)
	}
	key := func(ep *imsd.EnterpriseProject) int64 {
		if q.SortKey == "updated_at" {
			return ep.UpdatedAt.UnixNano()
		}
		return ep.CreatedAt.UnixNano()
	}
	sort.SliceStable(out, func(i, j int) bool {
		if q.SortDir == "asc" {
			return key(out[i]) < key(out[j])
		}
		return key(out[i]) > key(out[j])
	})
	total := len(out)
	limit := q.Limit
	if limit == 0 {
		limit = 1000
	}
	if q.Offset >= len(out) {
		return []*imsd.EnterpriseProject{}, total, nil
	}
	return out[q.Offset:min(q.Offset+limit, len(out))], total, nil
}

// EnterpriseProjectGet returns one enterprise project, "0" included
// (eps:enterpriseProjects:get).
func (s *Service) EnterpriseProjectGet(ctx context.Context, p *imsd.Principal, id string) (*imsd.EnterpriseProject, error) {
	if err := s.authorizeIAM(ctx, p, "eps:enterpriseProjects:get"); err != nil {
		return nil, err
	}
	if id == imsd.DefaultEnterpriseProject {
		return s.defaultEnterpriseProject(ctx, p)
	}
	return s.getEnterpriseProject(ctx, s.store, p, id)
}

// EnterpriseProjectUpdate renames or re-describes an enterprise project
// (eps:enterpriseProjects:update); the default one cannot be changed.
func (s *Service) EnterpriseProjectUpdate(ctx context.Context, p *imsd.Principal, id string, in EnterpriseProjectInput) (*imsd.EnterpriseProject, error) {
	if err := s.authorizeIAM(ctx, p, "eps:enterpriseProjects:update"); err != nil {
		return nil, err
	}
	if id == imsd.DefaultEnterpriseProject {
		return nil, imsd.Errorf(imsd.CodeEPSDefaultRename, "")
	}
	var out *imsd.EnterpriseProject
	err := s.identityTx(ctx, p, func(q imsd.Queries) error {
		ep, err := s.getEnterpriseProject(ctx, q, p, id)
		if err != nil {
			return err
		}
		if err := validateEP(in); err != nil {
			return err
		}
		eps, err := q.EnterpriseProjectList(ctx, p.DomainID)
		if err != nil {
			return imsd.Internal(err, "list enterprise projects")
		}
		if nameTaken(eps, in.Name, id) {
			return imsd.Errorf(imsd.CodeEPSConflict, "An enterprise project named %s already exists.", in.Name)
		}
		ep.Name, ep.UpdatedAt = in.Name, s.Now()
		if in.Description != nil {
			ep.Description = *in.Description
		}
		if in.Type != "" {
			ep.Type = in.Type
		}
		out = ep
		return imsd.Internal(q.EnterpriseProjectUpdate(ctx, ep), "update enterprise project")
	})
	return out, err
}

// EnterpriseProjectSetEnabled enables or disables an enterprise project
// (eps:enterpriseProjects:enable / disable); setting the state it already
// has is not an error. A disabled enterprise project receives no new
// resources. The default one cannot be switched.
func (s *Service) EnterpriseProjectSetEnabled(ctx context.Context, p *imsd.Principal, id string, enable bool) error {
	action := "eps:enterpriseProjects:disable"
	if enable {
		action = "eps:enterpriseProjects:enable"
	}
	if err := s.authorizeIAM(ctx, p, action); err != nil {
		return err
	}
	if id == imsd.DefaultEnterpriseProject {
		return imsd.Errorf(imsd.CodeEPSDefaultSwitch, "")
	}
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		ep, err := s.getEnterpriseProject(ctx, q, p, id)
		if err != nil {
			return err
		}
		ep.Status = imsd.EnterpriseProjectDisabled
		if enable {
			ep.Status = imsd.EnterpriseProjectEnabled
		}
		ep.UpdatedAt = s.Now()
		s.log.Info("enterprise project switched", "domain_id", p.DomainID, "enterprise_project_id", id, "enabled", enable, "by", p.UserID)
		return imsd.Internal(q.EnterpriseProjectUpdate(ctx, ep), "update enterprise project")
	})
}

// EnterpriseProjectMigrate moves an image into enterprise project epID
// (EPS MigrateResource). It needs eps:resources:add and, like changing the
// image's enterprise project through UpdateImage (iam.md §3.1),
// ims:images:update where the image is and ims:serverImages:create in the
// target, both decided in the image's project. The target must exist and be
// enabled.
func (s *Service) EnterpriseProjectMigrate(ctx context.Context, p *imsd.Principal, epID string, in MigrateInput) error {
	if err := s.authorizeIAM(ctx, p, "eps:resources:add"); err != nil {
		return err
	}
	if in.ResourceType != epResourceImages {
		return imsd.Errorf(imsd.CodeEPSBadRequest, "resource_type must be %q: this server hosts images only.", epResourceImages)
	}
	if in.RegionID != "" && in.RegionID != s.cfg.Region {
		return imsd.Errorf(imsd.CodeEPSBadRequest, "region_id must be %s, the region of this server.", s.cfg.Region)
	}
	return s.identityTx(ctx, p, func(q imsd.Queries) error {
		if epID != imsd.DefaultEnterpriseProject {
			ep, err := s.getEnterpriseProject(ctx, q, p, epID)
			if err != nil {
				return err
			}
			if ep.Status != imsd.EnterpriseProjectEnabled {
				return imsd.Errorf(imsd.CodeEPSBadRequest, "The enterprise project %s is disabled and cannot receive resources.", epID)
			}
		}
		if !imsd.PlausibleID(in.ResourceID) {
			return imsd.Errorf(imsd.CodeImageNotFound, "")
		}
		img, err := q.ImageGet(ctx, in.ResourceID)
		if errors.Is(err, imsd.ErrNotFound) || (err == nil && (img.DomainID != p.DomainID || img.Status == imsd.ImageDeleted ||
			(in.ProjectID != "" && img.Owner != in.ProjectID))) {
			return imsd.Errorf(imsd.CodeImageNotFound, "")
		}
		if err != nil {
			return imsd.Internal(err, "get image")
		}
		inProject := *p
		inProject.ProjectID = img.Owner
		if proj, err := q.ProjectGet(ctx, img.Owner); err == nil {
			inProject.ProjectName = proj.Name
		}
		if err := s.authorize(ctx, &inProject, imsd.Check{Action: "ims:images:update", EnterpriseProject: img.EnterpriseProjectID},
			imsd.Check{Action: "ims:serverImages:create", EnterpriseProject: epID}); err != nil {
			return err
		}
		if img.EnterpriseProjectID == epID {
			return nil
		}
		from := img.EnterpriseProjectID
		img.EnterpriseProjectID, img.UpdatedAt = epID, s.Now()
		if err := q.ImageUpdate(ctx, img); err != nil {
			return imsd.Internal(err, "update image")
		}
		s.fail.Hit("ep.moved") // inside the transaction: a crash here rolls it back
		s.log.Info("image moved", "domain_id", p.DomainID, "image_id", img.ID, "from_enterprise_project", from,
			"to_enterprise_project", epID, "by", p.UserID)
		return nil
	})
}

// ResourceFilterInput is the body of ShowResourceBindEnterpriseProject
// (POST /v1.0/enterprise-projects/{id}/resources/filter).
type ResourceFilterInput struct {
	// Projects restricts to images owned by these projects; empty means
	// every project of the account.
	Projects []string
	// ResourceTypes must be given; only "images" has resources here.
	ResourceTypes []string
	// NameContains, when set, keeps resources whose name contains it
	// (the "resource_name" match of the API).
	NameContains string
	// Limit is 1 to 1000 (default 1000); Offset skips that many.
	Limit, Offset int
}

// EnterpriseProjectResource is one resource bound to an enterprise project.
type EnterpriseProjectResource struct {
	Image       *imsd.Image
	ProjectName string
}

// EnterpriseProjectResources lists the images bound to enterprise project
// epID (EPS ShowResourceBindEnterpriseProject), needing
// eps:resources:list. The Terraform provider polls it after moving a
// resource. It returns one page and the total count.
func (s *Service) EnterpriseProjectResources(ctx context.Context, p *imsd.Principal, epID string, in ResourceFilterInput) ([]EnterpriseProjectResource, int, error) {
	if err := s.authorizeIAM(ctx, p, "eps:resources:list"); err != nil {
		return nil, 0, err
	}
	switch {
	case len(in.ResourceTypes) == 0:
		return nil, 0, imsd.Errorf(imsd.CodeEPSBadRequest, "resource_types is required.")
	case in.Limit < 0 || in.Limit > 1000:
		return nil, 0, imsd.Errorf(imsd.CodeEPSBadRequest, "limit must be between 1 and 1000.")
	case in.Offset < 0:
		return nil, 0, imsd.Errorf(imsd.CodeEPSBadRequest, "offset must not be negative.")
	}
	if in.Limit == 0 {
		in.Limit = 1000
	}
	if epID != imsd.DefaultEnterpriseProject {
		if _, err := s.getEnterpriseProject(ctx, s.store, p, epID); err != nil {
			return nil, 0, err
		}
	}
	if !slices.Contains(in.ResourceTypes, epResourceImages) {
		return nil, 0, nil
	}
	owners := in.Projects
	if len(owners) == 0 {
		owners = []string{""}
	}
	var all []EnterpriseProjectResource
	names := map[string]string{}
	for _, owner := range owners {
		imgs, err := s.store.ImageList(ctx, imsd.ImageQuery{DomainID: p.DomainID, Owner: owner,
			EnterpriseProjects: []string{epID}, SortKey: "created_at"})
		if err != nil {
			return nil, 0, imsd.Internal(err, "list images")
		}
		for _, img := range imgs {
			if in.NameContains != "" && !strings.Contains(img.Name, in.NameContains) {
				continue
			}
			name, ok := names[img.Owner]
			if !ok {
				if proj, err := s.store.ProjectGet(ctx, img.Owner); err == nil {
					name = proj.Name
				}
				names[img.Owner] = name
			}
			all = append(all, EnterpriseProjectResource{Image: img, ProjectName: name})
		}
	}
	total := len(all)
	if in.Offset >= total {
		return nil, total, nil
	}
	all = all[in.Offset:]
	if len(all) > in.Limit {
		all = all[:in.Limit]
	}
	return all, total, nil
}
