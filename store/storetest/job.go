package storetest

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// jobID returns the id of job n: 32 lower-case hex characters.
func jobID(n int) string { return strings.ReplaceAll(id("job", n), "-", "") }

// newJob returns an INIT job of the project created at base+n seconds,
// with every field that a new job has set.
func newJob(n int, projectID string) *imsd.Job {
	return &imsd.Job{
		ID:        jobID(n),
		Type:      imsd.JobTypeCopyInRegion,
		DomainID:  id("domain", 1),
		ProjectID: projectID,
		Status:    imsd.JobInit,
		ImageID:   id("image", n),
		ImageName: "copy",
		Payload:   []byte(`{"source":"img-1","cmk_id":""}`),
		CreatedAt: at(time.Duration(n) * time.Second),
	}
}

func (s *suite) testJob(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		j := newJob(1, id("project", 1))
		j.Status, j.Progress, j.CurrentTask = imsd.JobRunning, 0.375, "copying"
		j.ErrorCode, j.FailReason, j.ClientToken = "IMG.0061", "disk full", "token-1"
		j.Attempts, j.LeaseOwner, j.LeaseExpires = 3, "runner-a", at(time.Hour)
		j.BeginTime, j.EndTime = at(time.Minute), at(2*time.Minute)
		j.Checkpoint = []byte(`{"at":1}`)
		must(t, st.JobInsert(t.Context(), j))
		got, err := st.JobGet(t.Context(), j.ID)
		must(t, err)
		check(t, "JobGet", got, j)

		fresh := newJob(2, id("project", 1))
		fresh.Payload = nil
		must(t, st.JobInsert(t.Context(), fresh))
		got, err = st.JobGet(t.Context(), fresh.ID)
		must(t, err)
		check(t, "JobGet of a fresh job", got, fresh)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		_, err := st.JobGet(t.Context(), jobID(1))
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "Duplicate", func(t *testing.T, st imsd.Store) {
		must(t, st.JobInsert(t.Context(), newJob(1, id("project", 1))))
		dup := newJob(2, id("project", 2))
		dup.ID = jobID(1)
		wantErr(t, st.JobInsert(t.Context(), dup), imsd.ErrConflict)
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		j := newJob(1, id("project", 1))
		j.LeaseOwner = "runner-a"
		must(t, st.JobInsert(t.Context(), j))
		j.Status, j.Progress, j.CurrentTask = imsd.JobFail, 0.5, "verify"
		j.ErrorCode, j.FailReason = "IMG.0243", "mismatch"
		j.LeaseExpires, j.BeginTime, j.EndTime = at(time.Hour), at(time.Minute), at(2*time.Minute)
		must(t, st.JobUpdate(t.Context(), j))
		got, err := st.JobGet(t.Context(), j.ID)
		must(t, err)
		check(t, "updated job", got, j)
		wantErr(t, st.JobUpdate(t.Context(), newJob(2, id("project", 1))), imsd.ErrNotFound)
	})
	s.run(t, "UpdateLostLease", func(t *testing.T, st imsd.Store) {
		j := newJob(1, id("project", 1))
		j.Status, j.LeaseOwner, j.LeaseExpires = imsd.JobRunning, "runner-b", at(time.Hour)
		must(t, st.JobInsert(t.Context(), j))
		stale := *j
		stale.LeaseOwner, stale.Status, stale.Progress = "runner-a", imsd.JobSuccess, 1
		wantErr(t, st.JobUpdate(t.Context(), &stale), imsd.ErrConflict)
		got, err := st.JobGet(t.Context(), j.ID)
		must(t, err)
		check(t, "job after a lost-lease update", got, j)
	})
	s.run(t, "CheckpointAndSteal", func(t *testing.T, st imsd.Store) {
		j := newJob(1, id("project", 1))
		j.Status, j.LeaseOwner, j.LeaseExpires = imsd.JobRunning, "runner-a", at(time.Hour)
		must(t, st.JobInsert(t.Context(), j))
		must(t, st.JobCheckpoint(t.Context(), j.ID, "runner-a", []byte("cp-1")))
		wantErr(t, st.JobCheckpoint(t.Context(), j.ID, "runner-b", []byte("cp-2")), imsd.ErrConflict)
		wantErr(t, st.JobCheckpoint(t.Context(), jobID(9), "runner-a", nil), imsd.ErrNotFound)
		// JobUpdate leaves the checkpoint alone.
		j.Progress = 0.5
		must(t, st.JobUpdate(t.Context(), j))
		got, err := st.JobGet(t.Context(), j.ID)
		must(t, err)
		j.Checkpoint = []byte("cp-1")
		check(t, "job after JobCheckpoint", got, j)
		// After a steal the old owner's writes fail.
		must(t, st.JobSteal(t.Context(), j.ID, "canceller"))
		wantErr(t, st.JobUpdate(t.Context(), j), imsd.ErrConflict)
		wantErr(t, st.JobCheckpoint(t.Context(), j.ID, "runner-a", []byte("cp-3")), imsd.ErrConflict)
		wantErr(t, st.JobSteal(t.Context(), jobID(9), "x"), imsd.ErrNotFound)
		got, err = st.JobGet(t.Context(), j.ID)
		must(t, err)
		if got.LeaseOwner != "canceller" || string(got.Checkpoint) != "cp-1" {
			t.Fatalf("after JobSteal: owner %q checkpoint %q", got.LeaseOwner, got.Checkpoint)
		}
	})
	s.run(t, "GetByClientToken", func(t *testing.T, st imsd.Store) {
		p1, p2 := id("project", 1), id("project", 2)
		jobs := map[string]*imsd.Job{}
		for _, c := range []struct {
			name, project, token string
			n                    int
		}{
			{"old", p1, "tok-a", 1},
			{"new", p1, "tok-a", 5},
			{"b", p1, "tok-b", 6},
			{"p2", p2, "tok-a", 7},
			{"none", p1, "", 8},
		} {
			j := newJob(c.n, c.project)
			j.ClientToken = c.token
			must(t, st.JobInsert(t.Context(), j))
			jobs[c.name] = j
		}
		for _, c := range []struct {
			name, project, token string
			since                time.Time
			want                 string
		}{
			{"Newest", p1, "tok-a", time.Time{}, "new"},
			{"SinceInclusive", p1, "tok-a", jobs["new"].CreatedAt, "new"},
			{"SinceOlder", p1, "tok-a", jobs["old"].CreatedAt, "new"},
			{"SinceAfter", p1, "tok-a", jobs["new"].CreatedAt.Add(time.Millisecond), ""},
			{"OtherToken", p1, "tok-b", time.Time{}, "b"},
			{"OtherProject", p2, "tok-a", time.Time{}, "p2"},
			{"UnknownToken", p1, "tok-c", time.Time{}, ""},
			{"EmptyToken", p1, "", time.Time{}, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := st.JobGetByClientToken(t.Context(), c.project, c.token, c.since)
				if c.want == "" {
					wantErr(t, err, imsd.ErrNotFound)
					return
				}
				must(t, err)
				check(t, "JobGetByClientToken", got, jobs[c.want])
			})
		}
	})
	s.run(t, "ClientTokenRace", func(t *testing.T, st imsd.Store) {
		// The service's idempotency check: look the token up and insert
		// a job when there is none, in one transaction. Concurrent
		// requests with one token must create exactly one job.
		const workers = 10
		var wg sync.WaitGroup
		start := make(chan struct{})
		for n := range workers {
			wg.Go(func() {
				<-start
				err := st.InTx(t.Context(), func(q imsd.Queries) error {
					_, err := q.JobGetByClientToken(t.Context(), id("project", 1), "once", base)
					if !errors.Is(err, imsd.ErrNotFound) {
						return err
					}
					// Widen the window between the check and the insert.
					if _, err := q.JobList(t.Context(), nil); err != nil {
						return err
					}
					j := newJob(n, id("project", 1))
					j.ClientToken, j.CreatedAt = "once", at(time.Minute)
					return q.JobInsert(t.Context(), j)
				})
				if err != nil {
					t.Errorf("worker %d: %v", n, err)
				}
			})
		}
		close(start)
		wg.Wait()
		jobs, err := st.JobList(t.Context(), nil)
		must(t, err)
		if len(jobs) != 1 {
			t.Fatalf("%d jobs created for one client token, want 1", len(jobs))
		}
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		statuses := []imsd.JobStatus{imsd.JobSuccess, imsd.JobInit, imsd.JobRunning, imsd.JobFail, imsd.JobInit, imsd.JobRunning}
		var all []*imsd.Job
		for n, status := range statuses {
			j := newJob(len(statuses)-n, id("project", n%2)) // inserted newest first
			j.Status = status
			must(t, st.JobInsert(t.Context(), j))
			all = append([]*imsd.Job{j}, all...)
		}
		filter := func(keep ...imsd.JobStatus) []string {
			var out []string
			for _, j := range all {
				for _, s := range keep {
					if j.Status == s {
						out = append(out, j.ID)
					}
				}
			}
			return out
		}
		for _, c := range [][]imsd.JobStatus{
			{imsd.JobInit},
			{imsd.JobRunning, imsd.JobInit},
			{imsd.JobSuccess, imsd.JobFail},
			{imsd.JobInit, imsd.JobRunning, imsd.JobSuccess, imsd.JobFail},
		} {
			got, err := st.JobList(t.Context(), c)
			must(t, err)
			checkIDs(t, "JobList", ids(got, jobIDOf), filter(c...))
		}
		got, err := st.JobList(t.Context(), nil)
		must(t, err)
		checkIDs(t, "JobList of every status", ids(got, jobIDOf), ids(all, jobIDOf))
		for _, j := range got {
			if j.ID == all[0].ID {
				check(t, "listed job", j, all[0])
			}
		}
	})
}

func jobIDOf(j *imsd.Job) string { return j.ID }
