package service

import (
	"strings"

	"github.com/imsd/imsd"
)

// platforms maps a lower-case prefix of __os_version to __platform.
var platforms = []struct{ prefix, platform string }{
	{"windows", "Windows"}, {"ubuntu", "Ubuntu"}, {"red hat", "RedHat"}, {"redhat", "RedHat"},
	{"suse", "SUSE"}, {"sles", "SUSE"}, {"centos", "CentOS"}, {"debian", "Debian"},
	{"opensuse", "OpenSUSE"}, {"oracle", "Oracle Linux"}, {"fedora", "Fedora"}, {"coreos", "CoreOS"},
	{"euleros", "EulerOS"}, {"huawei cloud euleros", "Huawei Cloud EulerOS"},
}

// applyOSVersion sets __os_version and the attributes derived from it:
// __os_type, __platform and __os_bit.
func applyOSVersion(img *imsd.Image, v string) {
	img.SetProp("__os_version", v)
	lower := strings.ToLower(v)
	platform := "Other"
	best := 0
	for _, pl := range platforms {
		if strings.HasPrefix(lower, pl.prefix) && len(pl.prefix) > best {
			platform, best = pl.platform, len(pl.prefix)
		}
	}
	osType := "Linux"
	switch {
	case platform == "Windows":
		osType = "Windows"
	case platform == "Other" && !strings.Contains(lower, "linux"):
		osType = "Other"
	}
	bit := "64"
	if strings.Contains(lower, "32bit") || strings.Contains(lower, "32 bit") || strings.Contains(lower, "32-bit") {
		bit = "32"
	}
	img.SetProp("__platform", platform)
	img.SetProp("__os_type", osType)
	img.SetProp("__os_bit", bit)
}
