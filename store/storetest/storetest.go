// Package storetest is the conformance suite of imsd.Store: every backend
// runs Run against a real database, so the backends cannot drift apart.
//
// The suite tests the contract of imsd.Store and imsd.Queries: exact
// round-trips of every field, ErrNotFound and ErrConflict, transactions,
// the filters, sorting and keyset paging of ImageQuery and the filters of
// GrantQuery (against reference implementations written in Go), the
// deletion cascades of groups, policies and users, and the claiming rules
// of jobs, including under concurrency. Every leaf test runs in parallel on its own store.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/imsd/imsd"
)

// Run runs the conformance suite. open must return a new, empty store for
// every call and close it in t's cleanup; it may skip t when the backend is
// unavailable.
func Run(t *testing.T, open func(t *testing.T) imsd.Store) {
	s := &suite{open: open}
	t.Run("Domain", s.testDomain)
	t.Run("Project", s.testProject)
	t.Run("User", s.testUser)
	t.Run("AccessKey", s.testAccessKey)
	t.Run("AccessKeyResolve", s.testAccessKeyResolve)
	t.Run("EnterpriseProject", s.testEnterpriseProject)
	t.Run("Group", s.testGroup)
	t.Run("GroupMember", s.testGroupMember)
	t.Run("Policy", s.testPolicy)
	t.Run("Grant", s.testGrant)
	t.Run("Key", s.testKey)
	t.Run("Image", s.testImage)
	t.Run("ImageQuery", s.testImageQuery)
	t.Run("ImageMember", s.testImageMember)
	t.Run("Job", s.testJob)
	t.Run("JobClaim", s.testJobClaim)
	t.Run("ScaleOut", s.testScaleOut)
	t.Run("JobFind", s.testJobFind)
	t.Run("Tx", s.testTx)
	t.Run("IdentityTx", s.testIdentityTx)
	t.Run("Audit", s.testAudit)
}

type suite struct {
	open func(t *testing.T) imsd.Store
}

// run runs fn as a parallel subtest on a fresh store.
func (s *suite) run(t *testing.T, name string, fn func(t *testing.T, st imsd.Store)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		fn(t, s.open(t))
	})
}

// base is the reference time of the fixtures: UTC, millisecond precision.
var base = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

// at returns base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// id returns a deterministic UUID for n, so ids do not sort like n.
func id(kind string, n int) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s/%d", kind, n)).String()
}

// must fails the test on an error.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// check fails the test when got differs from want; see diff.
func check(t testing.TB, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); len(d) > 0 {
		t.Fatalf("%s differs:\n\t%s", what, strings.Join(d, "\n\t"))
	}
}

// diff compares two values of the same struct type (or pointers to one)
// field by field. Nil and empty slices and maps are equal; times are equal
// when they are the same instant and got's is in UTC.
func diff(got, want any) []string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Pointer {
		if g.IsNil() || w.IsNil() {
			if g.IsNil() == w.IsNil() {
				return nil
			}
			return []string{fmt.Sprintf("got %v, want %v", got, want)}
		}
		g, w = g.Elem(), w.Elem()
	}
	var out []string
	for i := range g.NumField() {
		gf, wf := g.Field(i), w.Field(i)
		if !same(gf, wf) {
			out = append(out, fmt.Sprintf("%s = %#v, want %#v", g.Type().Field(i).Name, gf.Interface(), wf.Interface()))
		}
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

func same(g, w reflect.Value) bool {
	switch {
	case g.Type() == timeType:
		gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
		return gt.Equal(wt) && gt.Location() == time.UTC
	case g.Kind() == reflect.Slice || g.Kind() == reflect.Map:
		if g.Len() == 0 && w.Len() == 0 {
			return true
		}
	}
	return reflect.DeepEqual(g.Interface(), w.Interface())
}

// ids returns the ids of entities, in order.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for n, x := range xs {
		out[n] = id(x)
	}
	return out
}

// sortedIDs returns the ids of entities, sorted.
func sortedIDs[T any](xs []T, id func(T) string) []string {
	out := ids(xs, id)
	sort.Strings(out)
	return out
}

// checkIDs fails the test unless got and want hold the same ids in the
// same order.
func checkIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s:\n\tgot  %v\n\twant %v", what, got, want)
	}
}
