package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Limits bounds the size of a document. A zero field means no limit.
type Limits struct {
	// Statements is the most statements per document.
	Statements int
	// Actions is the most actions per statement.
	Actions int
	// Conditions is the most conditions per statement, counting one per
	// operator and key pair [inferred: Huawei says "at most 10 conditions"].
	Conditions int
	// Resources is the most Resource strings per statement.
	Resources int
	// ResourceLength is the longest Resource string, in bytes.
	ResourceLength int
}

// CustomPolicyLimits are Huawei's limits for 1.1 custom policies
// (iam.md §1.2, API "create custom policy").
var CustomPolicyLimits = Limits{Statements: 8, Actions: 100, Conditions: 10, Resources: 10, ResourceLength: 128}

// ResourceServices are the services that support resource-level grants in
// version 1.1 (Huawei's 2023 list, iam.md §1.2). IMS is not among them.
var ResourceServices = []string{"obs", "ief", "dli", "ges", "functiongraph", "dms", "iotda", "kms", "octopus", "dws"}

// GlobalServices are services granted at domain level rather than in a
// project; a custom policy may not mix their actions with project-level
// services' (iam.md §1.2, §5). The list names the global services imsd
// knows of [inferred: Huawei publishes no complete list in the sources read].
// "cts" is global in imsd (its audit trail is account-wide; Huawei's Cloud
// Trace Service is per project): see docs/compat.md.
var GlobalServices = []string{"iam", "obs", "eps", "cts"}

// Options selects the rules Validate applies on top of the checks Compile
// makes. The zero value applies no extra rule.
type Options struct {
	// Limits bounds the document's size.
	Limits Limits
	// ResourceServices, when non-nil, lists the services whose actions may
	// be combined with Resource; a statement with Resource must name only
	// actions (and resources) of these services. nil allows Resource for
	// every service; an empty non-nil slice forbids Resource altogether.
	ResourceServices []string
	// GlobalServices, when non-empty, lists the global services; a policy
	// naming literal actions of both a global and a project-level service
	// is rejected. Wildcard services ("*") are not counted.
	GlobalServices []string
	// AllowRoles accepts version "1.0" roles; otherwise only "1.1" policies
	// are valid. Custom policies are always 1.1.
	AllowRoles bool
}

// CustomPolicyOptions returns the rules for a custom policy created through
// the API: version 1.1 only, CustomPolicyLimits, Resource only for
// ResourceServices (so never for IMS), no mixing of GlobalServices with
// project-level services.
func CustomPolicyOptions() Options {
	return Options{
		Limits:           CustomPolicyLimits,
		ResourceServices: slices.Clone(ResourceServices),
		GlobalServices:   slices.Clone(GlobalServices),
	}
}

// Validate checks d: everything Compile checks, then the rules in opts, and
// the language rules that matter only to authors (at least one statement;
// g:MFAAge only beside g:MFAPresent). It reports every problem it finds (up
// to 50) as Errors, each naming its statement and element.
func (d *Document) Validate(opts Options) error {
	var l errList
	compile(d, &l, false)
	if d.Version == Version10 && !opts.AllowRoles {
		l.add(-1, "Version", `custom policies must use version "1.1"`)
	}
	if len(d.Statement) == 0 {
		l.add(-1, "Statement", "needs at least one statement")
	}
	lim := opts.Limits
	if lim.Statements > 0 && len(d.Statement) > lim.Statements {
		l.add(-1, "Statement", "has %d statements, the limit is %d", len(d.Statement), lim.Statements)
	}
	// The first literal action of a global and of a project-level service.
	var firstGlobal, firstProject *actionRef
	for i, s := range d.Statement {
		if lim.Actions > 0 && len(s.Action) > lim.Actions {
			l.add(i, stmtPath(i, ".Action"), "has %d actions, the limit is %d", len(s.Action), lim.Actions)
		}
		if lim.Conditions > 0 && len(s.Condition) > lim.Conditions {
			l.add(i, stmtPath(i, ".Condition"), "has %d conditions, the limit is %d", len(s.Condition), lim.Conditions)
		}
		if lim.Resources > 0 && len(s.Resource) > lim.Resources {
			l.add(i, stmtPath(i, ".Resource"), "has %d resources, the limit is %d", len(s.Resource), lim.Resources)
		}
		for j, r := range s.Resource {
			if lim.ResourceLength > 0 && len(r) > lim.ResourceLength {
				l.add(i, stmtPath(i, fmt.Sprintf(".Resource[%d]", j)), "is %d bytes long, the limit is %d", len(r), lim.ResourceLength)
			}
		}
		if len(s.Resource) > 0 && opts.ResourceServices != nil {
			checkResourceServices(&l, i, s, opts.ResourceServices)
		}
		if len(opts.GlobalServices) > 0 {
			for j, a := range s.Action {
				svc := actionService(a)
				if svc == "" || hasWildcard(svc) {
					continue
				}
				ref := &actionRef{stmt: i, action: j, service: svc}
				if slices.Contains(opts.GlobalServices, svc) {
					if firstGlobal == nil {
						firstGlobal = ref
					}
				} else if firstProject == nil {
					firstProject = ref
				}
			}
		}
		checkMFAAge(&l, i, s)
	}
	if firstGlobal != nil && firstProject != nil {
		later := firstGlobal
		if firstProject.stmt > later.stmt || firstProject.stmt == later.stmt && firstProject.action > later.action {
			later = firstProject
		}
		l.add(later.stmt, stmtPath(later.stmt, fmt.Sprintf(".Action[%d]", later.action)),
			"a policy cannot mix the global service %q with the project-level service %q; create two policies",
			firstGlobal.service, firstProject.service)
	}
	return l.err()
}

// checkResourceServices enforces Options.ResourceServices on one statement.
func checkResourceServices(l *errList, i int, s Statement, allowed []string) {
	for _, a := range s.Action {
		svc := actionService(a)
		if !slices.Contains(allowed, svc) {
			l.add(i, stmtPath(i, ".Resource"), "service %q does not support resource-level authorization in version 1.1; remove Resource", svc)
			return
		}
	}
	for j, r := range s.Resource {
		svc := actionService(r)
		if !slices.Contains(allowed, strings.ToLower(svc)) {
			l.add(i, stmtPath(i, fmt.Sprintf(".Resource[%d]", j)), "service %q does not support resource-level authorization in version 1.1", svc)
		}
	}
}

// checkMFAAge enforces "g:MFAAge must be used with g:MFAPresent" within one
// statement [inferred: iam.md §1.2 says it must, not how strictly].
func checkMFAAge(l *errList, i int, s Statement) {
	age, present := -1, false
	for j, c := range s.Condition {
		switch lookupGlobalKey(c.Key) {
		case gkMFAAge:
			if age < 0 {
				age = j
			}
		case gkMFAPresent:
			present = true
		}
	}
	if age >= 0 && !present {
		c := s.Condition[age]
		l.add(i, stmtPath(i, ".Condition."+c.Operator.String()+"."+KeyMFAAge), "g:MFAAge must be used together with a g:MFAPresent condition in the same statement")
	}
}

// actionRef locates one action of a document.
type actionRef struct {
	stmt, action int
	service      string
}
