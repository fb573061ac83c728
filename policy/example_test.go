package policy_test

import (
	"fmt"
	"time"

	"github.com/imsd/imsd/policy"
)

// A custom policy that lets operators copy images, minus a Deny carved out
// of IMS FullAccess, evaluated as one tier.
func Example() {
	doc, err := policy.Parse([]byte(`{
		"Version": "1.1",
		"Statement": [
			{"Effect": "Allow", "Action": ["ims:images:copy", "ims:serverImages:create"],
			 "Condition": {"StringStartWith": {"g:UserName": ["ops-"]}}},
			{"Effect": "Deny", "Action": ["ims:images:delete"]}
		]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := doc.Validate(policy.CustomPolicyOptions()); err != nil {
		fmt.Println(err)
		return
	}
	custom, err := policy.Compile(doc)
	if err != nil {
		fmt.Println(err)
		return
	}
	full, _ := policy.SystemPolicyByName(policy.IMSFullAccess)
	tier := []*policy.Policy{full.Policy(), custom}

	ctx := &policy.Globals{UserName: "ops-alice", CurrentTime: time.Now()}
	for _, action := range []string{"ims:images:copy", "ims:images:delete", "ecs:servers:list"} {
		d := policy.EvaluateAll(tier, &policy.Request{Action: action, Context: ctx})
		fmt.Printf("%s: %v\n", action, d)
	}
	// Output:
	// ims:images:copy: Allow by policy 0, statement 0
	// ims:images:delete: Deny by policy 1, statement 1
	// ecs:servers:list: NoMatch (no statement applies: implicit deny)
}

func ExampleDocument_Validate() {
	doc, _ := policy.Parse([]byte(`{"Version":"1.1","Statement":[
		{"Effect":"Allow","Action":["ims:images:get"]},
		{"Effect":"Allow","Action":["ims:images"],"Resource":["ims:*:*:image:*"]}]}`))
	fmt.Println(doc.Validate(policy.CustomPolicyOptions()))
	// Output:
	// Statement[1].Action[0]: "ims:images" must have three segments service:resource:operation; Statement[1].Resource: service "ims" does not support resource-level authorization in version 1.1; remove Resource
}
