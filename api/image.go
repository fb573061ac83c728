package api

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/imsd/imsd"
)

// TimeFormat is the image timestamp format: second precision, literal Z.
const TimeFormat = "2006-01-02T15:04:05Z"

// JobTimeFormat is the job timestamp format: millisecond precision.
const JobTimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders an image timestamp ("" for the zero time).
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

// View selects the rules of one image-returning API.
type View int

// Views of an image.
const (
	// ViewIMS is the IMS extension view (ListImages, UpdateImage): the SDK
	// decodes size as int32, so sizes that do not fit are reported as 0 and
	// the exact size is in __image_size.
	ViewIMS View = iota
	// ViewGlance is the Glance view (show, list, create, update): size is the
	// exact byte count.
	ViewGlance
)

// ImageJSON renders an image with the JSON types the official SDK needs:
// numbers for min_disk/min_ram/size, strings for __image_size, max_ram and
// every __ extension attribute, a bool for protected, and tags as an array.
func ImageJSON(img *imsd.Image, view View) map[string]any {
	m := make(map[string]any, 40+len(img.Properties))
	for k, v := range img.Properties {
		if strings.HasPrefix(k, "__imsd_") {
			continue
		}
		m[k] = v
	}
	size := img.Size
	if view == ViewIMS && size > math.MaxInt32 {
		size = 0
	}
	var virtualSize any
	if img.VirtualSize > 0 && img.VirtualSize <= math.MaxInt32 {
		virtualSize = img.VirtualSize
	}
	tags := img.Tags
	if tags == nil {
		tags = []string{}
	}
	m["id"] = img.ID
	m["name"] = img.Name
	m["status"] = string(img.Status)
	m["visibility"] = img.Visibility
	m["protected"] = img.Protected
	m["owner"] = img.Owner
	m["container_format"] = img.ContainerFormat
	m["disk_format"] = img.DiskFormat
	m["min_disk"] = img.MinDisk
	m["min_ram"] = img.MinRAM
	m["size"] = size
	m["virtual_size"] = virtualSize
	m["created_at"] = FormatTime(img.CreatedAt)
	m["updated_at"] = FormatTime(img.UpdatedAt)
	if !img.ActiveAt.IsZero() {
		m["active_at"] = FormatTime(img.ActiveAt)
	}
	m["self"] = "/v2/images/" + img.ID
	m["file"] = "/v2/images/" + img.ID + "/file"
	m["schema"] = "/v2/schemas/image"
	m["tags"] = tags
	m["virtual_env_type"] = img.VirtualEnvType
	m["enterprise_project_id"] = img.EnterpriseProjectID
	if view == ViewGlance {
		m["_sys_enterprise_project_id"] = img.EnterpriseProjectID
		m["os_hidden"] = img.Hidden()
	}
	m["__imagetype"] = img.ImageType
	m["__isregistered"] = "true"
	m["__image_source_type"] = "uds"
	m["__image_size"] = strconv.FormatInt(img.Size, 10)
	m["__description"] = img.Description
	if d := img.DataSHA256(); d != "" {
		m["os_hash_algo"] = "sha256"
		m["os_hash_value"] = d
	}
	if img.Checksum != "" {
		m["checksum"] = img.Checksum
	}
	if img.CmkID != "" {
		m["__system__cmkid"] = img.CmkID
		m["__system_encrypted"] = "1"
	}
	return m
}
