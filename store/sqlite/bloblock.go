//go:build unix

package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/imsd/imsd"
)

// fileBlobLock is the blob lock as flock(2) on a file beside the database,
// so that every process opening the database (the server, `imsd gc`,
// `imsd backup`) shares it. Each holder opens the file anew: flock locks
// belong to the open file, so holders in one process exclude each other too.
type fileBlobLock struct{ path string }

func (l *fileBlobLock) lock(ctx context.Context, how int, wait bool) (func(), error) {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: blob lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("sqlite: blob lock: %w", err)
		}
		if !wait {
			f.Close()
			return nil, fmt.Errorf("blob lock held: %w", imsd.ErrConflict)
		}
		t := time.NewTimer(2 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
	return sync.OnceFunc(func() { f.Close() }), nil // closing releases the lock
}

// Shared implements sqldb.BlobLocker.
func (l *fileBlobLock) Shared(ctx context.Context) (func(), error) {
	return l.lock(ctx, unix.LOCK_SH, true)
}

// TryExclusive implements sqldb.BlobLocker.
func (l *fileBlobLock) TryExclusive(ctx context.Context) (func(), error) {
	return l.lock(ctx, unix.LOCK_EX, false)
}
