// Package imstest holds helpers shared by the project's tests: access to the
// real PostgreSQL and S3 servers the test run uses, and polling with a
// deadline instead of sleeps.
//
// Tests that need an external server never skip silently in CI: when the
// CI environment variable is set and the server is not configured or not
// reachable, the test fails.
package imstest

import (
	"os"
	"testing"
	"time"
)

// DefaultPostgresURL is the PostgreSQL of the development machines and CI.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// InCI reports whether the tests run under CI (CI=true).
func InCI() bool { return os.Getenv("CI") != "" && os.Getenv("CI") != "false" }

// Unavailable reports that an external server a test needs is missing: it
// fails the test in CI and skips it elsewhere, always with the reason.
func Unavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("%s is required in CI but unavailable: %v", what, err)
	}
	tb.Skipf("%s unavailable (%v); run .ci/run to start it", what, err)
}

// PostgresURL returns IMSD_TEST_POSTGRES_URL, or DefaultPostgresURL.
func PostgresURL() string {
	if u := os.Getenv("IMSD_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// S3Config is the S3-compatible server the tests use.
type S3Config struct {
	Endpoint  string
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string
}

// S3 returns the test S3 server from IMSD_TEST_S3_ENDPOINT,
// IMSD_TEST_S3_ACCESS_KEY, IMSD_TEST_S3_SECRET_KEY and IMSD_TEST_S3_BUCKET
// (default bucket "imsd-test"), or reports it unavailable.
func S3(tb testing.TB) S3Config {
	tb.Helper()
	c := S3Config{
		Endpoint:  os.Getenv("IMSD_TEST_S3_ENDPOINT"),
		Region:    "us-east-1",
		AccessKey: os.Getenv("IMSD_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("IMSD_TEST_S3_SECRET_KEY"),
		Bucket:    os.Getenv("IMSD_TEST_S3_BUCKET"),
	}
	if c.Bucket == "" {
		c.Bucket = "imsd-test"
	}
	if c.Endpoint == "" || c.AccessKey == "" || c.SecretKey == "" {
		Unavailable(tb, "S3 test server", errNotConfigured)
	}
	return c
}

type configErr string

func (e configErr) Error() string { return string(e) }

const errNotConfigured = configErr("IMSD_TEST_S3_ENDPOINT, IMSD_TEST_S3_ACCESS_KEY and IMSD_TEST_S3_SECRET_KEY are not set")

// WaitFor polls cond every few milliseconds until it returns true or the
// deadline passes, then fails the test with msg.
func WaitFor(tb testing.TB, timeout time.Duration, msg string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
