package api

import "net/http"

// Key service routes: the subset of Huawei KMS v2 (SDK kms/v2) imsd serves,
// with Huawei's kms:cmk:* actions. KMS calls are project-scoped: the path
// carries {project_id}, checked against the request's project. Aliases are
// managed with kms:cmk:update and listed with kms:cmk:list [inferred].

const kmsBase = "/v1.0/{project_id}/kms"

// kms returns a key-service route; EnterpriseProject is set because KMS
// keys belong to enterprise projects like images.
func kms(name, method, path string, actions ...string) Route {
	return Route{Name: name, Method: method, Pattern: kmsBase + path, Actions: actions, EnterpriseProject: true}
}

var kmsRoutes = []Route{
	kms("CreateKey", http.MethodPost, "/create-key", "kms:cmk:create"),
	kms("ListKeys", http.MethodPost, "/list-keys", "kms:cmk:list"),
	kms("ListKeyDetail", http.MethodPost, "/describe-key", "kms:cmk:get"),
	kms("EnableKey", http.MethodPost, "/enable-key", "kms:cmk:enable"),
	kms("DisableKey", http.MethodPost, "/disable-key", "kms:cmk:disable"),
	kms("DeleteKey", http.MethodPost, "/schedule-key-deletion", "kms:cmk:update"),
	kms("CancelKeyDeletion", http.MethodPost, "/cancel-key-deletion", "kms:cmk:update"),
	kms("CreateAlias", http.MethodPost, "/aliases", "kms:cmk:update"),
	kms("ListAliases", http.MethodGet, "/aliases", "kms:cmk:list"),
	kms("DeleteAlias", http.MethodDelete, "/aliases", "kms:cmk:update"),
	kms("AssociateAlias", http.MethodPost, "/alias/associate", "kms:cmk:update"),
}
