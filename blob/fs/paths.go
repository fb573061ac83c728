package fs

import (
	"os"
	"path/filepath"
)

// On-disk layout. Everything lives under the root directory given to New:
//
//	<root>/
//	├── blobs/
//	│   └── sha256/
//	│       └── <d[0:2]>/          fan-out directory: the first two hex digits
//	│           └── <d>            a committed blob, named by its full lower-case
//	│                              hex SHA-256 digest <d>; mode 0444, never
//	│                              modified after the rename that created it
//	└── staging/
//	    └── <uuid>                 one in-progress write (Create); renamed into
//	                               blobs/ by Commit, removed by Cancel, or left
//	                               behind by a crash for PurgeStaging to remove
//
// For example the empty blob is
// blobs/sha256/e3/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.
//
// staging/ and blobs/ are on the same filesystem, so Commit is a rename(2)
// (with RENAME_NOREPLACE, so an existing blob is never replaced: identical
// content is deduplicated by dropping the staged file). Only names that are
// valid digests are ever treated as blobs; anything else found under blobs/
// is ignored by Walk.
const (
	blobsDir   = "blobs/sha256"
	stagingDir = "staging"
)

// blobDir returns the fan-out directory holding digest d.
func (s *Store) blobDir(d string) string {
	return filepath.Join(s.root, blobsDir, d[:2])
}

// blobPath returns the path of the committed blob d. d must be valid.
func (s *Store) blobPath(d string) string {
	return filepath.Join(s.root, blobsDir, d[:2], d)
}

// validDigest reports whether d is a lower-case hex SHA-256 digest, the only
// form a blob name may take (it also rules out path traversal).
func validDigest(d string) bool {
	if len(d) != 64 {
		return false
	}
	for i := 0; i < len(d); i++ {
		c := d[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// linkRename moves oldpath to newpath without ever replacing newpath:
// link(2) fails with EEXIST when newpath exists.
func linkRename(oldpath, newpath string) error {
	if err := os.Link(oldpath, newpath); err != nil {
		return err
	}
	return os.Remove(oldpath)
}
