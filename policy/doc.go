// Package policy implements the Huawei Cloud IAM permission language as
// imsd needs it: version "1.1" fine-grained policies and version "1.0"
// system roles (with Depends), from JSON to a compiled form that decides a
// request without allocating. It is pure: no I/O, no clock, no knowledge of
// users, groups or scopes; package authz builds on it.
//
// # Pipeline
//
//	doc, err := policy.Parse(data)                        // JSON → Document (canonicalised AST)
//	err = doc.Validate(policy.CustomPolicyOptions())      // author-facing rules and limits
//	p, err := policy.Compile(doc)                         // Document → *Policy
//	eff, stmt := p.Evaluate(&policy.Request{...})         // one policy
//	d := policy.EvaluateAll(policies, req)                // every policy of one tier
//
// Errors name the statement and element at fault, e.g.
// `Statement[2].Action[0]: "ims:images" must have three segments
// service:resource:operation` (see Error).
//
// # Evaluation rules
//
// A statement applies to a request when one of its actions matches the
// request action, one of its resources matches the request resource (if the
// statement lists resources), and every condition holds.
//
// Actions are "service:resourceType:operation". Matching is case-insensitive
// (the service is stored lower-case, resource type and operation are
// case-insensitive per Huawei); '*' matches any run of characters within one
// segment and never a ':'.
//
// Within a policy, and across all policies of one tier (EvaluateAll): if any
// Deny statement applies the result is Deny; otherwise if any Allow
// statement applies it is Allow; otherwise NoMatch, an implicit deny. The
// caller (authz) decides what NoMatch means across tiers (iam.md §2.2).
//
// Conditions: every condition of a statement must hold (AND); several
// values of one condition are alternatives (OR). For each request value an
// operator "matches" when it matches some policy value. Then
//
//   - a positive operator without qualifier holds when some request value
//     matches; a negated one (StringNotEquals, StringNotEqualsIgnoreCase,
//     StringNotMatch, NumberNotEquals, NotIpAddress) holds when none does;
//   - ForAnyValue:op holds when some request value satisfies op (matches,
//     or for a negated op, does not match); ForAllValues:op when every
//     request value does;
//   - when the key is absent (or has no values): positive operators fail,
//     negated ones hold (AWS behaviour), ForAnyValue fails, ForAllValues
//     holds, any …IfExists holds, Null:true holds and Null:false fails;
//   - a request value that does not parse as the operator's type (a number,
//     an ISO 8601 date, a boolean, an IP address) matches no policy value.
//
// String operators compare case-sensitively, except the …IgnoreCase ones
// (Unicode simple folding); StringMatch takes '*' and '?' globs;
// StringStartWith/StringEndWith are case-sensitive prefix/suffix tests.
// Globs run in O(len(pattern)·len(value)) worst case and never backtrack
// exponentially (see glob.go).
//
// Condition keys: the global keys of 1.1 (g:CurrentTime, g:DomainName,
// g:MFAPresent, g:MFAAge, g:ProjectName, g:ServiceName, g:UserId,
// g:UserName) plus g:SourceIp are recognised case-insensitively; other
// "g:" keys are rejected; service keys ("obs:prefix") are passed verbatim.
// Values come from a Context; *Globals is a fixed struct for the global keys
// that the evaluator reads without formatting or allocating.
//
// # Versions
//
// Parsing and compilation dispatch on Version; 1.0 and 1.1 share one
// statement grammar (1.0 adds Depends, see EffectiveGrants). Version "5.0"
// identity policies are recognised and rejected. Adding them needs:
//
//   - Statement gains Sid, NotAction (exclusive with Action) and URN
//     Resource/NotResource patterns ("ims:<region>:<account>:image:<id>",
//     the path may contain ':'); a statement with a resource-less action
//     must use "Resource": "*";
//   - a parse5x/compile5x pair selected by Version: element order free,
//     Action xor NotAction, Principal only in resource policies;
//   - more global keys (g:EnterpriseProjectId, g:PrincipalUrn,
//     g:PrincipalAccount, g:ResourceTag/<k> and g:RequestTag/<k> with
//     case-insensitive tag keys, g:TagKeys, g:SourceIp, …), "sensitive" keys
//     on which wildcard operators are refused, possibly StringLike as a
//     substring test;
//   - Request gains the resource URN and tags; the compiled form keeps a
//     NotAction set (applies when no pattern matches);
//   - evaluation together with 1.1 policies (explicit Deny from either wins;
//     1.1 actions map to 5.0 actions through the alias column) and with SCPs
//     as a ceiling, which belongs in authz.
package policy
