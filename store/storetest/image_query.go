package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/imsd/imsd"
)

var allImageStatuses = []imsd.ImageStatus{imsd.ImageQueued, imsd.ImageSaving, imsd.ImageActive, imsd.ImageKilled, imsd.ImageDeleted}

func (s *suite) testImageQuery(t *testing.T) {
	s.run(t, "Filters", func(t *testing.T, st imsd.Store) {
		c := seedCatalogue(t, st)
		ref := c.all[7].CreatedAt // has a sub-second part
		upd := c.all[12].UpdatedAt
		tc := func(op string) []imsd.TimeCondition { return []imsd.TimeCondition{{Op: op, Time: ref}} }
		const some, none = true, false
		for _, tt := range []struct {
			name     string
			q        imsd.ImageQuery
			nonEmpty bool
		}{
			{"Default", imsd.ImageQuery{}, some},
			{"Statuses", imsd.ImageQuery{Statuses: []imsd.ImageStatus{imsd.ImageActive, imsd.ImageKilled}}, some},
			{"StatusDeleted", imsd.ImageQuery{Statuses: []imsd.ImageStatus{imsd.ImageDeleted}}, some},
			{"StatusesAll", imsd.ImageQuery{Statuses: allImageStatuses}, some},
			{"Owner", imsd.ImageQuery{Owner: "owner-2"}, some},
			{"ID", imsd.ImageQuery{ID: id("catalogue", 3)}, some},
			{"IDOfOtherDomain", imsd.ImageQuery{ID: c.all[len(c.all)-1].ID}, none},
			{"Name", imsd.ImageQuery{Name: "beta"}, some},
			{"NameUnicode", imsd.ImageQuery{Name: "镜像"}, some},
			{"Visibility", imsd.ImageQuery{Visibility: "public"}, some},
			{"ImageType", imsd.ImageQuery{ImageType: "gold"}, some},
			{"DiskFormat", imsd.ImageQuery{DiskFormat: "raw"}, some},
			{"ContainerFormat", imsd.ImageQuery{ContainerFormat: "ovf"}, some},
			{"VirtualEnvType", imsd.ImageQuery{VirtualEnvType: "IsoImage"}, some},
			{"CmkID", imsd.ImageQuery{CmkID: "cmk-a"}, some},
			{"MinRAMZero", imsd.ImageQuery{MinRAM: ptr(0)}, some},
			{"MinRAM", imsd.ImageQuery{MinRAM: ptr(2048)}, some},
			{"MinDiskZero", imsd.ImageQuery{MinDisk: ptr(0)}, some},
			{"MinDisk", imsd.ImageQuery{MinDisk: ptr(40)}, some},
			{"ProtectedTrue", imsd.ImageQuery{Protected: ptr(true)}, some},
			{"ProtectedFalse", imsd.ImageQuery{Protected: ptr(false)}, some},
			{"EnterpriseProjectsNil", imsd.ImageQuery{EnterpriseProjects: nil}, some},
			{"EnterpriseProjectsEmpty", imsd.ImageQuery{EnterpriseProjects: []string{}}, none},
			{"EnterpriseProjects", imsd.ImageQuery{EnterpriseProjects: []string{"ep-1", "0"}}, some},
			{"EnterpriseProjectsUnknown", imsd.ImageQuery{EnterpriseProjects: []string{"ep-9"}}, none},
			{"Prop", imsd.ImageQuery{Props: map[string]string{"__os_version": "CentOS 7.9 64bit"}}, some},
			{"Props", imsd.ImageQuery{Props: map[string]string{"__os_version": "CentOS 7.9 64bit", "__support_kvm": "true"}}, some},
			{"PropOtherValue", imsd.ImageQuery{Props: map[string]string{"__support_kvm": "false"}}, none},
			{"PropAbsent", imsd.ImageQuery{Props: map[string]string{"__support_xen": "true"}}, none},
			{"PropsNot", imsd.ImageQuery{PropsNot: map[string]string{"__support_kvm": "true"}}, some},
			{"PropsNotAbsent", imsd.ImageQuery{PropsNot: map[string]string{"__support_xen": "true"}}, some},
			{"PropsAndPropsNot", imsd.ImageQuery{Props: map[string]string{"__support_kvm": "true"}, PropsNot: map[string]string{"__support_kvm": "true"}}, none},
			{"MissingChecksum", imsd.ImageQuery{MissingChecksum: true}, some},
			{"MissingChecksumActive", imsd.ImageQuery{MissingChecksum: true, Statuses: []imsd.ImageStatus{imsd.ImageActive}}, some},
			{"TagKeyValue", imsd.ImageQuery{Tag: "env=prod"}, some},
			{"TagGlance", imsd.ImageQuery{Tag: "glance"}, some},
			{"TagKeyOnly", imsd.ImageQuery{Tag: "env"}, none},
			{"CreatedAtGT", imsd.ImageQuery{CreatedAt: tc("gt")}, some},
			{"CreatedAtGTE", imsd.ImageQuery{CreatedAt: tc("gte")}, some},
			{"CreatedAtLT", imsd.ImageQuery{CreatedAt: tc("lt")}, some},
			{"CreatedAtLTE", imsd.ImageQuery{CreatedAt: tc("lte")}, some},
			{"CreatedAtEQ", imsd.ImageQuery{CreatedAt: tc("eq")}, some},
			{"CreatedAtNEQ", imsd.ImageQuery{CreatedAt: tc("neq")}, some},
			{"CreatedAtRange", imsd.ImageQuery{CreatedAt: []imsd.TimeCondition{
				{Op: "gte", Time: c.all[4].CreatedAt}, {Op: "lt", Time: c.all[16].CreatedAt}}}, some},
			{"CreatedAtUnknownOp", imsd.ImageQuery{CreatedAt: tc("like")}, none},
			{"UpdatedAtGT", imsd.ImageQuery{UpdatedAt: []imsd.TimeCondition{{Op: "gt", Time: upd}}}, some},
			{"UpdatedAtEQ", imsd.ImageQuery{UpdatedAt: []imsd.TimeCondition{{Op: "eq", Time: upd}}}, some},
			{"Combined", imsd.ImageQuery{Owner: "owner-1", Statuses: []imsd.ImageStatus{imsd.ImageActive, imsd.ImageQueued},
				Props: map[string]string{"__os_version": "Ubuntu 22.04 64bit"}, Protected: ptr(false)}, some},
		} {
			t.Run(tt.name, func(t *testing.T) {
				q := tt.q
				q.DomainID = c.domainA
				want := expect(c.all, q)
				if (len(want) > 0) != tt.nonEmpty {
					t.Fatalf("bad fixture: the reference returns %d images", len(want))
				}
				wantIDs(t, st, "ImageList", q, want...)
			})
		}
		for _, tt := range []struct {
			name, domain string
		}{
			{"OtherDomain", c.domainB},
			{"UnknownDomain", id("domain", 9)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				q := imsd.ImageQuery{DomainID: tt.domain, Statuses: allImageStatuses}
				wantIDs(t, st, "ImageList", q, expect(c.all, q)...)
				got, err := st.ImageList(t.Context(), q)
				must(t, err)
				for _, img := range got {
					if img.DomainID != tt.domain {
						t.Fatalf("image %s of domain %q listed for domain %q", img.ID, img.DomainID, tt.domain)
					}
				}
			})
		}
		// Maintenance queries leave DomainID empty to see every domain.
		t.Run("EveryDomain", func(t *testing.T) {
			q := imsd.ImageQuery{Statuses: []imsd.ImageStatus{imsd.ImageActive, imsd.ImageSaving}}
			want := expect(c.all, q)
			domains := map[string]bool{}
			for _, img := range c.all {
				if slices.Contains(want, img.ID) {
					domains[img.DomainID] = true
				}
			}
			if len(domains) != 2 {
				t.Fatalf("bad fixture: the reference spans %d domains", len(domains))
			}
			wantIDs(t, st, "ImageList", q, want...)
			q.Marker, q.SortKey, q.SortAsc = c.all[len(c.all)-1].ID, "id", true
			wantIDs(t, st, "ImageList after a marker", q, expect(c.all, q)...)
		})
	})
	s.run(t, "Sort", func(t *testing.T, st imsd.Store) {
		c := seedCatalogue(t, st)
		for _, key := range append(sortKeys, "") {
			for _, asc := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/asc=%v", key, asc), func(t *testing.T) {
					q := imsd.ImageQuery{DomainID: c.domainA, Statuses: allImageStatuses, SortKey: key, SortAsc: asc}
					wantIDs(t, st, "ImageList", q, expect(c.all, q)...)
				})
			}
		}
	})
	s.run(t, "Paging", func(t *testing.T, st imsd.Store) {
		c := seedCatalogue(t, st)
		for _, key := range sortKeys {
			for _, asc := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s/asc=%v", key, asc), func(t *testing.T) {
					q := imsd.ImageQuery{DomainID: c.domainA, SortKey: key, SortAsc: asc, Limit: 7}
					all := expect(c.all, imsd.ImageQuery{DomainID: c.domainA, SortKey: key, SortAsc: asc})
					if len(all) != catalogueLive {
						t.Fatalf("bad fixture: %d live images", len(all))
					}
					var walked []string
					var sizes []int
					for range 10 {
						page, err := st.ImageList(t.Context(), q)
						must(t, err)
						sizes = append(sizes, len(page))
						if len(page) == 0 {
							break
						}
						walked = append(walked, ids(page, imageID)...)
						q.Marker = page[len(page)-1].ID
					}
					checkIDs(t, "pages walked", walked, all)
					if fmt.Sprint(sizes) != "[7 7 7 4 0]" {
						t.Fatalf("page sizes %v, want [7 7 7 4 0]", sizes)
					}
				})
			}
		}
	})
	s.run(t, "Marker", func(t *testing.T, st imsd.Store) {
		c := seedCatalogue(t, st)
		for n, q := range []imsd.ImageQuery{
			// The marker need not match the filters: paging continues
			// after its position in the order.
			{Owner: "owner-1", Marker: c.all[5].ID, SortKey: "name", SortAsc: true},
			{Owner: "owner-2", Marker: c.all[9].ID, SortKey: "size"},
			// A deleted image is still a marker of its domain.
			{Marker: c.all[catalogueLive].ID, SortKey: "created_at"},
			{Statuses: allImageStatuses, Marker: c.all[3].ID, SortKey: "status", SortAsc: true, Limit: 4},
		} {
			q.DomainID = c.domainA
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				want := expect(c.all, q)
				got, err := st.ImageList(t.Context(), q)
				must(t, err)
				checkIDs(t, "ImageList after marker", ids(got, imageID), want)
				n, err := st.ImageCount(t.Context(), q)
				must(t, err)
				if q.Marker, q.Limit = "", 0; n != len(expect(c.all, q)) {
					t.Fatalf("ImageCount = %d, want %d (marker and limit ignored)", n, len(expect(c.all, q)))
				}
			})
		}
		t.Run("Unknown", func(t *testing.T) {
			_, err := st.ImageList(t.Context(), imsd.ImageQuery{DomainID: c.domainA, Marker: id("image", 99)})
			wantErr(t, err, imsd.ErrNotFound)
		})
		t.Run("OtherDomain", func(t *testing.T) {
			_, err := st.ImageList(t.Context(), imsd.ImageQuery{DomainID: c.domainA, Marker: c.all[len(c.all)-1].ID})
			wantErr(t, err, imsd.ErrNotFound)
		})
	})
	s.run(t, "Limit", func(t *testing.T, st imsd.Store) {
		c := seedCatalogue(t, st)
		q := imsd.ImageQuery{DomainID: c.domainA, Limit: 3, SortKey: "name"}
		want := expect(c.all, q)
		got, err := st.ImageList(t.Context(), q)
		must(t, err)
		checkIDs(t, "ImageList", ids(got, imageID), want)
		n, err := st.ImageCount(t.Context(), q)
		must(t, err)
		if n != catalogueLive {
			t.Fatalf("ImageCount = %d, want %d (limit ignored)", n, catalogueLive)
		}
	})
	s.run(t, "UnknownSortKey", func(t *testing.T, st imsd.Store) {
		_, err := st.ImageList(t.Context(), imsd.ImageQuery{DomainID: id("domain", 1), SortKey: "name; DROP TABLE images"})
		if err == nil {
			t.Fatal("ImageList accepted an unknown sort key")
		}
	})
}
