package blobtest

import (
	"testing"

	"github.com/imsd/imsd"
)

// testPing: every backend answers readiness probes (imsd.Pinger).
func testPing(t *testing.T, s imsd.BlobStore) {
	p, ok := s.(imsd.Pinger)
	if !ok {
		t.Fatalf("%T does not implement imsd.Pinger", s)
	}
	if err := p.Ping(t.Context()); err != nil {
		t.Fatalf("Ping of a working store: %v", err)
	}
}
