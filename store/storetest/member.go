package storetest

import (
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// testImageMember covers the members of shared images and the queries
// that select shared images.
func (s *suite) testImageMember(t *testing.T) {
	s.run(t, "CRUD", func(t *testing.T, st imsd.Store) {
		ctx := t.Context()
		img := newImage(1, id("domain", 1))
		must(t, st.ImageInsert(ctx, img))
		m := &imsd.ImageMember{ImageID: img.ID, MemberID: id("project", 9), MemberDomainID: id("domain", 2),
			Status: imsd.MemberPending, CreatedAt: at(time.Second), UpdatedAt: at(time.Second)}
		must(t, st.MemberInsert(ctx, m))
		wantErr(t, st.MemberInsert(ctx, m), imsd.ErrConflict)
		got, err := st.MemberGet(ctx, img.ID, m.MemberID)
		must(t, err)
		check(t, "MemberGet", got, m)
		m.Status, m.UpdatedAt = imsd.MemberAccepted, at(time.Minute)
		must(t, st.MemberUpdate(ctx, m))
		got, err = st.MemberGet(ctx, img.ID, m.MemberID)
		must(t, err)
		check(t, "MemberGet after update", got, m)
		_, err = st.MemberGet(ctx, img.ID, id("project", 8))
		wantErr(t, err, imsd.ErrNotFound)
		wantErr(t, st.MemberUpdate(ctx, &imsd.ImageMember{ImageID: img.ID, MemberID: id("project", 8)}), imsd.ErrNotFound)
		wantErr(t, st.MemberDelete(ctx, img.ID, id("project", 8)), imsd.ErrNotFound)
		must(t, st.MemberDelete(ctx, img.ID, m.MemberID))
		_, err = st.MemberGet(ctx, img.ID, m.MemberID)
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "ListOrderAndImageDelete", func(t *testing.T, st imsd.Store) {
		ctx := t.Context()
		img := newImage(1, id("domain", 1))
		must(t, st.ImageInsert(ctx, img))
		var want []string
		for n := range 5 {
			m := &imsd.ImageMember{ImageID: img.ID, MemberID: id("project", 10+n), MemberDomainID: id("domain", 1),
				Status: imsd.MemberPending, CreatedAt: at(0), UpdatedAt: at(0)}
			must(t, st.MemberInsert(ctx, m))
			want = append(want, m.MemberID)
		}
		ms, err := st.MemberList(ctx, img.ID)
		must(t, err)
		checkIDs(t, "MemberList", ids(ms, func(m *imsd.ImageMember) string { return m.MemberID }), sortedIDs(want, func(s string) string { return s }))
		empty, err := st.MemberList(ctx, id("image", 2))
		must(t, err)
		if empty == nil || len(empty) != 0 {
			t.Fatalf("MemberList of an image without members = %#v, want an empty slice", empty)
		}
		// Deleting the image deletes its members: a later image with the
		// same id (never in practice) would not inherit them.
		must(t, st.ImageDelete(ctx, img.ID))
		ms, err = st.MemberList(ctx, img.ID)
		must(t, err)
		if len(ms) != 0 {
			t.Fatalf("members survived their image: %v", ms)
		}
	})
	s.run(t, "SharedQueries", func(t *testing.T, st imsd.Store) {
		ctx := t.Context()
		domA, domB := id("domain", 1), id("domain", 2)
		owner, receiver, other := id("project", 1), id("project", 2), id("project", 3)
		// Images 1-3 belong to domain A's owner; 4 to the receiver (domain B).
		imgs := map[int]*imsd.Image{}
		for n := 1; n <= 4; n++ {
			img := newImage(n, domA)
			img.Owner, img.WholeImage = owner, false
			if n == 4 {
				img.DomainID, img.Owner = domB, receiver
			}
			imgs[n] = img
			must(t, st.ImageInsert(ctx, img))
		}
		share := func(n int, member string, status imsd.MemberStatus) {
			must(t, st.MemberInsert(ctx, &imsd.ImageMember{ImageID: imgs[n].ID, MemberID: member, MemberDomainID: domB,
				Status: status, CreatedAt: at(0), UpdatedAt: at(0)}))
		}
		share(1, receiver, imsd.MemberAccepted)
		share(2, receiver, imsd.MemberPending)
		share(3, other, imsd.MemberAccepted)
		imgID := func(i *imsd.Image) string { return i.ID }
		cases := []struct {
			name string
			q    imsd.ImageQuery
			want []int
		}{
			{"own only", imsd.ImageQuery{DomainID: domB, Owner: receiver}, []int{4}},
			{"own and accepted", imsd.ImageQuery{DomainID: domB, Owner: receiver, SharedWith: receiver,
				MemberStatuses: []imsd.MemberStatus{imsd.MemberAccepted}}, []int{1, 4}},
			{"only pending", imsd.ImageQuery{DomainID: domB, Owner: receiver, SharedWith: receiver, OnlyShared: true,
				MemberStatuses: []imsd.MemberStatus{imsd.MemberPending}}, []int{2}},
			{"only shared, any status", imsd.ImageQuery{DomainID: domB, Owner: receiver, SharedWith: receiver, OnlyShared: true}, []int{1, 2}},
			{"filters apply to shared images", imsd.ImageQuery{DomainID: domB, Owner: receiver, SharedWith: receiver,
				ID: imgs[2].ID}, []int{2}},
			{"another project's share is not mine", imsd.ImageQuery{DomainID: domB, Owner: receiver, SharedWith: receiver,
				ID: imgs[3].ID}, nil},
		}
		for _, c := range cases {
			got, err := st.ImageList(ctx, c.q)
			must(t, err)
			var want []string
			for _, n := range c.want {
				want = append(want, imgs[n].ID)
			}
			checkIDs(t, c.name, sortedIDs(got, imgID), sortedIDs(want, func(s string) string { return s }))
			n, err := st.ImageCount(ctx, c.q)
			must(t, err)
			if n != len(c.want) {
				t.Fatalf("%s: ImageCount = %d, want %d", c.name, n, len(c.want))
			}
		}
		// A shared image of another domain is a valid marker for the
		// receiver, and paging continues after it.
		q := imsd.ImageQuery{DomainID: domB, Owner: receiver, SharedWith: receiver, SortKey: "id", SortAsc: true,
			MemberStatuses: []imsd.MemberStatus{imsd.MemberAccepted, imsd.MemberPending}}
		all, err := st.ImageList(ctx, q)
		must(t, err)
		if len(all) != 3 {
			t.Fatalf("listed %d images, want 3", len(all))
		}
		for i, img := range all[:2] {
			q.Marker = img.ID
			rest, err := st.ImageList(ctx, q)
			must(t, err)
			checkIDs(t, "after marker", ids(rest, imgID), ids(all[i+1:], imgID))
		}
		q.Marker = imgs[3].ID // shared with another project only
		_, err = st.ImageList(ctx, q)
		wantErr(t, err, imsd.ErrNotFound)
	})
}
