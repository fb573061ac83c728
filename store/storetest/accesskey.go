package storetest

import (
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// seedUser inserts domain 1 and user 1 of it.
func seedUser(t *testing.T, q imsd.Queries) *imsd.User {
	t.Helper()
	d := seedDomains(t, q, 1)[0]
	u := newUser(1, d.ID)
	must(t, q.UserInsert(t.Context(), u))
	return u
}

func (s *suite) testAccessKey(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		u := seedUser(t, st)
		k := newAccessKey(1, u)
		must(t, st.AccessKeyInsert(t.Context(), k))
		got, err := st.AccessKeyGet(t.Context(), k.AccessKey)
		must(t, err)
		check(t, "AccessKeyGet", got, k)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		u := seedUser(t, st)
		_, err := st.AccessKeyGet(t.Context(), "AKNONE")
		wantErr(t, err, imsd.ErrNotFound)
		orphan := newAccessKey(1, u)
		orphan.UserID = id("user", 9)
		wantErr(t, st.AccessKeyInsert(t.Context(), orphan), imsd.ErrNotFound)
	})
	s.run(t, "Duplicate", func(t *testing.T, st imsd.Store) {
		u := seedUser(t, st)
		k := newAccessKey(1, u)
		must(t, st.AccessKeyInsert(t.Context(), k))
		dup := newAccessKey(2, u)
		dup.AccessKey = k.AccessKey
		wantErr(t, st.AccessKeyInsert(t.Context(), dup), imsd.ErrConflict)
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		u := seedUser(t, st)
		other := newUser(2, u.DomainID)
		must(t, st.UserInsert(t.Context(), other))
		var want []*imsd.AccessKey
		for n := 1; n <= 4; n++ {
			owner := u
			if n == 3 {
				owner = other
			}
			k := newAccessKey(n, owner)
			must(t, st.AccessKeyInsert(t.Context(), k))
			if owner == u {
				want = append(want, k)
			}
		}
		got, err := st.AccessKeyList(t.Context(), u.ID)
		must(t, err)
		checkIDs(t, "AccessKeyList", sortedIDs(got, accessKeyID), sortedIDs(want, accessKeyID))
		got, err = st.AccessKeyList(t.Context(), id("user", 9))
		must(t, err)
		checkIDs(t, "AccessKeyList of unknown user", ids(got, accessKeyID), nil)
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		u := seedUser(t, st)
		k := newAccessKey(1, u)
		must(t, st.AccessKeyInsert(t.Context(), k))
		k.Status, k.Description, k.SecretSealed = "inactive", "rotated", []byte("resealed")
		must(t, st.AccessKeyUpdate(t.Context(), k))
		got, err := st.AccessKeyGet(t.Context(), k.AccessKey)
		must(t, err)
		check(t, "updated access key", got, k)
		wantErr(t, st.AccessKeyUpdate(t.Context(), newAccessKey(2, u)), imsd.ErrNotFound)
	})
	s.run(t, "Delete", func(t *testing.T, st imsd.Store) {
		u := seedUser(t, st)
		k, keep := newAccessKey(1, u), newAccessKey(2, u)
		must(t, st.AccessKeyInsert(t.Context(), k))
		must(t, st.AccessKeyInsert(t.Context(), keep))
		must(t, st.AccessKeyDelete(t.Context(), k.AccessKey))
		_, err := st.AccessKeyGet(t.Context(), k.AccessKey)
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.AccessKeyGet(t.Context(), keep.AccessKey)
		must(t, err)
		wantErr(t, st.AccessKeyDelete(t.Context(), k.AccessKey), imsd.ErrNotFound)
	})
}

func accessKeyID(k *imsd.AccessKey) string { return k.AccessKey }

func (s *suite) testEnterpriseProject(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		ep := newEnterpriseProject(1, d.ID)
		must(t, st.EnterpriseProjectInsert(t.Context(), ep))
		got, err := st.EnterpriseProjectGet(t.Context(), ep.ID)
		must(t, err)
		check(t, "EnterpriseProjectGet", got, ep)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		seedDomains(t, st, 1)
		_, err := st.EnterpriseProjectGet(t.Context(), id("ep", 1))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.EnterpriseProjectGet(t.Context(), imsd.DefaultEnterpriseProject)
		wantErr(t, err, imsd.ErrNotFound) // "0" is implicit, never stored
		wantErr(t, st.EnterpriseProjectInsert(t.Context(), newEnterpriseProject(1, id("domain", 9))), imsd.ErrNotFound)
	})
	s.run(t, "Duplicate", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		ep := newEnterpriseProject(1, d.ID)
		must(t, st.EnterpriseProjectInsert(t.Context(), ep))
		dup := newEnterpriseProject(2, d.ID)
		dup.ID = ep.ID
		wantErr(t, st.EnterpriseProjectInsert(t.Context(), dup), imsd.ErrConflict)
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		var want []*imsd.EnterpriseProject
		for n := 1; n <= 5; n++ {
			ep := newEnterpriseProject(n, ds[n%2].ID)
			must(t, st.EnterpriseProjectInsert(t.Context(), ep))
			if n%2 == 0 {
				want = append(want, ep)
			}
		}
		got, err := st.EnterpriseProjectList(t.Context(), ds[0].ID)
		must(t, err)
		checkIDs(t, "EnterpriseProjectList", sortedIDs(got, epID), sortedIDs(want, epID))
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		ep := newEnterpriseProject(1, d.ID)
		must(t, st.EnterpriseProjectInsert(t.Context(), ep))
		ep.Name, ep.Description, ep.Status, ep.Type = "renamed", "changed", imsd.EnterpriseProjectDisabled, "test"
		ep.UpdatedAt = at(48 * time.Hour)
		must(t, st.EnterpriseProjectUpdate(t.Context(), ep))
		got, err := st.EnterpriseProjectGet(t.Context(), ep.ID)
		must(t, err)
		check(t, "updated enterprise project", got, ep)
		wantErr(t, st.EnterpriseProjectUpdate(t.Context(), newEnterpriseProject(2, d.ID)), imsd.ErrNotFound)
	})
}

func epID(ep *imsd.EnterpriseProject) string { return ep.ID }

func (s *suite) testAccessKeyResolve(t *testing.T) {
	s.run(t, "Resolve", func(t *testing.T, st imsd.Store) {
		ctx := t.Context()
		doms := seedDomains(t, st, 2)
		u := newUser(1, doms[0].ID)
		must(t, st.UserInsert(ctx, u))
		k := newAccessKey(1, u)
		must(t, st.AccessKeyInsert(ctx, k))
		own, other := newProject(1, doms[0].ID), newProject(2, doms[1].ID)
		must(t, st.ProjectInsert(ctx, own))
		must(t, st.ProjectInsert(ctx, other))
		wantDomain, err := st.DomainGet(ctx, doms[0].ID)
		must(t, err)

		for _, tc := range []struct {
			name      string
			projectID string
			want      *imsd.Project
		}{
			{"no project", "", nil},
			{"own project", own.ID, own},
			{"another domain's project", other.ID, nil},
			{"unknown project", id("project", 99), nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				o, err := st.AccessKeyResolve(ctx, k.AccessKey, tc.projectID)
				must(t, err)
				check(t, "Key", o.Key, k)
				check(t, "User", o.User, u)
				check(t, "Domain", o.Domain, wantDomain)
				switch {
				case tc.want == nil && o.Project != nil:
					t.Fatalf("Project = %+v, want none", o.Project)
				case tc.want != nil && o.Project == nil:
					t.Fatal("Project missing")
				case tc.want != nil:
					check(t, "Project", o.Project, tc.want)
				}
			})
		}
		_, err = st.AccessKeyResolve(ctx, "AKNONE", "")
		wantErr(t, err, imsd.ErrNotFound)
	})
}
