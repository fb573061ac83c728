// Package service holds the image use cases of imsd: the catalogue, upload
// and download, in-region copy and jobs (accounts, IAM, EPS and tokens are
// package identity's). It is the one place that validates input, authorizes
// callers, and moves images and jobs through their states; the store and
// blob adapters beneath it hold no policy, and the HTTP layer above it only
// translates the wire format.
package service

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth"
)

// Config holds the tunables of the service. Zero values take the defaults
// documented on each field.
type Config struct {
	// Region is the region id of this server (default "local-1").
	Region string
	// ImageQuota is the number of private images a project may own
	// (default 1000).
	ImageQuota int
	// MaxImageSize is the largest image data accepted by upload and copy,
	// in bytes (default 128 GiB).
	MaxImageSize int64
	// ClientTokenTTL is how long an X-Client-Token keeps naming the same
	// copy job (default 24 h).
	ClientTokenTTL time.Duration
	// WebDownloadAllow are the URL prefixes Glance's web-download import
	// and import tasks may fetch from; empty disables web-download.
	WebDownloadAllow []string
	// CopyCheckpointBytes is how much data a byte-moving (re-encrypting)
	// copy processes between checkpoints (default 128 MiB): at most this
	// much work is redone after a crash.
	CopyCheckpointBytes int64
	// CopyRateLimit caps a byte-moving copy's speed in bytes per second
	// (0, the default: no cap).
	CopyRateLimit int64
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Region == "" {
		c.Region = "local-1"
	}
	if c.ImageQuota == 0 {
		c.ImageQuota = 1000
	}
	if c.MaxImageSize == 0 {
		c.MaxImageSize = 128 << 30
	}
	if c.ClientTokenTTL == 0 {
		c.ClientTokenTTL = 24 * time.Hour
	}
	if c.CopyCheckpointBytes <= 0 {
		c.CopyCheckpointBytes = 128 << 20
	}
	return c
}

// Service implements the use cases. Construct it with New.
type Service struct {
	store  imsd.Store
	blobs  imsd.BlobStore
	authz  imsd.Authorizer
	now    func() time.Time
	log    *slog.Logger
	cfg    Config
	wakeup func()
	sealer *auth.Sealer
	fail   imsd.FailPoint
	// objects is the operator's object storage for imports and exports
	// (nil: not configured); web fetches web-download URLs.
	objects imsd.ObjectStorage
	web     *http.Client
	keys    imsd.KeyProvider
}

// Options are the dependencies of a Service.
type Options struct {
	Store imsd.Store
	Blobs imsd.BlobStore
	// Authz decides every call; nil means RootOnly.
	Authz imsd.Authorizer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives operational messages; nil discards them.
	Log    *slog.Logger
	Config Config
	// Wakeup, when set, is called after a job is enqueued so a runner can
	// pick it up without waiting for its next poll.
	Wakeup func()
	// Sealer seals secret keys and tokens; the identity APIs that create
	// access keys or tokens fail without it.
	Sealer *auth.Sealer
	// FailPoint, for crash tests only, is called at named steps of
	// uploads, copies, deletes and GC.
	FailPoint imsd.FailPoint
	// Objects is the object storage images are imported from and exported
	// to ("bucket:key"); nil disables those APIs.
	Objects imsd.ObjectStorage
	// WebClient fetches web-download imports; nil means a client with
	// bounded timeouts that follows only allowed redirects.
	WebClient *http.Client
	// Keys holds the master keys of the key service; creating keys and
	// encrypting images fail without it.
	Keys imsd.KeyProvider
}

// New returns a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Blobs == nil {
		return nil, errors.New("service: Store and Blobs are required")
	}
	s := &Service{store: o.Store, blobs: o.Blobs, authz: o.Authz, now: o.Now, log: o.Log, cfg: o.Config.WithDefaults(), wakeup: o.Wakeup, sealer: o.Sealer,
		objects: o.Objects, web: o.WebClient, fail: o.FailPoint, keys: o.Keys}
	if s.web == nil {
		s.web = s.newWebClient()
	}
	if s.authz == nil {
		s.authz = RootOnly{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// SetWakeup sets the function called after a job is enqueued.
func (s *Service) SetWakeup(f func()) { s.wakeup = f }

// Now returns the service clock's current time in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

func newImageID() string { return uuid.NewString() }

// notFound maps a store ErrNotFound to the given IMS code and passes other
// errors through.
func notFound(err error, code imsd.Code) error {
	if errors.Is(err, imsd.ErrNotFound) {
		return imsd.Errorf(code, "")
	}
	return err
}

// internal wraps an unexpected error so it is logged but never shown.
func internal(err error, what string) error { return imsd.Internal(err, what) }

// background returns a context that is not cancelled with the request, for
// clean-up work that must finish even when the client went away.
func background(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
