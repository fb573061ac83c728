package policy

import "slices"

// SystemPolicy is a predefined permission: a 1.1 system policy or a 1.0
// system role, with the attributes Huawei's permission list
// (GET /v3/roles, GET /v3.0/OS-ROLE/roles) shows for it.
type SystemPolicy struct {
	// ID is the permission id. Huawei's ids are not published; these are
	// imsd's own, stable, 32 hex digits like Huawei's.
	ID string
	// Name is the internal name carried in tokens ("te_admin", "ims_adm").
	Name string
	// DisplayName is the name shown in the console and used by Depends.
	DisplayName string
	// Description and DescriptionCN describe the permission.
	Description   string
	DescriptionCN string
	// Catalog is the service catalog the permission belongs to ("IMS",
	// "BASE"); Depends entries name it.
	Catalog string
	// Type is the display mode: "AX" domain level, "XA" project level, "AA"
	// both, "XX" neither.
	Type string
	// Flag is "fine_grained" for 1.1 system policies, "" for 1.0 roles.
	Flag string
	// Source is the JSON document ("policy" in the API).
	Source string

	policy *Policy
}

// Document parses Source afresh; the caller may modify the result.
func (s SystemPolicy) Document() *Document {
	d, err := Parse([]byte(s.Source))
	if err != nil {
		panic("policy: system policy " + s.DisplayName + ": " + err.Error())
	}
	return d
}

// Policy returns the compiled document, shared and immutable.
func (s SystemPolicy) Policy() *Policy { return s.policy }

// Grant returns the permission as EffectiveGrants expects it.
func (s SystemPolicy) Grant() Grant {
	return Grant{Catalog: s.Catalog, DisplayName: s.DisplayName, Depends: s.policy.Depends()}
}

// Display names of the system permissions.
const (
	FullAccess          = "FullAccess"
	TenantAdministrator = "Tenant Administrator"
	TenantGuest         = "Tenant Guest"
	IMSFullAccess       = "IMS FullAccess"
	IMSReadOnlyAccess   = "IMS ReadOnlyAccess"
	IMSAdministrator    = "IMS Administrator"
	KMSCMKFullAccess    = "KMS CMKFullAccess"
)

// systemPolicies is the catalogue (iam.md §2.4), plus KMS CMKFullAccess
// for the key service. The statements of the IMS and KMS policies and of
// FullAccess are [inferred] (Huawei does not publish them);
// the tenant roles' "except IAM" is expressed as a Deny of iam:*:*
// [inferred].
var systemPolicies = mustCompileSystem([]SystemPolicy{
	{
		ID:            "4b4977a91df1a64f9e7b20897dc9ce79",
		Name:          "fullaccess",
		DisplayName:   FullAccess,
		Description:   "Full permissions for all services that support policy-based authorization.",
		DescriptionCN: "所有支持策略授权的云服务的全部权限",
		Catalog:       "BASE",
		Type:          "AA",
		Flag:          "fine_grained",
		Source:        `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["*:*:*"]}]}`,
	},
	{
		ID:            "c098e7dd3f2677632485cdbb6946d445",
		Name:          "te_admin",
		DisplayName:   TenantAdministrator,
		Description:   "Tenant Administrator (full permissions for all services except IAM).",
		DescriptionCN: "租户管理员（除IAM外所有服务的全部权限）",
		Catalog:       "BASE",
		Type:          "AA",
		Source: `{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["*:*:*"]},` +
			`{"Effect":"Deny","Action":["iam:*:*"]}]}`,
	},
	{
		ID:            "26bfb2db9e0c24bb1189536a6314556c",
		Name:          "readonly",
		DisplayName:   TenantGuest,
		Description:   "Tenant Guest (read-only permissions for all services except IAM).",
		DescriptionCN: "租户访客（除IAM外所有服务的只读权限）",
		Catalog:       "BASE",
		Type:          "AA",
		Source: `{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["*:*:get*","*:*:list*","obs:*:head*"]},` +
			`{"Effect":"Deny","Action":["iam:*:*"]}]}`,
	},
	{
		ID:            "ba5f373e9a19ccfc0937005c4c985182",
		Name:          "ims_fullaccess",
		DisplayName:   IMSFullAccess,
		Description:   "All permissions of Image Management Service.",
		DescriptionCN: "镜像服务所有权限",
		Catalog:       "IMS",
		Type:          "XA",
		Flag:          "fine_grained",
		Source:        `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:*:*"]}]}`,
	},
	{
		ID:            "03ed6a9bd112acd271ebdf5fc7bb55bb",
		Name:          "ims_readonlyaccess",
		DisplayName:   IMSReadOnlyAccess,
		Description:   "Read-only permissions of Image Management Service.",
		DescriptionCN: "镜像服务只读权限",
		Catalog:       "IMS",
		Type:          "XA",
		Flag:          "fine_grained",
		Source:        `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["ims:*:get*","ims:*:list*"]}]}`,
	},
	{
		ID:            "7999fb6477bf26608af2f2ffbbd4b7ff",
		Name:          "kms_cmkfullaccess",
		DisplayName:   KMSCMKFullAccess,
		Description:   "All permissions for KMS keys (CMKs) and data keys.",
		DescriptionCN: "密钥管理服务（KMS）加密密钥所有权限",
		Catalog:       "KMS",
		Type:          "XA",
		Flag:          "fine_grained",
		Source:        `{"Version":"1.1","Statement":[{"Effect":"Allow","Action":["kms:cmk:*","kms:dek:*"]}]}`,
	},
	{
		ID:            "9f7381794f241543f597204bd5de20ac",
		Name:          "ims_adm",
		DisplayName:   IMSAdministrator,
		Description:   "Image Management Service administrator; depends on Tenant Administrator in the same project.",
		DescriptionCN: "镜像服务管理员，需同时授予同项目的Tenant Administrator",
		Catalog:       "IMS",
		Type:          "XA",
		Source: `{"Version":"1.0","Statement":[{"Effect":"Allow","Action":["ims:*:*"]}],` +
			`"Depends":[{"catalog":"BASE","display_name":"Tenant Administrator"}]}`,
	},
})

// mustCompileSystem compiles the catalogue; its documents are constants
// covered by tests, so a failure is a programming error.
func mustCompileSystem(list []SystemPolicy) []SystemPolicy {
	for i := range list {
		list[i].policy = MustCompile(list[i].Document())
	}
	return list
}

// SystemPolicies returns every system permission, policies and roles.
func SystemPolicies() []SystemPolicy { return slices.Clone(systemPolicies) }

// SystemPolicyByID finds a system permission by id.
func SystemPolicyByID(id string) (SystemPolicy, bool) {
	for _, s := range systemPolicies {
		if s.ID == id {
			return s, true
		}
	}
	return SystemPolicy{}, false
}

// SystemPolicyByName finds a system permission by internal name ("te_admin")
// or display name ("Tenant Administrator"), exactly.
func SystemPolicyByName(name string) (SystemPolicy, bool) {
	for _, s := range systemPolicies {
		if s.Name == name || s.DisplayName == name {
			return s, true
		}
	}
	return SystemPolicy{}, false
}
