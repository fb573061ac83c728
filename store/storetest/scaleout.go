package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// testScaleOut covers what several processes sharing a store rely on: blob
// pins, the blob lock, releasing a job, settings and Ping.
func (s *suite) testScaleOut(t *testing.T) {
	s.run(t, "Ping", func(t *testing.T, st imsd.Store) {
		must(t, st.Ping(t.Context()))
	})
	s.run(t, "BlobPins", func(t *testing.T, st imsd.Store) {
		d1, d2 := digestOf(1), digestOf(2)
		must(t, st.BlobPin(t.Context(), d1, at(0)))
		must(t, st.BlobPin(t.Context(), d2, at(time.Minute)))
		pinned := func(d string, since time.Time, want bool) {
			t.Helper()
			got, err := st.BlobPinned(t.Context(), d, since)
			must(t, err)
			if got != want {
				t.Fatalf("BlobPinned(%s, %v) = %v, want %v", d[:8], since, got, want)
			}
		}
		pinned(d1, at(0), true)
		pinned(d1, at(time.Second), false) // older than since
		pinned(digestOf(3), at(-time.Hour), false)
		must(t, st.BlobPin(t.Context(), d1, at(2*time.Minute))) // a later commit moves it forward
		pinned(d1, at(time.Second), true)
		n, err := st.BlobPinsPurge(t.Context(), at(90*time.Second))
		must(t, err)
		if n != 1 {
			t.Fatalf("purged %d pins, want 1 (d2)", n)
		}
		pinned(d2, at(-time.Hour), false)
		pinned(d1, at(time.Second), true)
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error { return q.BlobPin(t.Context(), d2, at(0)) }))
		pinned(d2, at(0), true)
		// Unpinning takes back only the pin made at that time.
		must(t, st.BlobUnpin(t.Context(), d1, at(0))) // re-pinned at 2 min since
		pinned(d1, at(time.Second), true)
		must(t, st.BlobUnpin(t.Context(), d1, at(2*time.Minute)))
		pinned(d1, at(-time.Hour), false)
		must(t, st.BlobUnpin(t.Context(), d1, at(2*time.Minute))) // none left: fine
	})
	s.run(t, "BlobLock", func(t *testing.T, st imsd.Store) {
		ctx := t.Context()
		shared1, err := st.LockBlobsShared(ctx)
		must(t, err)
		shared2, err := st.LockBlobsShared(ctx) // shared holders coexist
		must(t, err)
		_, err = st.TryLockBlobsExclusive(ctx)
		wantErr(t, err, imsd.ErrConflict)
		shared1()
		_, err = st.TryLockBlobsExclusive(ctx)
		wantErr(t, err, imsd.ErrConflict)
		shared2()
		shared2() // unlocking twice is harmless
		excl, err := st.TryLockBlobsExclusive(ctx)
		must(t, err)
		_, err = st.TryLockBlobsExclusive(ctx)
		wantErr(t, err, imsd.ErrConflict)
		got := make(chan error, 1)
		go func() {
			unlock, err := st.LockBlobsShared(ctx) // waits for the exclusive holder
			if err == nil {
				unlock()
			}
			got <- err
		}()
		select {
		case err := <-got:
			t.Fatalf("a shared lock was granted beside an exclusive one (err %v)", err)
		case <-time.After(50 * time.Millisecond):
		}
		excl()
		must(t, <-got)
		excl, err = st.TryLockBlobsExclusive(ctx)
		must(t, err)
		excl()
	})
	s.run(t, "BlobLockUnderLoad", func(t *testing.T, st imsd.Store) {
		// Many commits at once, each pinning through the store while it
		// holds the lock, beside collectors counting references under it:
		// holders must never wait for a connection another holder keeps.
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := range 48 {
			wg.Go(func() {
				unlock, err := st.LockBlobsShared(ctx)
				if err != nil {
					errs <- err
					return
				}
				defer unlock()
				if err := st.BlobPin(ctx, digestOf(i), at(0)); err != nil {
					errs <- err
				}
			})
		}
		for range 6 {
			wg.Go(func() {
				for range 5 {
					unlock, err := st.TryLockBlobsExclusive(ctx)
					if errors.Is(err, imsd.ErrConflict) {
						continue
					}
					if err != nil {
						errs <- err
						return
					}
					_, err = st.BlobRefCount(ctx, digestOf(1))
					unlock()
					if err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("under load (a deadline here means a deadlock): %v", err)
		}
	})
	s.run(t, "JobRelease", func(t *testing.T, st imsd.Store) {
		p := id("project", 1)
		insertJobs(t, st, newJob(1, p))
		j := claim(t, st, "node-a/1", 1, jobID(1))
		if j.Attempts != 1 {
			t.Fatalf("attempts %d after the first claim", j.Attempts)
		}
		wantErr(t, st.JobRelease(t.Context(), j.ID, "node-b/1"), imsd.ErrConflict)
		wantErr(t, st.JobRelease(t.Context(), jobID(9), "node-a/1"), imsd.ErrNotFound)
		must(t, st.JobRelease(t.Context(), j.ID, "node-a/1"))
		got, err := st.JobGet(t.Context(), j.ID)
		must(t, err)
		if got.Status != imsd.JobRunning || got.Attempts != 0 || !got.LeaseExpires.IsZero() || !got.BeginTime.Equal(j.BeginTime) {
			t.Fatalf("released job: status %s, attempts %d, lease %v, begin %v", got.Status, got.Attempts, got.LeaseExpires, got.BeginTime)
		}
		// Claimable at once, even under the per-project limit of 1.
		again := claim(t, st, "node-b/1", 1, jobID(1))
		if again.Attempts != 1 || again.LeaseOwner != "node-b/1" {
			t.Fatalf("reclaimed: attempts %d, owner %s", again.Attempts, again.LeaseOwner)
		}
		wantErr(t, st.JobRelease(t.Context(), j.ID, "node-a/1"), imsd.ErrConflict)
		// A finished job cannot be released.
		again.Status, again.EndTime = imsd.JobSuccess, now
		must(t, st.JobUpdate(t.Context(), again))
		wantErr(t, st.JobRelease(t.Context(), j.ID, "node-b/1"), imsd.ErrConflict)
	})
	s.run(t, "Settings", func(t *testing.T, st imsd.Store) {
		_, err := st.SettingGet(t.Context(), "k")
		wantErr(t, err, imsd.ErrNotFound)
		must(t, st.SettingInsert(t.Context(), "k", "v1"))
		wantErr(t, st.SettingInsert(t.Context(), "k", "v2"), imsd.ErrConflict)
		v, err := st.SettingGet(t.Context(), "k")
		must(t, err)
		if v != "v1" {
			t.Fatalf("setting = %q, want the first value", v)
		}
	})
}

// digestOf returns a distinct 64-hex-character digest for n.
func digestOf(n int) string { return fmt.Sprintf("%064x", n) }
