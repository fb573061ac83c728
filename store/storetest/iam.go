package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

func newGroup(n int, domainID string) *imsd.Group {
	return &imsd.Group{ID: id("group", n), DomainID: domainID, Name: fmt.Sprintf("group-%d", n),
		Description: "a group", CreatedAt: at(time.Duration(n) * time.Second)}
}

func newPolicy(n int, domainID string) *imsd.Policy {
	return &imsd.Policy{ID: id("policy", n), DomainID: domainID, Name: fmt.Sprintf("policy-%d", n), Description: "p",
		Type: "XA", Document: []byte(`{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:images:list"]}]}`),
		CreatedAt: at(time.Duration(n) * time.Second), UpdatedAt: at(time.Duration(n)*time.Second + time.Millisecond)}
}

// iamFixture is one domain with a user, two groups and a policy.
type iamFixture struct {
	d      *imsd.Domain
	u      *imsd.User
	g1, g2 *imsd.Group
	p      *imsd.Policy
}

func setupIAM(t *testing.T, st imsd.Store) iamFixture {
	t.Helper()
	ctx := context.Background()
	f := iamFixture{d: newDomain(1)}
	must(t, st.DomainInsert(ctx, f.d))
	f.u = newUser(2, f.d.ID)
	must(t, st.UserInsert(ctx, f.u))
	f.g1, f.g2 = newGroup(1, f.d.ID), newGroup(2, f.d.ID)
	must(t, st.GroupInsert(ctx, f.g1))
	must(t, st.GroupInsert(ctx, f.g2))
	f.p = newPolicy(1, f.d.ID)
	must(t, st.PolicyInsert(ctx, f.p))
	return f
}

func (s *suite) testIAM(t *testing.T) {
	ctx := context.Background()
	s.run(t, "GroupRoundTripAndConflicts", func(t *testing.T, st imsd.Store) {
		f := setupIAM(t, st)
		got, err := st.GroupGet(ctx, f.g1.ID)
		must(t, err)
		if !reflect.DeepEqual(got, f.g1) {
			t.Fatalf("GroupGet = %+v, want %+v", got, f.g1)
		}
		byName, err := st.GroupGetByName(ctx, f.d.ID, f.g2.Name)
		must(t, err)
		if byName.ID != f.g2.ID {
			t.Fatalf("GroupGetByName = %s", byName.ID)
		}
		dup := newGroup(3, f.d.ID)
		dup.Name = f.g1.Name
		wantErr(t, st.GroupInsert(ctx, dup), imsd.ErrConflict)
		wantErr(t, st.GroupInsert(ctx, newGroup(4, "missing-domain")), imsd.ErrNotFound)
		f.g1.Name, f.g1.Description = "renamed", "new"
		must(t, st.GroupUpdate(ctx, f.g1))
		list, err := st.GroupList(ctx, f.d.ID)
		must(t, err)
		if len(list) != 2 || list[0].Name != "group-2" || list[1].Name != "renamed" {
			t.Fatalf("GroupList = %+v", list)
		}
		wantErr(t, st.GroupUpdate(ctx, newGroup(9, f.d.ID)), imsd.ErrNotFound)
		_, err = st.GroupGet(ctx, "nope")
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "Membership", func(t *testing.T, st imsd.Store) {
		f := setupIAM(t, st)
		must(t, st.GroupMemberAdd(ctx, f.g1.ID, f.u.ID))
		must(t, st.GroupMemberAdd(ctx, f.g1.ID, f.u.ID)) // idempotent
		must(t, st.GroupMemberAdd(ctx, f.g2.ID, f.u.ID))
		wantErr(t, st.GroupMemberAdd(ctx, "no-group", f.u.ID), imsd.ErrNotFound)
		wantErr(t, st.GroupMemberAdd(ctx, f.g1.ID, "no-user"), imsd.ErrNotFound)
		groups, err := st.GroupListForUser(ctx, f.u.ID)
		must(t, err)
		if len(groups) != 2 {
			t.Fatalf("GroupListForUser = %d groups", len(groups))
		}
		users, err := st.UserListForGroup(ctx, f.g1.ID)
		must(t, err)
		if len(users) != 1 || users[0].ID != f.u.ID || users[0].PasswordHash != f.u.PasswordHash {
			t.Fatalf("UserListForGroup = %+v", users)
		}
		must(t, st.GroupMemberRemove(ctx, f.g1.ID, f.u.ID))
		wantErr(t, st.GroupMemberRemove(ctx, f.g1.ID, f.u.ID), imsd.ErrNotFound)
		must(t, st.UserDelete(ctx, f.u.ID))
		if users, _ := st.UserListForGroup(ctx, f.g2.ID); len(users) != 0 {
			t.Fatal("a deleted user stays a member")
		}
	})
	s.run(t, "PolicyRoundTrip", func(t *testing.T, st imsd.Store) {
		f := setupIAM(t, st)
		got, err := st.PolicyGet(ctx, f.p.ID)
		must(t, err)
		if !reflect.DeepEqual(got, f.p) {
			t.Fatalf("PolicyGet = %+v, want %+v", got, f.p)
		}
		dup := newPolicy(2, f.d.ID)
		dup.Name = f.p.Name
		wantErr(t, st.PolicyInsert(ctx, dup), imsd.ErrConflict)
		f.p.Document = []byte(`{"Version":"1.1","Statement":[]}`)
		f.p.UpdatedAt = at(time.Hour)
		must(t, st.PolicyUpdate(ctx, f.p))
		got, err = st.PolicyGet(ctx, f.p.ID)
		must(t, err)
		if string(got.Document) != string(f.p.Document) || !got.UpdatedAt.Equal(f.p.UpdatedAt) {
			t.Fatalf("PolicyUpdate not stored: %+v", got)
		}
		list, err := st.PolicyList(ctx, f.d.ID)
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("PolicyList = %d", len(list))
		}
		if other, _ := st.PolicyList(ctx, "other-domain"); len(other) != 0 {
			t.Fatal("PolicyList leaks across domains")
		}
	})
	s.run(t, "GrantsAndCascades", func(t *testing.T, st imsd.Store) {
		f := setupIAM(t, st)
		grants := []*imsd.Grant{
			{DomainID: f.d.ID, GroupID: f.g1.ID, PolicyID: f.p.ID, Scope: imsd.ScopeProject, ScopeID: "p1", CreatedAt: at(time.Second)},
			{DomainID: f.d.ID, GroupID: f.g1.ID, PolicyID: "system-policy", Scope: imsd.ScopeAllProjects, CreatedAt: at(2 * time.Second)},
			{DomainID: f.d.ID, GroupID: f.g2.ID, PolicyID: f.p.ID, Scope: imsd.ScopeEnterpriseProject, ScopeID: "ep", CreatedAt: at(3 * time.Second)},
		}
		for _, g := range grants {
			must(t, st.GrantInsert(ctx, g))
		}
		must(t, st.GrantInsert(ctx, grants[0])) // idempotent
		wantErr(t, st.GrantInsert(ctx, &imsd.Grant{DomainID: f.d.ID, GroupID: "no-group", PolicyID: f.p.ID, Scope: imsd.ScopeProject, ScopeID: "p1", CreatedAt: at(4 * time.Second)}), imsd.ErrNotFound)
		cases := []struct {
			name string
			q    imsd.GrantQuery
			want int
		}{
			{"domain", imsd.GrantQuery{DomainID: f.d.ID}, 3},
			{"one group", imsd.GrantQuery{DomainID: f.d.ID, GroupIDs: []string{f.g1.ID}}, 2},
			{"no groups", imsd.GrantQuery{DomainID: f.d.ID, GroupIDs: []string{}}, 0},
			{"policy", imsd.GrantQuery{PolicyID: f.p.ID}, 2},
			{"scope", imsd.GrantQuery{Scope: imsd.ScopeEnterpriseProject, ScopeID: "ep"}, 1},
			{"other domain", imsd.GrantQuery{DomainID: "other"}, 0},
		}
		for _, c := range cases {
			got, err := st.GrantList(ctx, c.q)
			must(t, err)
			if len(got) != c.want {
				t.Fatalf("%s: %d grants, want %d", c.name, len(got), c.want)
			}
		}
		all, _ := st.GrantList(ctx, imsd.GrantQuery{DomainID: f.d.ID})
		if !reflect.DeepEqual(all[0], grants[0]) {
			t.Fatalf("grant round trip: %+v vs %+v", all[0], grants[0])
		}
		must(t, st.GrantDelete(ctx, grants[1]))
		wantErr(t, st.GrantDelete(ctx, grants[1]), imsd.ErrNotFound)
		must(t, st.PolicyDelete(ctx, f.p.ID))
		if left, _ := st.GrantList(ctx, imsd.GrantQuery{DomainID: f.d.ID}); len(left) != 0 {
			t.Fatalf("PolicyDelete left %d grants", len(left))
		}
		must(t, st.GrantInsert(ctx, grants[1]))
		must(t, st.GroupMemberAdd(ctx, f.g1.ID, f.u.ID))
		must(t, st.GroupDelete(ctx, f.g1.ID))
		if left, _ := st.GrantList(ctx, imsd.GrantQuery{DomainID: f.d.ID}); len(left) != 0 {
			t.Fatalf("GroupDelete left %d grants", len(left))
		}
		if g, _ := st.GroupListForUser(ctx, f.u.ID); len(g) != 0 {
			t.Fatal("GroupDelete left memberships")
		}
	})
	s.run(t, "RollbackOfIdentityWrites", func(t *testing.T, st imsd.Store) {
		f := setupIAM(t, st)
		err := st.InTx(ctx, func(q imsd.Queries) error {
			must(t, q.GroupMemberAdd(ctx, f.g1.ID, f.u.ID))
			must(t, q.GrantInsert(ctx, &imsd.Grant{DomainID: f.d.ID, GroupID: f.g1.ID, PolicyID: f.p.ID, Scope: imsd.ScopeProject, ScopeID: "p", CreatedAt: at(0)}))
			return imsd.ErrConflict
		})
		wantErr(t, err, imsd.ErrConflict)
		if g, _ := st.GroupListForUser(ctx, f.u.ID); len(g) != 0 {
			t.Fatal("rolled-back membership is visible")
		}
		if gs, _ := st.GrantList(ctx, imsd.GrantQuery{DomainID: f.d.ID}); len(gs) != 0 {
			t.Fatal("rolled-back grant is visible")
		}
	})
}
