package api

import (
	"testing"
	"time"
)

func TestParseTimeCondition(t *testing.T) {
	cases := []struct {
		name, in string
		op       string
		want     time.Time
		wantErr  bool
	}{
		{"iso", "lt:2018-10-28T10:00:00Z", "lt", time.Date(2018, 10, 28, 10, 0, 0, 0, time.UTC), false},
		{"space form", "gte:2018-10-28 10:00:00", "gte", time.Date(2018, 10, 28, 10, 0, 0, 0, time.UTC), false},
		{"bad op", "after:2018-10-28T10:00:00Z", "", time.Time{}, true},
		{"no op", "2018-10-28T10:00:00Z", "", time.Time{}, true},
		{"bad time", "gt:yesterday", "", time.Time{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTimeCondition(c.in)
			if (err != nil) != c.wantErr {
				t.Fatalf("err=%v, wantErr %v", err, c.wantErr)
			}
			if !c.wantErr && (got.Op != c.op || !got.Time.Equal(c.want)) {
				t.Fatalf("got %+v, want %s %v", got, c.op, c.want)
			}
		})
	}
}
