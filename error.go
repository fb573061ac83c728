package imsd

import (
	"errors"
	"fmt"
)

// Code is an IMS wire error code such as "IMG.0013", or one of the gateway
// codes ("APIGW.0301") that real clients meet before a request reaches IMS.
type Code string

// CodeInfo describes one error code: the HTTP status it is answered with and
// the default message shown when the caller gives none.
type CodeInfo struct {
	Status  int
	Message string
}

// Error codes used by the service. The table below is the only place that
// maps a code to its HTTP status.
const (
	CodeBadRequest          Code = "IMG.0001" // request message format invalid
	CodeNameTooLong         Code = "IMG.0002"
	CodeNameInvalid         Code = "IMG.0003"
	CodeDescriptionTooLong  Code = "IMG.0004"
	CodeBodyEmpty           Code = "IMG.0007"
	CodeNameRequired        Code = "IMG.0013"
	CodeQuotaExceeded       Code = "IMG.0015"
	CodeJobSubmit           Code = "IMG.0018"
	CodeForbidden           Code = "IMG.0026"
	CodeImageProtected      Code = "IMG.0028"
	CodeProjectMismatch     Code = "IMG.0030"
	CodeAttrConflict        Code = "IMG.0035" // IMS PATCH: replace/remove of a missing attribute
	CodeImageUnavailable    Code = "IMG.0046"
	CodeOwnerOnly           Code = "IMG.0047"
	CodeDescriptionInvalid  Code = "IMG.0054"
	CodeInternal            Code = "IMG.0061"
	CodeImageIDInvalid      Code = "IMG.0066"
	CodeImageBusy           Code = "IMG.0090"
	CodeKeyNotFound         Code = "IMG.0095"
	CodeKeySame             Code = "IMG.0096"
	CodeKeyDisabled         Code = "IMG.0097"
	CodeKeyForbidden        Code = "IMG.0099"
	CodeUnsupported         Code = "IMG.0105"
	CodeWholeImage          Code = "IMG.0130"
	CodeImageNotFound       Code = "IMG.0144"
	CodeEnterpriseProject   Code = "IMG.0155"
	CodeISOImage            Code = "IMG.0167"
	CodeImageTooLarge       Code = "IMG.0160"
	CodeDiskFormatMismatch  Code = "IMG.0243"
	CodeUploadConflict      Code = "IMG.0244"
	CodeJobNotFound         Code = "IMG.0245"
	CodeRangeNotSatisfiable Code = "IMG.0246"
	CodeNotFound            Code = "IMG.0247"
	CodeConflict            Code = "IMG.0248"
	CodeAttrForbidden       Code = "IMG.0260" // Glance PATCH: read-only, reserved or not removable (403)
	CodeAttrState           Code = "IMG.0261" // Glance PATCH: missing or already present attribute (409)
	CodeUnsupportedMedia    Code = "IMG.0262" // PATCH with a content type it does not take (415)
	CodeJobEnded            Code = "IMG.0249"
	CodeJobCancelled        Code = "IMG.0250"
	CodeStorageFull         Code = "IMG.0251" // the blob store has no space left
	CodeAuthFailed          Code = "APIGW.0301"
	CodeRouteNotFound       Code = "APIGW.0101"
	CodeEntityTooLarge      Code = "APIGW.0201"
)

// codes is the table of every code the service emits. Codes from IMG.0243
// upward are imsd's own (Huawei's published list ends at IMG.0242); they are
// listed in docs/compat.md. IMG.0260–IMG.0262 carry the statuses Glance
// answers an image update with.
var codes = map[Code]CodeInfo{
	CodeBadRequest:          {400, "The request message format is invalid."},
	CodeNameTooLong:         {400, "The image name cannot exceed 128 characters."},
	CodeNameInvalid:         {400, "The image name format is invalid."},
	CodeDescriptionTooLong:  {400, "The image description cannot exceed 1024 characters."},
	CodeBodyEmpty:           {400, "The request body is empty."},
	CodeNameRequired:        {400, "The image name is not specified."},
	CodeQuotaExceeded:       {400, "The private image quota has been reached."},
	CodeJobSubmit:           {400, "Failed to submit the job."},
	CodeForbidden:           {403, "You do not have permission to perform this operation."},
	CodeImageProtected:      {400, "The image is protected and cannot be deleted."},
	CodeProjectMismatch:     {400, "The project ID and the token do not match."},
	CodeAttrConflict:        {400, "An attribute conflict occurred during the modification."},
	CodeImageUnavailable:    {400, "The image is unavailable."},
	CodeOwnerOnly:           {400, "Only the image owner can perform this operation."},
	CodeDescriptionInvalid:  {400, "The image description format is invalid."},
	CodeInternal:            {500, "Unknown system error."},
	CodeImageIDInvalid:      {400, "The image ID is incorrect."},
	CodeImageBusy:           {400, "The image is being created and cannot be deleted."},
	CodeKeyNotFound:         {400, "The KMS key does not exist."},
	CodeKeySame:             {400, "The specified KMS key ID must be different from the image key ID."},
	CodeKeyDisabled:         {400, "The KMS key is not enabled."},
	CodeKeyForbidden:        {400, "You do not have permission to access the KMS key."},
	CodeUnsupported:         {400, "The operation is not supported."},
	CodeWholeImage:          {400, "A full-ECS image cannot be exported or replicated."},
	CodeImageNotFound:       {404, "The image does not exist."},
	CodeEnterpriseProject:   {400, "The enterprise project ID is invalid."},
	CodeISOImage:            {400, "This operation cannot be performed for ISO images."},
	CodeImageTooLarge:       {400, "The image size exceeds the limit."},
	CodeDiskFormatMismatch:  {400, "The image data does not match the declared disk format."},
	CodeUploadConflict:      {409, "Image data can only be uploaded to a queued image."},
	CodeJobNotFound:         {404, "The job does not exist."},
	CodeRangeNotSatisfiable: {416, "The requested range cannot be satisfied."},
	CodeNotFound:            {404, "The resource does not exist."},
	CodeConflict:            {409, "The resource was changed concurrently; retry."},
	CodeAttrForbidden:       {403, "The attribute cannot be changed."},
	CodeAttrState:           {409, "The attribute does not exist, or exists already."},
	CodeUnsupportedMedia:    {415, "The request content type is not supported."},
	CodeJobEnded:            {409, "The job has already ended and cannot be cancelled."},
	CodeJobCancelled:        {409, "The job was cancelled."},
	CodeStorageFull:         {507, "The image store has no space left for the image data; nothing was stored."},
	CodeAuthFailed:          {401, "Incorrect IAM authentication information."},
	CodeRouteNotFound:       {404, "The API does not exist or has not been published."},
	CodeEntityTooLarge:      {413, "Request entity too large."},
}

// Info returns the status and default message of a code. Unknown codes are
// reported as internal errors.
func (c Code) Info() CodeInfo {
	if info, ok := codes[c]; ok {
		return info
	}
	return codes[CodeInternal]
}

// Codes returns a copy of the code table, for documentation and tests.
func Codes() map[Code]CodeInfo {
	out := make(map[Code]CodeInfo, len(codes))
	for k, v := range codes {
		out[k] = v
	}
	return out
}

// Error is an application error: a wire code plus a message that is safe to
// show to the caller. Anything that is not an *Error is internal and is
// reported with a generic message.
type Error struct {
	Code    Code
	Message string
	// Err is an optional cause, logged but never shown to the caller.
	Err error
}

// Errorf returns an *Error with a formatted message. An empty format uses the
// code's default message.
func Errorf(code Code, format string, args ...any) *Error {
	msg := code.Info().Message
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg}
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so callers can
// write errors.Is(err, &imsd.Error{Code: imsd.CodeImageNotFound}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorCode returns the wire code of err: its own for an *Error, CodeInternal
// for anything else, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, ErrInvalidText) {
		return CodeBadRequest
	}
	if errors.Is(err, ErrStorageFull) {
		return CodeStorageFull
	}
	return CodeInternal
}

// invalidTextMessage is the caller-safe message of ErrInvalidText.
const invalidTextMessage = "The request holds a NUL character or invalid UTF-8, which no id, name or value may contain."

// ErrorMessage returns the caller-safe message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if errors.Is(err, ErrInvalidText) {
		return invalidTextMessage
	}
	if errors.Is(err, ErrStorageFull) {
		return CodeStorageFull.Info().Message
	}
	return CodeInternal.Info().Message
}

// Storage-level sentinel errors. Every Store and BlobStore implementation
// returns exactly these (possibly wrapped) so the service can translate them.
var (
	// ErrNotFound means the requested row or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness or optimistic-concurrency check failed.
	ErrConflict = errors.New("conflict")
	// ErrDigestMismatch means committed blob data did not match the expected digest.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrCheckpointLater means a blob store cannot make a checkpoint at a
	// staged write's current size; more data must be written first.
	ErrCheckpointLater = errors.New("checkpoint not possible yet")
	// ErrInvalidText means a value holds text the store cannot keep or
	// compare (PostgreSQL refuses NUL characters and invalid UTF-8). It is
	// always the caller's input, never a server fault.
	ErrInvalidText = errors.New("text the store cannot hold")
	// ErrStorageFull means a blob store ran out of space (ENOSPC, a quota)
	// while writing. It is the server's condition, not the caller's
	// mistake, and answers 507 rather than an unknown error.
	ErrStorageFull = errors.New("no space left in the blob store")
)

// Internal wraps an unexpected error (what failed, and why) so that it is
// logged but never shown: the client gets CodeInternal's message. An *Error
// passes through unchanged, and ErrInvalidText keeps its own code (text the
// store cannot hold is the client's mistake). A nil err stays nil.
func Internal(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, ErrInvalidText) || errors.Is(err, ErrStorageFull) {
		return &Error{Code: ErrorCode(err), Message: ErrorMessage(err), Err: err}
	}
	return &Error{Code: CodeInternal, Message: CodeInternal.Info().Message, Err: fmt.Errorf("%s: %w", what, err)}
}
