package fs

import (
	"io"
	"os"
)

// reader is a window [base, base+n) of an open blob file. Reads use pread(2)
// through the embedded SectionReader, so the window can be read, seeked and
// read at random; WriteTo lets the destination pull straight from the file.
type reader struct {
	*io.SectionReader
	f    *os.File
	base int64
}

func newReader(f *os.File, off, n int64) *reader {
	return &reader{SectionReader: io.NewSectionReader(f, off, n), f: f, base: off}
}

// WriteTo copies the rest of the window to w. When w can read from an
// *os.File itself (a *net.TCPConn, an *os.File, an http.ResponseWriter) it
// is given the file with a limit, which the runtime turns into sendfile(2),
// splice(2) or copy_file_range(2): the data never enters user space.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	pos, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	rest := r.Size() - pos
	if rest <= 0 {
		return 0, nil
	}
	rf, ok := w.(io.ReaderFrom)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{r.SectionReader})
	}
	// The file's own offset is used by nothing else: ReadAt is pread(2).
	if _, err := r.f.Seek(r.base+pos, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := rf.ReadFrom(&io.LimitedReader{R: r.f, N: rest})
	if _, serr := r.Seek(pos+n, io.SeekStart); err == nil {
		err = serr
	}
	return n, err
}

// Close closes the blob file.
func (r *reader) Close() error { return r.f.Close() }
