package policy

import "strings"

// Version is the "Version" element of a permission document. It selects the
// grammar: Parse, Validate and Compile dispatch on it.
type Version string

// Document versions. Only Version10 and Version11 are implemented;
// Version50 is recognised so that Parse can say it is not supported yet.
const (
	// Version10 is a system role (RBAC): statements plus Depends.
	Version10 Version = "1.0"
	// Version11 is a fine-grained policy, system or custom.
	Version11 Version = "1.1"
	// Version50 is an identity policy of the IAM new edition (not implemented).
	Version50 Version = "5.0"
)

// Effect is the effect of a statement and the outcome of an evaluation.
type Effect uint8

// Effects. NoMatch is the zero value: no statement applied, which the caller
// turns into an implicit deny (or, in authz, a fall-through to the next tier).
const (
	NoMatch Effect = iota
	Allow
	Deny
)

// String returns "Allow", "Deny" or "NoMatch".
func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NoMatch"
}

// Document is a parsed permission document: a 1.1 policy or a 1.0 role. It is
// a faithful, canonicalised copy of the JSON: operator names, Effect, the
// service segment of actions and the spelling of global condition keys are
// canonicalised by Parse; everything else is kept as written. A Document is
// plain data; Validate checks it and Compile turns it into an evaluable
// Policy.
type Document struct {
	Version   Version
	Statement []Statement
	// Depends lists the roles a 1.0 role needs granted in the same scope
	// before it takes effect. Always empty for 1.1.
	Depends []Depend
}

// Statement is one element of "Statement". Version 5.0 will add Sid,
// NotAction and URN resources here (see the package documentation).
type Statement struct {
	Effect Effect
	// Action holds "service:resource:operation" patterns; the service is
	// lower-cased by Parse.
	Action []string
	// Resource holds five-part resource patterns
	// "service:region:domain:type:path". Empty means every resource.
	Resource []string
	// Condition holds the conditions in document order, one entry per
	// operator and key. All of them must hold for the statement to apply.
	Condition []Condition
}

// Condition is one (operator, key, values) triple of a "Condition" block.
type Condition struct {
	Operator Operator
	// Key is the condition key, e.g. "g:UserName". Global keys are
	// canonicalised to their documented spelling; other keys are verbatim.
	Key string
	// Values are the policy values as strings (JSON numbers and booleans
	// are kept in their literal form).
	Values []string
}

// Depend names a permission that a 1.0 role depends on, as in the role's
// "Depends" array: a catalog and a display name.
type Depend struct {
	Catalog     string `json:"catalog"`
	DisplayName string `json:"display_name"`
}

// Clone returns a deep copy of d.
func (d *Document) Clone() *Document {
	c := &Document{Version: d.Version}
	c.Depends = append([]Depend(nil), d.Depends...)
	c.Statement = make([]Statement, len(d.Statement))
	for i, s := range d.Statement {
		cs := Statement{Effect: s.Effect}
		cs.Action = append([]string(nil), s.Action...)
		cs.Resource = append([]string(nil), s.Resource...)
		if s.Condition != nil {
			cs.Condition = make([]Condition, len(s.Condition))
			for j, c := range s.Condition {
				cs.Condition[j] = Condition{Operator: c.Operator, Key: c.Key, Values: append([]string(nil), c.Values...)}
			}
		}
		c.Statement[i] = cs
	}
	return c
}

// Global condition keys of version 1.1, in their canonical spelling.
// KeySourceIP is an imsd extension (the 1.1 list has no IP key; 5.0 has one).
const (
	KeyCurrentTime = "g:CurrentTime"
	KeyDomainName  = "g:DomainName"
	KeyMFAPresent  = "g:MFAPresent"
	KeyMFAAge      = "g:MFAAge"
	KeyProjectName = "g:ProjectName"
	KeyServiceName = "g:ServiceName"
	KeyUserID      = "g:UserId"
	KeyUserName    = "g:UserName"
	KeySourceIP    = "g:SourceIp"
)

// globalKey identifies a global condition key; 0 means "not a global key".
type globalKey uint8

const (
	gkNone globalKey = iota
	gkCurrentTime
	gkDomainName
	gkMFAPresent
	gkMFAAge
	gkProjectName
	gkServiceName
	gkUserID
	gkUserName
	gkSourceIP
	gkCount
)

// globalKeyNames is indexed by globalKey.
var globalKeyNames = [gkCount]string{
	"", KeyCurrentTime, KeyDomainName, KeyMFAPresent, KeyMFAAge,
	KeyProjectName, KeyServiceName, KeyUserID, KeyUserName, KeySourceIP,
}

// lookupGlobalKey finds a global key case-insensitively.
func lookupGlobalKey(k string) globalKey {
	for i := gkNone + 1; i < gkCount; i++ {
		if strings.EqualFold(k, globalKeyNames[i]) {
			return i
		}
	}
	return gkNone
}

// isStringKey reports whether the key's value is a plain string.
func (k globalKey) isStringKey() bool {
	switch k {
	case gkDomainName, gkProjectName, gkServiceName, gkUserID, gkUserName:
		return true
	}
	return false
}
