package policy

import (
	"fmt"
	"strings"
)

// Action syntax (iam.md §1.2): "service:resourceType:operation". The service
// is lower-case; resource type and operation are case-insensitive; '*' may
// appear anywhere inside a segment but never spans a ':'; "*:*:*" is every
// action. '?' is not an action wildcard in Huawei's documents and is
// rejected rather than taken literally [inferred, iam.md §7 case 5].

// checkAction returns a problem with action a, or "".
func checkAction(a string) string {
	segs := strings.Split(a, ":")
	if len(segs) != 3 {
		return fmt.Sprintf("%q must have three segments service:resource:operation", a)
	}
	for i, seg := range segs {
		name := [3]string{"service", "resource type", "operation"}[i]
		if seg == "" {
			return fmt.Sprintf("%q has an empty %s", a, name)
		}
		for j := 0; j < len(seg); j++ {
			c := seg[j]
			switch {
			case c == '*', c == '_', c == '-', '0' <= c && c <= '9', 'a' <= c && c <= 'z':
			case 'A' <= c && c <= 'Z':
				if i == 0 {
					return fmt.Sprintf("%q: the service name must be lower-case", a)
				}
			case c == '.' && i > 0:
			case c == '?':
				return fmt.Sprintf("%q: '?' is not a wildcard in actions (only '*' is)", a)
			default:
				return fmt.Sprintf("%q: invalid character %q in the %s", a, c, name)
			}
		}
	}
	return ""
}

// actionService returns the service segment of an action ("" if none).
func actionService(a string) string {
	if i := strings.IndexByte(a, ':'); i >= 0 {
		return a[:i]
	}
	return ""
}

// FNV-1a, used for the exact-action table and the service filter.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// actionKey is a request action prepared once per decision: split into
// segments and hashed case-insensitively, without allocating.
type actionKey struct {
	action       string
	svc, res, op string
	// ok is false unless the action has exactly three segments; such an
	// action matches nothing.
	ok      bool
	hash    uint64 // FNV-1a of the lower-cased action
	svcHash uint64 // FNV-1a of the lower-cased service
	svcBit  uint64 // service filter bit, see svcBitOf
}

// makeActionKey prepares a request action.
func makeActionKey(a string) actionKey {
	k := actionKey{action: a}
	h := uint64(fnvOffset)
	colons := [2]int{-1, -1}
	n := 0
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c == ':' {
			if n == 0 {
				k.svcHash, k.svcBit = h, 1<<(h&63)
			}
			if n < 2 {
				colons[n] = i
			}
			n++
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	k.hash = h
	if n == 2 {
		k.ok = true
		k.svc, k.res, k.op = a[:colons[0]], a[colons[0]+1:colons[1]], a[colons[1]+1:]
	}
	return k
}

// svcBitOf returns the service filter bit of a lower-case literal service;
// it equals makeActionKey(svc+":…").svcBit.
func svcBitOf(svc string) uint64 { return 1 << (hashLower(svc) & 63) }

// hashLower returns the FNV-1a hash of a lower-case string.
func hashLower(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// Segment pattern shapes, so the common ones skip the general glob.
const (
	segGlob   uint8 = iota // anything else
	segAny                 // "*"
	segLit                 // no wildcard
	segPrefix              // "abc*"
	segSuffix              // "*abc"
)

// segPattern is one lower-case segment of an action pattern.
type segPattern struct {
	shape uint8
	s     string // the literal part for segLit/segPrefix/segSuffix, else the pattern
}

// newSegPattern classifies a lower-case segment pattern.
func newSegPattern(p string) segPattern {
	switch stars := strings.Count(p, "*"); {
	case p == "*":
		return segPattern{shape: segAny}
	case strings.IndexByte(p, '?') >= 0:
		return segPattern{shape: segGlob, s: p}
	case stars == 0:
		return segPattern{shape: segLit, s: p}
	case stars == 1 && p[len(p)-1] == '*':
		return segPattern{shape: segPrefix, s: p[:len(p)-1]}
	case stars == 1 && p[0] == '*':
		return segPattern{shape: segSuffix, s: p[1:]}
	}
	return segPattern{shape: segGlob, s: p}
}

// match reports whether a request segment matches, ignoring ASCII case.
func (sp *segPattern) match(t string) bool {
	switch sp.shape {
	case segAny:
		return true
	case segLit:
		return equalFoldASCII(t, sp.s)
	case segPrefix:
		return len(t) >= len(sp.s) && equalFoldASCII(t[:len(sp.s)], sp.s)
	case segSuffix:
		return len(t) >= len(sp.s) && equalFoldASCII(t[len(t)-len(sp.s):], sp.s)
	}
	return glob(sp.s, t, true)
}

// wildAction is a compiled action pattern with a wildcard somewhere.
type wildAction struct {
	// svcHash is hashLower of a literal service (0 when the service has a
	// wildcard); Policy groups patterns by it.
	svcHash      uint64
	svc, res, op segPattern
	stmts        uint64 // statements naming this pattern
}

// newWildAction compiles a lower-case action pattern with a wildcard.
func newWildAction(svc, res, op string, stmts uint64) wildAction {
	w := wildAction{svc: newSegPattern(svc), res: newSegPattern(res), op: newSegPattern(op), stmts: stmts}
	if w.svc.shape == segLit {
		w.svcHash = hashLower(svc)
	}
	return w
}

// match reports whether the request action matches the pattern.
func (w *wildAction) match(k *actionKey) bool {
	return w.svc.match(k.svc) && w.matchRest(k)
}

// matchRest matches the resource type and operation only, for callers that
// have checked the service.
func (w *wildAction) matchRest(k *actionKey) bool {
	return w.res.match(k.res) && w.op.match(k.op)
}

// exactSlot is one slot of the open-addressing table of literal actions:
// 16 bytes, so a miss usually touches one cache line.
type exactSlot struct {
	hash  uint64
	stmts uint64 // statements naming the action; 0 marks an empty slot
}

// exactTable maps literal (wildcard-free) actions to the statements naming
// them. Its size is a power of two and at most half full; actions[i] is the
// lower-case action of slots[i], compared only when the hashes agree.
type exactTable struct {
	slots   []exactSlot
	actions []string
}

// newExactTable builds a table from lower-case actions.
func newExactTable(m map[string]uint64) exactTable {
	if len(m) == 0 {
		return exactTable{}
	}
	size := 4
	for size < 2*len(m) {
		size *= 2
	}
	t := exactTable{slots: make([]exactSlot, size), actions: make([]string, size)}
	mask := uint64(size - 1)
	for a, stmts := range m {
		h := hashLower(a)
		i := h & mask
		for t.slots[i].stmts != 0 {
			i = (i + 1) & mask
		}
		t.slots[i], t.actions[i] = exactSlot{hash: h, stmts: stmts}, a
	}
	return t
}

// lookup returns the statements naming the request action exactly.
func (t *exactTable) lookup(k *actionKey) uint64 {
	if len(t.slots) == 0 {
		return 0
	}
	mask := uint64(len(t.slots) - 1)
	for i := k.hash & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.stmts == 0 {
			return 0
		}
		if s.hash == k.hash && equalFoldASCII(k.action, t.actions[i]) {
			return s.stmts
		}
	}
}
