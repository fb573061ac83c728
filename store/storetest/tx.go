package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

func (s *suite) testTx(t *testing.T) {
	s.run(t, "Commit", func(t *testing.T, st imsd.Store) {
		d := newDomain(1)
		img := newImage(1, d.ID)
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error {
			if err := q.DomainInsert(t.Context(), d); err != nil {
				return err
			}
			if err := q.ProjectInsert(t.Context(), newProject(1, d.ID)); err != nil {
				return err
			}
			return q.ImageInsert(t.Context(), img)
		}))
		_, err := st.ProjectGet(t.Context(), id("project", 1))
		must(t, err)
		got, err := st.ImageGet(t.Context(), img.ID)
		must(t, err)
		check(t, "committed image", got, img)
	})
	s.run(t, "RollbackOnError", func(t *testing.T, st imsd.Store) {
		errAbort := errors.New("abort")
		img, gone := newImage(1, id("domain", 1)), newImage(2, id("domain", 1))
		must(t, st.ImageInsert(t.Context(), img))
		must(t, st.ImageInsert(t.Context(), gone))
		err := st.InTx(t.Context(), func(q imsd.Queries) error {
			must(t, q.DomainInsert(t.Context(), newDomain(1)))
			changed := *img
			changed.Name = "changed"
			must(t, q.ImageUpdate(t.Context(), &changed))
			must(t, q.ImageDelete(t.Context(), gone.ID))
			must(t, q.ImageInsert(t.Context(), newImage(3, id("domain", 1))))
			return fmt.Errorf("wrapped: %w", errAbort)
		})
		wantErr(t, err, errAbort)
		_, err = st.DomainGet(t.Context(), id("domain", 1))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.ImageGet(t.Context(), id("image", 3))
		wantErr(t, err, imsd.ErrNotFound)
		for _, want := range []*imsd.Image{img, gone} {
			got, err := st.ImageGet(t.Context(), want.ID)
			must(t, err)
			check(t, "image after rollback", got, want)
		}
	})
	s.run(t, "RollbackOnPanic", func(t *testing.T, st imsd.Store) {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatal("InTx swallowed the panic")
				}
			}()
			_ = st.InTx(t.Context(), func(q imsd.Queries) error {
				must(t, q.DomainInsert(t.Context(), newDomain(1)))
				panic("boom")
			})
		}()
		_, err := st.DomainGet(t.Context(), id("domain", 1))
		wantErr(t, err, imsd.ErrNotFound)
		must(t, st.DomainInsert(t.Context(), newDomain(2))) // the store still works
	})
	s.run(t, "ReadsOwnWrites", func(t *testing.T, st imsd.Store) {
		img := newImage(1, id("domain", 1))
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error {
			must(t, q.ImageInsert(t.Context(), img))
			got, err := q.ImageGet(t.Context(), img.ID)
			must(t, err)
			check(t, "image read in its transaction", got, img)
			wantIDs(t, q, "ImageList in the transaction", imsd.ImageQuery{DomainID: img.DomainID}, img.ID)
			n, err := q.BlobRefCount(t.Context(), img.BlobDigest)
			must(t, err)
			if n != 1 {
				t.Errorf("BlobRefCount in the transaction = %d, want 1", n)
			}
			return nil
		}))
	})
	s.run(t, "ConflictKeepsTxUsable", func(t *testing.T, st imsd.Store) {
		// A duplicate insert reports ErrConflict without spoiling the
		// transaction, so a caller can fall back to reading the winner.
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error {
			must(t, q.DomainInsert(t.Context(), newDomain(1)))
			wantErr(t, q.DomainInsert(t.Context(), newDomain(1)), imsd.ErrConflict)
			_, err := q.DomainGet(t.Context(), id("domain", 1))
			must(t, err)
			return q.DomainInsert(t.Context(), newDomain(2))
		}))
		got, err := st.DomainList(t.Context())
		must(t, err)
		if len(got) != 2 {
			t.Fatalf("%d domains committed, want 2", len(got))
		}
	})
	s.run(t, "ConcurrentWriters", func(t *testing.T, st imsd.Store) {
		testConcurrentWriters(t, st)
	})
}

// testConcurrentWriters runs 50 goroutines that each insert and update an
// image and a job and update a shared project in one transaction, while
// readers list images: every transaction must succeed (no "database is
// locked") and every write must be there afterwards.
func testConcurrentWriters(t *testing.T, st imsd.Store) {
	const writers, readers = 50, 4
	d := seedDomains(t, st, 1)[0]
	p := newProject(1, d.ID)
	must(t, st.ProjectInsert(t.Context(), p))
	var wg sync.WaitGroup
	for n := range writers {
		wg.Go(func() {
			err := st.InTx(t.Context(), func(q imsd.Queries) error {
				img := newImage(n, d.ID)
				img.Status = imsd.ImageQueued
				if err := q.ImageInsert(t.Context(), img); err != nil {
					return err
				}
				got, err := q.ImageGet(t.Context(), img.ID)
				if err != nil {
					return err
				}
				got.Status, got.UpdatedAt = imsd.ImageActive, at(time.Hour)
				if err := q.ImageUpdate(t.Context(), got); err != nil {
					return err
				}
				j := newJob(n, p.ID)
				if err := q.JobInsert(t.Context(), j); err != nil {
					return err
				}
				j.Progress = 1
				if err := q.JobUpdate(t.Context(), j); err != nil {
					return err
				}
				shared := *p
				shared.Description = fmt.Sprintf("written by %d", n)
				return q.ProjectUpdate(t.Context(), &shared)
			})
			if err != nil {
				t.Errorf("writer %d: %v", n, err)
			}
		})
	}
	for r := range readers {
		wg.Go(func() {
			for range 20 {
				if _, err := st.ImageList(t.Context(), imsd.ImageQuery{DomainID: d.ID}); err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	n, err := st.ImageCount(t.Context(), imsd.ImageQuery{DomainID: d.ID, Statuses: []imsd.ImageStatus{imsd.ImageActive}})
	must(t, err)
	if n != writers {
		t.Fatalf("%d active images, want %d", n, writers)
	}
	jobs, err := st.JobList(t.Context(), []imsd.JobStatus{imsd.JobInit})
	must(t, err)
	for _, j := range jobs {
		if j.Progress != 1 {
			t.Fatalf("job %s has progress %v, want 1", j.ID, j.Progress)
		}
	}
	if len(jobs) != writers {
		t.Fatalf("%d jobs, want %d", len(jobs), writers)
	}
}
