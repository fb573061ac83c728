package sqldb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imsd/imsd"
)

// Jobs. Claiming is one UPDATE whose WHERE picks the oldest claimable row
// with a sub-select: with the dialect's LockRows (FOR UPDATE SKIP LOCKED)
// concurrent claimers skip each other's rows, and on a single-writer
// backend the statement is atomic by itself.

const jobCols = `id, type, domain_id, project_id, status, image_id, image_name, progress,
	current_task, error_code, fail_reason, payload, client_token, attempts, lease_owner,
	lease_expires, created_at, begin_time, end_time, checkpoint`

func scanJob(s scanner) (*imsd.Job, error) {
	var j imsd.Job
	err := s.Scan(&j.ID, &j.Type, &j.DomainID, &j.ProjectID, &j.Status, &j.ImageID, &j.ImageName,
		&j.Progress, &j.CurrentTask, &j.ErrorCode, &j.FailReason, &j.Payload, &j.ClientToken,
		&j.Attempts, &j.LeaseOwner, timeDst{&j.LeaseExpires}, timeDst{&j.CreatedAt},
		timeDst{&j.BeginTime}, timeDst{&j.EndTime}, &j.Checkpoint)
	if len(j.Checkpoint) == 0 {
		j.Checkpoint = nil
	}
	return &j, err
}

// JobInsert inserts a job; a duplicate id is ErrConflict.
func (q *queries) JobInsert(ctx context.Context, j *imsd.Job) error {
	return q.insert(ctx, "insert job "+j.ID,
		`INSERT INTO jobs (`+jobCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT DO NOTHING`,
		j.ID, j.Type, j.DomainID, j.ProjectID, string(j.Status), j.ImageID, j.ImageName, j.Progress,
		j.CurrentTask, j.ErrorCode, j.FailReason, bytesOrEmpty(j.Payload), j.ClientToken, j.Attempts,
		j.LeaseOwner, q.t(j.LeaseExpires), q.t(j.CreatedAt), q.t(j.BeginTime), q.t(j.EndTime), bytesOrEmpty(j.Checkpoint))
}

// JobGet returns the job with the id.
func (q *queries) JobGet(ctx context.Context, id string) (*imsd.Job, error) {
	return getOne(ctx, q, q.read, scanJob, "job "+id, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id)
}

// JobGetByClientToken returns the newest job of the project with the
// client token created at or after since. The empty token names no job.
//
// Inside a transaction it first locks the (project, token) pair until the
// transaction ends (on backends with concurrent writers), so that a
// get-then-insert by two concurrent requests with the same token inserts
// exactly one job: the second waits for the first to commit and then
// finds its job.
func (q *queries) JobGetByClientToken(ctx context.Context, projectID, token string, since time.Time) (*imsd.Job, error) {
	if token == "" {
		return nil, fmt.Errorf("job with empty client token: %w", imsd.ErrNotFound)
	}
	if q.inTx() {
		if err := q.lock(ctx, "imsd.job.token:"+projectID+":"+token); err != nil {
			return nil, err
		}
	}
	return getOne(ctx, q, q.read, scanJob, "job with client token "+token,
		`SELECT `+jobCols+` FROM jobs WHERE project_id = ? AND client_token = ? AND created_at >= ?
	ORDER BY created_at DESC, id DESC LIMIT 1`,
		projectID, token, q.t(since))
}

// JobUpdate replaces the mutable fields of the job: status, image id and
// name, progress, current task, error code and reason, lease expiry, begin
// and end time. Its type, domain, project, payload, client token,
// attempts, lease owner and creation time never change.
func (q *queries) JobUpdate(ctx context.Context, j *imsd.Job) error {
	what := "update job " + j.ID
	err := q.change(ctx, what,
		`UPDATE jobs SET status = ?, image_id = ?, image_name = ?, progress = ?, current_task = ?,
	error_code = ?, fail_reason = ?, lease_expires = ?, begin_time = ?, end_time = ?
	WHERE id = ? AND lease_owner = ?`,
		string(j.Status), j.ImageID, j.ImageName, j.Progress, j.CurrentTask, j.ErrorCode, j.FailReason,
		q.t(j.LeaseExpires), q.t(j.BeginTime), q.t(j.EndTime), j.ID, j.LeaseOwner)
	if !errors.Is(err, imsd.ErrNotFound) {
		return err
	}
	// No row matched: either the job is gone or another runner holds it.
	var owner string
	row := q.write.QueryRowContext(ctx, q.rebind(`SELECT lease_owner FROM jobs WHERE id = ?`), j.ID)
	if err := row.Scan(&owner); err != nil {
		return q.mapErr(what, err)
	}
	return fmt.Errorf("%s: lease held by %q, not %q: %w", what, owner, j.LeaseOwner, imsd.ErrConflict)
}

// JobCheckpoint stores the checkpoint under the same lease rule as
// JobUpdate.
func (q *queries) JobCheckpoint(ctx context.Context, id, owner string, checkpoint []byte) error {
	what := "checkpoint job " + id
	err := q.change(ctx, what, `UPDATE jobs SET checkpoint = ? WHERE id = ? AND lease_owner = ?`, bytesOrEmpty(checkpoint), id, owner)
	if !errors.Is(err, imsd.ErrNotFound) {
		return err
	}
	if _, gerr := q.JobGet(ctx, id); gerr != nil {
		return gerr
	}
	return fmt.Errorf("%s: lease not held by %q: %w", what, owner, imsd.ErrConflict)
}

// JobSteal sets the lease owner unconditionally.
func (q *queries) JobSteal(ctx context.Context, id, owner string) error {
	return q.change(ctx, "steal job "+id, `UPDATE jobs SET lease_owner = ? WHERE id = ?`, owner, id)
}

// JobClaim takes the oldest claimable job for owner; see imsd.Queries.
// With a per-project limit the count and the claim must not interleave
// with another claimer's, so on backends with concurrent writers it runs
// in a transaction under a lock shared by all claimers.
func (q *queries) JobClaim(ctx context.Context, owner string, now time.Time, lease time.Duration, maxPerProject int) (*imsd.Job, error) {
	w := &where{}
	w.add("(j.status = ? OR (j.status = ? AND j.lease_expires < ?))",
		string(imsd.JobInit), string(imsd.JobRunning), q.t(now))
	if maxPerProject > 0 {
		w.add(`(SELECT COUNT(*) FROM jobs r
		WHERE r.project_id = j.project_id AND r.status = ? AND r.lease_expires >= ?) < ?`,
			string(imsd.JobRunning), q.t(now), maxPerProject)
	}
	query := `UPDATE jobs SET status = ?, lease_owner = ?, lease_expires = ?,
	begin_time = CASE WHEN begin_time = ? THEN ? ELSE begin_time END, attempts = attempts + 1
	WHERE id = (SELECT j.id FROM jobs j WHERE ` + w.sql() + `
		ORDER BY j.created_at, j.id LIMIT 1` + q.d.LockRows + `)
	RETURNING ` + jobCols
	args := append([]any{string(imsd.JobRunning), owner, q.t(now.Add(lease)), q.t(time.Time{}), q.t(now)},
		w.args...)
	claim := func(q *queries) (*imsd.Job, error) {
		return getOne(ctx, q, q.write, scanJob, "claim job", query, args...)
	}
	if maxPerProject <= 0 || q.d.LockKey == "" {
		return claim(q)
	}
	var j *imsd.Job
	err := q.withTx(ctx, func(q *queries) error {
		if err := q.lock(ctx, "imsd.job.claim"); err != nil {
			return err
		}
		var err error
		j, err = claim(q)
		return err
	})
	return j, err
}

// JobList returns the jobs with one of the statuses (every job when none
// is given), oldest first.
func (q *queries) JobList(ctx context.Context, statuses []imsd.JobStatus) ([]*imsd.Job, error) {
	w := &where{conds: []string{"1 = 1"}}
	if len(statuses) > 0 {
		args := make([]any, len(statuses))
		for n, s := range statuses {
			args[n] = string(s)
		}
		w.add("status IN ("+placeholders(len(args))+")", args...)
	}
	return getAll(ctx, q, scanJob, "list jobs",
		`SELECT `+jobCols+` FROM jobs WHERE `+w.sql()+` ORDER BY created_at, id`, w.args...)
}
