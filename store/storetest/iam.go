package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// Fixtures and tests of the IAM entities: groups, memberships, custom
// policies and grants (imsd.IdentityQueries).

func newGroup(n int, domainID string) *imsd.Group {
	return &imsd.Group{
		ID:          id("group", n),
		DomainID:    domainID,
		Name:        fmt.Sprintf("group-%d", n),
		Description: fmt.Sprintf("group %d", n),
		CreatedAt:   at(time.Duration(n)*time.Second + 7*time.Millisecond),
	}
}

func newPolicy(n int, domainID string) *imsd.Policy {
	return &imsd.Policy{
		ID:          id("policy", n),
		DomainID:    domainID,
		Name:        fmt.Sprintf("policy-%d", n),
		Description: fmt.Sprintf("policy %d", n),
		Type:        "XA",
		Document: fmt.Appendf(nil, `{"Version":"1.1","Statement":[{"Sid":"s%d","Effect":"Allow",`+
			`"Action":["ims:images:get","ims:images:list"],"Condition":{"StringEquals":{"ims:x":["é✓"]}}}]}`, n),
		CreatedAt: at(time.Duration(n) * time.Second),
		UpdatedAt: at(time.Duration(n)*time.Second + time.Hour),
	}
}

func newGrant(g *imsd.Group, policyID string, scope imsd.GrantScope, scopeID string, created time.Duration) *imsd.Grant {
	return &imsd.Grant{DomainID: g.DomainID, GroupID: g.ID, PolicyID: policyID, Scope: scope, ScopeID: scopeID, CreatedAt: at(created)}
}

// systemPolicy is the id of a system policy: grants may name it although
// no policy with that id is stored.
const systemPolicy = "system-ims-full-access"

// iamWorld is two domains with users, groups and policies.
type iamWorld struct {
	d1, d2     *imsd.Domain
	u1, u2, u3 *imsd.User   // u1, u2 in d1; u3 in d2
	g1, g2, g3 *imsd.Group  // g1, g2 in d1; g3 in d2
	p1, p2, p3 *imsd.Policy // p1, p2 in d1; p3 in d2
}

func seedIAM(t *testing.T, q imsd.Queries) *iamWorld {
	t.Helper()
	ds := seedDomains(t, q, 2)
	w := &iamWorld{d1: ds[0], d2: ds[1]}
	w.u1, w.u2, w.u3 = newUser(1, w.d1.ID), newUser(2, w.d1.ID), newUser(3, w.d2.ID)
	w.g1, w.g2, w.g3 = newGroup(1, w.d1.ID), newGroup(2, w.d1.ID), newGroup(3, w.d2.ID)
	w.p1, w.p2, w.p3 = newPolicy(1, w.d1.ID), newPolicy(2, w.d1.ID), newPolicy(3, w.d2.ID)
	for _, u := range []*imsd.User{w.u1, w.u2, w.u3} {
		must(t, q.UserInsert(t.Context(), u))
	}
	for _, g := range []*imsd.Group{w.g1, w.g2, w.g3} {
		must(t, q.GroupInsert(t.Context(), g))
	}
	for _, p := range []*imsd.Policy{w.p1, w.p2, w.p3} {
		must(t, q.PolicyInsert(t.Context(), p))
	}
	return w
}

// byteOrderNames are names whose byte order differs from the order of
// most linguistic collations (case and punctuation).
var byteOrderNames = []string{"dev", "Ops", "admin", "_sys", "Zeta", "b-team", "bteam", "Admin"}

func groupID(g *imsd.Group) string   { return g.ID }
func policyID(p *imsd.Policy) string { return p.ID }

// grantKey is the identity of a grant.
func grantKey(g *imsd.Grant) string {
	return strings.Join([]string{g.DomainID, g.GroupID, g.PolicyID, string(g.Scope), g.ScopeID}, "|")
}

// wantGroups checks that got holds exactly want, in order, field by field.
func wantGroups(t *testing.T, what string, got []*imsd.Group, want ...*imsd.Group) {
	t.Helper()
	checkIDs(t, what, ids(got, groupID), ids(want, groupID))
	for n := range got {
		check(t, what, got[n], want[n])
	}
}

func wantUsers(t *testing.T, what string, got []*imsd.User, want ...*imsd.User) {
	t.Helper()
	checkIDs(t, what, ids(got, userID), ids(want, userID))
	for n := range got {
		check(t, what, got[n], want[n])
	}
}

func wantGrants(t *testing.T, q imsd.Queries, what string, gq imsd.GrantQuery, want ...*imsd.Grant) {
	t.Helper()
	got, err := q.GrantList(t.Context(), gq)
	must(t, err)
	checkIDs(t, what, ids(got, grantKey), ids(want, grantKey))
	for n := range got {
		check(t, what, got[n], want[n])
	}
}

// sortByName orders entities as lists do: by name, then id, bytewise.
func sortByName[T any](xs []T, name, id func(T) string) {
	slices.SortFunc(xs, func(a, b T) int {
		return cmp.Or(strings.Compare(name(a), name(b)), strings.Compare(id(a), id(b)))
	})
}

func (s *suite) testGroup(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		g := newGroup(1, d.ID)
		must(t, st.GroupInsert(t.Context(), g))
		got, err := st.GroupGet(t.Context(), g.ID)
		must(t, err)
		check(t, "GroupGet", got, g)
		got, err = st.GroupGetByName(t.Context(), d.ID, g.Name)
		must(t, err)
		check(t, "GroupGetByName", got, g)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		g := newGroup(1, ds[0].ID)
		must(t, st.GroupInsert(t.Context(), g))
		_, err := st.GroupGet(t.Context(), id("group", 2))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.GroupGetByName(t.Context(), ds[1].ID, g.Name)
		wantErr(t, err, imsd.ErrNotFound)
		wantErr(t, st.GroupInsert(t.Context(), newGroup(3, id("domain", 9))), imsd.ErrNotFound)
	})
	s.run(t, "Duplicates", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		g := newGroup(1, ds[0].ID)
		must(t, st.GroupInsert(t.Context(), g))
		dupID := newGroup(2, ds[0].ID)
		dupID.ID = g.ID
		wantErr(t, st.GroupInsert(t.Context(), dupID), imsd.ErrConflict)
		dupName := newGroup(3, ds[0].ID)
		dupName.Name = g.Name
		wantErr(t, st.GroupInsert(t.Context(), dupName), imsd.ErrConflict)
		// The same name in another domain is fine.
		other := newGroup(4, ds[1].ID)
		other.Name = g.Name
		must(t, st.GroupInsert(t.Context(), other))
		got, err := st.GroupGetByName(t.Context(), ds[1].ID, g.Name)
		must(t, err)
		check(t, "GroupGetByName in the other domain", got, other)
		got, err = st.GroupGetByName(t.Context(), ds[0].ID, g.Name)
		must(t, err)
		check(t, "GroupGetByName in the first domain", got, g)
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		var want []*imsd.Group
		for n, name := range byteOrderNames {
			g := newGroup(n+1, ds[n%2].ID)
			g.Name = name
			must(t, st.GroupInsert(t.Context(), g))
			if n%2 == 0 {
				want = append(want, g)
			}
		}
		sortByName(want, func(g *imsd.Group) string { return g.Name }, groupID)
		got, err := st.GroupList(t.Context(), ds[0].ID)
		must(t, err)
		wantGroups(t, "GroupList", got, want...)
		got, err = st.GroupList(t.Context(), id("domain", 9))
		must(t, err)
		wantGroups(t, "GroupList of an unknown domain", got)
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		g, other := newGroup(1, ds[0].ID), newGroup(2, ds[0].ID)
		must(t, st.GroupInsert(t.Context(), g))
		must(t, st.GroupInsert(t.Context(), other))
		changed := *g
		changed.Name, changed.Description = "renamed", "changed"
		changed.DomainID, changed.CreatedAt = ds[1].ID, at(time.Hour) // never change
		must(t, st.GroupUpdate(t.Context(), &changed))
		want := *g
		want.Name, want.Description = changed.Name, changed.Description
		got, err := st.GroupGet(t.Context(), g.ID)
		must(t, err)
		check(t, "updated group", got, &want)
		_, err = st.GroupGetByName(t.Context(), ds[0].ID, g.Name)
		wantErr(t, err, imsd.ErrNotFound)

		want.Name = other.Name
		wantErr(t, st.GroupUpdate(t.Context(), &want), imsd.ErrConflict)
		wantErr(t, st.GroupUpdate(t.Context(), newGroup(3, ds[0].ID)), imsd.ErrNotFound)
	})
	s.run(t, "Delete", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		g, keep := newGroup(1, d.ID), newGroup(2, d.ID)
		must(t, st.GroupInsert(t.Context(), g))
		must(t, st.GroupInsert(t.Context(), keep))
		must(t, st.GroupDelete(t.Context(), g.ID))
		_, err := st.GroupGet(t.Context(), g.ID)
		wantErr(t, err, imsd.ErrNotFound)
		wantErr(t, st.GroupDelete(t.Context(), g.ID), imsd.ErrNotFound)
		got, err := st.GroupList(t.Context(), d.ID)
		must(t, err)
		wantGroups(t, "GroupList after delete", got, keep)
		must(t, st.GroupInsert(t.Context(), g)) // the name is free again
	})
}

func (s *suite) testGroupMember(t *testing.T) {
	s.run(t, "AddListRemove", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		w.u1.Name, w.u2.Name = "zoe", "Bob" // byte order: Bob, zoe
		must(t, st.UserUpdate(t.Context(), w.u1))
		must(t, st.UserUpdate(t.Context(), w.u2))
		w.g1.Name, w.g2.Name = "zz", "Aa" // byte order: g2, g1
		must(t, st.GroupUpdate(t.Context(), w.g1))
		must(t, st.GroupUpdate(t.Context(), w.g2))
		for _, m := range [][2]string{{w.g1.ID, w.u1.ID}, {w.g2.ID, w.u1.ID}, {w.g1.ID, w.u2.ID}} {
			must(t, st.GroupMemberAdd(t.Context(), m[0], m[1]))
			must(t, st.GroupMemberAdd(t.Context(), m[0], m[1])) // again: not an error
		}
		groups, err := st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "GroupListForUser", groups, w.g2, w.g1)
		users, err := st.UserListForGroup(t.Context(), w.g1.ID)
		must(t, err)
		wantUsers(t, "UserListForGroup", users, w.u2, w.u1)

		must(t, st.GroupMemberRemove(t.Context(), w.g1.ID, w.u1.ID))
		wantErr(t, st.GroupMemberRemove(t.Context(), w.g1.ID, w.u1.ID), imsd.ErrNotFound)
		wantErr(t, st.GroupMemberRemove(t.Context(), w.g2.ID, w.u2.ID), imsd.ErrNotFound)
		wantErr(t, st.GroupMemberRemove(t.Context(), id("group", 9), w.u1.ID), imsd.ErrNotFound)
		groups, err = st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "GroupListForUser after remove", groups, w.g2)
		users, err = st.UserListForGroup(t.Context(), w.g1.ID)
		must(t, err)
		wantUsers(t, "UserListForGroup after remove", users, w.u2)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		wantErr(t, st.GroupMemberAdd(t.Context(), id("group", 9), w.u1.ID), imsd.ErrNotFound)
		wantErr(t, st.GroupMemberAdd(t.Context(), w.g1.ID, id("user", 9)), imsd.ErrNotFound)
		groups, err := st.GroupListForUser(t.Context(), id("user", 9))
		must(t, err)
		wantGroups(t, "GroupListForUser of an unknown user", groups)
		users, err := st.UserListForGroup(t.Context(), id("group", 9))
		must(t, err)
		wantUsers(t, "UserListForGroup of an unknown group", users)
	})
	s.run(t, "OtherDomain", func(t *testing.T, st imsd.Store) {
		// A group's members are users of its domain: a user of another
		// domain does not exist there.
		w := seedIAM(t, st)
		wantErr(t, st.GroupMemberAdd(t.Context(), w.g1.ID, w.u3.ID), imsd.ErrNotFound)
		wantErr(t, st.GroupMemberAdd(t.Context(), w.g3.ID, w.u1.ID), imsd.ErrNotFound)
		must(t, st.GroupMemberAdd(t.Context(), w.g3.ID, w.u3.ID))
		users, err := st.UserListForGroup(t.Context(), w.g1.ID)
		must(t, err)
		wantUsers(t, "UserListForGroup", users)
		groups, err := st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "GroupListForUser", groups)
	})
	s.run(t, "UserDelete", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		must(t, st.GroupMemberAdd(t.Context(), w.g1.ID, w.u1.ID))
		must(t, st.GroupMemberAdd(t.Context(), w.g2.ID, w.u1.ID))
		must(t, st.GroupMemberAdd(t.Context(), w.g1.ID, w.u2.ID))
		must(t, st.UserDelete(t.Context(), w.u1.ID))
		users, err := st.UserListForGroup(t.Context(), w.g1.ID)
		must(t, err)
		wantUsers(t, "members after UserDelete", users, w.u2)
		// The memberships are gone, not hidden: a new user with the same
		// id is in no group.
		must(t, st.UserInsert(t.Context(), w.u1))
		groups, err := st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "groups of a recreated user", groups)
		wantErr(t, st.GroupMemberRemove(t.Context(), w.g2.ID, w.u1.ID), imsd.ErrNotFound)
	})
	s.run(t, "GroupDelete", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		must(t, st.GroupMemberAdd(t.Context(), w.g1.ID, w.u1.ID))
		must(t, st.GroupMemberAdd(t.Context(), w.g2.ID, w.u1.ID))
		must(t, st.GroupDelete(t.Context(), w.g1.ID))
		groups, err := st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "groups after GroupDelete", groups, w.g2)
		wantErr(t, st.GroupMemberAdd(t.Context(), w.g1.ID, w.u1.ID), imsd.ErrNotFound)
		must(t, st.GroupInsert(t.Context(), w.g1))
		users, err := st.UserListForGroup(t.Context(), w.g1.ID)
		must(t, err)
		wantUsers(t, "members of a recreated group", users)
	})
}

func (s *suite) testPolicy(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		p := newPolicy(1, d.ID)
		must(t, st.PolicyInsert(t.Context(), p))
		got, err := st.PolicyGet(t.Context(), p.ID)
		must(t, err)
		check(t, "PolicyGet", got, p)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		seedDomains(t, st, 1)
		_, err := st.PolicyGet(t.Context(), id("policy", 1))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.PolicyGet(t.Context(), systemPolicy) // system policies are not stored
		wantErr(t, err, imsd.ErrNotFound)
		wantErr(t, st.PolicyInsert(t.Context(), newPolicy(2, id("domain", 9))), imsd.ErrNotFound)
	})
	s.run(t, "Duplicates", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		p := newPolicy(1, ds[0].ID)
		must(t, st.PolicyInsert(t.Context(), p))
		dupID := newPolicy(2, ds[0].ID)
		dupID.ID = p.ID
		wantErr(t, st.PolicyInsert(t.Context(), dupID), imsd.ErrConflict)
		dupName := newPolicy(3, ds[0].ID)
		dupName.Name = p.Name
		wantErr(t, st.PolicyInsert(t.Context(), dupName), imsd.ErrConflict)
		other := newPolicy(4, ds[1].ID)
		other.Name = p.Name
		must(t, st.PolicyInsert(t.Context(), other))
		got, err := st.PolicyGet(t.Context(), other.ID)
		must(t, err)
		check(t, "policy of the same name in another domain", got, other)
	})
	s.run(t, "List", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		var want []*imsd.Policy
		for n, name := range byteOrderNames {
			p := newPolicy(n+1, ds[n%2].ID)
			p.Name = name
			must(t, st.PolicyInsert(t.Context(), p))
			if n%2 == 1 {
				want = append(want, p)
			}
		}
		sortByName(want, func(p *imsd.Policy) string { return p.Name }, policyID)
		got, err := st.PolicyList(t.Context(), ds[1].ID)
		must(t, err)
		checkIDs(t, "PolicyList", ids(got, policyID), ids(want, policyID))
		for n := range got {
			check(t, "PolicyList", got[n], want[n])
		}
		got, err = st.PolicyList(t.Context(), id("domain", 9))
		must(t, err)
		checkIDs(t, "PolicyList of an unknown domain", ids(got, policyID), nil)
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		ds := seedDomains(t, st, 2)
		p, other := newPolicy(1, ds[0].ID), newPolicy(2, ds[0].ID)
		must(t, st.PolicyInsert(t.Context(), p))
		must(t, st.PolicyInsert(t.Context(), other))
		changed := *p
		changed.Name, changed.Description, changed.Type = "renamed", "changed", "AX"
		changed.Document = []byte(`{"Version":"1.1","Statement":[{"Effect":"Deny","Action":["ims:*:*"]}]}`)
		changed.UpdatedAt = at(2 * time.Hour)
		changed.DomainID, changed.CreatedAt = ds[1].ID, at(3*time.Hour) // never change
		must(t, st.PolicyUpdate(t.Context(), &changed))
		want := changed
		want.DomainID, want.CreatedAt = p.DomainID, p.CreatedAt
		got, err := st.PolicyGet(t.Context(), p.ID)
		must(t, err)
		check(t, "updated policy", got, &want)

		want.Name = other.Name
		wantErr(t, st.PolicyUpdate(t.Context(), &want), imsd.ErrConflict)
		wantErr(t, st.PolicyUpdate(t.Context(), newPolicy(3, ds[0].ID)), imsd.ErrNotFound)
	})
	s.run(t, "Delete", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		gone := []*imsd.Grant{
			newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 1), time.Second),
			newGrant(w.g2, w.p1.ID, imsd.ScopeDomain, w.d1.ID, 2*time.Second),
		}
		kept := []*imsd.Grant{
			newGrant(w.g1, w.p2.ID, imsd.ScopeProject, id("project", 1), 3*time.Second),
			newGrant(w.g1, systemPolicy, imsd.ScopeAllProjects, "", 4*time.Second),
			newGrant(w.g3, w.p3.ID, imsd.ScopeAllProjects, "", 5*time.Second),
		}
		for _, g := range append(slices.Clone(gone), kept...) {
			must(t, st.GrantInsert(t.Context(), g))
		}
		must(t, st.PolicyDelete(t.Context(), w.p1.ID))
		_, err := st.PolicyGet(t.Context(), w.p1.ID)
		wantErr(t, err, imsd.ErrNotFound)
		wantGrants(t, st, "grants after PolicyDelete", imsd.GrantQuery{}, kept...)
		wantErr(t, st.PolicyDelete(t.Context(), w.p1.ID), imsd.ErrNotFound)
		// A system policy is not stored: deleting it fails and keeps its
		// grants.
		wantErr(t, st.PolicyDelete(t.Context(), systemPolicy), imsd.ErrNotFound)
		wantGrants(t, st, "grants after a failed PolicyDelete", imsd.GrantQuery{}, kept...)
		must(t, st.PolicyInsert(t.Context(), w.p1)) // the name is free again
	})
}

func (s *suite) testGrant(t *testing.T) {
	s.run(t, "InsertList", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		custom := newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 1), time.Second)
		system := newGrant(w.g1, systemPolicy, imsd.ScopeAllProjects, "", 2*time.Second)
		must(t, st.GrantInsert(t.Context(), custom))
		must(t, st.GrantInsert(t.Context(), system)) // no stored policy needed
		wantGrants(t, st, "GrantList", imsd.GrantQuery{DomainID: w.d1.ID}, custom, system)
	})
	s.run(t, "Idempotent", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		g := newGrant(w.g1, w.p1.ID, imsd.ScopeEnterpriseProject, id("ep", 1), time.Second)
		must(t, st.GrantInsert(t.Context(), g))
		must(t, st.GrantInsert(t.Context(), g))
		again := *g
		again.CreatedAt = at(time.Hour)
		must(t, st.GrantInsert(t.Context(), &again)) // the first creation time stays
		wantGrants(t, st, "GrantList", imsd.GrantQuery{}, g)
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		orphan := newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 1), time.Second)
		orphan.GroupID = id("group", 9)
		wantErr(t, st.GrantInsert(t.Context(), orphan), imsd.ErrNotFound)
		// The group must be one of the grant's domain.
		foreign := newGrant(w.g3, w.p1.ID, imsd.ScopeDomain, w.d1.ID, time.Second)
		foreign.DomainID = w.d1.ID
		wantErr(t, st.GrantInsert(t.Context(), foreign), imsd.ErrNotFound)
		wantGrants(t, st, "GrantList", imsd.GrantQuery{})
	})
	s.run(t, "Delete", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		g := newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 1), time.Second)
		keep := newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 2), 2*time.Second)
		must(t, st.GrantInsert(t.Context(), g))
		must(t, st.GrantInsert(t.Context(), keep))
		for _, change := range []func(*imsd.Grant){
			func(x *imsd.Grant) { x.DomainID = w.d2.ID },
			func(x *imsd.Grant) { x.GroupID = w.g2.ID },
			func(x *imsd.Grant) { x.PolicyID = w.p2.ID },
			func(x *imsd.Grant) { x.Scope = imsd.ScopeDomain },
			func(x *imsd.Grant) { x.ScopeID = id("project", 3) },
		} {
			other := *g
			change(&other)
			wantErr(t, st.GrantDelete(t.Context(), &other), imsd.ErrNotFound)
		}
		other := *g
		other.CreatedAt = at(time.Hour) // not part of a grant's identity
		must(t, st.GrantDelete(t.Context(), &other))
		wantErr(t, st.GrantDelete(t.Context(), g), imsd.ErrNotFound)
		wantGrants(t, st, "GrantList after delete", imsd.GrantQuery{}, keep)
	})
	s.run(t, "GroupDelete", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		gone := newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 1), time.Second)
		gone2 := newGrant(w.g1, systemPolicy, imsd.ScopeAllProjects, "", 2*time.Second)
		kept := newGrant(w.g2, w.p1.ID, imsd.ScopeProject, id("project", 1), 3*time.Second)
		for _, g := range []*imsd.Grant{gone, gone2, kept} {
			must(t, st.GrantInsert(t.Context(), g))
		}
		must(t, st.GroupDelete(t.Context(), w.g1.ID))
		wantGrants(t, st, "grants after GroupDelete", imsd.GrantQuery{}, kept)
		must(t, st.GroupInsert(t.Context(), w.g1))
		wantGrants(t, st, "grants of a recreated group", imsd.GrantQuery{GroupIDs: []string{w.g1.ID}})
	})
	s.run(t, "Query", func(t *testing.T, st imsd.Store) {
		testGrantQuery(t, st)
	})
}

// testGrantQuery stores grants across domains, groups, policies and scopes
// and checks GrantList against a filter written in Go.
func testGrantQuery(t *testing.T, st imsd.Store) {
	w := seedIAM(t, st)
	g4 := newGroup(4, w.d1.ID)
	must(t, st.GroupInsert(t.Context(), g4))
	groups := []*imsd.Group{w.g1, w.g2, g4, w.g3}
	policies := map[string][]string{
		w.d1.ID: {w.p1.ID, w.p2.ID, systemPolicy},
		w.d2.ID: {w.p3.ID, systemPolicy},
	}
	type scope struct {
		scope imsd.GrantScope
		id    func(*imsd.Group) string
	}
	scopes := []scope{
		{imsd.ScopeProject, func(*imsd.Group) string { return id("project", 1) }},
		{imsd.ScopeProject, func(*imsd.Group) string { return id("project", 2) }},
		{imsd.ScopeAllProjects, func(*imsd.Group) string { return "" }},
		{imsd.ScopeDomain, func(g *imsd.Group) string { return g.DomainID }},
		{imsd.ScopeEnterpriseProject, func(*imsd.Group) string { return id("ep", 1) }},
	}
	var all []*imsd.Grant
	n := 0
	for _, g := range groups {
		for _, p := range policies[g.DomainID] {
			for _, sc := range scopes {
				n++
				if n%3 == 0 {
					continue // leave holes
				}
				// Creation times repeat, so ties are broken by the key.
				gr := newGrant(g, p, sc.scope, sc.id(g), time.Duration(n%7)*time.Second)
				must(t, st.GrantInsert(t.Context(), gr))
				all = append(all, gr)
			}
		}
	}
	slices.SortFunc(all, func(a, b *imsd.Grant) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.GroupID, b.GroupID),
			strings.Compare(a.PolicyID, b.PolicyID), strings.Compare(string(a.Scope), string(b.Scope)),
			strings.Compare(a.ScopeID, b.ScopeID))
	})
	match := func(q imsd.GrantQuery, g *imsd.Grant) bool {
		return (q.DomainID == "" || g.DomainID == q.DomainID) &&
			(q.GroupIDs == nil || slices.Contains(q.GroupIDs, g.GroupID)) &&
			(q.PolicyID == "" || g.PolicyID == q.PolicyID) &&
			(q.Scope == "" || g.Scope == q.Scope) &&
			(q.ScopeID == "" || g.ScopeID == q.ScopeID)
	}
	for _, c := range []struct {
		name  string
		q     imsd.GrantQuery
		empty bool // the query must match nothing
	}{
		{name: "all", q: imsd.GrantQuery{}},
		{name: "domain", q: imsd.GrantQuery{DomainID: w.d1.ID}},
		{name: "other domain", q: imsd.GrantQuery{DomainID: w.d2.ID}},
		{name: "unknown domain", q: imsd.GrantQuery{DomainID: id("domain", 9)}, empty: true},
		{name: "one group", q: imsd.GrantQuery{GroupIDs: []string{w.g2.ID}}},
		{name: "groups", q: imsd.GrantQuery{DomainID: w.d1.ID, GroupIDs: []string{w.g1.ID, g4.ID, id("group", 9)}}},
		{name: "group of another domain", q: imsd.GrantQuery{DomainID: w.d1.ID, GroupIDs: []string{w.g3.ID}}, empty: true},
		// nil GroupIDs means any group, an empty slice none.
		{name: "no groups", q: imsd.GrantQuery{DomainID: w.d1.ID, GroupIDs: []string{}}, empty: true},
		{name: "custom policy", q: imsd.GrantQuery{PolicyID: w.p2.ID}},
		{name: "system policy", q: imsd.GrantQuery{PolicyID: systemPolicy}},
		{name: "system policy in domain", q: imsd.GrantQuery{DomainID: w.d2.ID, PolicyID: systemPolicy}},
		{name: "scope", q: imsd.GrantQuery{DomainID: w.d1.ID, Scope: imsd.ScopeProject}},
		{name: "scope id", q: imsd.GrantQuery{ScopeID: id("project", 2)}},
		{name: "scope and id", q: imsd.GrantQuery{Scope: imsd.ScopeDomain, ScopeID: w.d2.ID}},
		{name: "every field", q: imsd.GrantQuery{DomainID: w.d1.ID, GroupIDs: []string{w.g1.ID, w.g2.ID},
			PolicyID: w.p1.ID, Scope: imsd.ScopeProject, ScopeID: id("project", 1)}},
	} {
		var want []*imsd.Grant
		for _, g := range all {
			if match(c.q, g) {
				want = append(want, g)
			}
		}
		if (len(want) == 0) != c.empty {
			t.Fatalf("%s: the fixture gives %d grants", c.name, len(want))
		}
		wantGrants(t, st, c.name, c.q, want...)
	}
}

// testIdentityTx checks that identity writes take part in transactions.
func (s *suite) testIdentityTx(t *testing.T) {
	s.run(t, "Commit", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		g := newGroup(4, w.d1.ID)
		p := newPolicy(4, w.d1.ID)
		gr := newGrant(g, p.ID, imsd.ScopeAllProjects, "", time.Second)
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error {
			must(t, q.GroupInsert(t.Context(), g))
			must(t, q.PolicyInsert(t.Context(), p))
			must(t, q.GroupMemberAdd(t.Context(), g.ID, w.u1.ID))
			must(t, q.GrantInsert(t.Context(), gr))
			// The transaction reads its own writes.
			groups, err := q.GroupListForUser(t.Context(), w.u1.ID)
			must(t, err)
			wantGroups(t, "GroupListForUser in the transaction", groups, g)
			users, err := q.UserListForGroup(t.Context(), g.ID)
			must(t, err)
			wantUsers(t, "UserListForGroup in the transaction", users, w.u1)
			wantGrants(t, q, "GrantList in the transaction", imsd.GrantQuery{}, gr)
			return nil
		}))
		got, err := st.PolicyGet(t.Context(), p.ID)
		must(t, err)
		check(t, "committed policy", got, p)
		groups, err := st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "committed membership", groups, g)
		wantGrants(t, st, "committed grant", imsd.GrantQuery{}, gr)
	})
	s.run(t, "Rollback", func(t *testing.T, st imsd.Store) {
		w := seedIAM(t, st)
		must(t, st.GroupMemberAdd(t.Context(), w.g1.ID, w.u1.ID))
		kept := []*imsd.Grant{
			newGrant(w.g1, w.p1.ID, imsd.ScopeProject, id("project", 1), time.Second),
			newGrant(w.g2, w.p2.ID, imsd.ScopeProject, id("project", 1), 2*time.Second),
		}
		for _, g := range kept {
			must(t, st.GrantInsert(t.Context(), g))
		}
		errAbort := errors.New("abort")
		err := st.InTx(t.Context(), func(q imsd.Queries) error {
			must(t, q.GroupInsert(t.Context(), newGroup(4, w.d1.ID)))
			must(t, q.PolicyInsert(t.Context(), newPolicy(4, w.d1.ID)))
			must(t, q.GroupMemberAdd(t.Context(), w.g2.ID, w.u1.ID))
			must(t, q.GroupMemberRemove(t.Context(), w.g1.ID, w.u1.ID))
			must(t, q.GrantInsert(t.Context(), newGrant(w.g2, systemPolicy, imsd.ScopeAllProjects, "", 3*time.Second)))
			must(t, q.GrantDelete(t.Context(), kept[1]))
			changed := *w.g1
			changed.Name = "renamed"
			must(t, q.GroupUpdate(t.Context(), &changed))
			changedP := *w.p2
			changedP.Document = []byte(`{}`)
			must(t, q.PolicyUpdate(t.Context(), &changedP))
			must(t, q.PolicyDelete(t.Context(), w.p1.ID))
			must(t, q.GroupDelete(t.Context(), w.g2.ID))
			must(t, q.UserDelete(t.Context(), w.u2.ID))
			return fmt.Errorf("wrapped: %w", errAbort)
		})
		wantErr(t, err, errAbort)
		_, err = st.GroupGet(t.Context(), id("group", 4))
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.PolicyGet(t.Context(), id("policy", 4))
		wantErr(t, err, imsd.ErrNotFound)
		groups, err := st.GroupList(t.Context(), w.d1.ID)
		must(t, err)
		wantGroups(t, "groups after rollback", groups, w.g1, w.g2)
		for _, p := range []*imsd.Policy{w.p1, w.p2} {
			got, err := st.PolicyGet(t.Context(), p.ID)
			must(t, err)
			check(t, "policy after rollback", got, p)
		}
		groups, err = st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "memberships after rollback", groups, w.g1)
		wantGrants(t, st, "grants after rollback", imsd.GrantQuery{}, kept...)
		_, err = st.UserGet(t.Context(), w.u2.ID)
		must(t, err)
	})
	s.run(t, "NotFoundKeepsTxUsable", func(t *testing.T, st imsd.Store) {
		// A membership or grant of a missing group or user reports
		// ErrNotFound without spoiling the transaction, like a duplicate
		// insert reports ErrConflict.
		w := seedIAM(t, st)
		g := newGrant(w.g1, w.p1.ID, imsd.ScopeAllProjects, "", time.Second)
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error {
			wantErr(t, q.GroupMemberAdd(t.Context(), id("group", 9), w.u1.ID), imsd.ErrNotFound)
			wantErr(t, q.GroupMemberAdd(t.Context(), w.g1.ID, w.u3.ID), imsd.ErrNotFound)
			orphan := *g
			orphan.GroupID = id("group", 9)
			wantErr(t, q.GrantInsert(t.Context(), &orphan), imsd.ErrNotFound)
			wantErr(t, q.GroupInsert(t.Context(), newGroup(1, w.d1.ID)), imsd.ErrConflict)
			wantErr(t, q.PolicyInsert(t.Context(), newPolicy(1, w.d1.ID)), imsd.ErrConflict)
			must(t, q.GroupMemberAdd(t.Context(), w.g1.ID, w.u1.ID))
			must(t, q.GroupMemberAdd(t.Context(), w.g1.ID, w.u1.ID))
			must(t, q.GrantInsert(t.Context(), g))
			return q.GrantInsert(t.Context(), g)
		}))
		groups, err := st.GroupListForUser(t.Context(), w.u1.ID)
		must(t, err)
		wantGroups(t, "committed membership", groups, w.g1)
		wantGrants(t, st, "committed grant", imsd.GrantQuery{}, g)
	})
}
