package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// Fixtures of the identity entities; every field is set to a distinct,
// non-zero value so a field that is not stored shows up.

func newDomain(n int) *imsd.Domain {
	return &imsd.Domain{ID: id("domain", n), Name: fmt.Sprintf("domain-%d", n), CreatedAt: at(time.Duration(n) * time.Hour)}
}

func newProject(n int, domainID string) *imsd.Project {
	return &imsd.Project{
		ID:          id("project", n),
		DomainID:    domainID,
		Name:        fmt.Sprintf("cn-north-%d", n),
		Description: fmt.Sprintf("project %d", n),
		Enabled:     true,
		CreatedAt:   at(time.Duration(n) * time.Minute),
	}
}

func newUser(n int, domainID string) *imsd.User {
	return &imsd.User{
		ID:                id("user", n),
		DomainID:          domainID,
		Name:              fmt.Sprintf("user-%d", n),
		PasswordHash:      "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		Enabled:           true,
		IsRoot:            n == 1,
		Description:       "a user",
		Email:             fmt.Sprintf("u%d@example.com", n),
		PasswordChangedAt: at(time.Duration(n)*time.Minute + 3*time.Millisecond),
		CreatedAt:         at(time.Duration(n) * time.Minute),
	}
}

func newAccessKey(n int, u *imsd.User) *imsd.AccessKey {
	return &imsd.AccessKey{
		AccessKey:    fmt.Sprintf("AK%018d", n),
		UserID:       u.ID,
		DomainID:     u.DomainID,
		SecretSealed: []byte{0, 1, 2, 0xfe, 0xff, byte(n)},
		Status:       "active",
		Description:  "ci key",
		CreatedAt:    at(time.Duration(n) * time.Second),
	}
}

func newEnterpriseProject(n int, domainID string) *imsd.EnterpriseProject {
	return &imsd.EnterpriseProject{
		ID:          id("ep", n),
		DomainID:    domainID,
		Name:        fmt.Sprintf("ep-%d", n),
		Description: "an enterprise project",
		Status:      imsd.EnterpriseProjectEnabled,
		Type:        "prod",
		CreatedAt:   at(time.Duration(n) * time.Second),
		UpdatedAt:   at(time.Duration(n)*time.Second + time.Hour),
	}
}

// seedDomains inserts domains 1..n and returns them.
func seedDomains(t *testing.T, q imsd.Queries, n int) []*imsd.Domain {
	t.Helper()
	var out []*imsd.Domain
	for i := 1; i <= n; i++ {
		d := newDomain(i)
		must(t, q.DomainInsert(t.Context(), d))
		out = append(out, d)
	}
	return out
}

func (s *suite) testDomain(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := newDomain(1)
		must(t, st.DomainInsert(t.Context(), d))
		got, err := st.DomainGet(t.Context(), d.ID)
		must(t, err)
		check(t, "DomainGet", got, d)
		got, err = st.DomainGetByName(t.Context(), d.Name)
		must(t, err)
		check(t, "DomainGetByName", got, d)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		seedDomains(t, st, 1)
		_, err := st.DomainGet(t.Context(), id("domain", 2))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.DomainGetByName(t.Context(), "domain-2")
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "DuplicateID", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		dup := *d
		dup.Name = "other"
		wantErr(t, st.DomainInsert(t.Context(), &dup), imsd.ErrConflict)
	})
	s.run(t, "DuplicateName", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		dup := newDomain(2)
		dup.Name = d.Name
		wantErr(t, st.DomainInsert(t.Context(), dup), imsd.ErrConflict)
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		got, err := st.DomainList(t.Context())
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("empty store lists %d domains", len(got))
		}
		ds := seedDomains(t, st, 3)
		got, err = st.DomainList(t.Context())
		must(t, err)
		checkIDs(t, "DomainList", sortedIDs(got, domainID), sortedIDs(ds, domainID))
	})
}

func domainID(d *imsd.Domain) string { return d.ID }

func (s *suite) testProject(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		p := newProject(1, d.ID)
		must(t, st.ProjectInsert(t.Context(), p))
		got, err := st.ProjectGet(t.Context(), p.ID)
		must(t, err)
		check(t, "ProjectGet", got, p)
		got, err = st.ProjectGetByName(t.Context(), d.ID, p.Name)
		must(t, err)
		check(t, "ProjectGetByName", got, p)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		p := newProject(1, ds[0].ID)
		must(t, st.ProjectInsert(t.Context(), p))
		_, err := st.ProjectGet(t.Context(), id("project", 2))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.ProjectGetByName(t.Context(), ds[1].ID, p.Name)
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "UnknownDomain", func(t *testing.T, st imsd.Store) {
		wantErr(t, st.ProjectInsert(t.Context(), newProject(1, id("domain", 9))), imsd.ErrNotFound)
	})
	s.run(t, "Duplicates", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		p := newProject(1, ds[0].ID)
		must(t, st.ProjectInsert(t.Context(), p))
		dupID := newProject(2, ds[0].ID)
		dupID.ID = p.ID
		wantErr(t, st.ProjectInsert(t.Context(), dupID), imsd.ErrConflict)
		dupName := newProject(3, ds[0].ID)
		dupName.Name = p.Name
		wantErr(t, st.ProjectInsert(t.Context(), dupName), imsd.ErrConflict)
		// The same name in another domain is fine.
		other := newProject(4, ds[1].ID)
		other.Name = p.Name
		must(t, st.ProjectInsert(t.Context(), other))
		got, err := st.ProjectGetByName(t.Context(), ds[1].ID, p.Name)
		must(t, err)
		check(t, "ProjectGetByName", got, other)
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		var want []*imsd.Project
		for n := 1; n <= 4; n++ {
			p := newProject(n, ds[n%2].ID)
			must(t, st.ProjectInsert(t.Context(), p))
			if n%2 == 0 {
				want = append(want, p)
			}
		}
		got, err := st.ProjectList(t.Context(), ds[0].ID)
		must(t, err)
		checkIDs(t, "ProjectList", sortedIDs(got, projectID), sortedIDs(want, projectID))
		got, err = st.ProjectList(t.Context(), id("domain", 9))
		must(t, err)
		checkIDs(t, "ProjectList of unknown domain", ids(got, projectID), nil)
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		p, other := newProject(1, d.ID), newProject(2, d.ID)
		must(t, st.ProjectInsert(t.Context(), p))
		must(t, st.ProjectInsert(t.Context(), other))
		p.Name, p.Description, p.Enabled = "cn-north-1_sub", "renamed", false
		must(t, st.ProjectUpdate(t.Context(), p))
		got, err := st.ProjectGet(t.Context(), p.ID)
		must(t, err)
		check(t, "updated project", got, p)

		p.Name = other.Name
		wantErr(t, st.ProjectUpdate(t.Context(), p), imsd.ErrConflict)
		wantErr(t, st.ProjectUpdate(t.Context(), newProject(3, d.ID)), imsd.ErrNotFound)
	})
}

func projectID(p *imsd.Project) string { return p.ID }

func (s *suite) testUser(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		for n := 1; n <= 2; n++ { // user 1 is root, user 2 not
			u := newUser(n, d.ID)
			must(t, st.UserInsert(t.Context(), u))
			got, err := st.UserGet(t.Context(), u.ID)
			must(t, err)
			check(t, "UserGet", got, u)
			got, err = st.UserGetByName(t.Context(), d.ID, u.Name)
			must(t, err)
			check(t, "UserGetByName", got, u)
		}
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		u := newUser(1, ds[0].ID)
		must(t, st.UserInsert(t.Context(), u))
		_, err := st.UserGet(t.Context(), id("user", 2))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.UserGetByName(t.Context(), ds[1].ID, u.Name)
		wantErr(t, err, imsd.ErrNotFound)
		wantErr(t, st.UserInsert(t.Context(), newUser(3, id("domain", 9))), imsd.ErrNotFound)
	})
	s.run(t, "Duplicates", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		u := newUser(1, ds[0].ID)
		must(t, st.UserInsert(t.Context(), u))
		dupID := newUser(2, ds[0].ID)
		dupID.ID = u.ID
		wantErr(t, st.UserInsert(t.Context(), dupID), imsd.ErrConflict)
		dupName := newUser(3, ds[0].ID)
		dupName.Name = u.Name
		wantErr(t, st.UserInsert(t.Context(), dupName), imsd.ErrConflict)
		other := newUser(4, ds[1].ID)
		other.Name = u.Name
		must(t, st.UserInsert(t.Context(), other))
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		var want []*imsd.User
		for n := 1; n <= 5; n++ {
			u := newUser(n, ds[n%2].ID)
			must(t, st.UserInsert(t.Context(), u))
			if n%2 == 1 {
				want = append(want, u)
			}
		}
		got, err := st.UserList(t.Context(), ds[1].ID)
		must(t, err)
		checkIDs(t, "UserList", sortedIDs(got, userID), sortedIDs(want, userID))
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		u, other := newUser(1, d.ID), newUser(2, d.ID)
		must(t, st.UserInsert(t.Context(), u))
		must(t, st.UserInsert(t.Context(), other))
		u.Name, u.PasswordHash, u.Enabled, u.IsRoot = "renamed", "$argon2id$new", false, false
		u.Description, u.Email, u.PasswordChangedAt = "changed", "new@example.com", at(time.Hour)
		must(t, st.UserUpdate(t.Context(), u))
		got, err := st.UserGet(t.Context(), u.ID)
		must(t, err)
		check(t, "updated user", got, u)

		u.Name = other.Name
		wantErr(t, st.UserUpdate(t.Context(), u), imsd.ErrConflict)
		wantErr(t, st.UserUpdate(t.Context(), newUser(3, d.ID)), imsd.ErrNotFound)
	})
	s.run(t, "Delete", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		u, keep := newUser(1, d.ID), newUser(2, d.ID)
		must(t, st.UserInsert(t.Context(), u))
		must(t, st.UserInsert(t.Context(), keep))
		k, kept := newAccessKey(1, u), newAccessKey(2, keep)
		must(t, st.AccessKeyInsert(t.Context(), k))
		must(t, st.AccessKeyInsert(t.Context(), kept))

		must(t, st.UserDelete(t.Context(), u.ID))
		_, err := st.UserGet(t.Context(), u.ID)
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.AccessKeyGet(t.Context(), k.AccessKey)
		wantErr(t, err, imsd.ErrNotFound) // a user's keys go with it
		_, err = st.AccessKeyGet(t.Context(), kept.AccessKey)
		must(t, err)
		_, err = st.UserGet(t.Context(), keep.ID)
		must(t, err)
		wantErr(t, st.UserDelete(t.Context(), u.ID), imsd.ErrNotFound)
	})
}

func userID(u *imsd.User) string { return u.ID }
