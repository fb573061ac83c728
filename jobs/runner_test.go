package jobs

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/service"
	"github.com/imsd/imsd/store/sqlite"
)

// clock is an injected clock the test advances by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func setup(t *testing.T) (imsd.Store, *clock) {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, &clock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func insertJob(t *testing.T, st imsd.Store, c *clock, id, project string) {
	t.Helper()
	j := &imsd.Job{ID: id, Type: "test", DomainID: "d", ProjectID: project, Status: imsd.JobInit, CreatedAt: c.Now(), BeginTime: c.Now()}
	if err := st.JobInsert(context.Background(), j); err != nil {
		t.Fatal(err)
	}
}

// finisher records outcomes like service.FinishJob does, minus images.
func finisher(st imsd.Store, c *clock) Finisher {
	return func(ctx context.Context, job *imsd.Job, f *service.JobFailure) (*imsd.Job, error) {
		j, err := st.JobGet(ctx, job.ID)
		if err != nil {
			return nil, err
		}
		j.EndTime = c.Now()
		if f == nil {
			j.Status, j.Progress = imsd.JobSuccess, 1
		} else {
			j.Status, j.ErrorCode, j.FailReason = imsd.JobFail, string(f.Code), f.Reason
		}
		return j, st.JobUpdate(ctx, j)
	}
}

func TestRunOneOutcomes(t *testing.T) {
	cases := []struct {
		name    string
		handler Handler
		want    imsd.JobStatus
		code    string
	}{
		{"success", func(ctx context.Context, j *imsd.Job, p service.Progress) error { return p(ctx, 0.5, "half") }, imsd.JobSuccess, ""},
		{"failure", func(context.Context, *imsd.Job, service.Progress) error {
			return &service.JobFailure{Code: imsd.CodeImageUnavailable, Reason: "gone"}
		}, imsd.JobFail, "IMG.0046"},
		{"transient error is retried later", func(context.Context, *imsd.Job, service.Progress) error { return errors.New("disk hiccup") }, imsd.JobRunning, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, clk := setup(t)
			insertJob(t, st, clk, "job1", "p")
			r := New(st, finisher(st, clk), clk.Now, nil, Config{Owner: "me"})
			r.Handle("test", c.handler)
			ran, err := r.RunOne(context.Background())
			if err != nil || !ran {
				t.Fatalf("RunOne = %v, %v", ran, err)
			}
			j, _ := st.JobGet(context.Background(), "job1")
			if j.Status != c.want || j.ErrorCode != c.code {
				t.Fatalf("job %s %s, want %s %s", j.Status, j.ErrorCode, c.want, c.code)
			}
		})
	}
}

func TestExpiredLeaseIsReclaimedAndAttemptsAreBounded(t *testing.T) {
	st, clk := setup(t)
	insertJob(t, st, clk, "job1", "p")
	calls := 0
	r := New(st, finisher(st, clk), clk.Now, nil, Config{Owner: "me", Lease: time.Minute, MaxAttempts: 3})
	r.Handle("test", func(context.Context, *imsd.Job, service.Progress) error { calls++; return errors.New("crash-like") })
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if ran, err := r.RunOne(ctx); err != nil || !ran {
			t.Fatalf("attempt %d: RunOne = %v, %v", i+1, ran, err)
		}
		if ran, _ := r.RunOne(ctx); ran {
			t.Fatal("a job under an unexpired lease was claimed again")
		}
		clk.Add(2 * time.Minute)
	}
	if ran, err := r.RunOne(ctx); err != nil || !ran {
		t.Fatalf("final claim: %v %v", ran, err)
	}
	j, _ := st.JobGet(ctx, "job1")
	if j.Status != imsd.JobFail || calls != 3 {
		t.Fatalf("after MaxAttempts: status %s, handler calls %d", j.Status, calls)
	}
}

func TestProgressOnlyGrows(t *testing.T) {
	st, clk := setup(t)
	insertJob(t, st, clk, "job1", "p")
	var seen []float64
	r := New(st, finisher(st, clk), clk.Now, nil, Config{Owner: "me"})
	r.Handle("test", func(ctx context.Context, j *imsd.Job, p service.Progress) error {
		for _, f := range []float64{0.3, 0.2, 0.7, 1.5} {
			if err := p(ctx, f, "step"); err != nil {
				return err
			}
			got, _ := st.JobGet(ctx, j.ID)
			seen = append(seen, got.Progress)
		}
		return nil
	})
	if _, err := r.RunOne(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []float64{0.3, 0.3, 0.7, 0.99}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("progress %v, want %v", seen, want)
		}
	}
}

func TestPerProjectLimitQueuesInsteadOfRejecting(t *testing.T) {
	st, clk := setup(t)
	for _, id := range []string{"a1", "a2", "a3", "b1"} {
		insertJob(t, st, clk, id, id[:1])
		clk.Add(time.Millisecond)
	}
	release := make(chan struct{})
	started := make(chan string, 4)
	r := New(st, finisher(st, clk), clk.Now, nil, Config{Owner: "me", Workers: 4, MaxPerProject: 1, PollInterval: 5 * time.Millisecond})
	r.Handle("test", func(ctx context.Context, j *imsd.Job, _ service.Progress) error {
		started <- j.ID
		<-release
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.Start(ctx)
	got := map[string]bool{<-started: true, <-started: true}
	if !got["a1"] || !got["b1"] {
		t.Fatalf("first wave %v, want a1 and b1 (one per project)", got)
	}
	close(release)
	imstest.WaitFor(t, 10*time.Second, "all jobs to finish", func() bool {
		for _, id := range []string{"a1", "a2", "a3", "b1"} {
			if j, _ := st.JobGet(context.Background(), id); j.Status != imsd.JobSuccess {
				return false
			}
		}
		return true
	})
	cancel()
	r.Wait()
}

// TestOnFinishedReportsStoredOutcome: the hook sees the outcome the
// finisher stored (here a success turned into FAIL), once per finished job,
// and never for an attempt that will be retried.
func TestOnFinishedReportsStoredOutcome(t *testing.T) {
	st, clk := setup(t)
	insertJob(t, st, clk, "ok", "p")
	clk.Add(time.Millisecond)
	insertJob(t, st, clk, "retried", "p")
	overrule := func(ctx context.Context, job *imsd.Job, f *service.JobFailure) (*imsd.Job, error) {
		if job.ID == "ok" {
			f = &service.JobFailure{Code: imsd.CodeImageNotFound, Reason: "target deleted"}
		}
		return finisher(st, clk)(ctx, job, f)
	}
	var got []*imsd.Job
	r := New(st, overrule, clk.Now, nil, Config{Owner: "me", MaxPerProject: 5})
	r.OnFinished(func(j *imsd.Job) { got = append(got, j) })
	r.Handle("test", func(_ context.Context, j *imsd.Job, _ service.Progress) error {
		if j.ID == "retried" {
			return errors.New("transient")
		}
		return nil
	})
	for i := 0; i < 2; i++ {
		if ran, err := r.RunOne(context.Background()); err != nil || !ran {
			t.Fatalf("RunOne %d = %v, %v", i, ran, err)
		}
	}
	if len(got) != 1 || got[0].ID != "ok" || got[0].Status != imsd.JobFail || got[0].EndTime.IsZero() {
		t.Fatalf("OnFinished saw %+v, want only job ok as FAIL with an end time", got)
	}
}

// TestShutdownHandsRunningJobsBack: cancelling the runner's context
// interrupts a running job and releases it at once, without counting the
// attempt, so another runner claims it before its lease would expire.
func TestShutdownHandsRunningJobsBack(t *testing.T) {
	st, clk := setup(t)
	insertJob(t, st, clk, "job1", "p")
	started := make(chan struct{})
	a := New(st, finisher(st, clk), clk.Now, nil, Config{Owner: "node-a/1", Lease: time.Hour, Workers: 1, PollInterval: time.Millisecond})
	a.Handle("test", func(ctx context.Context, _ *imsd.Job, _ service.Progress) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	a.Start(ctx)
	<-started
	cancel()
	a.Wait()
	j, err := st.JobGet(context.Background(), "job1")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != imsd.JobRunning || j.Attempts != 0 || !j.LeaseExpires.IsZero() || j.LeaseOwner != "node-a/1" {
		t.Fatalf("after shutdown: status %s, attempts %d, lease %v by %s", j.Status, j.Attempts, j.LeaseExpires, j.LeaseOwner)
	}
	b := New(st, finisher(st, clk), clk.Now, nil, Config{Owner: "node-b/1", Lease: time.Hour})
	b.Handle("test", func(context.Context, *imsd.Job, service.Progress) error { return nil })
	if ran, err := b.RunOne(context.Background()); err != nil || !ran { // the clock has not moved
		t.Fatalf("another node's claim right after the shutdown: %v %v", ran, err)
	}
	j, _ = st.JobGet(context.Background(), "job1")
	if j.Status != imsd.JobSuccess || j.Attempts != 1 || j.LeaseOwner != "node-b/1" {
		t.Fatalf("resumed job: status %s, attempts %d, owner %s", j.Status, j.Attempts, j.LeaseOwner)
	}
}
