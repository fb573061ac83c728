package imsd

// Error codes of image sharing, import from object storage and export, as
// Huawei's published table (IMG.0001–IMG.0242) has them, plus two of imsd's
// own (its codes start at IMG.0243; see error.go).
const (
	CodeURLInvalid           Code = "IMG.0017" // image_url / bucket_url not "bucket:object"
	CodeImageTypeInvalid     Code = "IMG.0024"
	CodeDiskSizeInvalid      Code = "IMG.0055"
	CodeOSTypeInvalid        Code = "IMG.0056"
	CodeImageFileInvalid     Code = "IMG.0057" // missing, empty or of the wrong format
	CodeOSInfoRequired       Code = "IMG.0166"
	CodeImageFileTooLarge    Code = "IMG.0059"
	CodeProjectIDInvalid     Code = "IMG.0067"
	CodeBucketNameEmpty      Code = "IMG.0068"
	CodeBucketUnavailable    Code = "IMG.0069"
	CodeExportFileExists     Code = "IMG.0070"
	CodeExportFormat         Code = "IMG.0072"
	CodeExportFileNameEmpty  Code = "IMG.0073"
	CodeExportFileNameLong   Code = "IMG.0074"
	CodeShareWithSelf        Code = "IMG.0076"
	CodeExportPublic         Code = "IMG.0077"
	CodeShareQuota           Code = "IMG.0088"
	CodeSharePublic          Code = "IMG.0089"
	CodeShareEncrypted       Code = "IMG.0098"
	CodeBucketNameInvalid    Code = "IMG.0109"
	CodeExportWholeImage     Code = "IMG.0128"
	CodeShareWholeImage      Code = "IMG.0135"
	CodeFirmwareInvalid      Code = "IMG.0141"
	CodeImageExporting       Code = "IMG.0148"
	CodeSharedNotAccepted    Code = "IMG.0196"
	CodeSharedEncryptedCopy  Code = "IMG.0197"
	CodeArchitectureInvalid  Code = "IMG.0212"
	CodeMemberExists         Code = "IMG.0263"
	CodeImportMethodDisabled Code = "IMG.0264"
)

// transferCodes are registered into the code table by init.
var transferCodes = map[Code]CodeInfo{
	CodeURLInvalid:           {400, "The URL format is incorrect."},
	CodeImageTypeInvalid:     {400, "The image type in the request is incorrect."},
	CodeDiskSizeInvalid:      {400, "The memory or disk size is invalid."},
	CodeOSTypeInvalid:        {400, "The OS type is invalid."},
	CodeImageFileInvalid:     {400, "The image file does not exist, is empty, or in the incorrect format."},
	CodeOSInfoRequired:       {400, "OS information must be contained in the ISO files used to create images."},
	CodeImageFileTooLarge:    {400, "The size of the image file exceeds the maximum allowed."},
	CodeProjectIDInvalid:     {400, "The project ID is incorrect."},
	CodeBucketNameEmpty:      {400, "The specified bucket name is empty."},
	CodeBucketUnavailable:    {400, "The specified bucket cannot be accessed."},
	CodeExportFileExists:     {400, "The image file already exists."},
	CodeExportFormat:         {400, "The specified image format is not supported."},
	CodeExportFileNameEmpty:  {400, "The name of the exported file is empty."},
	CodeExportFileNameLong:   {400, "The file name length exceeds the limit."},
	CodeShareWithSelf:        {400, "You cannot share an image with yourself."},
	CodeExportPublic:         {400, "The public image cannot be exported."},
	CodeShareQuota:           {400, "The number of shared images has reached the maximum allowed."},
	CodeSharePublic:          {400, "The public image cannot be shared."},
	CodeShareEncrypted:       {400, "The encrypted image cannot be shared."},
	CodeBucketNameInvalid:    {400, "The bucket name contains invalid characters."},
	CodeExportWholeImage:     {400, "The full-ECS image cannot be exported."},
	CodeShareWholeImage:      {400, "The full-ECS image cannot be shared."},
	CodeFirmwareInvalid:      {400, "The value of hw_firmware_type is not uefi or bios."},
	CodeImageExporting:       {400, "The image is being exported."},
	CodeSharedNotAccepted:    {400, "The image cannot be replicated because it is not accepted by the recipient."},
	CodeSharedEncryptedCopy:  {400, "Failed to replicate the shared image because it is encrypted using KMS."},
	CodeArchitectureInvalid:  {400, "The value of architecture is not x86 or arm."},
	CodeMemberExists:         {409, "The project is already a member of the image."},
	CodeImportMethodDisabled: {400, "The import method is not enabled on this server."},
}

func init() {
	for c, info := range transferCodes {
		codes[c] = info
	}
}
