package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// uploadBody is the request body of an upload: the file itself. The
// transport reads it straight into its socket buffer; on Linux it also
// exposes the descriptor (transfer_linux.go) so net/http sends it with
// sendfile, as it does for a bare *os.File. Progress comes from the file
// position, which plain reads and sendfile both advance.
type uploadBody struct {
	f *os.File
}

// Read reads from the file.
func (b *uploadBody) Read(p []byte) (int, error) { return b.f.Read(p) }

// Close does nothing: the upload closes the file. Being an io.ReadCloser
// keeps http.NewRequest from wrapping the body in io.NopCloser, which would
// hide SyscallConn from the transport.
func (b *uploadBody) Close() error { return nil }

// position is the file offset: the bytes sent so far.
func (b *uploadBody) position() int64 {
	pos, err := b.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return pos
}

// countingWriter counts the bytes written for the progress report.
type countingWriter struct {
	w io.Writer
	p *progress
}

// Write writes to the file and counts.
func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.w.Write(b)
	w.p.add(int64(n))
	return n, err
}

// transferResult is what upload and download report.
type transferResult struct {
	ImageID     string  `json:"image_id"`
	File        string  `json:"file"`
	Bytes       int64   `json:"bytes"`
	ResumedFrom int64   `json:"resumed_from,omitempty"`
	Seconds     float64 `json:"seconds"`
	Complete    bool    `json:"complete,omitempty"`
}

// filePath is the image data path of an image.
func filePath(id string) string { return "/v2/images/" + url.PathEscape(id) + "/file" }

// upload streams the file into the image with PUT /v2/images/{id}/file. The
// body is the file itself with Content-Length set: nothing is read into
// memory.
func (c *cli) upload(ctx context.Context, id, path string) (*transferResult, error) {
	if err := c.connect(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, usagef("%s is not a regular file", path)
	}
	size := fi.Size()
	var body io.Reader = http.NoBody
	p := newByteProgress(c.stderr, c.stderrTTY, "upload "+filepath.Base(path), size, 0)
	if size > 0 {
		ub := &uploadBody{f: f}
		body = ub
		p.poll(ub.position)
	}
	start := time.Now()
	req, err := c.newSigned(ctx, signedRequest{Method: http.MethodPut, Path: filePath(id),
		ContentType: "application/octet-stream", Body: body, ContentLength: size})
	if err != nil {
		p.finish()
		return nil, err
	}
	resp, err := c.transfer.Do(req)
	p.finish()
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, responseError("upload "+id, resp)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return &transferResult{ImageID: id, File: path, Bytes: size, Seconds: time.Since(start).Seconds()}, nil
}

// download writes the image data to path. With resume, a partial file is
// continued with Range: bytes=N-; a server that ignores the range answers
// 200 and the file is rewritten from the start.
func (c *cli) download(ctx context.Context, id, path string, resume bool) (*transferResult, error) {
	if err := c.connect(); err != nil {
		return nil, err
	}
	var offset int64
	if resume {
		fi, err := os.Stat(path)
		switch {
		case err == nil && !fi.Mode().IsRegular():
			return nil, usagef("%s is not a regular file", path)
		case err == nil:
			offset = fi.Size()
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	hdr := map[string]string{}
	if offset > 0 {
		hdr["Range"] = "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	start := time.Now()
	req, err := c.newSigned(ctx, signedRequest{Method: http.MethodGet, Path: filePath(id), Header: hdr})
	if err != nil {
		return nil, err
	}
	resp, err := c.transfer.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", id, err)
	}
	defer resp.Body.Close()
	res := &transferResult{ImageID: id, File: path}
	switch resp.StatusCode {
	case http.StatusOK:
		offset = 0
	case http.StatusPartialContent:
		if s := contentRangeStart(resp.Header.Get("Content-Range")); s != offset {
			return nil, fmt.Errorf("download %s: asked for bytes from %d, server sent Content-Range %q", id, offset, resp.Header.Get("Content-Range"))
		}
		res.ResumedFrom = offset
	case http.StatusRequestedRangeNotSatisfiable:
		if offset > 0 {
			size := contentRangeSize(resp.Header.Get("Content-Range"))
			if size == offset {
				res.Bytes, res.ResumedFrom, res.Complete = offset, offset, true
				return res, nil
			}
			if size >= 0 && offset > size {
				return nil, fmt.Errorf("download %s: %s has %d bytes but the image only %d; remove it or download without --resume", id, path, offset, size)
			}
		}
		return nil, responseError("download "+id, resp)
	default:
		return nil, responseError("download "+id, resp)
	}
	flags := os.O_WRONLY | os.O_CREATE
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return nil, err
		}
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = offset + resp.ContentLength
	}
	p := newByteProgress(c.stderr, c.stderrTTY, "download "+filepath.Base(path), total, offset)
	n, err := io.CopyBuffer(&countingWriter{w: f, p: p}, resp.Body, make([]byte, 1<<20))
	p.finish()
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("download %s: %w (the partial file is kept: continue with --resume)", id, err)
	}
	res.Bytes, res.Complete, res.Seconds = offset+n, true, time.Since(start).Seconds()
	return res, nil
}

// contentRangeStart parses the first byte of "bytes S-E/T" (-1 if absent).
func contentRangeStart(h string) int64 {
	spec, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return -1
	}
	s, _, ok := strings.Cut(spec, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// contentRangeSize parses the total of "bytes */T" or "bytes S-E/T" (-1 if
// absent or unknown).
func contentRangeSize(h string) int64 {
	_, t, ok := strings.Cut(h, "/")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
