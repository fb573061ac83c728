// Package diskfmt detects the disk format and virtual size of image data as
// it streams through the server, so an upload of any size is inspected in
// constant memory and without a second read.
//
// Feed the upload through a Sniffer (an io.Writer, e.g. via io.TeeReader or
// io.MultiWriter) and call Result at the end; for a file already on disk use
// Detect. Both run the same parsers and give the same Info for the same bytes.
//
// Recognised formats and where their metadata lives:
//
//   - qcow2 (versions 2 and 3) and qcow (version 1): "QFI\xfb" header,
//     virtual size at offset 24 (big-endian).
//   - qed: "QED\0" header, image size at offset 48 (little-endian).
//   - vmdk: the sparse "KDMV" header (capacity at offset 12, in sectors),
//     including streamOptimized with its footer at the end; the older
//     "COWD" sparse header; and the text descriptor file that qemu probes.
//   - vhd: a dynamic or differencing VHD starts with a copy of its
//     "conectix" footer; a fixed VHD has the footer only in its last 512
//     bytes. Like qemu, the size is the CHS geometry (so qemu-img's 1 GiB
//     image is 1073995776 bytes) unless the creator application is one that
//     writes the exact current size (Hyper-V and others).
//   - vhdx: "vhdxfile", then region table, metadata table and the Virtual
//     Disk Size item, wherever in the file the metadata region lies.
//   - vdi: signature 0xbeda107f at 0x40, disk size at 0x170.
//   - iso: "CD001" (ISO 9660) or "BEA01" (UDF) at 0x8001.
//   - raw: anything else.
//
// The virtual size of iso and raw data is its byte size rounded up to whole
// 512-byte sectors, as qemu-img reports it (qemu zero-pads the last sector).
//
// When two signatures are present (a "polyglot" file), a header at offset 0
// wins over the VHD footer at the end, which wins over the ISO signature at
// 0x8001. The header at offset 0 is what qemu's format probing follows, so
// a qcow2 that also carries an ISO signature is reported as qcow2, and
// Compatible refuses it when declared iso or raw.
//
// Sizes that cannot be read (the data is truncated before the metadata) or
// do not fit in an int64 are reported as 0.
package diskfmt

import (
	"errors"
	"fmt"
	"io"
)

// Detected formats, named as Glance and IMS name them in disk_format.
const (
	Raw   = "raw"   // no recognised container
	QCOW2 = "qcow2" // QEMU copy-on-write, versions 2 and 3
	QCOW  = "qcow"  // QEMU copy-on-write, version 1
	QED   = "qed"   // QEMU enhanced disk
	VMDK  = "vmdk"  // VMware virtual disk
	VHD   = "vhd"   // Microsoft Virtual Hard Disk (qemu calls it vpc)
	VHDX  = "vhdx"  // Microsoft Virtual Hard Disk v2
	VDI   = "vdi"   // VirtualBox disk image
	ISO   = "iso"   // ISO 9660 or UDF optical disc image
)

// Declared-only formats: Huawei's compressed VHD variants. The package
// cannot recognise them, so Detect and Sniffer never report them.
const (
	ZVHD  = "zvhd"
	ZVHD2 = "zvhd2"
)

// HeadSize is how many leading bytes a Sniffer keeps. It covers every fixed
// header and the ISO signature at 0x8001. Metadata further into the stream
// (the VHDX region and metadata tables, a VMDK embedded descriptor) is
// captured on the fly as those bytes pass, in bounded pieces.
const HeadSize = 64 << 10

// Info describes a disk image.
type Info struct {
	// Format is one of the detected-format constants (Raw, QCOW2, ...).
	Format string
	// VirtualSize is the size of the disk the guest sees, in bytes, as
	// qemu-img reports it; 0 when unknown.
	VirtualSize int64
	// Size is the number of bytes of image data (the file or stream size).
	Size int64
	// Subformat is the variant, spelled as qemu-img's create option:
	// qcow2 "0.10" or "1.1" (compat); vmdk the descriptor's createType
	// ("monolithicSparse", "streamOptimized", "monolithicFlat", ...); vhd
	// "fixed", "dynamic" or "differencing"; vhdx "fixed" or "dynamic"; vdi
	// "static" or "dynamic". Empty when unknown or not applicable.
	Subformat string
	// BackingFile reports that the image depends on another image: a
	// qcow2, qcow or qed backing file, a differencing VHD, VHDX or VDI, or a
	// VMDK naming a parent. A service must not accept such an image: the
	// hypervisor would open the named file on the host.
	BackingFile bool
	// ExternalData reports that the image's data lives in other files: a
	// qcow2 external data file, or a VMDK text descriptor whose extents name
	// files. Such an image must be rejected for the same reason.
	ExternalData bool
	// Encrypted reports a qcow2 or qcow image with encryption enabled.
	Encrypted bool
}

// SelfContained reports whether the image refers to no other file, i.e.
// neither BackingFile nor ExternalData is set.
func (i Info) SelfContained() bool { return !i.BackingFile && !i.ExternalData }

// Detect reports the format of the size bytes readable from r. It reads the
// first HeadSize bytes, the last 2 KiB and, for VHDX and VMDK, the metadata
// those point to; never the whole image. The result is what a Sniffer fed
// the same bytes reports. An error means r could not deliver size bytes.
func Detect(r io.ReaderAt, size int64) (Info, error) {
	return detect(r, size, HeadSize)
}

func detect(r io.ReaderAt, size int64, headSize int) (Info, error) {
	if size < 0 {
		return Info{}, errors.New("diskfmt: negative size")
	}
	head := make([]byte, min(size, int64(headSize)))
	if err := readFull(r, head, 0); err != nil {
		return Info{}, err
	}
	src := &readerAtSource{r: r, size: size}
	p := &probe{head: head, pos: int64(len(head)), src: src}
	p.probeHead()
	if src.err != nil {
		return Info{}, src.err
	}
	tail := make([]byte, min(size, tailSize))
	if err := readFull(r, tail, size-int64(len(tail))); err != nil {
		return Info{}, err
	}
	return p.finish(tail, size), nil
}

// readFull fills b from r at off; a short read is an error.
func readFull(r io.ReaderAt, b []byte, off int64) error {
	if len(b) == 0 {
		return nil
	}
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("diskfmt: read %d bytes at %d: %w", len(b), off, err)
}

// readerAtSource serves fetches beyond the head straight from an io.ReaderAt.
type readerAtSource struct {
	r    io.ReaderAt
	size int64
	err  error
}

func (s *readerAtSource) load(p *probe, q *request) {
	rest := q.buf[q.got:]
	off := q.off + int64(q.got)
	if s.err != nil || off+int64(len(rest)) > s.size {
		return
	}
	if err := readFull(s.r, rest, off); err != nil {
		s.err = err
		return
	}
	q.got = len(q.buf)
	p.complete(q)
}
