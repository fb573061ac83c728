package imsd

import "time"

// JobStatus is the state of an asynchronous job, upper case as on the wire.
type JobStatus string

// Job statuses.
const (
	JobInit    JobStatus = "INIT"
	JobRunning JobStatus = "RUNNING"
	JobSuccess JobStatus = "SUCCESS"
	JobFail    JobStatus = "FAIL"
)

// Done reports whether the status is final.
func (s JobStatus) Done() bool { return s == JobSuccess || s == JobFail }

// JobTypeCopyInRegion is the job type of an in-region image copy.
const JobTypeCopyInRegion = "imsCopyImageInRegionJob"

// Job is an asynchronous job as clients see it, plus the bookkeeping the
// runner needs to execute it exactly once to completion.
type Job struct {
	// ID is 32 lower-case hex characters.
	ID        string
	Type      string
	DomainID  string
	ProjectID string
	Status    JobStatus
	// ImageID and ImageName are the job's resulting image.
	ImageID   string
	ImageName string
	// Progress is the fraction done, 0..1; it never decreases.
	Progress    float64
	CurrentTask string
	ErrorCode   string
	FailReason  string
	// Payload is the type-specific parameters, JSON encoded.
	Payload []byte
	// ClientToken is the caller's idempotency key ("" when none).
	ClientToken string
	// Attempts counts how often a runner has claimed the job.
	Attempts int
	// Checkpoint is the job's own record of durable progress, from which
	// a later attempt resumes (nil when there is none).
	Checkpoint []byte
	// LeaseOwner and LeaseExpires mark a running job as held by one runner.
	LeaseOwner   string
	LeaseExpires time.Time
	CreatedAt    time.Time
	BeginTime    time.Time
	EndTime      time.Time
}
