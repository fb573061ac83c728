package policy

import (
	"fmt"
	"strings"
)

// Operator is a parsed condition operator such as
// "ForAnyValue:StringMatchIfExists": an optional set qualifier, a base
// operator name and the IfExists suffix.
type Operator struct {
	// Qualifier is "", QualifierForAnyValue or QualifierForAllValues.
	Qualifier string
	// Name is the canonical base operator, e.g. "StringEquals".
	Name string
	// IfExists makes the condition true when the key is absent.
	IfExists bool
}

// Set qualifiers, for multi-valued keys.
const (
	QualifierForAnyValue  = "ForAnyValue"
	QualifierForAllValues = "ForAllValues"
)

// String returns the canonical spelling, e.g. "ForAllValues:StringEqualsIfExists".
func (o Operator) String() string {
	s := o.Name
	if o.IfExists {
		s += "IfExists"
	}
	if o.Qualifier != "" {
		s = o.Qualifier + ":" + s
	}
	return s
}

// opKind is the base operator of a compiled condition.
type opKind uint8

const (
	opInvalid opKind = iota
	opStringEquals
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringMatch
	opStringNotMatch
	opStringStartWith
	opStringEndWith
	opNumberEquals
	opNumberNotEquals
	opNumberLessThan
	opNumberLessThanEquals
	opNumberGreaterThan
	opNumberGreaterThanEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opNull
	opIPAddress
	opNotIPAddress
	opCount
)

// family groups operators by the type their values are parsed as.
type family uint8

const (
	famString family = iota
	famNumber
	famDate
	famBool
	famNull
	famIP
)

// opInfo describes one base operator.
type opInfo struct {
	name string
	fam  family
	// negated operators are true when no policy value matches; they are
	// implemented as the negation of their positive twin (base).
	negated bool
	// base is the positive operator a negated one negates (itself otherwise).
	base opKind
}

// ops is indexed by opKind. Version 1.1 operators, iam.md §1.2.
var ops = [opCount]opInfo{
	opStringEquals:              {"StringEquals", famString, false, opStringEquals},
	opStringNotEquals:           {"StringNotEquals", famString, true, opStringEquals},
	opStringEqualsIgnoreCase:    {"StringEqualsIgnoreCase", famString, false, opStringEqualsIgnoreCase},
	opStringNotEqualsIgnoreCase: {"StringNotEqualsIgnoreCase", famString, true, opStringEqualsIgnoreCase},
	opStringMatch:               {"StringMatch", famString, false, opStringMatch},
	opStringNotMatch:            {"StringNotMatch", famString, true, opStringMatch},
	opStringStartWith:           {"StringStartWith", famString, false, opStringStartWith},
	opStringEndWith:             {"StringEndWith", famString, false, opStringEndWith},
	opNumberEquals:              {"NumberEquals", famNumber, false, opNumberEquals},
	opNumberNotEquals:           {"NumberNotEquals", famNumber, true, opNumberEquals},
	opNumberLessThan:            {"NumberLessThan", famNumber, false, opNumberLessThan},
	opNumberLessThanEquals:      {"NumberLessThanEquals", famNumber, false, opNumberLessThanEquals},
	opNumberGreaterThan:         {"NumberGreaterThan", famNumber, false, opNumberGreaterThan},
	opNumberGreaterThanEquals:   {"NumberGreaterThanEquals", famNumber, false, opNumberGreaterThanEquals},
	opDateLessThan:              {"DateLessThan", famDate, false, opDateLessThan},
	opDateLessThanEquals:        {"DateLessThanEquals", famDate, false, opDateLessThanEquals},
	opDateGreaterThan:           {"DateGreaterThan", famDate, false, opDateGreaterThan},
	opDateGreaterThanEquals:     {"DateGreaterThanEquals", famDate, false, opDateGreaterThanEquals},
	opBool:                      {"Bool", famBool, false, opBool},
	opNull:                      {"Null", famNull, false, opNull},
	opIPAddress:                 {"IpAddress", famIP, false, opIPAddress},
	opNotIPAddress:              {"NotIpAddress", famIP, true, opIPAddress},
}

// OperatorNames returns the canonical names of every base operator of
// version 1.1, in documentation order.
func OperatorNames() []string {
	names := make([]string, 0, opCount-1)
	for k := opInvalid + 1; k < opCount; k++ {
		names = append(names, ops[k].name)
	}
	return names
}

// foreignOperators are spellings from other policy languages, with a hint.
var foreignOperators = map[string]string{
	"stringlike":               "StringMatch",
	"stringnotlike":            "StringNotMatch",
	"numericequals":            "NumberEquals",
	"numericnotequals":         "NumberNotEquals",
	"numericlessthan":          "NumberLessThan",
	"numericlessthanequals":    "NumberLessThanEquals",
	"numericgreaterthan":       "NumberGreaterThan",
	"numericgreaterthanequals": "NumberGreaterThanEquals",
	"stringstartswith":         "StringStartWith",
	"stringendswith":           "StringEndWith",
}

// lookupOp finds a base operator name case-insensitively.
func lookupOp(name string) opKind {
	for k := opInvalid + 1; k < opCount; k++ {
		if strings.EqualFold(name, ops[k].name) {
			return k
		}
	}
	return opInvalid
}

// ParseOperator parses an operator name as written in a policy. Names,
// qualifiers and the IfExists suffix are matched case-insensitively
// (iam.md §1.2) and returned in canonical spelling. IfExists and the set
// qualifiers are rejected on Null.
func ParseOperator(s string) (Operator, error) {
	var o Operator
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		switch q := rest[:i]; {
		case strings.EqualFold(q, QualifierForAnyValue):
			o.Qualifier = QualifierForAnyValue
		case strings.EqualFold(q, QualifierForAllValues):
			o.Qualifier = QualifierForAllValues
		default:
			return Operator{}, fmt.Errorf("unknown set qualifier %q (want ForAnyValue or ForAllValues)", q)
		}
		rest = rest[i+1:]
	}
	k := lookupOp(rest)
	if k == opInvalid && len(rest) > len("IfExists") && strings.EqualFold(rest[len(rest)-len("IfExists"):], "IfExists") {
		k = lookupOp(rest[:len(rest)-len("IfExists")])
		o.IfExists = k != opInvalid
	}
	if k == opInvalid {
		base := strings.ToLower(strings.TrimSuffix(strings.ToLower(rest), "ifexists"))
		if hint, ok := foreignOperators[base]; ok {
			return Operator{}, fmt.Errorf("unknown condition operator %q (Huawei IAM spells it %s)", s, hint)
		}
		return Operator{}, fmt.Errorf("unknown condition operator %q", s)
	}
	o.Name = ops[k].name
	if k == opNull && o.IfExists {
		return Operator{}, fmt.Errorf("operator %q: IfExists cannot be used with Null", s)
	}
	if k == opNull && o.Qualifier != "" {
		return Operator{}, fmt.Errorf("operator %q: %s cannot be used with Null", s, o.Qualifier)
	}
	return o, nil
}

// kind returns the base operator of o, or opInvalid.
func (o Operator) kind() opKind { return lookupOp(o.Name) }
