package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/s3test"
	"github.com/imsd/imsd/internal/sdktest"
)

// TestCrashDuringImportExport kills a real imsd with SIGKILL while import
// and export jobs are queued and running and data is being staged for a
// Glance import, restarts it, and checks: every job ends in SUCCESS, the
// imported images are active with the object's data, the exported files
// are byte-identical, no image is left saving, importing or uploading, no
// unfinished multipart upload stays in the bucket, and every blob is
// referenced.
func TestCrashDuringImportExport(t *testing.T) {
	b := s3test.New(t, "crash")
	object := make([]byte, 24<<20)
	if _, err := rand.Read(object); err != nil {
		t.Fatal(err)
	}
	b.Put(t, "disk.raw", object)
	t.Setenv("IMSD_IMPORT_S3_SECRET_KEY", b.SecretKey)
	dir := t.TempDir()
	bin := imsdBinary(t)
	addr := freePort(t)
	// A GC grace of seconds, not startImsd's millisecond: the writes here
	// take longer than a millisecond, and GC must not purge them midway.
	flags := []string{"--import-s3-endpoint", b.Endpoint, "--import-s3-access-key", b.AccessKey, "--import-s3-region", b.Region,
		"--gc-grace", "5s"}
	p := startImsd(t, bin, dir, addr, flags...)
	env := &sdktest.Env{Endpoint: "http://" + addr}
	raw, err := os.ReadFile(filepath.Join(dir, "bootstrap.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &env.Creds); err != nil {
		t.Fatal(err)
	}
	env.IMS = env.Client(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID)

	// The images to export, uploaded (the same data: one blob).
	var srcs []string
	for i := range 3 {
		r, err := env.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: ptr(fmt.Sprintf("src-%d", i))}})
		if err != nil {
			t.Fatal(err)
		}
		resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + *r.Id + "/file", ContentType: "application/octet-stream", Body: bytes.NewReader(object)})
		resp.Body.Close()
		if resp.StatusCode != 204 {
			log, _ := os.ReadFile(filepath.Join(dir, "imsd.log"))
			t.Fatalf("upload %d\n%s", resp.StatusCode, log)
		}
		srcs = append(srcs, *r.Id)
	}

	var imports, exports []string
	for i := range 6 {
		r, err := env.IMS.CreateImage(&model.CreateImageRequest{Body: &model.CreateImageRequestBody{Name: ptr(fmt.Sprintf("imp-%d", i)),
			ImageUrl: ptr(b.Name + ":disk.raw"), MinDisk: ptr(int32(1))}})
		if err != nil {
			t.Fatal(err)
		}
		imports = append(imports, *r.JobId)
		if i >= len(srcs) {
			continue
		}
		e, err := env.IMS.ExportImage(&model.ExportImageRequest{ImageId: srcs[i], Body: &model.ExportImageRequestBody{
			BucketUrl: fmt.Sprintf("%s:out/%d.raw", b.Name, i), IsQuickExport: ptr(true)}})
		if err != nil {
			t.Fatal(err)
		}
		exports = append(exports, *e.JobId)
	}
	// Data being staged when the server dies.
	sr, err := env.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{Name: ptr("staging")}})
	if err != nil {
		t.Fatal(err)
	}
	staging := *sr.Id
	pr, pw := io.Pipe()
	stageDone := make(chan struct{})
	go func() {
		defer close(stageDone)
		req := env.Signed(t, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID,
			sdktest.Request{Method: "PUT", Path: "/v2/images/" + staging + "/stage", ContentType: "application/octet-stream", Body: pr})
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if _, err := pw.Write(make([]byte, 4<<20)); err != nil {
		t.Fatal(err)
	}
	imstest.WaitFor(t, 10*time.Second, "staging to start", func() bool {
		s, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: staging})
		return err == nil && s.Status.Value() == "uploading"
	})
	imstest.WaitFor(t, 20*time.Second, "an import to run", func() bool {
		j, err := env.IMS.ShowJob(&model.ShowJobRequest{JobId: imports[0]})
		return err == nil && j.Status.Value() != "INIT"
	})
	p.kill()
	pw.CloseWithError(io.ErrClosedPipe)
	<-stageDone

	startImsd(t, bin, dir, addr, flags...)
	for _, id := range append(append([]string(nil), imports...), exports...) {
		var j *model.ShowJobResponse
		imstest.WaitFor(t, 60*time.Second, "job "+id+" to end", func() bool {
			j, err = env.IMS.ShowJob(&model.ShowJobRequest{JobId: id})
			return err == nil && (j.Status.Value() == "SUCCESS" || j.Status.Value() == "FAIL")
		})
		if j.Status.Value() != "SUCCESS" {
			t.Fatalf("job %s (%s) ended %s: %v %v", id, *j.JobType, j.Status.Value(), j.ErrorCode, j.FailReason)
		}
		if *j.JobType == "imsImportImageJob" {
			img, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: *j.Entities.ImageId})
			if err != nil || img.Status.Value() != "active" || *img.Size != int64(len(object)) {
				t.Fatalf("imported image %s: %v %+v", *j.Entities.ImageId, err, img)
			}
		}
	}
	for i := range exports {
		got, ok := b.Get(t, fmt.Sprintf("out/%d.raw", i))
		if !ok || !bytes.Equal(got, object) {
			t.Fatalf("exported file %d is not byte-identical (%d bytes, found %v)", i, len(got), ok)
		}
	}
	if n := b.Unfinished(t); n != 0 {
		t.Fatalf("%d unfinished multipart uploads left in the bucket", n)
	}
	s, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: staging})
	if err != nil || s.Status.Value() != "queued" {
		t.Fatalf("interrupted staging left the image %v (%v); want queued", s.Status, err)
	}
	for _, st := range []string{"saving", "importing", "uploading"} {
		list, err := env.IMS.GlanceListImages(&model.GlanceListImagesRequest{Status: ptr(enumStatus(t, st))})
		if err != nil || len(*list.Images) != 0 {
			t.Fatalf("images left %s: %v %d", st, err, len(*list.Images))
		}
	}
	if n := checkNoOrphans(t, dir); n == 0 {
		t.Fatal("no blobs at all")
	}
	t.Logf("%d imports and %d exports survived the crash", len(imports), len(exports))
}

func enumStatus(t *testing.T, s string) model.GlanceListImagesRequestStatus {
	var v model.GlanceListImagesRequestStatus
	if err := json.Unmarshal([]byte(`"`+s+`"`), &v); err != nil {
		t.Fatal(err)
	}
	return v
}
