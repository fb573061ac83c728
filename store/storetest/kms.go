package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// newKey returns a key of the domain's first project with every field set.
func newKey(n int, domainID string) *imsd.Key {
	return &imsd.Key{
		ID:                  id("key", n),
		DomainID:            domainID,
		ProjectID:           id("project", 1),
		Alias:               fmt.Sprintf("key-%d", n),
		Description:         "a test key",
		State:               imsd.KeyEnabled,
		EnterpriseProjectID: imsd.DefaultEnterpriseProject,
		Provider:            "local",
		Material:            []byte{0, 1, 2, byte(n)},
		CreatedAt:           at(time.Duration(n) * time.Second),
		UpdatedAt:           at(time.Duration(n)*time.Second + time.Minute),
	}
}

func keyID(k *imsd.Key) string          { return k.ID }
func aliasName(a *imsd.KeyAlias) string { return a.Alias }

func (s *suite) testKey(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		k := newKey(1, d.ID)
		must(t, st.KeyInsert(t.Context(), k))
		got, err := st.KeyGet(t.Context(), k.ID)
		must(t, err)
		check(t, "KeyGet", got, k)
	})
	s.run(t, "MissingAndDuplicates", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		_, err := st.KeyGet(t.Context(), id("key", 1))
		wantErr(t, err, imsd.ErrNotFound)
		wantErr(t, st.KeyInsert(t.Context(), newKey(1, id("domain", 9))), imsd.ErrNotFound)
		k := newKey(1, d.ID)
		must(t, st.KeyInsert(t.Context(), k))
		dupID := newKey(2, d.ID)
		dupID.ID = k.ID
		wantErr(t, st.KeyInsert(t.Context(), dupID), imsd.ErrConflict)
		dupAlias := newKey(3, d.ID)
		dupAlias.Alias = k.Alias
		wantErr(t, st.KeyInsert(t.Context(), dupAlias), imsd.ErrConflict)
		otherProject := newKey(4, d.ID)
		otherProject.Alias, otherProject.ProjectID = k.Alias, id("project", 2)
		must(t, st.KeyInsert(t.Context(), otherProject))
		wantErr(t, st.KeyUpdate(t.Context(), newKey(5, d.ID)), imsd.ErrNotFound)
		wantErr(t, st.KeyDelete(t.Context(), id("key", 5)), imsd.ErrNotFound)
	})
	s.run(t, "ListUpdateDue", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		var want []*imsd.Key
		for n := 1; n <= 5; n++ {
			k := newKey(n, d.ID)
			if n%2 == 0 {
				k.ProjectID = id("project", 2)
			} else {
				want = append(want, k)
			}
			must(t, st.KeyInsert(t.Context(), k))
		}
		got, err := st.KeyList(t.Context(), id("project", 1))
		must(t, err)
		checkIDs(t, "KeyList", ids(got, keyID), ids(want, keyID))

		k := want[1]
		k.Alias, k.Description, k.State, k.EnterpriseProjectID = "renamed", "changed", imsd.KeyPendingDeletion, id("ep", 1)
		k.UpdatedAt, k.DeletionDate = at(time.Hour), at(7*24*time.Hour)
		must(t, st.KeyUpdate(t.Context(), k))
		got1, err := st.KeyGet(t.Context(), k.ID)
		must(t, err)
		check(t, "KeyGet after KeyUpdate", got1, k)
		due, err := st.KeyListDue(t.Context(), at(7*24*time.Hour))
		must(t, err)
		checkIDs(t, "KeyListDue before the date", ids(due, keyID), nil)
		due, err = st.KeyListDue(t.Context(), at(8*24*time.Hour))
		must(t, err)
		checkIDs(t, "KeyListDue after the date", ids(due, keyID), []string{k.ID})
	})
	s.run(t, "Aliases", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		k1, k2 := newKey(1, d.ID), newKey(2, d.ID)
		must(t, st.KeyInsert(t.Context(), k1))
		must(t, st.KeyInsert(t.Context(), k2))
		alias := func(name, key string) *imsd.KeyAlias {
			return &imsd.KeyAlias{Alias: name, DomainID: d.ID, ProjectID: id("project", 1), KeyID: key, CreatedAt: at(0), UpdatedAt: at(time.Second)}
		}
		a := alias("alias/b", k1.ID)
		must(t, st.KeyAliasInsert(t.Context(), a))
		must(t, st.KeyAliasInsert(t.Context(), alias("alias/a", k2.ID)))
		must(t, st.KeyAliasInsert(t.Context(), alias("alias/c", k1.ID)))
		wantErr(t, st.KeyAliasInsert(t.Context(), alias("alias/b", k2.ID)), imsd.ErrConflict)
		wantErr(t, st.KeyAliasInsert(t.Context(), alias("alias/d", id("key", 9))), imsd.ErrNotFound)
		got, err := st.KeyAliasGet(t.Context(), a.ProjectID, a.Alias)
		must(t, err)
		check(t, "KeyAliasGet", got, a)
		_, err = st.KeyAliasGet(t.Context(), id("project", 2), a.Alias)
		wantErr(t, err, imsd.ErrNotFound)
		all, err := st.KeyAliasList(t.Context(), a.ProjectID, "")
		must(t, err)
		checkIDs(t, "KeyAliasList", ids(all, aliasName), []string{"alias/a", "alias/b", "alias/c"})
		of1, err := st.KeyAliasList(t.Context(), a.ProjectID, k1.ID)
		must(t, err)
		checkIDs(t, "KeyAliasList of a key", ids(of1, aliasName), []string{"alias/b", "alias/c"})

		a.KeyID, a.UpdatedAt = k2.ID, at(time.Hour)
		must(t, st.KeyAliasUpdate(t.Context(), a))
		got, err = st.KeyAliasGet(t.Context(), a.ProjectID, a.Alias)
		must(t, err)
		check(t, "KeyAliasGet after KeyAliasUpdate", got, a)
		must(t, st.KeyAliasDelete(t.Context(), a.ProjectID, "alias/a"))
		wantErr(t, st.KeyAliasDelete(t.Context(), a.ProjectID, "alias/a"), imsd.ErrNotFound)

		// Deleting a key removes its aliases.
		must(t, st.KeyDelete(t.Context(), k2.ID))
		all, err = st.KeyAliasList(t.Context(), a.ProjectID, "")
		must(t, err)
		checkIDs(t, "KeyAliasList after KeyDelete", ids(all, aliasName), []string{"alias/c"})
	})
	s.run(t, "LockInTx", func(t *testing.T, st imsd.Store) {
		d := seedDomains(t, st, 1)[0]
		k := newKey(1, d.ID)
		must(t, st.KeyInsert(t.Context(), k))
		must(t, st.KeyLock(t.Context(), k.ID)) // outside a transaction: no-op
		must(t, st.InTx(t.Context(), func(q imsd.Queries) error {
			if err := q.KeyLock(context.Background(), k.ID); err != nil {
				return err
			}
			k.State = imsd.KeyDisabled
			return q.KeyUpdate(t.Context(), k)
		}))
	})
}
