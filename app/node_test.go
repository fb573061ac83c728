package app

import (
	"strings"
	"testing"

	"github.com/imsd/imsd/auth"
	"github.com/imsd/imsd/store/sqlite"
)

func TestNodeName(t *testing.T) {
	for name, ok := range map[string]bool{"n1": true, "imsd-2.example.com": true, "10.0.0.7:9292": true,
		"a/b": false, "-x": false, "with space": false, strings.Repeat("a", 64): false} {
		if got, err := nodeName(name); (err == nil) != ok || ok && got != name {
			t.Errorf("nodeName(%q) = %q, %v; want ok=%v", name, got, err, ok)
		}
	}
	if got, err := nodeName(""); err != nil || !nodeNamePattern.MatchString(got) {
		t.Fatalf("default node name %q, %v", got, err)
	}
}

// TestMasterKeyCheck: the first key seen by a database is recorded; the
// same key passes again, another one is refused with a message saying
// what to do.
func TestMasterKeyCheck(t *testing.T) {
	st, err := sqlite.Open(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealer := func(b byte) *auth.Sealer {
		key := make([]byte, 32)
		key[0] = b
		s, err := auth.NewSealer(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := checkMasterKey(t.Context(), st, sealer(1), "k1"); err != nil {
		t.Fatal(err)
	}
	if err := checkMasterKey(t.Context(), st, sealer(1), "k1"); err != nil {
		t.Fatalf("the same key again: %v", err)
	}
	err = checkMasterKey(t.Context(), st, sealer(2), "/etc/imsd/other.key")
	if err == nil || !strings.Contains(err.Error(), "/etc/imsd/other.key") || !strings.Contains(err.Error(), "same key") {
		t.Fatalf("another key: %v", err)
	}
}
