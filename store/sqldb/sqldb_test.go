package sqldb

import (
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct {
		numbered bool
		in, want string
	}{
		{false, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = ? AND c IN (?, ?)"},
		{true, "SELECT a FROM t WHERE b = ? AND c IN (?, ?)", "SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)"},
		{true, "SELECT 1", "SELECT 1"},
		{true, "?" + placeholders(10), "$1$2, $3, $4, $5, $6, $7, $8, $9, $10, $11"},
	} {
		q := &queries{d: &Dialect{NumberedPlaceholders: c.numbered}}
		if got := q.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	for n, want := range []string{"", "?", "?, ?", "?, ?, ?"} {
		if got := placeholders(n); got != want {
			t.Errorf("placeholders(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestTimeDst(t *testing.T) {
	zone := time.FixedZone("UTC+8", 8*3600)
	for _, want := range []time.Time{
		{},
		time.Date(2026, 1, 2, 3, 4, 5, 678_901_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.UTC),
	} {
		var got time.Time
		if err := (timeDst{&got}).Scan(UnixMicro(want)); err != nil {
			t.Fatal(err)
		}
		if got != want { // == also compares the location: both must be UTC
			t.Errorf("unix micro round trip of %v = %v", want, got)
		}
		if err := (timeDst{&got}).Scan(want.In(zone)); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("time.Time scan of %v = %v", want, got)
		}
	}
	var got time.Time
	if err := (timeDst{&got}).Scan("2026-01-01"); err == nil {
		t.Error("a string scanned as a time")
	}
}
