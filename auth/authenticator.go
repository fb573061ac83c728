package auth

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/auth/sigv"
)

// Authenticator resolves the caller of a request from its AK/SK signature
// and X-Project-Id header, or from its X-Auth-Token (see token.go).
type Authenticator struct {
	store    imsd.Store
	sealer   *Sealer
	verifier *sigv.Verifier
	log      *slog.Logger
	// now is the clock tokens are checked against.
	now func() time.Time
	// keyLock locks an access key after repeated bad signatures.
	keyLock *Lockout
}

// NewAuthenticator returns an Authenticator. verifier and log may be nil.
func NewAuthenticator(store imsd.Store, sealer *Sealer, verifier *sigv.Verifier, log *slog.Logger) *Authenticator {
	if verifier == nil {
		verifier = &sigv.Verifier{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &Authenticator{store: store, sealer: sealer, verifier: verifier, log: log, now: time.Now}
	a.keyLock = NewLockout(AccessKeyLockout, func() time.Time { return a.now() })
	return a
}

// failure is the one answer every authentication failure gets; the reason
// is logged, never sent.
func failure(msg string) error {
	return imsd.Errorf(imsd.CodeAuthFailed, "Incorrect IAM authentication information: %s", msg)
}

// Authenticate implements imshttp.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (*imsd.Principal, error) {
	ctx := r.Context()
	if r.Header.Get("Authorization") == "" {
		if token := r.Header.Get("X-Auth-Token"); token != "" {
			return a.authenticateToken(r, token)
		}
		return nil, failure("x-auth-token not found")
	}
	if parsed, err := sigv.ParseAuthorization(r.Header.Get("Authorization")); err == nil {
		if locked, until := a.keyLock.Locked(parsed.AccessKey); locked {
			a.log.Info("authentication refused", "access_key", parsed.AccessKey, "reason", "access key locked after repeated bad signatures",
				"until", until.UTC().Format(time.RFC3339), "path", r.URL.Path)
			return nil, failure("verify aksk signature fail")
		}
	}
	projectID := r.Header.Get("X-Project-Id")
	var owner *imsd.AccessKeyOwner
	lookup := func(ak string) ([]byte, error) {
		o, err := a.store.AccessKeyResolve(ctx, ak, projectID)
		if missing(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if o.Key.Status != "active" || !o.User.Enabled {
			return nil, nil
		}
		sk, err := a.sealer.Open(o.Key.SecretSealed, []byte(o.Key.AccessKey))
		if err != nil {
			return nil, err
		}
		owner = o
		return sk, nil
	}
	res, err := a.verifier.VerifyRequest(r, lookup)
	if err != nil {
		var se *sigv.Error
		if errors.As(err, &se) && se.Kind == sigv.KindLookupFailed {
			return nil, &imsd.Error{Code: imsd.CodeInternal, Message: imsd.CodeInternal.Info().Message, Err: err}
		}
		if errors.As(err, &se) && se.Kind == sigv.KindBadSignature && a.keyLock.Fail(res.AccessKey) {
			a.log.Warn("access key locked after repeated bad signatures", "access_key", res.AccessKey,
				"for", AccessKeyLockout.LockFor.String())
		}
		a.log.Info("authentication failed", "access_key", res.AccessKey, "reason", err.Error(), "path", r.URL.Path)
		return nil, failure("verify aksk signature fail")
	}
	a.keyLock.Succeed(res.AccessKey)
	p, err := a.principal(owner, projectID)
	if err == nil {
		if d := r.Header.Get("X-Domain-Id"); d != "" && d != p.DomainID {
			err = failure("the domain in X-Domain-Id does not belong to the credential's account")
		}
	}
	if err != nil {
		a.log.Info("authentication failed", "access_key", res.AccessKey, "reason", err.Error(), "path", r.URL.Path)
		return nil, err
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		p.SourceIP = host
	}
	return p, nil
}

// principal builds the principal of an AK/SK request, scoped to the project
// named by X-Project-Id when given. A project of another account, a disabled
// one or none at all is the same authentication failure.
func (a *Authenticator) principal(o *imsd.AccessKeyOwner, projectID string) (*imsd.Principal, error) {
	p := &imsd.Principal{DomainID: o.Domain.ID, DomainName: o.Domain.Name, UserID: o.User.ID, UserName: o.User.Name,
		IsRoot: o.User.IsRoot, AuthMethod: "aksk", AccessKey: o.Key.AccessKey}
	if projectID != "" {
		if o.Project == nil || !o.Project.Enabled {
			return nil, failure("the project in X-Project-Id does not belong to the credential's account")
		}
		p.ProjectID, p.ProjectName = o.Project.ID, o.Project.Name
	}
	return p, nil
}

// missing reports a lookup that found nothing: the row does not exist, or
// the key sent could not even be compared (text the store refuses).
func missing(err error) bool {
	return errors.Is(err, imsd.ErrNotFound) || errors.Is(err, imsd.ErrInvalidText)
}
