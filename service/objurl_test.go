package service

import (
	"testing"

	"github.com/imsd/imsd"
)

func TestParseObjectURL(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		export bool
		bucket string
		key    string
		code   imsd.Code
	}{
		{name: "plain", in: "images:disk.qcow2", bucket: "images", key: "disk.qcow2"},
		{name: "path with colons and spaces", in: "my-bucket.1:a/b:c/d e.raw", bucket: "my-bucket.1", key: "a/b:c/d e.raw"},
		{name: "no separator", in: "disk.raw", code: imsd.CodeURLInvalid},
		{name: "empty import", in: "", code: imsd.CodeURLInvalid},
		{name: "empty export", in: "", export: true, code: imsd.CodeBucketNameEmpty},
		{name: "empty bucket", in: ":disk.raw", code: imsd.CodeBucketNameEmpty},
		{name: "upper case bucket", in: "Images:disk.raw", code: imsd.CodeBucketNameInvalid},
		{name: "short bucket", in: "ab:disk.raw", code: imsd.CodeBucketNameInvalid},
		{name: "bucket with dots in a row", in: "a..b:disk.raw", code: imsd.CodeBucketNameInvalid},
		{name: "bucket ending in a dash", in: "abc-:disk.raw", code: imsd.CodeBucketNameInvalid},
		{name: "no file (import)", in: "images:", code: imsd.CodeURLInvalid},
		{name: "no file (export)", in: "images:", export: true, code: imsd.CodeExportFileNameEmpty},
		{name: "a directory", in: "images:dir/", code: imsd.CodeURLInvalid},
		{name: "key too long", in: "images:" + string(make([]byte, 1025)), code: imsd.CodeExportFileNameLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := parseObjectURL(c.in, c.export)
			if got := imsd.ErrorCode(err); got != c.code {
				t.Fatalf("code %q (%v), want %q", got, err, c.code)
			}
			if err == nil && (u.Bucket != c.bucket || u.Key != c.key) {
				t.Fatalf("parsed %+v", u)
			}
		})
	}
}

func TestFileFormat(t *testing.T) {
	cases := []struct {
		key, format string
		ok          bool
	}{
		{"a/disk.qcow2", "qcow2", true}, {"DISK.VHD", "vhd", true}, {"x.zvhd2", "zvhd2", true},
		{"cloud.img", "", true}, {"readme.txt", "", false}, {"noext", "", false}, {"disk.qcow2.gz", "", false},
	}
	for _, c := range cases {
		if f, ok := fileFormat(c.key); f != c.format || ok != c.ok {
			t.Errorf("fileFormat(%q) = %q, %v; want %q, %v", c.key, f, ok, c.format, c.ok)
		}
	}
}

func TestWebAllowed(t *testing.T) {
	s := &Service{cfg: Config{WebDownloadAllow: []string{"https://images.example/pub/", "http://127.0.0.1:8080/", "https://mirror.example"}}}
	cases := []struct {
		url string
		ok  bool
	}{
		{"https://images.example/pub/jammy.img", true},
		{"http://127.0.0.1:8080/x.raw", true},
		{"https://images.example/private/x.raw", false},
		{"https://images.example.evil/pub/x.raw", false},
		{"https://user:pw@images.example/pub/x.raw", false},
		{"file:///etc/passwd", false},
		{"ftp://images.example/pub/x", false},
		{"not a url", false},
		{"https://mirror.example/any/path.qcow2", true},
		{"https://mirror.example.evil/x.raw", false},
		{"https://mirror.example:444/x.raw", false},
		{"https://images.example/pub/../private/x.raw", false},
		{"https://images.example/pub/%2e%2e/private/x.raw", false},
		{"https://images.example/pub/./x.raw", false},
		{"https://images.example/pubx/x.raw", false},
	}
	for _, c := range cases {
		if got := s.webAllowed(c.url); got != c.ok {
			t.Errorf("webAllowed(%q) = %v, want %v", c.url, got, c.ok)
		}
	}
}

func TestCheckExportable(t *testing.T) {
	active := func(format string) *imsd.Image {
		return &imsd.Image{Status: imsd.ImageActive, BlobDigest: "d", DiskFormat: format, Visibility: "private", ImageType: "private", Size: 10}
	}
	cases := []struct {
		name string
		img  *imsd.Image
		in   ExportInput
		code imsd.Code
	}{
		{"own format", active("qcow2"), ExportInput{FileFormat: "qcow2"}, ""},
		{"raw", active("raw"), ExportInput{FileFormat: "raw"}, ""},
		{"vhd as zvhd", active("vhd"), ExportInput{FileFormat: "zvhd"}, ""},
		{"quick", active("vmdk"), ExportInput{IsQuickExport: true}, ""},
		{"conversion", active("raw"), ExportInput{FileFormat: "qcow2"}, imsd.CodeExportFormat},
		{"no format", active("raw"), ExportInput{}, imsd.CodeExportFormat},
		{"quick with format", active("raw"), ExportInput{IsQuickExport: true, FileFormat: "raw"}, imsd.CodeBadRequest},
		{"queued", &imsd.Image{Status: imsd.ImageQueued}, ExportInput{IsQuickExport: true}, imsd.CodeImageUnavailable},
		{"whole", func() *imsd.Image { i := active("raw"); i.WholeImage = true; return i }(), ExportInput{IsQuickExport: true}, imsd.CodeExportWholeImage},
		{"too large", func() *imsd.Image { i := active("raw"); i.Size = 11; return i }(), ExportInput{IsQuickExport: true}, imsd.CodeImageTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := imsd.ErrorCode(checkExportable(c.img, c.in, 10)); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
		})
	}
}
