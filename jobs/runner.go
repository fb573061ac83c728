// Package jobs runs asynchronous jobs from the store's durable job table.
// Workers claim jobs with a lease, renew it while they work, and record the
// outcome; a job whose worker died is claimed again once its lease expires,
// so every job finishes or fails within a bounded time after a crash.
//
// The queue is a table of our own rather than River: the API-visible job
// record and the queue entry are then the same row, written in the same
// transaction as the image it produces, on SQLite and PostgreSQL alike
// (docs/architecture.md explains the choice).
package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/service"
)

// Handler performs one job type. It returns nil on success, a
// *service.JobFailure to fail the job, or any other error to retry it.
type Handler func(ctx context.Context, job *imsd.Job, progress service.Progress) error

// Finisher records a job's outcome (service.Service.FinishJob) and returns
// the job as stored in its final state, or nil when it had ended already.
type Finisher func(ctx context.Context, job *imsd.Job, failure *service.JobFailure) (*imsd.Job, error)

// Config tunes a Runner. Zero fields take the documented defaults.
type Config struct {
	// Workers is the global number of jobs run at once (default 4).
	Workers int
	// MaxPerProject caps the jobs of one project running at once (default 2);
	// further jobs wait in INIT, they are never rejected.
	MaxPerProject int
	// Lease is how long a claim lasts without renewal (default 30 s).
	Lease time.Duration
	// PollInterval is how often idle workers look for work (default 1 s).
	PollInterval time.Duration
	// MaxAttempts fails a job that was claimed this many times (default 5).
	MaxAttempts int
	// Owner names this runner in job leases (default a random id); app
	// uses "NODE/INSTANCE", the node's name and an id of the process, so
	// a lease tells which node holds the job.
	Owner string
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.MaxPerProject <= 0 {
		c.MaxPerProject = 2
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Owner == "" {
		c.Owner = imsd.NewHexID()
	}
	return c
}

// Runner claims and runs jobs.
type Runner struct {
	store    imsd.Store
	handlers map[string]Handler
	finish   Finisher
	finished func(job *imsd.Job)
	now      func() time.Time
	log      *slog.Logger
	cfg      Config
	wake     chan struct{}
	wg       sync.WaitGroup
}

// New returns a Runner. now may be nil (time.Now) and log may be nil.
func New(store imsd.Store, finish Finisher, now func() time.Time, log *slog.Logger, cfg Config) *Runner {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{store: store, handlers: map[string]Handler{}, finish: finish, now: now, log: log,
		cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a job type. Call before Start.
func (r *Runner) Handle(jobType string, h Handler) { r.handlers[jobType] = h }

// OnFinished sets a hook called with the stored job, in its final state
// (SUCCESS or FAIL, with BeginTime and EndTime), each time this runner has
// recorded a job's outcome; for metrics. Call before Start.
func (r *Runner) OnFinished(f func(job *imsd.Job)) { r.finished = f }

// Wakeup tells idle workers that a job was enqueued.
func (r *Runner) Wakeup() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Owner returns the name this runner holds leases under.
func (r *Runner) Owner() string { return r.cfg.Owner }

// Start launches the workers; they stop when ctx is cancelled. Wait waits
// for them. Jobs running when ctx ends are cancelled and handed back to the
// queue at once (JobRelease), so another node resumes them without waiting
// for the lease to expire.
func (r *Runner) Start(ctx context.Context) {
	for i := 0; i < r.cfg.Workers; i++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.work(ctx)
		}()
	}
}

// Wait blocks until every worker has stopped.
func (r *Runner) Wait() { r.wg.Wait() }

func (r *Runner) work(ctx context.Context) {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for ctx.Err() == nil {
		ran, err := r.RunOne(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("job runner", "err", err)
		}
		if ran {
			r.Wakeup() // there may be more; let a sibling look too
			continue
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-r.wake:
		}
	}
}

// RunOne claims and runs one job. It reports whether a job was claimed.
func (r *Runner) RunOne(ctx context.Context) (bool, error) {
	job, err := r.store.JobClaim(ctx, r.cfg.Owner, r.now().UTC(), r.cfg.Lease, r.cfg.MaxPerProject)
	if errors.Is(err, imsd.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	r.run(ctx, job)
	return true, nil
}

func (r *Runner) run(ctx context.Context, job *imsd.Job) {
	log := r.log.With("job_id", job.ID, "job_type", job.Type, "attempt", job.Attempts)
	h := r.handlers[job.Type]
	var failure *service.JobFailure
	var err error
	switch {
	case h == nil:
		failure = &service.JobFailure{Code: imsd.CodeUnsupported, Reason: "No handler for job type " + job.Type + "."}
	case job.Attempts > r.cfg.MaxAttempts:
		failure = &service.JobFailure{Code: imsd.CodeInternal, Reason: "The job failed repeatedly and was abandoned."}
	default:
		jctx, cancel := context.WithCancel(ctx)
		prog := r.progress(job)
		stop := r.keepLease(jctx, cancel, prog, log)
		err = h(jctx, job, prog)
		stop()
		cancel()
	}
	if err != nil {
		if errors.Is(err, service.ErrJobTaken) {
			log.Info("job attempt stopped: the job was cancelled or taken over")
			return
		}
		if !errors.As(err, &failure) {
			if ctx.Err() != nil {
				r.release(ctx, job, log)
				return
			}
			// Retried once the lease expires, bounded by MaxAttempts.
			log.Warn("job attempt failed; it will be retried", "err", err)
			return
		}
	}
	if ctx.Err() != nil && failure == nil && err != nil {
		return
	}
	stored, ferr := r.finish(context.WithoutCancel(ctx), job, failure)
	if ferr != nil {
		log.Error("record job outcome", "err", ferr)
		return
	}
	// The finisher decides the final status (a copy whose target was
	// deleted fails), so report what it stored.
	if r.finished != nil && stored != nil {
		r.finished(stored)
	}
	if failure != nil {
		log.Warn("job failed", "code", failure.Code, "reason", failure.Reason)
	} else {
		log.Info("job succeeded", "image_id", job.ImageID)
	}
}

// release hands a job interrupted by shutdown back to the queue.
func (r *Runner) release(ctx context.Context, job *imsd.Job, log *slog.Logger) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.store.JobRelease(rctx, job.ID, r.cfg.Owner); err != nil {
		log.Warn("job interrupted by shutdown; it resumes when its lease expires", "err", err)
		return
	}
	log.Info("job interrupted by shutdown and handed back; another node resumes it")
}

// progress returns the Progress callback of a job: it persists a larger
// fraction and the current task, renewing the lease.
func (r *Runner) progress(job *imsd.Job) service.Progress {
	var mu sync.Mutex
	return func(ctx context.Context, fraction float64, task string) error {
		mu.Lock()
		defer mu.Unlock()
		if fraction > job.Progress {
			job.Progress = min(fraction, 0.99)
		}
		if task != "" {
			job.CurrentTask = task
		}
		return r.renew(ctx, job)
	}
}

func (r *Runner) renew(ctx context.Context, job *imsd.Job) error {
	prev := job.LeaseExpires
	job.LeaseExpires = r.now().UTC().Add(r.cfg.Lease)
	if err := r.store.JobUpdate(ctx, job); err != nil {
		job.LeaseExpires = prev
		return err
	}
	return nil
}

// keepLease renews the job's lease every third of its length until stop is
// called; if the lease is lost it cancels the job's context.
func (r *Runner) keepLease(ctx context.Context, cancel context.CancelFunc, prog service.Progress, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(r.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := prog(ctx, -1, ""); errors.Is(err, imsd.ErrConflict) {
					log.Warn("job lease lost; stopping")
					cancel()
					return
				}
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}
