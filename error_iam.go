package imsd

// Error codes of the identity (IAM) and enterprise-project (EPS) APIs.
// Huawei IAM answers with codes "IAM.nnnn" and EPS with "EPS.nnnn"; the
// numbers below follow the ones seen in Huawei's published examples
// (IAM.0003 forbidden, IAM.0004 not found, IAM.0006 internal, IAM.0007
// invalid parameter; EPS.0012 and EPS.0015 for the default enterprise
// project). IAM.0005 (conflict), EPS.0001, EPS.0003, EPS.0004 and EPS.0005
// are imsd's own choice [inferred]. The bodies use the IMS error shape
// ({"error":{"code","message"}}), which the Huawei SDK parses like IAM's.
const (
	CodeIAMForbidden     Code = "IAM.0003"
	CodeIAMNotFound      Code = "IAM.0004"
	CodeIAMConflict      Code = "IAM.0005"
	CodeIAMBadRequest    Code = "IAM.0007"
	CodeEPSBadRequest    Code = "EPS.0001"
	CodeEPSForbidden     Code = "EPS.0003"
	CodeEPSNotFound      Code = "EPS.0004"
	CodeEPSConflict      Code = "EPS.0005"
	CodeEPSDefaultRename Code = "EPS.0012"
	CodeEPSDefaultSwitch Code = "EPS.0015"
)

// iamCodes are registered into the code table by init.
var iamCodes = map[Code]CodeInfo{
	CodeIAMForbidden:     {403, "Policy doesn't allow the action to be performed."},
	CodeIAMNotFound:      {404, "Could not find the resource."},
	CodeIAMConflict:      {409, "The resource already exists."},
	CodeIAMBadRequest:    {400, "A request parameter is invalid."},
	CodeEPSBadRequest:    {400, "A request parameter is invalid."},
	CodeEPSForbidden:     {403, "Policy doesn't allow the action to be performed."},
	CodeEPSNotFound:      {404, "The enterprise project does not exist."},
	CodeEPSConflict:      {409, "An enterprise project with this name already exists."},
	CodeEPSDefaultRename: {400, "The default enterprise project cannot be modified."},
	CodeEPSDefaultSwitch: {400, "The default enterprise project cannot be enabled or disabled."},
}

func init() {
	for c, info := range iamCodes {
		codes[c] = info
	}
}
