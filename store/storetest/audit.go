package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

func newAuditEvent(n int, domainID string, at time.Time) *imsd.AuditEvent {
	return &imsd.AuditEvent{
		ID: fmt.Sprintf("%032x", n), Time: at, RequestID: fmt.Sprintf("req-%d", n), DomainID: domainID,
		ProjectID: "proj-1", UserID: fmt.Sprintf("user-%d", n%3), UserName: "alice", AccessKey: "AK1",
		AuthMethod: "aksk", SourceIP: "127.0.0.1", Route: "CopyImageInRegion", Method: "POST",
		Path: "/v1/cloudimages/img/copy", Action: "ims:images:copy,ims:serverImages:create", ResourceType: "image",
		ResourceID: fmt.Sprintf("img-%d", n%2), Decision: imsd.AuditAllowed, Status: 200, Code: "",
	}
}

func (s *suite) testAudit(t *testing.T) {
	s.run(t, "InsertList", func(t *testing.T, st imsd.Store) {
		e := newAuditEvent(1, "dom-a", base)
		e.Decision, e.Status, e.Code = imsd.AuditDenied, 403, "IMG.0026"
		must(t, st.AuditInsert(t.Context(), e))
		got, err := st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a"})
		must(t, err)
		if len(got) != 1 {
			t.Fatalf("AuditList returned %d events, want 1", len(got))
		}
		check(t, "AuditList", got[0], e)
		wantErr(t, st.AuditInsert(t.Context(), e), imsd.ErrConflict)
	})
	s.run(t, "FiltersAndPaging", func(t *testing.T, st imsd.Store) {
		var all []*imsd.AuditEvent
		for n := 1; n <= 12; n++ {
			at := base.Add(time.Duration(n/2) * time.Second) // pairs share a time: id breaks the tie
			dom := "dom-a"
			if n%4 == 0 {
				dom = "dom-b"
			}
			e := newAuditEvent(n, dom, at)
			must(t, st.AuditInsert(t.Context(), e))
			all = append(all, e)
		}
		ids := func(es []*imsd.AuditEvent) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.ID)
			}
			return out
		}
		// Reference: newest first, (time, id) descending, domain dom-a.
		var want []*imsd.AuditEvent
		for i := len(all) - 1; i >= 0; i-- {
			if all[i].DomainID == "dom-a" {
				want = append(want, all[i])
			}
		}
		got, err := st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a"})
		must(t, err)
		checkIDs(t, "all of dom-a", ids(got), ids(want))

		var paged []*imsd.AuditEvent
		marker := ""
		for {
			page, err := st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a", Limit: 2, Marker: marker})
			must(t, err)
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			marker = page[len(page)-1].ID
		}
		checkIDs(t, "paged", ids(paged), ids(want))

		got, err = st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a", UserID: "user-1", ResourceID: "img-1"})
		must(t, err)
		for _, e := range got {
			if e.UserID != "user-1" || e.ResourceID != "img-1" {
				t.Fatalf("filter returned %+v", e)
			}
		}
		if len(got) == 0 {
			t.Fatal("filter returned nothing")
		}
		got, err = st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a", From: base.Add(2 * time.Second), To: base.Add(4 * time.Second)})
		must(t, err)
		for _, e := range got {
			if e.Time.Before(base.Add(2*time.Second)) || !e.Time.Before(base.Add(4*time.Second)) {
				t.Fatalf("time range returned %v", e.Time)
			}
		}
		_, err = st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a", Marker: all[3].ID}) // a dom-b event
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "Prune", func(t *testing.T, st imsd.Store) {
		for n := 1; n <= 5; n++ {
			must(t, st.AuditInsert(t.Context(), newAuditEvent(n, "dom-a", base.Add(time.Duration(n)*time.Hour))))
		}
		n, err := st.AuditPrune(t.Context(), base.Add(3*time.Hour))
		must(t, err)
		if n != 2 {
			t.Fatalf("pruned %d, want 2", n)
		}
		left, err := st.AuditList(t.Context(), imsd.AuditQuery{DomainID: "dom-a"})
		must(t, err)
		if len(left) != 3 {
			t.Fatalf("%d left, want 3", len(left))
		}
	})
}
