//go:build !linux

package fs

import (
	"errors"
	"os"
	"syscall"
)

// renameNoReplace renames oldpath to newpath, failing with an error that
// matches fs.ErrExist when newpath exists.
func renameNoReplace(oldpath, newpath string) error {
	return linkRename(oldpath, newpath)
}

// startWriteback is a no-op where sync_file_range(2) does not exist.
func startWriteback(*os.File, int64, int64) {}

// adviseSequential is a no-op where posix_fadvise(2) is not available.
func adviseSequential(*os.File, int64, int64) {}

// openDirect reports that direct I/O is not used on this system.
func openDirect(string) (*os.File, error) { return nil, errors.ErrUnsupported }

// outOfSpace reports whether err means the filesystem is full.
func outOfSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
