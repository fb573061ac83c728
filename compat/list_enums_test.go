package compat

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestListEnumFilters: an enumerated filter with a value outside its set
// is a 400 naming the parameter on both lists, never an empty 200; every
// documented value is accepted.
func TestListEnumFilters(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	activeImage(t, env, "listed", randomBytes(t, 1024))
	list := func(path, param, value string) (int, string) {
		t.Helper()
		resp := env.Do(t, sdktest.Request{Method: "GET", Path: path, Query: url.Values{param: {value}}})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	bogus := []struct{ param, value string }{
		{"__imagetype", "bogus"}, {"__imagetype", "PRIVATE"}, {"status", "running"}, {"visibility", "everyone"},
		{"member_status", "maybe"}, {"virtual_env_type", "KVM"}, {"__os_type", "linux"}, {"__os_bit", "16"},
		{"__platform", "Plan9"}, {"container_format", "tarball"}, {"disk_format", "floppy"}, {"hw_firmware_type", "efi"},
		{"__isregistered", "yes"}, {"__whole_image", "1"}, {"__support_kvm", "TRUE "}, {"architecture", "sparc"},
		{"sort_dir", "up"}, {"sort_key", "owner"},
	}
	for _, b := range bogus {
		for _, path := range []string{"/v2/cloudimages", "/v2/images"} {
			status, body := list(path, b.param, b.value)
			if status != http.StatusBadRequest || !strings.Contains(body, "IMG.0001") || !strings.Contains(body, b.param) {
				t.Errorf("%s?%s=%q: %d %s, want 400 IMG.0001 naming %s", path, b.param, b.value, status, body, b.param)
			}
		}
	}
	good := []struct{ param, value string }{
		{"__imagetype", "private"}, {"status", "active"}, {"visibility", "private"}, {"member_status", "accepted"},
		{"virtual_env_type", "FusionCompute"}, {"__os_type", "Linux"}, {"__os_bit", "64"}, {"__platform", "CentOS"},
		{"container_format", "bare"}, {"disk_format", "raw"}, {"hw_firmware_type", "bios"}, {"__isregistered", "true"},
		{"__support_kvm", "true"}, {"architecture", "x86"},
	}
	for _, g := range good {
		if status, body := list("/v2/cloudimages", g.param, g.value); status != http.StatusOK {
			t.Errorf("/v2/cloudimages?%s=%s: %d %s", g.param, g.value, status, body)
		}
	}
	if _, body := list("/v2/images", "visibility", "all"); !strings.Contains(body, `"name":"listed"`) {
		t.Errorf("Glance visibility=all must not filter: %s", body)
	}
	for _, g := range []struct{ param, value string }{{"visibility", "community"}, {"visibility", "all"}, {"status", "importing"}} {
		if status, body := list("/v2/images", g.param, g.value); status != http.StatusOK {
			t.Errorf("Glance /v2/images?%s=%s: %d %s", g.param, g.value, status, body)
		}
		if status, _ := list("/v2/cloudimages", g.param, g.value); status != http.StatusBadRequest {
			t.Errorf("IMS /v2/cloudimages?%s=%s: %d, want 400 (a Glance-only value)", g.param, g.value, status)
		}
	}
}
