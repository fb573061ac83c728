package imshttp

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/api/httpkit"
)

// handleUpload streams the request body into the image (PUT
// /v2/images/{id}/file, 204).
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.ImageUpload(r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id"), r.Body); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseRange parses a single-range "bytes=" header against size. ok is
// false for a header this server does not honour (multiple ranges), in
// which case the whole body is served.
func parseRange(h string, size int64) (offset, length int64, ok bool, err error) {
	spec, found := strings.CutPrefix(h, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, -1, false, nil
	}
	startS, endS, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, imsd.Errorf(imsd.CodeRangeNotSatisfiable, "Malformed Range header %q.", h)
	}
	if startS == "" { // suffix: last N bytes
		n, perr := strconv.ParseInt(endS, 10, 64)
		if perr != nil || n <= 0 {
			return 0, 0, false, imsd.Errorf(imsd.CodeRangeNotSatisfiable, "Malformed Range header %q.", h)
		}
		n = min(n, size)
		return size - n, n, true, nil
	}
	start, perr := strconv.ParseInt(startS, 10, 64)
	if perr != nil || start < 0 {
		return 0, 0, false, imsd.Errorf(imsd.CodeRangeNotSatisfiable, "Malformed Range header %q.", h)
	}
	if start >= size {
		return 0, 0, false, imsd.Errorf(imsd.CodeRangeNotSatisfiable, "The range starts at %d but the image has %d bytes.", start, size)
	}
	if endS == "" {
		return start, size - start, true, nil
	}
	end, perr := strconv.ParseInt(endS, 10, 64)
	if perr != nil || end < start {
		return 0, 0, false, imsd.Errorf(imsd.CodeRangeNotSatisfiable, "Malformed Range header %q.", h)
	}
	end = min(end, size-1)
	return start, end - start + 1, true, nil
}

// handleDownload serves image data with single-range support (GET
// /v2/images/{id}/file).
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	ctx, p, id := r.Context(), httpkit.Principal(r), httpkit.PathParam(r, "image_id")
	// Open the whole image first: authorization and status checks decide
	// before the range is interpreted against the real size.
	d, err := s.svc.ImageDownload(ctx, p, id, 0, 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	d.Body.Close()
	size := d.Image.Size
	offset, length, partial := int64(0), size, false
	if h := r.Header.Get("Range"); h != "" && ifRangeMatches(r, d.Image.DataSHA256()) {
		o, l, ok, err := parseRange(h, size)
		if err != nil {
			w.Header().Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			s.writeError(w, r, err)
			return
		}
		if ok {
			offset, length, partial = o, l, true
		}
	}
	d, err = s.svc.ImageDownload(ctx, p, id, offset, length)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer d.Body.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", `"`+d.Image.DataSHA256()+`"`)
	h.Set("X-Image-Meta-Os-Hash-Value", d.Image.DataSHA256())
	h.Set("Content-Length", strconv.FormatInt(d.Length, 10))
	if d.Image.Checksum != "" && !partial {
		// Glance sends the hex MD5 here, and python-glanceclient verifies
		// downloads against it.
		h.Set("Content-Md5", d.Image.Checksum)
	}
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", "bytes "+strconv.FormatInt(d.Offset, 10)+"-"+strconv.FormatInt(d.Offset+d.Length-1, 10)+"/"+strconv.FormatInt(size, 10))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(w, d.Body, buf); err != nil {
		s.log.Warn("download interrupted", "image_id", id, "err", err, "request_id", h.Get("X-Request-Id"))
	}
}

// ifRangeMatches honours If-Range with the ETag: a stale validator means
// the whole body is sent.
func ifRangeMatches(r *http.Request, digest string) bool {
	v := r.Header.Get("If-Range")
	return v == "" || v == `"`+digest+`"`
}
