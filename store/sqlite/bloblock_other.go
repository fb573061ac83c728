//go:build !unix

package sqlite

import "github.com/imsd/imsd/store/sqldb"

// fileBlobLock falls back to a lock within the process where flock(2) is
// missing: there, `imsd gc` and `imsd backup` must not run beside a server.
type fileBlobLock struct {
	path string
	sqldb.ProcessBlobLock
}
