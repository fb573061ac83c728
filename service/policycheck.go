package service

import (
	"context"
	"errors"

	"github.com/imsd/imsd"
)

// Explainer is implemented by authorizers that can explain decisions
// (authz.Authorizer does).
type Explainer interface {
	Decide(ctx context.Context, p *imsd.Principal, checks ...imsd.Check) ([]imsd.Decision, error)
}

// PolicyCheckInput asks how a user's request would be decided.
type PolicyCheckInput struct {
	// UserID is the user's id or name.
	UserID string
	Action string
	// ImageID, when set, binds the action to that image of the caller's
	// project (its enterprise project decides the EP tier).
	ImageID string
	// TargetEnterpriseProject adds, for ims:images:copy in an account that
	// uses enterprise projects, the ims:serverImages:create question for
	// the copy's target ("" = the default "0").
	TargetEnterpriseProject string
}

// PolicyCheck explains how the given user's request would be decided, in
// the caller's project: the question the CLI's `policy check` asks. The
// caller needs iam:users:getUser (the root and the admin group have it),
// and the user must belong to the caller's account (404 otherwise).
func (s *Service) PolicyCheck(ctx context.Context, caller *imsd.Principal, in PolicyCheckInput) ([]imsd.Decision, error) {
	if err := s.authorize(ctx, caller, Check{Action: "iam:users:getUser"}); err != nil {
		return nil, err
	}
	ex, ok := s.authz.(Explainer)
	if !ok {
		return nil, imsd.Errorf(imsd.CodeUnsupported, "This server's authorizer cannot explain decisions.")
	}
	u, err := s.store.UserGet(ctx, in.UserID)
	if errors.Is(err, imsd.ErrNotFound) {
		u, err = s.store.UserGetByName(ctx, caller.DomainID, in.UserID) // a user name works too
	}
	if errors.Is(err, imsd.ErrNotFound) || (err == nil && u.DomainID != caller.DomainID) {
		return nil, imsd.Errorf(imsd.CodeNotFound, "The user %q does not exist.", in.UserID)
	}
	if err != nil {
		return nil, internal(err, "get user")
	}
	if in.Action == "" {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "An action such as ims:images:copy is required.")
	}
	p := &imsd.Principal{DomainID: caller.DomainID, DomainName: caller.DomainName, ProjectID: caller.ProjectID,
		ProjectName: caller.ProjectName, UserID: u.ID, UserName: u.Name, IsRoot: u.IsRoot, AuthMethod: "aksk"}
	checks := []Check{{Action: in.Action}}
	if in.ImageID != "" {
		img, member, err := s.readableImage(ctx, s.store, caller, in.ImageID)
		if err != nil {
			return nil, err
		}
		checks[0] = readCheck(in.Action, img, member)
		if in.Action == "ims:images:copy" {
			eps, err := s.usesEnterpriseProjects(ctx, s.store, caller.DomainID)
			if err != nil {
				return nil, err
			}
			if eps {
				target := in.TargetEnterpriseProject
				if target == "" {
					target = imsd.DefaultEnterpriseProject
				}
				checks = append(checks, Check{Action: "ims:serverImages:create", EnterpriseProject: target})
			}
		}
	}
	out, err := ex.Decide(ctx, p, checks...)
	if err != nil {
		return nil, internal(err, "explain")
	}
	return out, nil
}
