package compat

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// waitJob polls ShowJobProgress until the job is done and returns the last
// ShowJob answer, checking that process_percent never decreases.
func waitJob(t testing.TB, env *sdktest.Env, jobID string) *model.ShowJobResponse {
	t.Helper()
	last := -1.0
	imstest.WaitFor(t, 30*time.Second, "job "+jobID, func() bool {
		p, err := env.IMS.ShowJobProgress(&model.ShowJobProgressRequest{JobId: jobID})
		if err != nil {
			t.Fatalf("ShowJobProgress: %v", err)
		}
		pct := *p.Entities.ProcessPercent
		if pct < last || pct < 0 || pct > 1 {
			t.Fatalf("process_percent went from %v to %v", last, pct)
		}
		last = pct
		st := p.Status.Value()
		if st != "SUCCESS" && st != "FAIL" && *p.EndTime != "" {
			t.Fatalf("end_time %q set while %s", *p.EndTime, st)
		}
		return st == "SUCCESS" || st == "FAIL"
	})
	j, err := env.IMS.ShowJob(&model.ShowJobRequest{JobId: jobID})
	if err != nil {
		t.Fatalf("ShowJob: %v", err)
	}
	return j
}

func TestCopyInRegion(t *testing.T) {
	env := sdktest.Start(t, nil)
	data := randomBytes(t, 1<<20+3)
	src := activeImage(t, env, "source", data)
	cases := []struct {
		name string
		copy func(body *model.CopyImageInRegionRequestBody) (*string, error)
	}{
		{"v1", func(b *model.CopyImageInRegionRequestBody) (*string, error) {
			r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: b})
			if err != nil {
				return nil, err
			}
			return r.JobId, nil
		}},
		{"v2.1 safe mode", func(b *model.CopyImageInRegionRequestBody) (*string, error) {
			r, err := env.IMS.CopyImageInRegionInSafeMode(&model.CopyImageInRegionInSafeModeRequest{ImageId: src, Body: b})
			if err != nil {
				return nil, err
			}
			return r.JobId, nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := "copy " + c.name
			jobID, err := c.copy(&model.CopyImageInRegionRequestBody{Name: name, Description: ptr("a copy")})
			if err != nil {
				t.Fatalf("copy: %v", err)
			}
			if !jobIDPattern.MatchString(*jobID) {
				t.Fatalf("job id %q is not 32 hex", *jobID)
			}
			j := waitJob(t, env, *jobID)
			if j.Status.Value() != "SUCCESS" || *j.JobType != "imsCopyImageInRegionJob" || j.ErrorCode != nil || j.FailReason != nil ||
				*j.Entities.ProcessPercent != 1 || *j.Entities.ImageName != name || *j.EndTime == "" {
				t.Fatalf("job: %+v entities %+v", j, j.Entities)
			}
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(*j.BeginTime) {
				t.Fatalf("begin_time %q not millisecond UTC", *j.BeginTime)
			}
			newID := *j.Entities.ImageId
			shown, err := env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: newID})
			if err != nil {
				t.Fatalf("GlanceShowImage: %v", err)
			}
			if shown.Status.Value() != "active" || *shown.Name != name || *shown.Description != "a copy" ||
				*shown.Originalimagename != src || *shown.DataOrigin != "image,"+src || shown.DiskFormat.Value() != "raw" ||
				*shown.OsVersion != "CentOS 7.9 64bit" || *shown.Owner != env.Creds.ProjectID {
				t.Fatalf("copy fields: %+v", shown)
			}
			list, err := env.IMS.ListImages(&model.ListImagesRequest{Id: ptr(newID)})
			if err != nil || len(*list.Images) != 1 || *(*list.Images)[0].EnterpriseProjectId != "0" ||
				(*list.Images)[0].Imagetype.Value() != "private" || (*list.Images)[0].Visibility.Value() != "private" {
				t.Fatalf("ListImages?id=: %v %+v", err, list)
			}
			resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + newID + "/file"})
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, data) {
				t.Fatalf("copy data differs (%d bytes)", len(got))
			}
		})
	}
}

// TestCopySharesDataAndSurvivesSourceDelete: a same-key copy references the
// source's blob; deleting the source (right after the copy is accepted)
// never frees data the copy reads, and GC keeps it.
func TestCopySharesDataAndSurvivesSourceDelete(t *testing.T) {
	env := sdktest.Start(t, func(c *app.Config) { c.GCGrace = time.Nanosecond })
	data := randomBytes(t, 256<<10)
	src := activeImage(t, env, "source", data)
	r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "copy"}})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	if _, err := env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: src}); err != nil {
		t.Fatalf("delete source: %v", err)
	}
	j := waitJob(t, env, *r.JobId)
	if j.Status.Value() != "SUCCESS" {
		t.Fatalf("job %s: %v", j.Status.Value(), j.FailReason)
	}
	res, err := env.App.Service.GC(t.Context(), time.Nanosecond)
	if err != nil || res.BlobsDeleted != 0 || res.BlobsReferenced != 1 {
		t.Fatalf("GC: %+v %v", res, err)
	}
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + *j.Entities.ImageId + "/file"})
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("copy lost its data after the source was deleted")
	}
	if _, err := env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: *j.Entities.ImageId}); err != nil {
		t.Fatal(err)
	}
	res, err = env.App.Service.GC(t.Context(), time.Nanosecond)
	if err != nil || res.BlobsDeleted != 1 {
		t.Fatalf("GC after deleting both: %+v %v", res, err)
	}
}

// TestCopyIdempotentClientToken: 100 concurrent copies with one
// X-Client-Token make one job and one image.
func TestCopyIdempotentClientToken(t *testing.T) {
	env := sdktest.Start(t, nil)
	src := activeImage(t, env, "source", randomBytes(t, 4096))
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v1/cloudimages/" + src + "/copy",
				JSONBody: []byte(`{"name":"once"}`), Header: http.Header{"X-Client-Token": {"tok-1"}}})
			defer resp.Body.Close()
			var out struct {
				JobID string `json:"job_id"`
			}
			if resp.StatusCode != 200 {
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("status %d: %s", resp.StatusCode, b)
				return
			}
			if err := jsonDecode(resp.Body, &out); err != nil {
				t.Error(err)
			}
			ids[i] = out.JobID
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("different job ids for one client token: %s vs %s", id, ids[0])
		}
	}
	waitJob(t, env, ids[0])
	list, err := env.IMS.ListImages(&model.ListImagesRequest{Name: ptr("once")})
	if err != nil || len(*list.Images) != 1 {
		t.Fatalf("want exactly one copy: %v %d", err, len(*list.Images))
	}
}

// TestConcurrentCopies: 50 copies of one source all succeed.
func TestConcurrentCopies(t *testing.T) {
	env := sdktest.Start(t, nil)
	src := activeImage(t, env, "source", randomBytes(t, 64<<10))
	const n = 50
	jobs := make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "par"}})
			if err != nil {
				t.Errorf("copy %d: %v", i, err)
				return
			}
			jobs[i] = *r.JobId
		}(i)
	}
	wg.Wait()
	for _, j := range jobs {
		if j == "" {
			t.FailNow()
		}
		if got := waitJob(t, env, j); got.Status.Value() != "SUCCESS" {
			t.Fatalf("job %s: %s %v", j, got.Status.Value(), got.FailReason)
		}
	}
}
