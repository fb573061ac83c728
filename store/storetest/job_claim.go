package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// now is the claim time of the claim tests, well after every fixture job.
var now = at(time.Hour)

const lease = 5 * time.Minute

// insertJobs inserts jobs and fails the test on an error.
func insertJobs(t *testing.T, q imsd.Queries, jobs ...*imsd.Job) {
	t.Helper()
	for _, j := range jobs {
		must(t, q.JobInsert(t.Context(), j))
	}
}

// running returns job n of the project, RUNNING under a lease that
// expires at expires.
func running(n int, projectID string, expires time.Time) *imsd.Job {
	j := newJob(n, projectID)
	j.Status, j.LeaseOwner, j.LeaseExpires = imsd.JobRunning, "runner-old", expires
	j.Attempts, j.BeginTime = 1, at(time.Duration(n)*time.Second+time.Millisecond)
	return j
}

// claim claims one job and fails the test unless it is the job with the
// wanted id ("" for none).
func claim(t *testing.T, q imsd.Queries, owner string, max int, want string) *imsd.Job {
	t.Helper()
	j, err := q.JobClaim(t.Context(), owner, now, lease, max)
	if want == "" {
		wantErr(t, err, imsd.ErrNotFound)
		return nil
	}
	must(t, err)
	if j.ID != want {
		t.Fatalf("claimed job %s, want %s", j.ID, want)
	}
	return j
}

func (s *suite) testJobClaim(t *testing.T) {
	s.run(t, "Empty", func(t *testing.T, st imsd.Store) {
		claim(t, st, "runner", 0, "")
	})
	s.run(t, "OldestFirst", func(t *testing.T, st imsd.Store) {
		p := id("project", 1)
		insertJobs(t, st, newJob(3, p), newJob(1, p), newJob(2, p))
		for _, n := range []int{1, 2, 3} {
			want := newJob(n, p)
			got := claim(t, st, "runner-a", 0, want.ID)
			want.Status, want.LeaseOwner, want.LeaseExpires = imsd.JobRunning, "runner-a", now.Add(lease)
			want.BeginTime, want.Attempts = now, 1
			check(t, "claimed job", got, want)
			stored, err := st.JobGet(t.Context(), want.ID)
			must(t, err)
			check(t, "stored claimed job", stored, want)
		}
		claim(t, st, "runner-a", 0, "")
	})
	s.run(t, "Reclaim", func(t *testing.T, st imsd.Store) {
		p := id("project", 1)
		expired := running(1, p, now.Add(-time.Millisecond))
		insertJobs(t, st, expired)
		got := claim(t, st, "runner-b", 0, expired.ID)
		want := *expired
		want.LeaseOwner, want.LeaseExpires, want.Attempts = "runner-b", now.Add(lease), 2
		check(t, "reclaimed job", got, &want) // BeginTime kept
		// The old runner lost the job; the new one may update it.
		stale := *expired
		stale.Progress = 0.9
		wantErr(t, st.JobUpdate(t.Context(), &stale), imsd.ErrConflict)
		got.Progress = 0.5
		must(t, st.JobUpdate(t.Context(), got))
	})
	s.run(t, "Claimable", func(t *testing.T, st imsd.Store) {
		p := id("project", 1)
		done, failed := newJob(1, p), newJob(2, p)
		done.Status, failed.Status = imsd.JobSuccess, imsd.JobFail
		held := running(3, p, now.Add(time.Millisecond))
		edge := running(4, p, now) // expires at now: not yet expired
		expired := running(5, p, now.Add(-time.Second))
		insertJobs(t, st, done, failed, held, edge, expired)
		claim(t, st, "runner", 0, expired.ID)
		claim(t, st, "runner", 0, "")
	})
	s.run(t, "PerProjectLimit", func(t *testing.T, st imsd.Store) {
		a, b := id("project", 1), id("project", 2)
		insertJobs(t, st,
			running(1, a, now.Add(time.Minute)),
			running(2, a, now.Add(time.Minute)),
			running(3, a, now.Add(-time.Minute)), // expired: claimable, not counted
			newJob(4, a),
			newJob(5, b),
			running(6, b, now), // expires at now: still counted
		)
		// Project a has 2 jobs under live leases and b has 1: with a limit
		// of 1 nothing goes, with a limit of 2 only b's job.
		claim(t, st, "runner", 1, "")
		claim(t, st, "runner", 2, jobID(5))
		claim(t, st, "runner", 2, "")
		// With a limit of 3 a takes one more, then it is full.
		claim(t, st, "runner", 3, jobID(3))
		claim(t, st, "runner", 3, "")
		// No limit.
		claim(t, st, "runner", 0, jobID(4))
	})
	s.run(t, "InTxRollback", func(t *testing.T, st imsd.Store) {
		j := newJob(1, id("project", 1))
		insertJobs(t, st, j)
		errAbort := errors.New("abort")
		err := st.InTx(t.Context(), func(q imsd.Queries) error {
			claim(t, q, "runner", 1, j.ID)
			return errAbort
		})
		wantErr(t, err, errAbort)
		got, err := st.JobGet(t.Context(), j.ID)
		must(t, err)
		check(t, "job after a rolled-back claim", got, j)
	})
	s.run(t, "Concurrent", func(t *testing.T, st imsd.Store) {
		const jobs, claimers = 100, 8
		for n := range jobs {
			insertJobs(t, st, newJob(n, id("project", n%3)))
		}
		claimed := concurrentClaims(t, st, claimers, 0)
		if len(claimed) != jobs {
			t.Fatalf("%d distinct jobs claimed, want %d", len(claimed), jobs)
		}
		for jid, owners := range claimed {
			if len(owners) != 1 {
				t.Errorf("job %s claimed by %v", jid, owners)
			}
			got, err := st.JobGet(t.Context(), jid)
			must(t, err)
			if got.Attempts != 1 || got.LeaseOwner != owners[0] {
				t.Errorf("job %s: attempts %d, owner %q; want 1, %q", jid, got.Attempts, got.LeaseOwner, owners[0])
			}
		}
	})
	s.run(t, "ConcurrentLimit", func(t *testing.T, st imsd.Store) {
		const limit = 3
		for n := range 20 {
			insertJobs(t, st, newJob(n, id("project", 1)))
		}
		claimed := concurrentClaims(t, st, 8, limit)
		if len(claimed) != limit {
			t.Fatalf("%d jobs of one project claimed under a limit of %d", len(claimed), limit)
		}
	})
}

// concurrentClaims runs claimers goroutines that claim until nothing is
// left and returns the owners of each claimed job.
func concurrentClaims(t *testing.T, st imsd.Store, claimers, max int) map[string][]string {
	var mu sync.Mutex
	claimed := map[string][]string{}
	var wg sync.WaitGroup
	for c := range claimers {
		owner := fmt.Sprintf("runner-%d", c)
		wg.Go(func() {
			for {
				j, err := st.JobClaim(t.Context(), owner, now, lease, max)
				if errors.Is(err, imsd.ErrNotFound) {
					return
				}
				if err != nil {
					t.Errorf("%s: %v", owner, err)
					return
				}
				mu.Lock()
				claimed[j.ID] = append(claimed[j.ID], owner)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return claimed
}
