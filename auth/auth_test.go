package auth

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("s3cret-Pass")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, password string
		want           bool
	}{
		{"right password", "s3cret-Pass", true},
		{"wrong password", "s3cret-pass", false},
		{"empty password", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, err := CheckPassword(h, c.password)
			if err != nil || ok != c.want {
				t.Fatalf("CheckPassword=%v,%v want %v", ok, err, c.want)
			}
		})
	}
	if _, err := CheckPassword("$bcrypt$xx", "x"); err == nil {
		t.Fatal("foreign hash accepted")
	}
}

func TestSealer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	key, err := LoadOrCreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := LoadOrCreateKey(path)
	if err != nil || string(again) != string(key) {
		t.Fatalf("reload gave a different key (%v)", err)
	}
	s, err := NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("SECRETKEY"), []byte("AK1"))
	if string(sealed) == "SECRETKEY" || len(sealed) < 9 {
		t.Fatal("not sealed")
	}
	got, err := s.Open(sealed, []byte("AK1"))
	if err != nil || string(got) != "SECRETKEY" {
		t.Fatalf("Open=%q,%v", got, err)
	}
	if _, err := s.Open(sealed, []byte("AK2")); err == nil {
		t.Fatal("sealed value opened under another access key")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("world-readable key accepted")
	}
}

// TestLoadOrCreateKeyConcurrently: processes starting together on one
// shared directory (three nodes on one volume) all get the same key.
func TestLoadOrCreateKeyConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared", "master.key")
	keys := make([][]byte, 16)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil {
			t.Fatalf("opener %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("opener %d got another key", i)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("the directory holds %d files, want only master.key", len(entries))
	}
}
