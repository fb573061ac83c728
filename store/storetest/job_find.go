package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// testJobFind covers the job selection of the task lists: filters, both
// orders, ties broken by id, keyset paging and markers.
func (s *suite) testJobFind(t *testing.T) {
	s.run(t, "FiltersOrderAndPaging", func(t *testing.T, st imsd.Store) {
		ctx := t.Context()
		p1, p2 := id("project", 1), id("project", 2)
		var all []*imsd.Job
		for n := range 12 {
			j := newJob(n, p1)
			if n%4 == 3 {
				j.ProjectID = p2
			}
			if n%2 == 0 {
				j.Type = imsd.JobTypeGlanceImport
			}
			if n%3 == 0 {
				j.Status = imsd.JobSuccess
			}
			j.ImageID = id("image", n%3)
			j.CreatedAt = at(time.Duration(n/2) * time.Second) // ties in pairs
			must(t, st.JobInsert(ctx, j))
			all = append(all, j)
		}
		jobID := func(j *imsd.Job) string { return j.ID }
		// want computes the expected selection in Go.
		want := func(keep func(*imsd.Job) bool, asc bool) []string {
			var out []*imsd.Job
			for _, j := range all {
				if keep(j) {
					out = append(out, j)
				}
			}
			slices.SortFunc(out, func(a, b *imsd.Job) int {
				c := a.CreatedAt.Compare(b.CreatedAt)
				if c == 0 {
					c = compareStrings(a.ID, b.ID)
				}
				if !asc {
					c = -c
				}
				return c
			})
			return ids(out, jobID)
		}
		cases := []struct {
			name string
			q    imsd.JobQuery
			keep func(*imsd.Job) bool
		}{
			{"project", imsd.JobQuery{ProjectID: p1}, func(j *imsd.Job) bool { return j.ProjectID == p1 }},
			{"project and type", imsd.JobQuery{ProjectID: p1, Types: []string{imsd.JobTypeGlanceImport}},
				func(j *imsd.Job) bool { return j.ProjectID == p1 && j.Type == imsd.JobTypeGlanceImport }},
			{"image", imsd.JobQuery{ImageID: id("image", 1)}, func(j *imsd.Job) bool { return j.ImageID == id("image", 1) }},
			{"status", imsd.JobQuery{Statuses: []imsd.JobStatus{imsd.JobSuccess}}, func(j *imsd.Job) bool { return j.Status == imsd.JobSuccess }},
			{"domain of another", imsd.JobQuery{DomainID: id("domain", 9)}, func(*imsd.Job) bool { return false }},
		}
		for _, c := range cases {
			for _, asc := range []bool{false, true} {
				q := c.q
				q.SortAsc = asc
				got, err := st.JobFind(ctx, q)
				must(t, err)
				w := want(c.keep, asc)
				checkIDs(t, c.name, ids(got, jobID), w)
				// Page through two at a time.
				var paged []string
				q.Limit = 2
				for {
					page, err := st.JobFind(ctx, q)
					must(t, err)
					if len(page) == 0 {
						break
					}
					paged = append(paged, ids(page, jobID)...)
					q.Marker = page[len(page)-1].ID
				}
				checkIDs(t, c.name+" paged", paged, w)
			}
		}
		_, err := st.JobFind(ctx, imsd.JobQuery{ProjectID: p1, Marker: all[3].ID}) // a job of p2
		wantErr(t, err, imsd.ErrNotFound)
	})
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
