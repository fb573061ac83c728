package imsd

// Error codes of the key service (KMS) and of IMS calls that use its keys.
//
// KMS.0202, KMS.0204, KMS.0205, KMS.0209, KMS.0210, KMS.0308 and KMS.1101
// are Huawei's published codes with their published meaning; KMS.0205
// (unknown key) is answered 404 here instead of Huawei's 400, since keys of
// other projects and accounts must look exactly like missing ones. The
// others are imsd's own [inferred] and listed in docs/compat.md. Their
// bodies use KMS's error shape {"error":{"error_code","error_msg"}}.
const (
	CodeKMSBadJSON         Code = "KMS.0202"
	CodeKMSMissingParam    Code = "KMS.0204"
	CodeKMSKeyNotFound     Code = "KMS.0205"
	CodeKMSKeyDisabled     Code = "KMS.0209"
	CodeKMSPendingDeletion Code = "KMS.0210"
	CodeKMSBadParam        Code = "KMS.0308"
	CodeKMSBadAlias        Code = "KMS.1101"
	CodeKMSForbidden       Code = "KMS.0403"
	CodeKMSAliasTaken      Code = "KMS.1104"
	CodeKMSTooManyKeys     Code = "KMS.1105"
	CodeKMSNotPending      Code = "KMS.1112"
	CodeKMSAliasNotFound   Code = "KMS.1116"
	CodeKMSKeyInUse        Code = "KMS.9001"

	// IMS codes about the key of a copy's source image (Huawei's
	// "original key" codes).
	CodeSourceKeyNotFound  Code = "IMG.0101"
	CodeSourceKeyDisabled  Code = "IMG.0102"
	CodeSourceKeyForbidden Code = "IMG.0103"
)

// kmsCodes are registered into the code table by init.
var kmsCodes = map[Code]CodeInfo{
	CodeKMSBadJSON:         {400, "Invalid JSON format of the request message."},
	CodeKMSMissingParam:    {400, "Parameters missing in the request message."},
	CodeKMSKeyNotFound:     {404, "Invalid key ID."},
	CodeKMSKeyDisabled:     {400, "The key has been disabled."},
	CodeKMSPendingDeletion: {400, "The key is in Scheduled deletion state and cannot be used."},
	CodeKMSBadParam:        {400, "Invalid parameter."},
	CodeKMSBadAlias:        {400, "Invalid key_alias."},
	CodeKMSForbidden:       {403, "Policy doesn't allow the action to be performed."},
	CodeKMSAliasTaken:      {409, "Duplicate key aliases."},
	CodeKMSTooManyKeys:     {400, "Too many keys."},
	CodeKMSNotPending:      {400, "The key is not in Pending deletion state."},
	CodeKMSAliasNotFound:   {404, "The alias does not exist."},
	CodeKMSKeyInUse:        {409, "The key is in use by images and cannot be scheduled for deletion."},

	CodeSourceKeyNotFound:  {400, "The KMS key of the source image does not exist."},
	CodeSourceKeyDisabled:  {400, "The KMS key of the source image is not enabled."},
	CodeSourceKeyForbidden: {400, "You do not have permission to access the KMS key of the source image."},
}

func init() {
	for c, info := range kmsCodes {
		codes[c] = info
	}
}
