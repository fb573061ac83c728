package api

import "net/http"

// IAM and EPS routes are global (no project needed). Their paths follow the
// Huawei SDK's iam/v3 and eps/v1 clients; a Keystone {project_id} segment
// is named {iam_project_id} here because the server checks {project_id}
// against the request's own project. Actions follow Huawei's fine-grained
// IAM and EPS action names; the all-projects grant actions and
// iam:tokens:validate are imsd's [inferred] names.

// iam returns a global IAM/EPS route.
func iam(name, method, pattern string, actions ...string) Route {
	return Route{Name: name, Method: method, Pattern: pattern, Actions: actions, Global: true}
}

// self marks a route that answers only about the caller (Route.Self).
func self(r Route) Route {
	r.Self = true
	return r
}

const (
	pathUsers     = "/v3/users"
	pathUser      = "/v3/users/{user_id}"
	pathGroups    = "/v3/groups"
	pathGroup     = "/v3/groups/{group_id}"
	pathMember    = "/v3/groups/{group_id}/users/{user_id}"
	pathCreds     = "/v3.0/OS-CREDENTIAL/credentials"
	pathCred      = "/v3.0/OS-CREDENTIAL/credentials/{access_key}"
	pathCustom    = "/v3.0/OS-ROLE/roles"
	pathCustomOne = "/v3.0/OS-ROLE/roles/{role_id}"
	pathProjGrant = "/v3/projects/{iam_project_id}/groups/{group_id}/roles/{role_id}"
	pathDomGrant  = "/v3/domains/{domain_id}/groups/{group_id}/roles/{role_id}"
	pathAllGrant  = "/v3/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles/{role_id}/inherited_to_projects"
	pathEPGrant   = "/v3.0/OS-PERMISSION/enterprise-projects/{enterprise_project_id}/groups/{group_id}/roles/{role_id}"
	pathEPs       = "/v1.0/enterprise-projects"
	pathEP        = "/v1.0/enterprise-projects/{enterprise_project_id}"
)

// iamRoutes are the identity (IAM) and enterprise-project (EPS) endpoints.
var iamRoutes = []Route{
	// Keystone version discovery and tokens (iam.md §5).
	{Name: "KeystoneShowVersion", Method: http.MethodGet, Pattern: "/v3", Public: true},
	{Name: "KeystoneCreateUserTokenByPassword", Method: http.MethodPost, Pattern: "/v3/auth/tokens", Public: true},
	iam("KeystoneValidateToken", http.MethodGet, "/v3/auth/tokens", "iam:tokens:validate"),
	self(iam("KeystoneListAuthDomains", http.MethodGet, "/v3/auth/domains", "iam:users:getUser")),

	iam("KeystoneCreateProject", http.MethodPost, "/v3/projects", "iam:projects:create"),
	iam("KeystoneListProjects", http.MethodGet, "/v3/projects", "iam:projects:list"),
	iam("KeystoneShowProject", http.MethodGet, "/v3/projects/{iam_project_id}", "iam:projects:get"),

	iam("KeystoneCreateUser", http.MethodPost, pathUsers, "iam:users:createUser"),
	iam("CreateUser", http.MethodPost, "/v3.0/OS-USER/users", "iam:users:createUser"),
	iam("KeystoneListUsers", http.MethodGet, pathUsers, "iam:users:listUsers"),
	iam("KeystoneShowUser", http.MethodGet, pathUser, "iam:users:getUser"),
	iam("ShowUser", http.MethodGet, "/v3.0/OS-USER/users/{user_id}", "iam:users:getUser"),
	iam("KeystoneUpdateUserByAdmin", http.MethodPatch, pathUser, "iam:users:updateUser"),
	iam("KeystoneUpdateUserPassword", http.MethodPost, pathUser+"/password", "iam:users:updateUser"),
	iam("KeystoneDeleteUser", http.MethodDelete, pathUser, "iam:users:deleteUser"),
	iam("KeystoneListGroupsForUser", http.MethodGet, pathUser+"/groups", "iam:groups:listGroupsForUser"),

	iam("KeystoneCreateGroup", http.MethodPost, pathGroups, "iam:groups:createGroup"),
	iam("KeystoneListGroups", http.MethodGet, pathGroups, "iam:groups:listGroups"),
	iam("KeystoneShowGroup", http.MethodGet, pathGroup, "iam:groups:getGroup"),
	iam("KeystoneUpdateGroup", http.MethodPatch, pathGroup, "iam:groups:updateGroup"),
	iam("KeystoneDeleteGroup", http.MethodDelete, pathGroup, "iam:groups:deleteGroup"),
	iam("KeystoneAddUserToGroup", http.MethodPut, pathMember, "iam:groups:addUserToGroup"),
	iam("KeystoneRemoveUserFromGroup", http.MethodDelete, pathMember, "iam:groups:removeUserFromGroup"),
	iam("KeystoneCheckUserInGroup", http.MethodHead, pathMember, "iam:groups:checkUserInGroup"),
	iam("KeystoneListUsersForGroupByAdmin", http.MethodGet, pathGroup+"/users", "iam:users:listUsersForGroup"),

	iam("CreatePermanentAccessKey", http.MethodPost, pathCreds, "iam:credentials:createCredential"),
	iam("ListPermanentAccessKeys", http.MethodGet, pathCreds, "iam:credentials:listCredentials"),
	iam("ShowPermanentAccessKey", http.MethodGet, pathCred, "iam:credentials:getCredential"),
	iam("UpdatePermanentAccessKey", http.MethodPut, pathCred, "iam:credentials:updateCredential"),
	iam("DeletePermanentAccessKey", http.MethodDelete, pathCred, "iam:credentials:deleteCredential"),

	iam("KeystoneListPermissions", http.MethodGet, "/v3/roles", "iam:roles:listRoles"),
	iam("KeystoneShowPermission", http.MethodGet, "/v3/roles/{role_id}", "iam:roles:getRole"),
	iam("CreateCloudServiceCustomPolicy", http.MethodPost, pathCustom, "iam:roles:createRole"),
	iam("ListCustomPolicies", http.MethodGet, pathCustom, "iam:roles:listRoles"),
	iam("ShowCustomPolicy", http.MethodGet, pathCustomOne, "iam:roles:getRole"),
	iam("UpdateCloudServiceCustomPolicy", http.MethodPatch, pathCustomOne, "iam:roles:updateRole"),
	iam("DeleteCustomPolicy", http.MethodDelete, pathCustomOne, "iam:roles:deleteRole"),

	iam("KeystoneAssociateGroupWithProjectPermission", http.MethodPut, pathProjGrant, "iam:permissions:grantRoleToGroupOnProject"),
	iam("KeystoneCheckProjectPermissionForGroup", http.MethodHead, pathProjGrant, "iam:permissions:checkRoleForGroupOnProject"),
	iam("KeystoneRemoveProjectPermissionFromGroup", http.MethodDelete, pathProjGrant, "iam:permissions:revokeRoleFromGroupOnProject"),
	iam("KeystoneListProjectPermissionsForGroup", http.MethodGet, "/v3/projects/{iam_project_id}/groups/{group_id}/roles", "iam:permissions:listRolesForGroupOnProject"),
	iam("KeystoneAssociateGroupWithDomainPermission", http.MethodPut, pathDomGrant, "iam:permissions:grantRoleToGroupOnDomain"),
	iam("KeystoneCheckDomainPermissionForGroup", http.MethodHead, pathDomGrant, "iam:permissions:checkRoleForGroupOnDomain"),
	iam("KeystoneRemoveDomainPermissionFromGroup", http.MethodDelete, pathDomGrant, "iam:permissions:revokeRoleFromGroupOnDomain"),
	iam("KeystoneListDomainPermissionsForGroup", http.MethodGet, "/v3/domains/{domain_id}/groups/{group_id}/roles", "iam:permissions:listRolesForGroupOnDomain"),
	iam("UpdateDomainGroupInheritRole", http.MethodPut, pathAllGrant, "iam:permissions:grantRoleToAllProjects"),
	iam("KeystoneCheckroleForGroup", http.MethodHead, pathAllGrant, "iam:permissions:checkRoleForAllProjects"),
	iam("DeleteDomainGroupInheritedRole", http.MethodDelete, pathAllGrant, "iam:permissions:revokeRoleFromAllProjects"),
	iam("KeystoneListAllProjectPermissionsForGroup", http.MethodGet, "/v3/OS-INHERIT/domains/{domain_id}/groups/{group_id}/roles/inherited_to_projects", "iam:permissions:listRolesForAllProjects"),
	iam("AssociateRoleToGroupOnEnterpriseProject", http.MethodPut, pathEPGrant, "iam:permissions:grantRoleToGroupOnEnterpriseProject"),
	iam("RevokeRoleFromGroupOnEnterpriseProject", http.MethodDelete, pathEPGrant, "iam:permissions:revokeRoleFromGroupOnEnterpriseProject"),
	iam("ListRolesForGroupOnEnterpriseProject", http.MethodGet, "/v3.0/OS-PERMISSION/enterprise-projects/{enterprise_project_id}/groups/{group_id}/roles", "iam:permissions:listRolesForGroupOnEnterpriseProject"),
	iam("ListEnterpriseProjectsForGroup", http.MethodGet, "/v3.0/OS-PERMISSION/groups/{group_id}/enterprise-projects", "iam:permissions:listEnterpriseProjectsForGroup"),
	iam("ListGroupsForEnterpriseProject", http.MethodGet, "/v3.0/OS-PERMISSION/enterprise-projects/{enterprise_project_id}/groups", "iam:permissions:listGroupsForEnterpriseProject"),

	iam("CreateEnterpriseProject", http.MethodPost, pathEPs, "eps:enterpriseProjects:create"),
	iam("ListEnterpriseProject", http.MethodGet, pathEPs, "eps:enterpriseProjects:list"),
	iam("ShowEnterpriseProject", http.MethodGet, pathEP, "eps:enterpriseProjects:get"),
	iam("UpdateEnterpriseProject", http.MethodPut, pathEP, "eps:enterpriseProjects:update"),
	// EnableEnterpriseProject and DisableEnterpriseProject share one path;
	// the body's action selects the IAM action.
	iam("EnableDisableEnterpriseProject", http.MethodPost, pathEP+"/action", "eps:enterpriseProjects:enable", "eps:enterpriseProjects:disable"),
	iam("MigrateResource", http.MethodPost, pathEP+"/resources-migrate", "eps:resources:add", actUpdate, actSrvImage),
	iam("ShowResourceBindEnterpriseProject", http.MethodPost, pathEP+"/resources/filter", "eps:resources:list"),
}
