package service

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/imsd/imsd"
)

// The two image-update APIs share one table of attributes (attrs below):
// each entry gives the attribute's JSON type and range, whether each API
// may change or remove it, and how it is stored. Glance's
// PATCH /v2/images/{id} follows OpenStack Glance (JSON types as in
// /v2/schemas/image, read-only attributes 403, a missing property 409);
// IMS's PATCH /v2/cloudimages/{id} follows Huawei IMS (values as strings or
// numbers, every refusal 400, IMG.0035 for a missing attribute).

// UpdateMode selects the rules of the two update APIs.
type UpdateMode int

// Update modes.
const (
	// UpdateIMS is PATCH /v2/cloudimages/{id}: only active images; numbers
	// and booleans may also be sent as strings (the SDK sends every value
	// as a string); refusals are 400, IMG.0035 when the attribute to
	// replace or remove does not exist.
	UpdateIMS UpdateMode = iota
	// UpdateGlance is PATCH /v2/images/{id} with
	// application/openstack-images-v2.1-json-patch: JSON types are strict;
	// replace and remove need an existing attribute (409); add of an
	// existing one replaces it; read-only attributes are 403.
	UpdateGlance
	// UpdateGlanceDraft4 is PATCH /v2/images/{id} with
	// application/openstack-images-v2.0-json-patch: operations are written
	// {"replace": "/name", "value": ...}, and add of an existing property
	// is a conflict (409).
	UpdateGlanceDraft4
)

func (m UpdateMode) glance() bool { return m != UpdateIMS }

// valueKind is the JSON type an attribute takes.
type valueKind int

const (
	kindString     valueKind = iota // a JSON string
	kindInteger                     // a JSON integer (IMS: also a decimal string)
	kindBoolean                     // true or false (IMS: also "true"/"false")
	kindStringList                  // a JSON array of strings
	kindIntString                   // a string holding a decimal integer (IMS: also a JSON integer)
	kindBoolString                  // the string "true" or "false" (IMS: also true/false)
)

// access says what an API may do with an attribute.
type access int

const (
	// accessNone: the API refuses every operation on it.
	accessNone access = iota
	// accessSet: add and replace.
	accessSet
	// accessSetRemove: add, replace and remove.
	accessSetRemove
)

// attr is one row of the attribute table.
type attr struct {
	name string
	kind valueKind
	// nullable: Glance accepts null (name, disk_format).
	nullable bool
	// enum lists the accepted values of a string ("" among them when an
	// empty value is accepted).
	enum []string
	// min and max bound integers; maxLen bounds strings, in characters.
	min, max int64
	maxLen   int
	// validate, when set, checks a string in place of maxLen and enum,
	// with the attribute's own error codes.
	validate func(s string) error
	// glance and ims say what each API may do with the attribute.
	glance, ims access
	// readOnly attributes are shown but never set by a client; reserved
	// ones are neither shown nor set. Both are 403 in Glance.
	readOnly, reserved bool
	// queuedOnly attributes change only while the image has no data
	// (Glance: 403 otherwise).
	queuedOnly bool
	// prop attributes live in Image.Properties and may be absent: replace
	// and remove need them present.
	prop bool
	// nullSchema marks a read-only attribute the views may show as null.
	nullSchema bool
	// set stores a checked value (string, int64, bool, []string or nil)
	// on the image; prop attributes without one store their string form.
	set func(u *imageUpdate, v any) error
	// remove clears a typed attribute (prop attributes are deleted).
	remove func(img *imsd.Image)
	// description goes into /v2/schemas/image.
	description string
}

// Limits of attribute values.
const (
	// maxPropertyValue is the longest custom property value (characters).
	maxPropertyValue = 255
	// maxPropertyName is the longest custom property name.
	maxPropertyName = 255
	// MaxImageProperties bounds the properties (custom and IMS extension)
	// one image may carry, as Glance's image_property_quota does.
	MaxImageProperties = 128
	// maxMinDisk is the largest min_disk (GB) IMS accepts.
	maxMinDisk = 1024
)

// Image visibilities Glance knows; imsd keeps every image private.
var visibilities = []string{"private", "public", "shared", "community"}

// IMS extension attributes whose values are the strings "true" or "false":
// the ones IMS documents as updatable, plus __support_kvm.
var imsFlags = []string{
	"__support_xen", "__support_largememory", "__support_diskintensive", "__support_highperformance",
	"__support_xen_hana", "__is_config_init", "hw_vif_multiqueue_enabled", "__support_kvm_infiniband",
	"__support_fc_inject", "__support_amd", "__support_kvm_hi1822_hisriov", "__support_kvm_hi1822_hivirtionet",
	"__support_kvm",
}

// readOnlyShown are the attributes images show but only the service sets,
// with their JSON types in the views.
var readOnlyShown = []attr{
	{name: "id", description: "An identifier for the image"},
	{name: "status", enum: []string{"queued", "saving", "active", "killed", "deleted"}, description: "Status of the image"},
	{name: "owner", description: "The project that owns the image"},
	{name: "size", kind: kindInteger, nullSchema: true, description: "Size of the image data in bytes"},
	{name: "virtual_size", kind: kindInteger, nullSchema: true, description: "Virtual size of the disk in bytes"},
	{name: "checksum", maxLen: 32, nullSchema: true, description: "MD5 of the image data"},
	{name: "os_hash_algo", nullSchema: true, description: "Algorithm of os_hash_value (sha256)"},
	{name: "os_hash_value", nullSchema: true, description: "SHA-256 of the image data"},
	{name: "created_at", description: "When the image was created"},
	{name: "updated_at", description: "When the image was last changed"},
	{name: "active_at", description: "When the image became active"},
	{name: "self", description: "URL of the image"},
	{name: "file", description: "URL of the image data"},
	{name: "schema", description: "URL of this schema"},
	{name: "virtual_env_type", description: "FusionCompute, DataImage, Ironic or IsoImage"},
	{name: "_sys_enterprise_project_id", description: "The enterprise project of the image"},
	{name: "__imagetype", description: "private, gold, shared or market"},
	{name: "__isregistered", description: "\"true\": the image is registered"},
	{name: "__image_source_type", description: "Storage backend of the image"},
	{name: "__image_size", description: "Size of the image data in bytes, as a string"},
	{name: "__os_type", description: "Derived from __os_version"},
	{name: "__os_bit", description: "Derived from __os_version"},
	{name: "__platform", description: "Derived from __os_version"},
	{name: "__root_origin", description: "\"file\" when the data was uploaded"},
	{name: "__originalimagename", description: "The image this one was copied from"},
	{name: "__data_origin", description: "Where the data came from"},
	{name: "__system__cmkid", description: "The KMS key the data is encrypted with"},
	{name: "__system_encrypted", description: "\"1\" when the data is encrypted"},
	{name: "__whole_image", description: "Whether the image is a full-ECS image"},
	{name: "__system_support_market", kind: kindBoolean, description: "Whether the image is sold in the marketplace"},
}

// reservedNames are neither shown nor settable: Glance's reserved and
// hidden attributes, and names clients decode as non-strings
// (gophercloud reads "metadata" as an object).
var reservedNames = []string{"location", "locations", "direct_url", "deleted", "deleted_at", "stores", "metadata"}

// attrs is the attribute table, by name.
var attrs = buildAttrs()

func buildAttrs() map[string]*attr {
	rows := []attr{
		{name: "name", nullable: true, maxLen: 255, glance: accessSet, ims: accessSet, set: setName,
			description: "Descriptive name for the image"},
		{name: "visibility", enum: visibilities, glance: accessSet, set: setVisibility,
			description: "Scope of image accessibility; imsd keeps every image private"},
		{name: "protected", kind: kindBoolean, glance: accessSet, ims: accessSet,
			set:         func(u *imageUpdate, v any) error { u.img.Protected = v.(bool); return nil },
			description: "If true, the image cannot be deleted"},
		{name: "os_hidden", kind: kindBoolean, glance: accessSet, set: setHidden,
			description: "If true, the image is not listed unless asked for with os_hidden=true"},
		{name: "min_disk", kind: kindInteger, max: maxMinDisk, glance: accessSet, ims: accessSet,
			set:         func(u *imageUpdate, v any) error { u.img.MinDisk = int(v.(int64)); return nil },
			description: "Amount of disk space (GB) required to boot the image"},
		{name: "min_ram", kind: kindInteger, max: math.MaxInt32, glance: accessSet, ims: accessSet,
			set:         func(u *imageUpdate, v any) error { u.img.MinRAM = int(v.(int64)); return nil },
			description: "Amount of RAM (MB) required to boot the image"},
		{name: "tags", kind: kindStringList, maxLen: 255, glance: accessSet, set: setTags,
			description: "List of strings related to the image; \"key=value\" strings are IMS tags"},
		{name: "container_format", enum: []string{"bare"}, glance: accessSet, queuedOnly: true,
			set:         func(u *imageUpdate, v any) error { u.img.ContainerFormat = v.(string); return nil },
			description: "Format of the container"},
		{name: "disk_format", nullable: true, enum: diskFormatEnum(), glance: accessSet, queuedOnly: true, set: setDiskFormat,
			description: "Format of the disk; empty until declared or detected from the data"},
		{name: "__description", maxLen: 1024, validate: imsd.ValidateDescription, glance: accessSetRemove, ims: accessSetRemove, set: setDescription,
			remove:      func(img *imsd.Image) { img.Description = "" },
			description: "Description of the image"},
		{name: "__os_version", maxLen: 255, glance: accessSet, ims: accessSet, set: setOSVersion,
			description: "Operating system of the image, e.g. \"Ubuntu 22.04 server 64bit\""},
		{name: "enterprise_project_id", maxLen: 64, glance: accessSet, ims: accessSet, set: setEnterpriseProject,
			description: "Enterprise project of the image (\"0\": the default one)"},
		{name: "hw_firmware_type", enum: []string{"bios", "uefi"}, glance: accessSetRemove, ims: accessSetRemove, prop: true,
			description: "Boot firmware: bios or uefi"},
		{name: "max_ram", kind: kindIntString, max: math.MaxInt32, glance: accessSetRemove, ims: accessSetRemove, prop: true,
			description: "Largest RAM (MB) the image supports, as a string"},
		{name: "__support_xen_gpu_type", maxLen: maxPropertyValue, glance: accessSetRemove, ims: accessSetRemove, prop: true,
			description: "GPU type supported on Xen"},
		{name: "__support_kvm_gpu_type", maxLen: maxPropertyValue, glance: accessSetRemove, ims: accessSetRemove, prop: true,
			description: "GPU type supported on KVM"},
	}
	for _, f := range imsFlags {
		rows = append(rows, attr{name: f, kind: kindBoolString, glance: accessSetRemove, ims: accessSetRemove, prop: true,
			description: "\"true\" when the image has the feature"})
	}
	for _, a := range readOnlyShown {
		a.readOnly = true
		rows = append(rows, a)
	}
	for _, n := range reservedNames {
		rows = append(rows, attr{name: n, reserved: true})
	}
	m := make(map[string]*attr, len(rows))
	for i := range rows {
		m[rows[i].name] = &rows[i]
	}
	return m
}

func diskFormatEnum() []string {
	out := []string{""}
	for _, f := range []string{"vhd", "zvhd", "zvhd2", "raw", "qcow2", "vmdk", "vhdx", "vdi", "iso", "qed", "qcow"} {
		if DiskFormats[f] {
			out = append(out, f)
		}
	}
	return out
}

// customAttr is the row of every property the table does not name.
var customAttr = attr{kind: kindString, maxLen: maxPropertyValue, glance: accessSetRemove, ims: accessSetRemove, prop: true}

// lookupAttr returns the table row of an attribute, a custom property's
// row for a valid property name, or the error for a name nobody may use.
func lookupAttr(name string, mode UpdateMode) (*attr, error) {
	if a, ok := attrs[name]; ok {
		return a, nil
	}
	if strings.HasPrefix(name, internalPropPrefix) || strings.HasPrefix(name, "os_glance_") {
		return nil, refuse(mode, imsd.CodeAttrForbidden, "Attribute %q is reserved.", name)
	}
	if err := ValidatePropertyName(name); err != nil {
		return nil, err
	}
	a := customAttr
	a.name = name
	return &a, nil
}

// ValidatePropertyName checks the name of a custom property: 1 to 255
// characters from lower-case ASCII letters, digits and "_ - . :" (IMS
// refuses upper case; the rest keeps names safe in URLs, JSON pointers,
// query strings and logs).
func ValidatePropertyName(name string) error {
	if name == "" || len(name) > maxPropertyName {
		return imsd.Errorf(imsd.CodeBadRequest, "Property names must be 1 to %d characters.", maxPropertyName)
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '-', r == '.', r == ':':
		case r >= 'A' && r <= 'Z':
			return imsd.Errorf(imsd.CodeBadRequest, "Property name %q must not contain upper-case letters.", name)
		default:
			return imsd.Errorf(imsd.CodeBadRequest, "Property name %q contains %q; names may hold lower-case letters, digits, '_', '-', '.' and ':'.", name, r)
		}
	}
	return nil
}

// refuse returns the error for an operation the attribute table forbids:
// Glance's status (403 or 409) for Glance, 400 (IMG.0035 for a missing
// attribute) for IMS.
func refuse(mode UpdateMode, glanceCode imsd.Code, format string, args ...any) error {
	code := glanceCode
	if !mode.glance() {
		code = imsd.CodeBadRequest
		if glanceCode == imsd.CodeAttrState {
			code = imsd.CodeAttrConflict
		}
	}
	return imsd.Errorf(code, format, args...)
}

// imageUpdate is an image being changed by one PATCH request.
type imageUpdate struct {
	img  *imsd.Image
	mode UpdateMode
	// checkEP validates and authorizes a new enterprise project.
	checkEP func(ep string) error
}

// apply performs one operation on u.img after checking it against the
// attribute table.
func (u *imageUpdate) apply(op PatchOp) error {
	a, err := lookupAttr(op.Attr, u.mode)
	if err != nil {
		return err
	}
	if a.reserved {
		return refuse(u.mode, imsd.CodeAttrForbidden, "Attribute %q is reserved.", a.name)
	}
	if a.readOnly {
		return refuse(u.mode, imsd.CodeAttrForbidden, "Attribute %q is read-only.", a.name)
	}
	acc := a.ims
	if u.mode.glance() {
		acc = a.glance
	}
	if acc == accessNone {
		return refuse(u.mode, imsd.CodeAttrForbidden, "Attribute %q cannot be changed through this API.", a.name)
	}
	_, exists := u.img.Properties[a.name]
	exists = exists || !a.prop
	if op.Op == "remove" {
		if acc != accessSetRemove {
			return refuse(u.mode, imsd.CodeAttrForbidden, "Attribute %q may not be removed.", a.name)
		}
		if !exists {
			return refuse(u.mode, imsd.CodeAttrState, "Attribute %q does not exist.", a.name)
		}
		if a.prop {
			delete(u.img.Properties, a.name)
		} else {
			a.remove(u.img)
		}
		return nil
	}
	v, err := a.decode(op.Value, u.mode)
	if err != nil {
		return err
	}
	switch {
	case op.Op == "replace" && !exists && u.mode.glance():
		return refuse(u.mode, imsd.CodeAttrState, "Attribute %q does not exist; use add.", a.name)
	case op.Op == "add" && exists && u.mode == UpdateGlanceDraft4:
		return refuse(u.mode, imsd.CodeAttrState, "Attribute %q is already present; use replace.", a.name)
	case a.queuedOnly && u.img.Status != imsd.ImageQueued:
		return refuse(u.mode, imsd.CodeAttrForbidden, "Attribute %q can only be changed while the image is queued (it is %s).", a.name, u.img.Status)
	}
	if a.set != nil {
		return a.set(u, v)
	}
	if u.img.Properties == nil {
		u.img.Properties = map[string]string{}
	}
	u.img.Properties[a.name] = propString(v)
	return nil
}

// propString is how a checked value is stored as a property.
func propString(v any) string {
	switch t := v.(type) {
	case int64:
		return strconv.FormatInt(t, 10)
	case bool:
		return strconv.FormatBool(t)
	case string:
		return t
	}
	return ""
}

// decode checks a raw JSON value against the attribute's type and range
// in the given mode and returns it as a string, int64, bool, []string, or
// nil (null).
func (a *attr) decode(raw json.RawMessage, mode UpdateMode) (any, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The value of %q is not valid JSON.", a.name)
	}
	lenient := !mode.glance() // IMS: the SDK sends every value as a string
	if v == nil {
		if a.nullable && mode.glance() {
			return nil, nil
		}
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be %s, not null.", a.name, a.typeName())
	}
	switch a.kind {
	case kindString:
		s, ok := v.(string)
		if !ok {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be a string.", a.name)
		}
		if a.name == "name" && lenient {
			return s, nil // IMS's name rules apply (setName)
		}
		return a.checkString(s)
	case kindInteger, kindIntString:
		var text string
		switch t := v.(type) {
		case json.Number:
			if a.kind == kindIntString && !lenient {
				return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be a string holding an integer, like \"1024\".", a.name)
			}
			text = t.String()
		case string:
			if a.kind == kindInteger && !lenient {
				return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be a JSON integer, not a string.", a.name)
			}
			text = t
		default:
			return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be %s.", a.name, a.typeName())
		}
		return a.checkInteger(text)
	case kindBoolean, kindBoolString:
		switch t := v.(type) {
		case bool:
			if a.kind == kindBoolString && !lenient {
				return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be the string \"true\" or \"false\".", a.name)
			}
			return t, nil
		case string:
			if (a.kind == kindBoolean && !lenient) || (t != "true" && t != "false") {
				return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be %s.", a.name, a.typeName())
			}
			return t == "true", nil
		}
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be %s.", a.name, a.typeName())
	case kindStringList:
		list, ok := v.([]any)
		if !ok {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be a JSON array of strings.", a.name)
		}
		out := make([]string, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be a JSON array of strings; element %d is not a string.", a.name, i)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, imsd.Errorf(imsd.CodeBadRequest, "%s cannot be set.", a.name)
}

func (a *attr) checkString(s string) (any, error) {
	if a.validate != nil {
		if err := a.validate(s); err != nil {
			return nil, err
		}
	} else if a.maxLen > 0 && utf8.RuneCountInString(s) > a.maxLen {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be at most %d characters.", a.name, a.maxLen)
	}
	control := isControl
	if a.name == "__description" { // may span lines (no CR: ValidateDescription)
		control = func(r rune) bool { return r != '\n' && r != '\t' && isControl(r) }
	}
	if strings.IndexFunc(s, control) >= 0 {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must not contain control characters.", a.name)
	}
	if a.enum != nil && !contains(a.enum, s) {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be one of %s.", a.name, strings.Join(quoteAll(a.enum), ", "))
	}
	return s, nil
}

func (a *attr) checkInteger(text string) (any, error) {
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil || text != strconv.FormatInt(n, 10) && text != "-0" {
		// Leading zeros, signs, spaces, fractions and exponents are
		// refused: 1.0 and 1e3 are not Glance integers.
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be %s between %d and %d.", a.name, a.typeName(), a.min, a.max)
	}
	if n < a.min || n > a.max {
		return nil, imsd.Errorf(imsd.CodeBadRequest, "%s must be between %d and %d.", a.name, a.min, a.max)
	}
	return n, nil
}

// typeName describes the attribute's JSON type for messages.
func (a *attr) typeName() string {
	switch a.kind {
	case kindInteger:
		return "an integer"
	case kindBoolean:
		return "true or false"
	case kindStringList:
		return "a JSON array of strings"
	case kindIntString:
		return "a string holding an integer"
	case kindBoolString:
		return "the string \"true\" or \"false\""
	}
	return "a string"
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}

func setName(u *imageUpdate, v any) error {
	if v == nil {
		u.img.Name = ""
		return nil
	}
	name := v.(string)
	if !u.mode.glance() {
		// IMS's own name rules; Glance takes any name of up to 255
		// characters, as at create.
		if err := imsd.ValidateName(name); err != nil {
			return err
		}
	}
	u.img.Name = name
	return nil
}

func setVisibility(u *imageUpdate, v any) error {
	if vis := v.(string); vis != "private" {
		return refuse(u.mode, imsd.CodeAttrForbidden, "imsd keeps every image private; visibility %q is not available.", vis)
	}
	return nil
}

func setHidden(u *imageUpdate, v any) error {
	if v.(bool) {
		u.img.SetProp(imsd.PropHidden, "true")
	} else {
		delete(u.img.Properties, imsd.PropHidden)
	}
	return nil
}

func setTags(u *imageUpdate, v any) error {
	var tags []string
	for _, t := range v.([]string) {
		if err := validateStoredTag(t); err != nil {
			return err
		}
		tags = appendTag(tags, t)
	}
	if len(tags) > MaxTagsPerImage {
		return imsd.Errorf(imsd.CodeBadRequest, "An image can have at most %d tags.", MaxTagsPerImage)
	}
	u.img.Tags = tags
	return nil
}

func setDiskFormat(u *imageUpdate, v any) error {
	f, _ := v.(string)
	u.img.DiskFormat = f
	switch {
	case f == "iso":
		u.img.VirtualEnvType = "IsoImage"
	case u.img.VirtualEnvType == "IsoImage":
		u.img.VirtualEnvType = "FusionCompute"
	}
	return nil
}

func setDescription(u *imageUpdate, v any) error {
	u.img.Description = v.(string)
	return nil
}

func setOSVersion(u *imageUpdate, v any) error {
	if v.(string) == "" {
		return imsd.Errorf(imsd.CodeBadRequest, "__os_version must not be empty.")
	}
	applyOSVersion(u.img, v.(string))
	return nil
}

func setEnterpriseProject(u *imageUpdate, v any) error {
	ep := v.(string)
	if ep == "" {
		ep = imsd.DefaultEnterpriseProject
	}
	if ep == u.img.EnterpriseProjectID {
		return nil
	}
	if err := u.checkEP(ep); err != nil {
		return err
	}
	u.img.EnterpriseProjectID = ep
	return nil
}

// countProperties counts the properties an image shows.
func countProperties(img *imsd.Image) int {
	n := 0
	for k := range img.Properties {
		if !strings.HasPrefix(k, internalPropPrefix) {
			n++
		}
	}
	return n
}
