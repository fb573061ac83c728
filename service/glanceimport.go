package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/imsd/imsd"
)

// Glance's interoperable image import: data is staged on a queued image
// (PUT /v2/images/{id}/stage, status uploading) and imported with POST
// /v2/images/{id}/import, by glance-direct (the staged data) or
// web-download (a URL from the operator's allow list), as a task (a job).
// Staged data goes straight into the blob store through the format
// sniffer, so the import moves no bytes again (Glance copies them twice).

// Image statuses of Glance's import.
const (
	ImageUploading imsd.ImageStatus = "uploading"
	ImageImporting imsd.ImageStatus = "importing"
)

// Import methods.
const (
	MethodGlanceDirect = "glance-direct"
	MethodWebDownload  = "web-download"
)

// ImportMethods lists the import methods this server offers.
func (s *Service) ImportMethods() []string {
	m := []string{MethodGlanceDirect}
	if len(s.cfg.WebDownloadAllow) > 0 {
		m = append(m, MethodWebDownload)
	}
	return m
}

// fillCheck authorizes putting data into an image the caller owns, as an
// upload does.
func (s *Service) fillCheck(ctx context.Context, q imsd.Queries, p *imsd.Principal, id string) (*imsd.Image, error) {
	img, err := s.ownedImage(ctx, q, p, id)
	if err != nil {
		if perr := s.precheck(ctx, p, "ims:images:upload"); perr != nil {
			return nil, perr
		}
		return nil, err
	}
	if err := s.authorize(ctx, p, Check{Action: "ims:images:get"}, Check{Action: "ims:images:update"}, Check{Action: "ims:images:upload"}); err != nil {
		return nil, err
	}
	return img, nil
}

// ImageStage stores data for a later glance-direct import: queued →
// uploading. The data is checked as an upload's is; data the caller got
// wrong leaves the image queued.
func (s *Service) ImageStage(ctx context.Context, p *imsd.Principal, id string, body io.Reader) (*imsd.Image, error) {
	var img *imsd.Image
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		var err error
		if img, err = s.fillCheck(ctx, q, p, id); err != nil {
			return err
		}
		if img.Status == ImageUploading && img.BlobDigest == "" {
			return imsd.Errorf(imsd.CodeUploadConflict, "Data is being staged for this image already.")
		}
		if img.Status != ImageUploading {
			if err := s.checkFillable(ctx, q, img); err != nil {
				return err
			}
		}
		img.Status, img.BlobDigest, img.Size = ImageUploading, "", 0
		img.UpdatedAt = s.Now()
		return internal(q.ImageUpdate(ctx, img), "mark image uploading")
	})
	if err != nil {
		return nil, err
	}
	got, err := s.receive(ctx, img, body, nil)
	if err != nil {
		s.resetStaging(ctx, img.ID)
		return nil, err
	}
	var out *imsd.Image
	err = s.store.InTx(background(ctx), func(q imsd.Queries) error {
		cur, err := q.ImageGet(ctx, img.ID)
		if err != nil {
			return internal(err, "reload image")
		}
		if cur.Status != ImageUploading {
			return imsd.Errorf(imsd.CodeUploadConflict, "The image changed state while data was staged (now %s).", cur.Status)
		}
		applyDetected(cur, got)
		cur.UpdatedAt = s.Now()
		out = cur
		return internal(q.ImageUpdate(ctx, cur), "record staged data")
	})
	if err != nil {
		s.resetStaging(ctx, img.ID)
		return nil, err
	}
	s.unpinBlob(ctx, got.blob)
	s.log.Info("image data staged", "image_id", out.ID, "bytes", out.Size, "format", got.sniff.Format)
	return out, nil
}

// resetStaging puts an image whose staging failed back to queued.
func (s *Service) resetStaging(ctx context.Context, id string) {
	ctx = background(ctx)
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		cur, err := q.ImageGet(ctx, id)
		if err != nil {
			return err
		}
		if cur.Status != ImageUploading {
			return nil
		}
		cur.Status, cur.BlobDigest, cur.Size = imsd.ImageQueued, "", 0
		cur.UpdatedAt = s.Now()
		return q.ImageUpdate(ctx, cur)
	})
	if err != nil && !errors.Is(err, imsd.ErrNotFound) {
		s.log.Error("reset image after failed staging", "image_id", id, "err", err)
	}
}

// GlanceImportInput is the body of POST /v2/images/{id}/import.
type GlanceImportInput struct {
	Method string
	URI    string
	// Raw is the request body, kept as the task's input.
	Raw json.RawMessage
}

// GlanceImport starts an import (a task) into an image: uploading or
// queued → importing → active.
func (s *Service) GlanceImport(ctx context.Context, p *imsd.Principal, id string, in GlanceImportInput) (*imsd.Job, error) {
	if err := s.precheck(ctx, p, "ims:images:upload"); err != nil {
		return nil, err
	}
	switch in.Method {
	case MethodGlanceDirect:
	case MethodWebDownload:
		if len(s.cfg.WebDownloadAllow) == 0 {
			return nil, imsd.Errorf(imsd.CodeImportMethodDisabled, "web-download is not enabled on this server (imsd --web-download-allow).")
		}
		if in.URI == "" {
			return nil, imsd.Errorf(imsd.CodeBadRequest, "web-download needs the URI to import from: {\"method\": {\"name\": \"web-download\", \"uri\": \"https://...\"}}.")
		}
		if !s.webAllowed(in.URI) {
			return nil, imsd.Errorf(imsd.CodeURLInvalid, "The URI is not one this server may download from; the operator allows: %s.", strings.Join(s.cfg.WebDownloadAllow, ", "))
		}
	case "glance-download", "copy-image":
		return nil, imsd.Errorf(imsd.CodeImportMethodDisabled, "The import method %s is not available on this server; use %s.", in.Method, strings.Join(s.ImportMethods(), " or "))
	case "":
		return nil, imsd.Errorf(imsd.CodeBadRequest, "The body must name an import method: {\"method\": {\"name\": \"glance-direct\"}}.")
	default:
		return nil, imsd.Errorf(imsd.CodeBadRequest, "Unknown import method %q; this server offers %s.", in.Method, strings.Join(s.ImportMethods(), " and "))
	}
	var job *imsd.Job
	err := s.store.InTx(ctx, func(q imsd.Queries) error {
		img, err := s.fillCheck(ctx, q, p, id)
		if err != nil {
			return err
		}
		pl := importPayload{Source: "web", URI: in.URI}
		if in.Method == MethodGlanceDirect {
			if img.Status != ImageUploading || img.BlobDigest == "" {
				return imsd.Errorf(imsd.CodeUploadConflict, "Image %s has no staged data (it is %s): stage data with PUT /v2/images/%s/stage first.", id, img.Status, id)
			}
			pl = importPayload{Source: "staged"}
		} else if err := s.checkFillable(ctx, q, img); err != nil {
			return err
		}
		pl.Task, _ = json.Marshal(map[string]any{"image_id": img.ID, "import_req": in.Raw})
		img.Status = ImageImporting
		job, err = s.insertImportJob(ctx, q, p, img, imsd.JobTypeGlanceImport, pl)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("glance import accepted", "task_id", job.ID, "image_id", id, "method", in.Method)
	s.wake()
	return job, nil
}

// importStaged finishes a glance-direct import: the staged data is in the
// blob store already and recorded on the image.
func (s *Service) importStaged(ctx context.Context, img *imsd.Image, progress Progress) error {
	if img.BlobDigest == "" {
		return fail(imsd.CodeImageFileInvalid, "The image has no staged data.")
	}
	info, err := s.blobs.Stat(ctx, img.BlobDigest)
	if errors.Is(err, imsd.ErrNotFound) {
		return fail(imsd.CodeImageFileInvalid, "The staged data of the image is missing.")
	}
	if err != nil {
		return err
	}
	if info.Size != img.Size {
		return fail(imsd.CodeImageFileInvalid, "The staged data has %d bytes, expected %d.", info.Size, img.Size)
	}
	return progress(ctx, 0.95, importTaskName)
}

// webAllowed reports whether a URL is under one of the allowed prefixes.
// Only plain http(s) URLs without credentials qualify.
func (s *Service) webAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Host == "" {
		return false
	}
	// Dot segments would let the server resolve the path out of the
	// allowed prefix ("/pub/../private"), however they are encoded.
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." || seg == "." {
			return false
		}
	}
	for _, prefix := range s.cfg.WebDownloadAllow {
		p, err := url.Parse(prefix)
		if err != nil || p.Host == "" {
			continue
		}
		// Scheme and host must be the prefix's exactly (a prefix without a
		// path must not let "host.evil" through); the path must extend it.
		if strings.EqualFold(u.Scheme, p.Scheme) && strings.EqualFold(u.Host, p.Host) && strings.HasPrefix(u.EscapedPath(), p.EscapedPath()) {
			return true
		}
	}
	return false
}

// newWebClient returns the client of web-download imports: bounded
// connection and header timeouts (a download may take hours), and
// redirects followed only to allowed URLs.
func (s *Service) newWebClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   30 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			MaxIdleConns:          16,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if !s.webAllowed(req.URL.String()) {
				return fmt.Errorf("redirect to %s, which is not an allowed URL", req.URL.Redacted())
			}
			return nil
		},
	}
}

// openWeb starts a web-download. A URL that is no longer allowed, or that
// answers with a client error, fails the job; a server error is retried.
func (s *Service) openWeb(ctx context.Context, uri string) (io.ReadCloser, int64, error) {
	if !s.webAllowed(uri) {
		return nil, 0, fail(imsd.CodeURLInvalid, "The URI is no longer one this server may download from.")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, 0, fail(imsd.CodeURLInvalid, "The URI is invalid: %v", err)
	}
	req.Header.Set("User-Agent", "imsd web-download")
	resp, err := s.web.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) && strings.Contains(ue.Err.Error(), "not an allowed URL") {
			return nil, 0, fail(imsd.CodeURLInvalid, "The URI redirects to a URL this server may not download from.")
		}
		return nil, 0, fmt.Errorf("web-download: %w", err) // retried
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode >= 500:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("web-download: %s answered %s", req.URL.Redacted(), resp.Status)
	default:
		resp.Body.Close()
		return nil, 0, fail(imsd.CodeImageFileInvalid, "Downloading the image failed: the server answered %s.", resp.Status)
	}
	return resp.Body, max(resp.ContentLength, 0), nil
}

// recoverStaging puts images whose staging was interrupted (uploading
// without data) back to queued: all of them on a single node, those idle
// for staleAfter otherwise.
func (s *Service) recoverStaging(ctx context.Context, singleNode bool, staleAfter time.Duration) error {
	imgs, err := s.store.ImageList(ctx, imsd.ImageQuery{Statuses: []imsd.ImageStatus{ImageUploading}})
	if err != nil {
		return fmt.Errorf("recover: list uploading images: %w", err)
	}
	now := s.Now()
	for _, img := range imgs {
		if img.BlobDigest != "" || (!singleNode && now.Sub(img.UpdatedAt) < staleAfter) {
			continue
		}
		s.log.Warn("recover: staging interrupted; image back to queued", "image_id", img.ID)
		s.resetStaging(ctx, img.ID)
	}
	return nil
}
