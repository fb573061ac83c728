package policy

// A deliberately naive reference evaluator for the differential test. It
// works on the parsed Document directly, re-parses every value on every
// call, uses plain maps for the context and an exponential recursive glob,
// and follows the rules as written in the package documentation, one
// request value and one policy value at a time. It shares no code with the
// engine beyond the standard library.

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// refChars splits s into characters (UTF-8 sequences; an invalid byte is
// one character).
func refChars(s string) []string {
	var out []string
	for len(s) > 0 {
		_, n := utf8.DecodeRuneInString(s)
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}

// refLowerASCII lower-cases ASCII letters.
func refLowerASCII(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] >= 'A' && b[i] <= 'Z' {
			b[i] += 32
		}
	}
	return string(b)
}

// refGlob is the textbook recursive glob, memoised so that fuzzed
// patterns with many stars stay polynomial.
func refGlob(pattern, s string, fold bool) bool {
	if fold {
		s = refLowerASCII(s)
	}
	p, t := refChars(pattern), refChars(s)
	memo := map[[2]int]bool{}
	var rec func(i, j int) bool
	rec = func(i, j int) bool {
		if r, ok := memo[[2]int{i, j}]; ok {
			return r
		}
		var r bool
		switch {
		case i == len(p):
			r = j == len(t)
		case p[i] == "*":
			r = rec(i+1, j) || (j < len(t) && rec(i, j+1))
		case p[i] == "?":
			r = j < len(t) && rec(i+1, j+1)
		default:
			r = j < len(t) && p[i] == t[j] && rec(i+1, j+1)
		}
		memo[[2]int{i, j}] = r
		return r
	}
	return rec(0, 0)
}

// refEvaluate evaluates documents as one tier: the first applicable Deny
// in document order, else the first applicable Allow, else NoMatch.
func refEvaluate(docs []*Document, action, resource string, ctx map[string][]string) (Effect, int, int) {
	for _, want := range []Effect{Deny, Allow} {
		for i, d := range docs {
			for j, s := range d.Statement {
				if s.Effect == want && refApplies(s, action, resource, ctx) {
					return want, i, j
				}
			}
		}
	}
	return NoMatch, -1, -1
}

func refApplies(s Statement, action, resource string, ctx map[string][]string) bool {
	matched := false
	for _, a := range s.Action {
		if refAction(a, action) {
			matched = true
		}
	}
	if !matched {
		return false
	}
	if len(s.Resource) > 0 {
		found := false
		for _, r := range s.Resource {
			if resource != "" && refGlob(r, resource, false) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	for _, c := range s.Condition {
		if !refCondition(c, ctx) {
			return false
		}
	}
	return true
}

func refAction(pattern, action string) bool {
	p := strings.Split(refLowerASCII(pattern), ":")
	a := strings.Split(action, ":")
	if len(p) != 3 || len(a) != 3 {
		return false
	}
	for i := range p {
		if !refGlob(p[i], a[i], true) {
			return false
		}
	}
	return true
}

var refNegated = map[string]string{
	"StringNotEquals":           "StringEquals",
	"StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringNotMatch":            "StringMatch",
	"NumberNotEquals":           "NumberEquals",
	"NotIpAddress":              "IpAddress",
}

func refCondition(c Condition, ctx map[string][]string) bool {
	vals := ctx[c.Key]
	present := len(vals) > 0
	if c.Operator.Name == "Null" {
		for _, p := range c.Values {
			if strings.ToLower(p) == "true" && !present || strings.ToLower(p) == "false" && present {
				return true
			}
		}
		return false
	}
	name, neg := c.Operator.Name, false
	if pos, ok := refNegated[name]; ok {
		name, neg = pos, true
	}
	if !present {
		switch {
		case c.Operator.IfExists:
			return true
		case c.Operator.Qualifier == "ForAnyValue":
			return false
		case c.Operator.Qualifier == "ForAllValues":
			return true
		}
		return neg
	}
	satisfies := func(v string) bool {
		m := false
		for _, p := range c.Values {
			if refOp(name, v, p) {
				m = true
			}
		}
		return m != neg
	}
	all, any := true, false
	for _, v := range vals {
		if satisfies(v) {
			any = true
		} else {
			all = false
		}
	}
	switch c.Operator.Qualifier {
	case "ForAllValues":
		return all
	case "ForAnyValue":
		return any
	}
	if neg {
		return all
	}
	return any
}

func refOp(name, v, p string) bool {
	switch name {
	case "StringEquals":
		return v == p
	case "StringEqualsIgnoreCase":
		return strings.EqualFold(v, p)
	case "StringMatch":
		return refGlob(p, v, false)
	case "StringStartWith":
		return strings.HasPrefix(v, p)
	case "StringEndWith":
		return strings.HasSuffix(v, p)
	case "Bool":
		lv := strings.ToLower(v)
		return (lv == "true" || lv == "false") && lv == strings.ToLower(p)
	case "IpAddress":
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		if strings.Contains(p, "/") {
			return netip.MustParsePrefix(p).Contains(a)
		}
		return a == netip.MustParseAddr(p).Unmap()
	}
	if strings.HasPrefix(name, "Number") {
		x, ok1 := refNumber(v)
		y, ok2 := refNumber(p)
		if !ok1 || !ok2 {
			return false
		}
		switch name {
		case "NumberEquals":
			return x == y
		case "NumberLessThan":
			return x < y
		case "NumberLessThanEquals":
			return x <= y
		case "NumberGreaterThan":
			return x > y
		case "NumberGreaterThanEquals":
			return x >= y
		}
	}
	if strings.HasPrefix(name, "Date") {
		x, ok1 := refDate(v)
		y, ok2 := refDate(p)
		if !ok1 || !ok2 {
			return false
		}
		switch name {
		case "DateLessThan":
			return x.Before(y)
		case "DateLessThanEquals":
			return x.Before(y) || x.Equal(y)
		case "DateGreaterThan":
			return x.After(y)
		case "DateGreaterThanEquals":
			return x.After(y) || x.Equal(y)
		}
	}
	panic("refOp: unknown operator " + name)
}

// refNumber accepts what strconv.ParseFloat accepts, minus hex, Inf, NaN
// and underscores.
func refNumber(s string) (float64, bool) {
	if strings.ContainsAny(s, "xXpP_iInN") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func refDate(s string) (time.Time, bool) {
	layout := time.RFC3339
	if len(s) == 10 {
		layout = "2006-01-02"
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}
