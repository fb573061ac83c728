package fs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames oldpath to newpath, failing with an error that
// matches fs.ErrExist when newpath exists. Filesystems without
// RENAME_NOREPLACE get the same guarantee from link(2) plus unlink(2).
func renameNoReplace(oldpath, newpath string) error {
	err := unix.Renameat2(unix.AT_FDCWD, oldpath, unix.AT_FDCWD, newpath, unix.RENAME_NOREPLACE)
	switch err {
	case nil:
		return nil
	case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
		return linkRename(oldpath, newpath)
	}
	return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
}

// startWriteback asks the kernel to start writing the given range of f to
// disk without waiting for it, so that writeback overlaps with hashing and
// the final fsync has little left to do. It is advice: errors are ignored,
// and fsync reports any that matter.
func startWriteback(f *os.File, off, n int64) {
	withFd(f, func(fd int) { _ = unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE) })
}

// adviseSequential tells the kernel that the range will be read
// sequentially, which doubles its readahead window.
func adviseSequential(f *os.File, off, n int64) {
	withFd(f, func(fd int) { _ = unix.Fadvise(fd, off, n, unix.FADV_SEQUENTIAL) })
}

// withFd runs fn with f's descriptor, without the side effects of f.Fd().
func withFd(f *os.File, fn func(fd int)) {
	if rc, err := f.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { fn(int(fd)) })
	}
}

// openDirect opens path for writing with O_DIRECT, or fails where the
// filesystem does not support it (tmpfs, some network filesystems).
func openDirect(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|unix.O_DIRECT, 0)
}

// outOfSpace reports whether err means the filesystem is full or the
// user's quota is spent.
func outOfSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}
