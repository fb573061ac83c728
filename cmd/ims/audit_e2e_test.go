package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditCommands: ims audit list shows the account's writes in a table
// and as JSON; ims audit export writes one JSON object per line, every
// event of the filter across pages.
func TestAuditCommands(t *testing.T) {
	e := startServer(t)
	e.ok(t, "configure", "--from-bootstrap", filepath.Join(e.dataDir, "bootstrap.json"))
	for _, name := range []string{"audit-a", "audit-b", "audit-c"} {
		e.ok(t, "image", "create", "--name", name)
	}
	r := e.ok(t, "audit", "list", "--since", "1h")
	if !strings.Contains(r.stdout, "GlanceCreateImageMetadata") || !strings.Contains(r.stdout, "allowed") || !strings.Contains(r.stdout, "image ") {
		t.Fatalf("audit list table:\n%s", r.stdout)
	}
	evs := jsonOut[map[string]any](t, e.ok(t, "audit", "list", "--api", "GlanceCreateImageMetadata", "-o", "json"))
	if list, _ := evs["events"].([]any); len(list) != 3 {
		t.Fatalf("audit list -o json: %v", evs)
	}
	out := e.ok(t, "audit", "export", "--api", "GlanceCreateImageMetadata").stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("export wrote %d lines:\n%s", len(lines), out)
	}
	for _, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil || ev["api"] != "GlanceCreateImageMetadata" || ev["decision"] != "allowed" {
			t.Fatalf("export line %q: %v", l, err)
		}
	}
	if r := e.run(t, nil, "audit", "list", "--since", "1h", "--from", "2026-01-01T00:00:00Z"); r.code != 2 {
		t.Fatalf("--since with --from: exit %d, want 2 (usage)", r.code)
	}
}
