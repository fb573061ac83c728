package service

import (
	"context"
	"errors"
	"path"
	"strings"

	"github.com/imsd/imsd"
)

// objectURL is an object of the object storage named as IMS names OBS
// files: "bucket:key".
type objectURL struct {
	Bucket, Key string
}

func (u objectURL) String() string { return u.Bucket + ":" + u.Key }

// maxObjectKey is the longest object key S3 and OBS allow, in bytes.
const maxObjectKey = 1024

// parseObjectURL parses "bucket:key". export selects the error codes of
// ExportImage's bucket_url.
func parseObjectURL(s string, export bool) (objectURL, error) {
	field := "image_url"
	if export {
		field = "bucket_url"
	}
	bucket, key, ok := strings.Cut(s, ":")
	switch {
	case s == "" && export:
		return objectURL{}, imsd.Errorf(imsd.CodeBucketNameEmpty, "bucket_url is required: \"bucket:path/to/file\".")
	case !ok:
		return objectURL{}, imsd.Errorf(imsd.CodeURLInvalid, "%s must look like \"bucket:path/to/file\", not %q.", field, s)
	case bucket == "":
		return objectURL{}, imsd.Errorf(imsd.CodeBucketNameEmpty, "The bucket of %s %q is empty.", field, s)
	case !validBucketName(bucket):
		return objectURL{}, imsd.Errorf(imsd.CodeBucketNameInvalid, "Bucket name %q is invalid: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit.", bucket)
	case key == "" && export:
		return objectURL{}, imsd.Errorf(imsd.CodeExportFileNameEmpty, "bucket_url %q names no file after the bucket.", s)
	case key == "" || strings.HasSuffix(key, "/"):
		return objectURL{}, imsd.Errorf(imsd.CodeURLInvalid, "%s %q names no file after the bucket.", field, s)
	case len(key) > maxObjectKey:
		return objectURL{}, imsd.Errorf(imsd.CodeExportFileNameLong, "The file name in %s exceeds %d bytes.", field, maxObjectKey)
	}
	return objectURL{Bucket: bucket, Key: key}, nil
}

// validBucketName applies the S3 (and OBS) bucket naming rules.
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 || strings.Contains(b, "..") {
		return false
	}
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	for i := 0; i < len(b); i++ {
		if c := b[i]; !alnum(c) && c != '.' && c != '-' {
			return false
		}
	}
	return alnum(b[0]) && alnum(b[len(b)-1])
}

// fileFormats maps the extensions of image files to the disk format they
// declare. ".img" is used for raw and qcow2 images alike: it declares
// nothing, and the detected format is taken.
var fileFormats = map[string]string{
	".qcow2": "qcow2", ".qcow": "qcow", ".vhd": "vhd", ".vhdx": "vhdx", ".vmdk": "vmdk", ".raw": "raw",
	".iso": "iso", ".qed": "qed", ".vdi": "vdi", ".zvhd": "zvhd", ".zvhd2": "zvhd2", ".img": "",
}

// fileFormat returns the disk format an image file's name declares; ok is
// false for a name no image file has.
func fileFormat(key string) (format string, ok bool) {
	format, ok = fileFormats[strings.ToLower(path.Ext(key))]
	return format, ok
}

// fileFormatError is the error for a file whose name is no image file's.
func fileFormatError(key string) error {
	return imsd.Errorf(imsd.CodeImageFileInvalid, "The image file %q must end in .qcow2, .vhd, .vhdx, .vmdk, .raw, .img, .iso, .qed, .vdi, .qcow, .zvhd or .zvhd2.", key)
}

// statImportObject checks, before a job is accepted, that the object to
// import exists, is not empty and is within the size limit.
func (s *Service) statImportObject(ctx context.Context, u objectURL) (imsd.ObjectInfo, error) {
	if s.objects == nil {
		return imsd.ObjectInfo{}, imsd.Errorf(imsd.CodeBucketUnavailable, "This server has no object storage configured (imsd --import-s3-endpoint); import from a file is not available.")
	}
	info, err := s.objects.Stat(ctx, u.Bucket, u.Key)
	if err != nil {
		return imsd.ObjectInfo{}, objectError(err, u)
	}
	if info.Size == 0 {
		return imsd.ObjectInfo{}, imsd.Errorf(imsd.CodeImageFileInvalid, "The image file %s is empty.", u)
	}
	if info.Size > s.cfg.MaxImageSize {
		return imsd.ObjectInfo{}, imsd.Errorf(imsd.CodeImageFileTooLarge, "The image file %s has %d bytes; the limit is %d.", u, info.Size, s.cfg.MaxImageSize)
	}
	return info, nil
}

// objectError translates an object-storage error into the IMS answer. A
// bucket that does not exist and one this server may not use answer alike.
func objectError(err error, u objectURL) error {
	switch {
	case errors.Is(err, imsd.ErrNoSuchBucket), errors.Is(err, imsd.ErrAccessDenied):
		return &imsd.Error{Code: imsd.CodeBucketUnavailable, Message: "The bucket " + u.Bucket + " cannot be accessed.", Err: err}
	case errors.Is(err, imsd.ErrNotFound):
		return imsd.Errorf(imsd.CodeImageFileInvalid, "The image file %s does not exist.", u)
	}
	return internal(err, "object storage")
}
