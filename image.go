package imsd

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ImageStatus is the life-cycle state of an image:
// queued → saving → active, with killed on a failed upload or copy and
// deleted once removed.
type ImageStatus string

// Image statuses, as on the wire.
const (
	ImageQueued  ImageStatus = "queued"
	ImageSaving  ImageStatus = "saving"
	ImageActive  ImageStatus = "active"
	ImageKilled  ImageStatus = "killed"
	ImageDeleted ImageStatus = "deleted"
)

// DefaultEnterpriseProject is the id of the built-in default enterprise
// project that exists in every account.
const DefaultEnterpriseProject = "0"

// Image is one image of the catalogue. Typed fields hold what the service
// reasons about; Properties holds every other attribute (IMS extension
// attributes such as "__os_version" and custom user attributes), always as
// strings.
type Image struct {
	ID       string
	DomainID string
	// Owner is the id of the project that owns the image.
	Owner      string
	Name       string
	Status     ImageStatus
	Visibility string // "private" for every image the service creates
	Protected  bool
	// ImageType is "__imagetype": private, gold, shared or market.
	ImageType           string
	ContainerFormat     string
	DiskFormat          string
	MinDisk             int
	MinRAM              int
	Description         string
	EnterpriseProjectID string
	// VirtualEnvType is FusionCompute, DataImage, Ironic or IsoImage.
	VirtualEnvType string
	// CmkID is the KMS key the data is encrypted with ("" when not encrypted).
	CmkID string
	// WholeImage marks a full-ECS image.
	WholeImage bool

	// BlobDigest is the address of the stored data, "" when there is none:
	// the hex SHA-256 of the data, or for encrypted data the address
	// blobcrypt.Address derives.
	BlobDigest string
	// DataKey is the data key of encrypted data, wrapped by the master key
	// of CmkID; nil when the data is not encrypted. The stored blob is then
	// the data sealed in segments (package blobcrypt).
	DataKey []byte
	// PlainDigest is the hex SHA-256 of encrypted data as clients read it
	// (decrypted); "" when the data is not encrypted (BlobDigest is then
	// that digest).
	PlainDigest string
	// Size is the byte size of the data as clients read it.
	Size int64
	// VirtualSize is the virtual disk size detected from the data, 0 when unknown.
	VirtualSize int64
	// Checksum is the hex MD5 of the data, as Glance exposes it.
	Checksum string

	// Tags holds Glance tags and IMS key/value tags; a key/value tag is
	// stored as "key=value".
	Tags []string
	// Properties holds every other attribute by its wire name.
	Properties map[string]string

	CreatedAt time.Time
	UpdatedAt time.Time
	// ActiveAt is when the image became active; zero before.
	ActiveAt time.Time
}

// PropHidden is the internal property holding Glance's os_hidden ("true"
// when set). Properties starting with "__imsd_" are never shown as such.
const PropHidden = "__imsd_os_hidden"

// Hidden reports whether the image is hidden from default Glance lists
// (os_hidden).
func (img *Image) Hidden() bool { return img.Properties[PropHidden] == "true" }

// Clone returns a deep copy of img.
func (img *Image) Clone() *Image {
	c := *img
	c.Tags = append([]string(nil), img.Tags...)
	c.DataKey = append([]byte(nil), img.DataKey...)
	c.Properties = make(map[string]string, len(img.Properties))
	for k, v := range img.Properties {
		c.Properties[k] = v
	}
	return &c
}

// Encrypted reports whether the image's data is stored encrypted.
func (img *Image) Encrypted() bool { return len(img.DataKey) > 0 }

// DataSHA256 returns the hex SHA-256 of the data as clients read it, ""
// when there is no data.
func (img *Image) DataSHA256() string {
	if img.Encrypted() {
		return img.PlainDigest
	}
	return img.BlobDigest
}

// Prop returns the named property or "".
func (img *Image) Prop(name string) string { return img.Properties[name] }

// SetProp sets a property, creating the map when needed; an empty value removes it.
func (img *Image) SetProp(name, value string) {
	if value == "" {
		delete(img.Properties, name)
		return
	}
	if img.Properties == nil {
		img.Properties = map[string]string{}
	}
	img.Properties[name] = value
}

// IsISO reports whether the image was created from an ISO file.
func (img *Image) IsISO() bool {
	return img.DiskFormat == "iso" || img.VirtualEnvType == "IsoImage"
}

// ValidateName checks the IMS image-name rules: 1–128 characters, no leading
// or trailing space, only letters, digits, '-', '.', '_', space and Chinese
// characters.
func ValidateName(name string) error {
	if name == "" {
		return Errorf(CodeNameRequired, "")
	}
	if utf8.RuneCountInString(name) > 128 {
		return Errorf(CodeNameTooLong, "")
	}
	if strings.TrimSpace(name) != name {
		return Errorf(CodeNameInvalid, "The image name must not start or end with a space.")
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '-' || r == '.' || r == '_' || r == ' ':
		case unicode.Is(unicode.Han, r):
		default:
			return Errorf(CodeNameInvalid, "The image name contains an invalid character %q; allowed are letters, digits, '-', '.', '_', spaces and Chinese characters.", r)
		}
	}
	return nil
}

// ValidateDescription checks the description rules: at most 1024
// characters, no carriage return, no '<' or '>'.
func ValidateDescription(d string) error {
	if utf8.RuneCountInString(d) > 1024 {
		return Errorf(CodeDescriptionTooLong, "")
	}
	if strings.ContainsAny(d, "\r<>") {
		return Errorf(CodeDescriptionInvalid, "The image description must not contain carriage returns, '<' or '>'.")
	}
	return nil
}

// SplitTag splits a stored tag into key and value; a Glance tag without '='
// has ok false.
func SplitTag(tag string) (key, value string, ok bool) {
	return strings.Cut(tag, "=")
}

// ImageQuery selects images. Empty fields do not filter. The service sets
// DomainID on every caller-driven query so no caller sees another domain's
// images but those shared with its project (SharedWith); only maintenance
// (crash recovery) queries leave it empty.
type ImageQuery struct {
	DomainID string
	// Owner restricts to images owned by this project.
	Owner string
	// SharedWith, when set, adds the images shared with this project (of
	// any domain) whose member status is one of MemberStatuses to the
	// images DomainID and Owner select. DomainID and Owner do not restrict
	// the shared ones: their owner is another project.
	SharedWith     string
	MemberStatuses []MemberStatus
	// OnlyShared leaves out the images DomainID and Owner select: only the
	// ones shared with SharedWith remain.
	OnlyShared bool
	// SharedOwner restricts the shared images to those this project owns.
	SharedOwner string

	ID   string
	Name string
	// Statuses restricts to these statuses; empty means every status but deleted.
	Statuses        []ImageStatus
	Visibility      string
	ImageType       string
	DiskFormat      string
	ContainerFormat string
	VirtualEnvType  string
	// CmkID restricts to images encrypted with this key.
	CmkID     string
	MinRAM    *int
	MinDisk   *int
	Protected *bool
	// EnterpriseProjects restricts to images in these enterprise projects;
	// nil means any, an empty non-nil slice means none.
	EnterpriseProjects []string
	// Props filters on exact property values.
	Props map[string]string
	// PropsNot excludes images whose property has the given value; an
	// image without the property is not excluded.
	PropsNot map[string]string
	// MissingChecksum restricts to images that reference data (BlobDigest
	// set) but have no Checksum: images stored before imsd computed MD5s.
	MissingChecksum bool
	// Tag filters on one stored tag ("key=value" or a Glance tag).
	Tag       string
	CreatedAt []TimeCondition
	UpdatedAt []TimeCondition
	// SortKey is one of name, container_format, disk_format, status, id,
	// size, created_at, updated_at; default created_at.
	SortKey string
	// SortAsc sorts ascending; the default is descending.
	SortAsc bool
	// Marker is the id of the last image of the previous page (exclusive).
	Marker string
	// Limit caps the result; 0 means no cap.
	Limit int
}

// TimeCondition compares a timestamp with Op: gt, gte, lt, lte, eq or neq.
type TimeCondition struct {
	Op   string
	Time time.Time
}

// Match reports whether t satisfies the condition (second precision).
func (c TimeCondition) Match(t time.Time) bool {
	a, b := t.Truncate(time.Second), c.Time.Truncate(time.Second)
	switch c.Op {
	case "gt":
		return a.After(b)
	case "gte":
		return !a.Before(b)
	case "lt":
		return a.Before(b)
	case "lte":
		return !a.After(b)
	case "eq":
		return a.Equal(b)
	case "neq":
		return !a.Equal(b)
	}
	return false
}
