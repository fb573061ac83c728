package policy

import (
	"regexp"
	"testing"
)

func TestSystemPoliciesCatalogue(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	ids, names := map[string]bool{}, map[string]bool{}
	for _, s := range SystemPolicies() {
		if !hex32.MatchString(s.ID) || ids[s.ID] {
			t.Errorf("%s: bad or duplicate id %q", s.DisplayName, s.ID)
		}
		if names[s.Name] || names[s.DisplayName] {
			t.Errorf("%s: duplicate name", s.DisplayName)
		}
		ids[s.ID], names[s.Name], names[s.DisplayName] = true, true, true
		switch s.Type {
		case "AX", "XA", "AA", "XX":
		default:
			t.Errorf("%s: type %q", s.DisplayName, s.Type)
		}
		if s.Catalog == "" || s.Description == "" || s.DescriptionCN == "" {
			t.Errorf("%s: missing catalog or description", s.DisplayName)
		}
		doc := s.Document()
		if err := doc.Validate(Options{AllowRoles: true}); err != nil {
			t.Errorf("%s: %v", s.DisplayName, err)
		}
		if fine := s.Flag == "fine_grained"; fine != (doc.Version == Version11) {
			t.Errorf("%s: flag %q with version %s", s.DisplayName, s.Flag, doc.Version)
		}
		for _, d := range doc.Depends {
			dep, ok := SystemPolicyByName(d.DisplayName)
			if !ok || dep.Catalog != d.Catalog {
				t.Errorf("%s depends on unknown %v", s.DisplayName, d)
			}
		}
		if got, ok := SystemPolicyByID(s.ID); !ok || got.DisplayName != s.DisplayName {
			t.Errorf("SystemPolicyByID(%s) = %v, %v", s.ID, got.DisplayName, ok)
		}
		if got, ok := SystemPolicyByName(s.Name); !ok || got.ID != s.ID {
			t.Errorf("SystemPolicyByName(%s) = %v, %v", s.Name, got.ID, ok)
		}
	}
	if len(ids) != 7 {
		t.Fatalf("%d system permissions, want 7", len(ids))
	}
	if _, ok := SystemPolicyByName("ims fullaccess"); ok {
		t.Fatal("lookup by name must be exact")
	}
	if _, ok := SystemPolicyByID("nope"); ok {
		t.Fatal("unknown id found")
	}
}

func TestSystemPoliciesDecisions(t *testing.T) {
	tests := []struct {
		policy, action string
		want           Effect
	}{
		{IMSFullAccess, "ims:images:copy", Allow},
		{IMSFullAccess, "ims:serverImages:create", Allow},
		{IMSFullAccess, "ecs:servers:list", NoMatch},
		{IMSReadOnlyAccess, "ims:images:get", Allow},
		{IMSReadOnlyAccess, "ims:images:list", Allow},
		{IMSReadOnlyAccess, "ims:images:getJob", Allow},
		{IMSReadOnlyAccess, "ims:quotas:get", Allow},
		{IMSReadOnlyAccess, "ims:images:copy", NoMatch},
		{IMSReadOnlyAccess, "ims:images:delete", NoMatch},
		{FullAccess, "ims:images:delete", Allow},
		{FullAccess, "iam:users:create", Allow},
		{TenantAdministrator, "ims:images:copy", Allow},
		{TenantAdministrator, "iam:users:create", Deny},
		{TenantGuest, "ecs:servers:list", Allow},
		{TenantGuest, "ims:images:copy", NoMatch},
		{TenantGuest, "iam:users:list", Deny},
		{IMSAdministrator, "ims:images:export", Allow},
		{KMSCMKFullAccess, "kms:cmk:create", Allow},
		{KMSCMKFullAccess, "kms:dek:decrypt", Allow},
		{KMSCMKFullAccess, "ims:images:copy", NoMatch},
		{IMSFullAccess, "kms:cmk:list", NoMatch},
	}
	for _, tc := range tests {
		t.Run(tc.policy+"/"+tc.action, func(t *testing.T) {
			s, ok := SystemPolicyByName(tc.policy)
			if !ok {
				t.Fatalf("no %s", tc.policy)
			}
			if eff, _ := s.Policy().Evaluate(&Request{Action: tc.action}); eff != tc.want {
				t.Fatalf("%s on %s = %v, want %v", tc.policy, tc.action, eff, tc.want)
			}
		})
	}
}
