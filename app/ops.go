package app

import (
	"context"
	"errors"

	"github.com/imsd/imsd/service"
	"github.com/imsd/imsd/store/sqldb"
)

// RunGC runs one garbage collection against the configured backends, as
// `imsd gc` does; it is safe while servers use them (see service.GCWith).
func RunGC(ctx context.Context, cfg Config, o service.GCOptions) (service.GCResult, error) {
	st, err := OpenStore(ctx, cfg, sqldb.MigrateCompatible, nil)
	if err != nil {
		return service.GCResult{}, err
	}
	defer st.Close()
	blobs, err := OpenBlobs(ctx, cfg)
	if err != nil {
		return service.GCResult{}, err
	}
	svc, err := service.New(service.Options{Store: st, Blobs: blobs})
	if err != nil {
		return service.GCResult{}, err
	}
	if o.Grace <= 0 {
		return service.GCResult{}, errors.New("gc: the grace period must be positive")
	}
	return svc.GCWith(ctx, o)
}
