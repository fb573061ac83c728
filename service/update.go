package service

import (
	"context"
	"strconv"

	"github.com/imsd/imsd"
)

// ImageUpdate applies patch operations in order and atomically: either all
// apply or none, and the first operation refused decides the error. Each
// operation is checked against the attribute table (patch.go) under the
// rules of mode.
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
			if mode.glance() {
				out = img // Glance answers an empty patch with the image
				return nil
			}
			return imsd.Errorf(imsd.CodeBadRequest, "The request must contain at least one patch operation.")
		}
		if mode == UpdateIMS && img.Status != imsd.ImageActive {
			return imsd.Errorf(imsd.CodeImageUnavailable, "Only active images can be updated; the image is %s.", img.Status)
		}
		u := &imageUpdate{img: img.Clone(), mode: mode, checkEP: func(ep string) error {
			if err := s.checkTargetEnterpriseProject(ctx, q, p, ep); err != nil {
				return err
			}
			return s.authorize(ctx, p, Check{Action: "ims:serverImages:create", EnterpriseProject: ep})
		}}
		for i, op := range ops {
			if err := u.apply(op); err != nil {
				if e, ok := err.(*imsd.Error); ok && len(ops) > 1 {
					e.Message = "Operation " + strconv.Itoa(i) + " (" + op.Op + " " + op.Path + "): " + e.Message
				}
				return err
			}
		}
		if n := countProperties(u.img); n > MaxImageProperties && n > countProperties(img) {
			return imsd.Errorf(imsd.CodeBadRequest, "An image can have at most %d properties; this update would give it %d.", MaxImageProperties, n)
		}
		u.img.UpdatedAt = s.Now()
		if err := q.ImageUpdate(ctx, u.img); err != nil {
			return internal(err, "update image")
		}
		out = u.img
		return nil
	})
	return out, err
}
