package policy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Set qualifiers of a compiled condition.
const (
	qualNone uint8 = iota
	qualAny
	qualAll
)

// cond is a compiled condition. Policy values are parsed once, at compile
// time, into the slice matching the operator's family.
type cond struct {
	kind     opKind // the positive base operator
	neg      bool   // negated operator (StringNotEquals, NotIpAddress, …)
	qual     uint8
	ifExists bool
	key      string    // canonical key
	gk       globalKey // gkNone for non-global keys
	strs     []string
	nums     []float64
	times    []time.Time
	prefixes []netip.Prefix
	// Bool: which request values satisfy. Null: nullTrue means "absent
	// satisfies", nullFalse means "present satisfies".
	boolTrue, boolFalse bool
	nullTrue, nullFalse bool
}

// compileCondition checks and compiles one condition. On failure it returns
// a message and the index of the offending value (-1 when the problem is
// with the operator or key).
func compileCondition(c Condition) (cond, string, int) {
	op, err := ParseOperator(c.Operator.String())
	if err != nil {
		return cond{}, err.Error(), -1
	}
	k := op.kind()
	out := cond{kind: ops[k].base, neg: ops[k].negated, ifExists: op.IfExists}
	switch op.Qualifier {
	case QualifierForAnyValue:
		out.qual = qualAny
	case QualifierForAllValues:
		out.qual = qualAll
	}
	gk, msg := checkKey(c.Key)
	if msg != "" {
		return cond{}, msg, -1
	}
	out.gk, out.key = gk, c.Key
	if gk != gkNone {
		out.key = globalKeyNames[gk]
	}
	if len(c.Values) == 0 {
		return cond{}, "needs at least one value", -1
	}
	for i, v := range c.Values {
		switch ops[k].fam {
		case famString:
			out.strs = append(out.strs, v)
		case famNumber:
			f, ok := numberOf(v)
			if !ok {
				return cond{}, fmt.Sprintf("%q is not a decimal number", v), i
			}
			out.nums = append(out.nums, f)
		case famDate:
			t, ok := dateOf(v)
			if !ok {
				return cond{}, fmt.Sprintf("%q is not an ISO 8601 date (2006-01-02T15:04:05Z, an offset, or 2006-01-02)", v), i
			}
			out.times = append(out.times, t)
		case famBool, famNull:
			b, ok := boolOf(v)
			if !ok {
				return cond{}, fmt.Sprintf(`%q must be "true" or "false"`, v), i
			}
			if k == opNull {
				out.nullTrue = out.nullTrue || b
				out.nullFalse = out.nullFalse || !b
			} else {
				out.boolTrue = out.boolTrue || b
				out.boolFalse = out.boolFalse || !b
			}
		case famIP:
			p, ok := prefixOf(v)
			if !ok {
				return cond{}, fmt.Sprintf("%q is not an IP address or CIDR block", v), i
			}
			out.prefixes = append(out.prefixes, p)
		}
	}
	return out, "", -1
}

// checkKey checks the syntax of a condition key and resolves global keys.
// Global keys ("g:…") must be among the documented 1.1 keys (plus
// g:SourceIp) and are matched case-insensitively; other keys are taken
// verbatim and looked up case-sensitively [inferred].
func checkKey(k string) (globalKey, string) {
	i := strings.IndexByte(k, ':')
	if i <= 0 || i == len(k)-1 {
		return gkNone, fmt.Sprintf("condition key %q must look like service:name (e.g. g:UserName)", k)
	}
	for j := 0; j < len(k); j++ {
		c := k[j]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || j == i ||
			j > i && (c == '_' || c == '.' || c == '/' || c == ':')
		if !ok {
			return gkNone, fmt.Sprintf("condition key %q contains %q", k, c)
		}
	}
	if strings.EqualFold(k[:i], "g") {
		gk := lookupGlobalKey(k)
		if gk == gkNone {
			return gkNone, fmt.Sprintf("unknown global condition key %q (version 1.1 has %s)", k, strings.Join(globalKeyNames[1:], ", "))
		}
		return gk, ""
	}
	return gkNone, ""
}

// eval reports whether the condition holds in ctx.
func (c *cond) eval(ctx Context) bool {
	if c.gk != gkNone {
		if g, ok := ctx.(*Globals); ok {
			if r, done := c.evalGlobals(g); done {
				return r
			}
			vals, ok := g.Get(c.key)
			return c.evalValues(vals, ok)
		}
	}
	if ctx == nil {
		return c.absent()
	}
	vals, ok := ctx.Get(c.key)
	return c.evalValues(vals, ok)
}

// absent is the result when the key is missing (or has no values).
func (c *cond) absent() bool {
	switch {
	case c.kind == opNull:
		return c.nullTrue
	case c.ifExists:
		return true
	case c.qual == qualAny:
		return false
	case c.qual == qualAll:
		return true
	}
	// AWS behaviour [inferred]: positive operators fail, negated ones hold.
	return c.neg
}

// evalValues evaluates the condition against the request values of its key.
//
//   - no qualifier: a positive operator holds if some request value matches
//     some policy value; a negated one holds if no request value matches any;
//   - ForAnyValue: some request value satisfies the operator;
//   - ForAllValues: every request value satisfies the operator.
//
// "Satisfies" means matching some policy value for a positive operator and
// matching none for a negated one.
func (c *cond) evalValues(vals []string, ok bool) bool {
	if !ok || len(vals) == 0 {
		return c.absent()
	}
	if c.kind == opNull {
		return c.nullFalse
	}
	switch c.qual {
	case qualAll:
		for _, v := range vals {
			if c.match(v) == c.neg {
				return false
			}
		}
		return true
	case qualAny:
		for _, v := range vals {
			if c.match(v) != c.neg {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.match(v) {
			return !c.neg
		}
	}
	return c.neg
}

// evalGlobals evaluates the condition against the typed fields of g. It
// reports done=false for operator/key pairs it has no typed path for; the
// caller then falls back to the string form. Every typed path gives the
// same result as the string path would on the formatted value.
func (c *cond) evalGlobals(g *Globals) (result, done bool) {
	if c.kind == opNull {
		if g.has(c.gk) {
			return c.nullFalse, true
		}
		return c.nullTrue, true
	}
	fam := ops[c.kind].fam
	var m bool
	switch {
	case fam == famString && c.gk.isStringKey():
		s := g.str(c.gk)
		if s == "" {
			return c.absent(), true
		}
		m = c.match(s)
	case fam == famBool && c.gk == gkMFAPresent:
		if g.MFAPresent == FlagAbsent {
			return c.absent(), true
		}
		m = c.matchBool(g.MFAPresent == FlagTrue)
	case fam == famNumber && c.gk == gkMFAAge:
		if !g.HasMFAAge {
			return c.absent(), true
		}
		m = c.matchNumber(float64(g.MFAAge))
	case fam == famDate && c.gk == gkCurrentTime:
		if g.CurrentTime.IsZero() {
			return c.absent(), true
		}
		m = c.matchTime(g.CurrentTime)
	case fam == famIP && c.gk == gkSourceIP:
		if !g.SourceIP.IsValid() {
			return c.absent(), true
		}
		m = c.matchAddr(g.SourceIP)
	default:
		return false, false
	}
	// One present value: every qualifier reduces to "matches, or for a
	// negated operator, does not match".
	return m != c.neg, true
}

// match reports whether one request value matches some policy value under
// the positive base operator.
func (c *cond) match(v string) bool {
	switch c.kind {
	case opStringEquals:
		for _, p := range c.strs {
			if v == p {
				return true
			}
		}
	case opStringEqualsIgnoreCase:
		for _, p := range c.strs {
			if strings.EqualFold(v, p) {
				return true
			}
		}
	case opStringMatch:
		for _, p := range c.strs {
			if glob(p, v, false) {
				return true
			}
		}
	case opStringStartWith:
		for _, p := range c.strs {
			if strings.HasPrefix(v, p) {
				return true
			}
		}
	case opStringEndWith:
		for _, p := range c.strs {
			if strings.HasSuffix(v, p) {
				return true
			}
		}
	case opNumberEquals, opNumberLessThan, opNumberLessThanEquals, opNumberGreaterThan, opNumberGreaterThanEquals:
		f, ok := numberOf(v)
		return ok && c.matchNumber(f)
	case opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := dateOf(v)
		return ok && c.matchTime(t)
	case opBool:
		b, ok := boolOf(v)
		return ok && c.matchBool(b)
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		return err == nil && c.matchAddr(a)
	}
	return false
}

// matchNumber compares a request number with the policy numbers.
func (c *cond) matchNumber(f float64) bool {
	for _, p := range c.nums {
		var ok bool
		switch c.kind {
		case opNumberEquals:
			ok = f == p
		case opNumberLessThan:
			ok = f < p
		case opNumberLessThanEquals:
			ok = f <= p
		case opNumberGreaterThan:
			ok = f > p
		case opNumberGreaterThanEquals:
			ok = f >= p
		}
		if ok {
			return true
		}
	}
	return false
}

// matchTime compares a request time with the policy times (as instants).
func (c *cond) matchTime(t time.Time) bool {
	for _, p := range c.times {
		var ok bool
		switch c.kind {
		case opDateLessThan:
			ok = t.Before(p)
		case opDateLessThanEquals:
			ok = !t.After(p)
		case opDateGreaterThan:
			ok = t.After(p)
		case opDateGreaterThanEquals:
			ok = !t.Before(p)
		}
		if ok {
			return true
		}
	}
	return false
}

// matchBool compares a request boolean with the accepted values.
func (c *cond) matchBool(b bool) bool {
	return b && c.boolTrue || !b && c.boolFalse
}

// matchAddr reports whether a request address lies in a policy block.
func (c *cond) matchAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// numberOf parses a decimal number: an optional sign, digits with an
// optional fraction, an optional exponent. Hex, "Inf", "NaN" and out-of-range
// values are not numbers. It does not allocate for non-numbers.
func numberOf(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// dateOf parses an ISO 8601 date-time as RFC 3339 (fractional seconds and
// offsets allowed) or a plain date, taken as midnight UTC.
func dateOf(s string) (time.Time, bool) {
	if len(s) == len("2006-01-02") {
		t, err := time.Parse("2006-01-02", s)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

// boolOf parses "true" or "false", ignoring case.
func boolOf(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// prefixOf parses a CIDR block or a single address (a /32 or /128 block).
func prefixOf(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
