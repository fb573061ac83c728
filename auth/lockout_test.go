package auth

import (
	"fmt"
	"testing"
	"time"
)

func TestLockout(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	policy := LockoutPolicy{LockAfter: 3, Window: 10 * time.Minute, LockFor: 5 * time.Minute}

	t.Run("locks after LockAfter failures, only that key", func(t *testing.T) {
		l := NewLockout(policy, clock)
		for i := 1; i <= 2; i++ {
			if l.Fail("alice") {
				t.Fatalf("locked after %d failures", i)
			}
		}
		if !l.Fail("alice") {
			t.Fatal("not locked after 3 failures")
		}
		if locked, until := l.Locked("alice"); !locked || !until.Equal(now.Add(5*time.Minute)) {
			t.Fatalf("Locked = %v until %v", locked, until)
		}
		if locked, _ := l.Locked("bob"); locked {
			t.Fatal("another key is locked")
		}
	})
	t.Run("unlocks after LockFor and counts afresh", func(t *testing.T) {
		l := NewLockout(policy, func() time.Time { return now })
		start := now
		defer func() { now = start }()
		for range 3 {
			l.Fail("k")
		}
		now = now.Add(5*time.Minute + time.Second)
		if locked, _ := l.Locked("k"); locked {
			t.Fatal("still locked after LockFor")
		}
		if l.Fail("k") {
			t.Fatal("one failure after the lock expired locked again")
		}
	})
	t.Run("failures older than Window do not count", func(t *testing.T) {
		l := NewLockout(policy, func() time.Time { return now })
		start := now
		defer func() { now = start }()
		l.Fail("k")
		l.Fail("k")
		now = now.Add(11 * time.Minute)
		if l.Fail("k") {
			t.Fatal("locked by failures outside the window")
		}
	})
	t.Run("success forgets failures", func(t *testing.T) {
		l := NewLockout(policy, clock)
		l.Fail("k")
		l.Fail("k")
		l.Succeed("k")
		first, second := l.Fail("k"), l.Fail("k")
		if first || second {
			t.Fatal("failures before a success still counted")
		}
	})
	t.Run("bounded memory", func(t *testing.T) {
		p := policy
		p.MaxKeys = 100
		l := NewLockout(p, clock)
		for i := range 1000 {
			l.Fail(fmt.Sprint("invented-", i))
		}
		if n := len(l.entries); n > 100 {
			t.Fatalf("%d keys kept, limit 100", n)
		}
		for range 3 {
			l.Fail("target")
		}
		if locked, _ := l.Locked("target"); !locked {
			t.Fatal("a key inserted when full is not tracked")
		}
	})
}
