package auth

import (
	"sync"
	"time"
)

// Lockout counts authentication failures per key (a user, an access key)
// and locks the key for a while after too many, as Huawei Cloud does: a
// password login is refused for 15 minutes after 5 failures within 15
// minutes, and an access key for 5 minutes after 5 failed signatures in a
// row. Only the key that failed is locked; everyone else is unaffected.
//
// A Lockout is in memory, so each server node counts on its own (documented
// in docs/compat.md). It holds at most MaxKeys keys: when full, it forgets
// the keys whose state has expired, then the oldest, so a flood of invented
// names cannot grow it without bound. The zero value is not usable; use
// NewLockout.
type Lockout struct {
	mu      sync.Mutex
	now     func() time.Time
	policy  LockoutPolicy
	entries map[string]*lockEntry
}

// LockoutPolicy sets when a key locks.
type LockoutPolicy struct {
	// LockAfter is the number of failures within Window that locks the key.
	LockAfter int
	// Window is how long failures are remembered: a failure older than
	// Window no longer counts (the "reset the lock counter" time).
	Window time.Duration
	// LockFor is how long a locked key stays locked.
	LockFor time.Duration
	// MaxKeys bounds the memory used (default 100,000 keys).
	MaxKeys int
}

// Huawei Cloud's documented defaults.
var (
	// PasswordLockout: 5 failed logins within 15 minutes lock the user for
	// 15 minutes.
	PasswordLockout = LockoutPolicy{LockAfter: 5, Window: 15 * time.Minute, LockFor: 15 * time.Minute}
	// AccessKeyLockout: more than 5 failed signatures in a row (within 5
	// minutes) lock the access key for 5 minutes.
	AccessKeyLockout = LockoutPolicy{LockAfter: 6, Window: 5 * time.Minute, LockFor: 5 * time.Minute}
)

type lockEntry struct {
	failures    int
	firstFailed time.Time
	lockedUntil time.Time
	touched     time.Time
}

// NewLockout returns a Lockout with the given policy; now is the clock
// (nil means time.Now).
func NewLockout(p LockoutPolicy, now func() time.Time) *Lockout {
	if now == nil {
		now = time.Now
	}
	if p.MaxKeys <= 0 {
		p.MaxKeys = 100_000
	}
	return &Lockout{now: now, policy: p, entries: map[string]*lockEntry{}}
}

// Locked reports whether key is locked now, and until when.
func (l *Lockout) Locked(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok {
		return false, time.Time{}
	}
	now := l.now()
	if now.Before(e.lockedUntil) {
		return true, e.lockedUntil
	}
	return false, time.Time{}
}

// Fail records a failure of key and reports whether it is now locked.
func (l *Lockout) Fail(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.entries[key]
	if !ok {
		l.makeRoom(now)
		e = &lockEntry{}
		l.entries[key] = e
	}
	e.touched = now
	if now.Before(e.lockedUntil) {
		return true
	}
	if e.failures == 0 || now.Sub(e.firstFailed) > l.policy.Window || !e.lockedUntil.IsZero() {
		e.failures, e.firstFailed, e.lockedUntil = 0, now, time.Time{}
	}
	e.failures++
	if e.failures >= l.policy.LockAfter {
		e.lockedUntil = now.Add(l.policy.LockFor)
		return true
	}
	return false
}

// Succeed records a success of key: its failures are forgotten.
func (l *Lockout) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// makeRoom keeps the map under MaxKeys: expired entries go first, then the
// least recently touched. Called with mu held, before an insert.
func (l *Lockout) makeRoom(now time.Time) {
	if len(l.entries) < l.policy.MaxKeys {
		return
	}
	var oldestKey string
	var oldest time.Time
	for k, e := range l.entries {
		if !now.Before(e.lockedUntil) && now.Sub(e.firstFailed) > l.policy.Window {
			delete(l.entries, k)
			continue
		}
		if oldestKey == "" || e.touched.Before(oldest) {
			oldestKey, oldest = k, e.touched
		}
	}
	if len(l.entries) >= l.policy.MaxKeys {
		delete(l.entries, oldestKey)
	}
}
