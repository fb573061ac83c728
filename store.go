package imsd

import (
	"context"
	"time"
)

// Store is the metadata store. Its Queries run outside any transaction;
// InTx runs a function whose Queries all belong to one transaction, which
// commits when the function returns nil and rolls back otherwise.
//
// A store holds no policy: it never authorizes and never validates beyond
// its own integrity (uniqueness, existence). Every method returns
// ErrNotFound (wrapped or not) for a missing row and ErrConflict for a
// violated uniqueness rule or a lost optimistic-concurrency race.
type Store interface {
	Queries
	// InTx runs fn in one transaction.
	InTx(ctx context.Context, fn func(q Queries) error) error
	// Ping checks that the database answers, for readiness probes.
	Ping(ctx context.Context) error
	// LockBlobsShared takes the blob lock shared, waiting while garbage
	// collection holds it exclusively, and returns the function releasing
	// it. Blob commits hold it from before the commit until their blob is
	// pinned (BlobPin), so garbage collection never deletes a blob between
	// its commit and the moment the store records it. The lock is shared by
	// every process using the store.
	LockBlobsShared(ctx context.Context) (unlock func(), err error)
	// TryLockBlobsExclusive takes the blob lock exclusively without
	// waiting: ErrConflict when any holder has it. Garbage collection holds
	// it while it checks a blob's references and deletes it.
	TryLockBlobsExclusive(ctx context.Context) (unlock func(), err error)
	// Close releases the store's connections.
	Close() error
}

// Queries is every data operation of the store. Methods are named entity
// first, verb second.
type Queries interface {
	// IdentityQueries are groups, memberships, custom policies and grants.
	IdentityQueries
	// AuditQueries are the audit trail.
	AuditQueries
	// MemberQueries are the members of shared images.
	MemberQueries
	// JobFinder selects jobs for the task lists.
	JobFinder
	// KeyQueries are the key service's keys and aliases.
	KeyQueries

	DomainInsert(ctx context.Context, d *Domain) error
	DomainGet(ctx context.Context, id string) (*Domain, error)
	DomainGetByName(ctx context.Context, name string) (*Domain, error)
	DomainList(ctx context.Context) ([]*Domain, error)

	ProjectInsert(ctx context.Context, p *Project) error
	ProjectGet(ctx context.Context, id string) (*Project, error)
	// ProjectGetByName finds a project of the domain by name.
	ProjectGetByName(ctx context.Context, domainID, name string) (*Project, error)
	ProjectList(ctx context.Context, domainID string) ([]*Project, error)
	ProjectUpdate(ctx context.Context, p *Project) error

	UserInsert(ctx context.Context, u *User) error
	UserGet(ctx context.Context, id string) (*User, error)
	UserGetByName(ctx context.Context, domainID, name string) (*User, error)
	UserList(ctx context.Context, domainID string) ([]*User, error)
	UserUpdate(ctx context.Context, u *User) error
	UserDelete(ctx context.Context, id string) error

	AccessKeyInsert(ctx context.Context, k *AccessKey) error
	AccessKeyGet(ctx context.Context, accessKey string) (*AccessKey, error)
	// AccessKeyResolve reads, in one round trip, what an AK/SK request acts
	// as: the access key, its user and domain, and the project projectID
	// when it is a project of that domain (nil for "" or any other id).
	// A missing key is ErrNotFound.
	AccessKeyResolve(ctx context.Context, accessKey, projectID string) (*AccessKeyOwner, error)
	AccessKeyList(ctx context.Context, userID string) ([]*AccessKey, error)
	AccessKeyUpdate(ctx context.Context, k *AccessKey) error
	AccessKeyDelete(ctx context.Context, accessKey string) error

	EnterpriseProjectInsert(ctx context.Context, ep *EnterpriseProject) error
	EnterpriseProjectGet(ctx context.Context, id string) (*EnterpriseProject, error)
	EnterpriseProjectList(ctx context.Context, domainID string) ([]*EnterpriseProject, error)
	EnterpriseProjectUpdate(ctx context.Context, ep *EnterpriseProject) error

	ImageInsert(ctx context.Context, img *Image) error
	ImageGet(ctx context.Context, id string) (*Image, error)
	// ImageUpdate replaces every stored field of the image with the given id.
	ImageUpdate(ctx context.Context, img *Image) error
	// ImageDelete removes the row; the blob it referenced is freed by GC
	// once no other image references it.
	ImageDelete(ctx context.Context, id string) error
	// ImageList returns the images matching q in q's order. A Marker that
	// names no image of q.DomainID returns ErrNotFound.
	ImageList(ctx context.Context, q ImageQuery) ([]*Image, error)
	// ImageCount counts the images matching q (sorting and paging ignored).
	ImageCount(ctx context.Context, q ImageQuery) (int, error)
	// ImageSetChecksum sets the checksum of every image (of any domain
	// and status) that references the blob digest and has none, changing
	// no other field, and reports how many it set.
	ImageSetChecksum(ctx context.Context, digest, checksum string) (int, error)
	// BlobRefCount counts the images (of any domain and status) that
	// reference the blob digest.
	BlobRefCount(ctx context.Context, digest string) (int, error)
	// BlobPin records that the blob digest was committed at the given time
	// and may not be referenced yet; a later pin of the same digest moves
	// the time forward.
	BlobPin(ctx context.Context, digest string, at time.Time) error
	// BlobPinned reports whether the blob digest was pinned at or after
	// since.
	BlobPinned(ctx context.Context, digest string, since time.Time) (bool, error)
	// BlobUnpin removes the pin of the digest if it was made at exactly at
	// (no later commit re-pinned it); it is not an error when there is none.
	BlobUnpin(ctx context.Context, digest string, at time.Time) error
	// BlobPinsPurge removes the pins older than before and counts them.
	BlobPinsPurge(ctx context.Context, before time.Time) (int, error)

	JobInsert(ctx context.Context, j *Job) error
	JobGet(ctx context.Context, id string) (*Job, error)
	// JobGetByClientToken finds the newest job of the project with that
	// client token created at or after since.
	JobGetByClientToken(ctx context.Context, projectID, token string, since time.Time) (*Job, error)
	// JobUpdate replaces the mutable fields of a job (status, progress,
	// current task, error, lease, times). It returns ErrConflict when the
	// stored lease owner differs from j.LeaseOwner, so a runner that lost
	// its lease cannot overwrite the new owner's work.
	JobUpdate(ctx context.Context, j *Job) error
	// JobCheckpoint stores a job's checkpoint. Like JobUpdate it returns
	// ErrConflict when the stored lease owner differs from owner.
	JobCheckpoint(ctx context.Context, id, owner string, checkpoint []byte) error
	// JobSteal makes owner the job's lease owner whatever it was, so that
	// the previous owner's updates fail with ErrConflict from then on (a
	// cancelled job's runner stops at its next update).
	JobSteal(ctx context.Context, id, owner string) error
	// JobClaim atomically takes the oldest claimable job — INIT, or RUNNING
	// with a lease expired before now — whose project has fewer than
	// maxPerProject jobs RUNNING under an unexpired lease (0 = no limit). It
	// sets status RUNNING, the lease, BeginTime (when zero) and increments
	// Attempts. It returns ErrNotFound when nothing is claimable.
	JobClaim(ctx context.Context, owner string, now time.Time, lease time.Duration, maxPerProject int) (*Job, error)
	// JobList returns jobs with one of the statuses, oldest first.
	JobList(ctx context.Context, statuses []JobStatus) ([]*Job, error)
	// JobRelease hands a RUNNING job held by owner back to the queue at
	// once: its lease ends now and the attempt it was claimed for is not
	// counted. ErrConflict when owner does not hold it (or it ended),
	// ErrNotFound when it does not exist.
	JobRelease(ctx context.Context, id, owner string) error

	// SettingGet returns the value of a server setting.
	SettingGet(ctx context.Context, name string) (string, error)
	// SettingInsert stores a server setting; ErrConflict when it is set.
	SettingInsert(ctx context.Context, name, value string) error
}
