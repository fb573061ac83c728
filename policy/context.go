package policy

import (
	"net/netip"
	"strconv"
	"time"
)

// Context supplies condition-key values for one request. Get returns the
// values of key and whether the key is present; a present key with no
// values is treated as absent. Keys are looked up by their canonical
// spelling (the one Parse stores: global keys as documented, e.g.
// "g:UserName"; other keys verbatim). Implementations must be safe to call
// concurrently if the same Context is shared across goroutines.
type Context interface {
	Get(key string) ([]string, bool)
}

// Values is a map-backed Context, for multi-valued and service-specific keys
// and for tests. Lookups do not allocate.
type Values map[string][]string

// Get implements Context.
func (v Values) Get(key string) ([]string, bool) {
	vals, ok := v[key]
	return vals, ok
}

// Flag is a boolean condition key that may be absent.
type Flag uint8

// Flag values. The zero value is FlagAbsent.
const (
	FlagAbsent Flag = iota
	FlagFalse
	FlagTrue
)

// FlagOf returns FlagTrue or FlagFalse.
func FlagOf(b bool) Flag {
	if b {
		return FlagTrue
	}
	return FlagFalse
}

// Globals is the fixed-struct Context for the global keys of version 1.1.
// The evaluator recognises *Globals and reads its fields directly, with
// their native types, so a decision built on it neither formats nor parses
// nor allocates. Zero fields are absent keys: an empty string, FlagAbsent, a
// zero time, an invalid address, HasMFAAge false. Keys that are not global
// are looked up in Extra.
type Globals struct {
	UserID      string // g:UserId
	UserName    string // g:UserName
	DomainName  string // g:DomainName
	ProjectName string // g:ProjectName (absent for domain-scoped calls)
	ServiceName string // g:ServiceName
	MFAPresent  Flag   // g:MFAPresent
	// MFAAge is g:MFAAge in seconds since MFA authentication, present only
	// when HasMFAAge is set.
	MFAAge    int64
	HasMFAAge bool
	// CurrentTime is g:CurrentTime. The caller sets it (the engine never
	// reads the clock), normally to the request time.
	CurrentTime time.Time
	// SourceIP is g:SourceIp, an imsd extension for IpAddress conditions.
	SourceIP netip.Addr
	// Extra supplies every other key (service keys, multi-valued keys); nil
	// means none.
	Extra Context
}

// Get implements Context. For keys whose native type is not a string it
// formats the value (g:CurrentTime in RFC 3339 with nanoseconds, booleans as
// "true"/"false", g:MFAAge in decimal), which allocates; the evaluator only
// takes this path for unusual operator/key pairs such as StringEquals on
// g:CurrentTime.
func (g *Globals) Get(key string) ([]string, bool) {
	if gk := lookupGlobalKeyExact(key); gk != gkNone {
		s, ok := g.format(gk)
		if !ok {
			return nil, false
		}
		return []string{s}, true
	}
	if g.Extra == nil {
		return nil, false
	}
	return g.Extra.Get(key)
}

// lookupGlobalKeyExact finds a global key by its canonical spelling.
func lookupGlobalKeyExact(k string) globalKey {
	if len(k) < 2 || k[0] != 'g' || k[1] != ':' {
		return gkNone
	}
	for i := gkNone + 1; i < gkCount; i++ {
		if k == globalKeyNames[i] {
			return i
		}
	}
	return gkNone
}

// str returns a string-typed global key.
func (g *Globals) str(k globalKey) string {
	switch k {
	case gkUserID:
		return g.UserID
	case gkUserName:
		return g.UserName
	case gkDomainName:
		return g.DomainName
	case gkProjectName:
		return g.ProjectName
	case gkServiceName:
		return g.ServiceName
	}
	return ""
}

// has reports whether a global key is present.
func (g *Globals) has(k globalKey) bool {
	switch k {
	case gkMFAPresent:
		return g.MFAPresent != FlagAbsent
	case gkMFAAge:
		return g.HasMFAAge
	case gkCurrentTime:
		return !g.CurrentTime.IsZero()
	case gkSourceIP:
		return g.SourceIP.IsValid()
	}
	return g.str(k) != ""
}

// format returns the string form of a global key.
func (g *Globals) format(k globalKey) (string, bool) {
	if !g.has(k) {
		return "", false
	}
	switch k {
	case gkMFAPresent:
		return strconv.FormatBool(g.MFAPresent == FlagTrue), true
	case gkMFAAge:
		return strconv.FormatInt(g.MFAAge, 10), true
	case gkCurrentTime:
		return g.CurrentTime.Format(time.RFC3339Nano), true
	case gkSourceIP:
		return g.SourceIP.String(), true
	}
	return g.str(k), true
}

// Request is one authorization question: may the caller perform Action
// (on Resource), given the condition keys in Context?
type Request struct {
	// Action is "service:resource:operation", e.g. "ims:images:copy". It is
	// matched case-insensitively.
	Action string
	// Resource is the five-part resource name, for the few services with
	// resource-level 1.1 grants; "" otherwise (always for IMS). Statements
	// that list resources never match a request without one.
	Resource string
	// Context supplies condition keys; nil means every key is absent.
	Context Context
}
