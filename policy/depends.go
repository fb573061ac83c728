package policy

// Grant is one permission granted to a principal at one scope (a project,
// all projects, or an enterprise project), as the Depends check sees it.
type Grant struct {
	// Catalog and DisplayName identify the permission, as Depends entries
	// name it (e.g. "BASE", "Tenant Administrator").
	Catalog     string
	DisplayName string
	// Depends is the Depends list of a 1.0 role; empty for 1.1 policies.
	Depends []Depend
}

// EffectiveGrants reports, for each grant made at one scope, whether it
// takes effect. Policies (no Depends) always do. A 1.0 role takes effect
// only if every role it depends on is also granted, and itself effective,
// at the same scope (iam.md §2.3; the transitivity is [inferred]). So
// "Server Administrator → IMS Administrator → Tenant Administrator" needs
// all three; roles depending on each other in a cycle are effective together
// when all are granted. Matching is exact on catalog and display name.
func EffectiveGrants(grants []Grant) []bool {
	ok := make([]bool, len(grants))
	for i := range ok {
		ok[i] = true
	}
	for changed := true; changed; {
		changed = false
		for i, g := range grants {
			if ok[i] && len(missing(g.Depends, grants, ok)) > 0 {
				ok[i] = false
				changed = true
			}
		}
	}
	return ok
}

// MissingDepends returns the Depends entries of role that no grant in
// granted satisfies (nil when the role can take effect, and for policies).
// It ignores transitivity; use EffectiveGrants to decide, and this to explain.
func MissingDepends(role *Policy, granted []Grant) []Depend {
	return missing(role.Depends(), granted, nil)
}

// missing lists the dependencies not matched by a grant; when effective is
// non-nil only grants marked effective count.
func missing(deps []Depend, grants []Grant, effective []bool) []Depend {
	var out []Depend
	for _, d := range deps {
		found := false
		for j, g := range grants {
			if g.Catalog == d.Catalog && g.DisplayName == d.DisplayName && (effective == nil || effective[j]) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, d)
		}
	}
	return out
}
