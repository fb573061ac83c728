package local

import (
	"bytes"
	"testing"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

func TestWrapUnwrap(t *testing.T) {
	s, err := auth.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	newKey := func(id string) *imsd.Key {
		m, err := p.NewMasterKey(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		return &imsd.Key{ID: id, Provider: Name, Material: m}
	}
	a, b := newKey("a"), newKey("b")
	dk := bytes.Repeat([]byte{1}, 32)
	w, err := p.WrapDataKey(t.Context(), a, dk)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, dk) || bytes.Contains(a.Material, dk) {
		t.Fatal("the wrapped key holds the plaintext")
	}
	got, err := p.UnwrapDataKey(t.Context(), a, w)
	if err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("unwrap: %v", err)
	}
	cases := []struct {
		name string
		key  *imsd.Key
		w    []byte
	}{
		{"other key", b, w},
		{"material moved to another id", &imsd.Key{ID: "b", Provider: Name, Material: a.Material}, w},
		{"tampered", a, append(append([]byte(nil), w[:len(w)-1]...), w[len(w)-1]^1)},
		{"short", a, w[:5]},
		{"other provider", &imsd.Key{ID: "a", Provider: "vault", Material: a.Material}, w},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := p.UnwrapDataKey(t.Context(), c.key, c.w); err == nil {
				t.Fatal("unwrapped")
			}
		})
	}
}
