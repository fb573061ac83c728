package service

import (
	"context"

	"github.com/imsd/imsd"
)

// jobReadActions are the actions of which one, granted anywhere in the
// project, lets a caller read the project's jobs: job queries have no IAM
// action of their own, so whoever may read images or start a kind of job
// may follow it.
var jobReadActions = []string{
	"ims:images:get", "ims:images:copy", "ims:images:share", "ims:images:export", "ims:images:upload",
	"ims:serverImages:create", "ims:dataImages:create",
}

// precheckAny is precheck passing when any one of the actions passes; it
// returns the first action's denial otherwise.
func (s *Service) precheckAny(ctx context.Context, p *imsd.Principal, actions ...string) error {
	var first error
	for _, a := range actions {
		err := s.precheck(ctx, p, a)
		if err == nil {
			return nil
		}
		if imsd.ErrorCode(err) != imsd.CodeForbidden {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}
