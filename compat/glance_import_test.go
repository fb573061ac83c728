package compat

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imagedata"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/imageimport"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/tasks"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// webServer serves image files for web-download: /images/<name> from
// files, /images/moved redirects outside /images/, /images/broken answers
// 500 and /images/missing 404.
func webServer(t testing.TB, files map[string][]byte) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/images/", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[len("/images/"):]
		switch name {
		case "moved":
			http.Redirect(w, r, "/private/secret.raw", http.StatusFound)
			return
		case "broken":
			http.Error(w, "broken", http.StatusInternalServerError)
			return
		}
		b, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	})
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("secret")) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// waitImageStatus polls an image with gophercloud until it has one of the
// statuses.
func waitImageStatus(t testing.TB, c *gophercloud.ServiceClient, id string, statuses ...images.ImageStatus) *images.Image {
	t.Helper()
	var img *images.Image
	imstest.WaitFor(t, 30*time.Second, "image "+id+" to reach "+string(statuses[0]), func() bool {
		var err error
		img, err = images.Get(context.Background(), c, id).Extract()
		if err != nil {
			t.Fatalf("get image: %v", err)
		}
		return slices.Contains(statuses, img.Status)
	})
	return img
}

func gcDownload(t testing.TB, c *gophercloud.ServiceClient, id string) []byte {
	t.Helper()
	rc, err := imagedata.Download(context.Background(), c, id).Extract()
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imageTasks is GET /v2/images/{id}/tasks (gophercloud has no call for it).
func imageTasks(t testing.TB, c *gophercloud.ServiceClient, id string) []tasks.Task {
	t.Helper()
	var body struct {
		Tasks []tasks.Task `json:"tasks"`
	}
	if _, err := c.Get(context.Background(), c.ServiceURL("images", id, "tasks"), &body, nil); err != nil {
		t.Fatalf("image tasks: %v", err)
	}
	return body.Tasks
}

// TestGophercloudInteroperableImport drives Glance's interoperable import
// and tasks with gophercloud's own image/v2 packages (imageimport,
// imagedata.Stage, tasks), as an OpenStack client does: discovery,
// glance-direct, web-download from the allowed URL list, import tasks,
// and the refusals.
func TestGophercloudInteroperableImport(t *testing.T) {
	data := randomBytes(t, 2<<20+11)
	web := webServer(t, map[string][]byte{"disk.raw": data, "disk.qcow2": data[:4096]})
	env := sdktest.Start(t, func(c *app.Config) { c.Service.WebDownloadAllow = []string{web.URL + "/images/"} })
	ctx := context.Background()
	c := gophercloudImages(t, env, env.Creds)
	newImage := func(name, format string) string {
		img, err := images.Create(ctx, c, images.CreateOpts{Name: name, DiskFormat: format, ContainerFormat: "bare"}).Extract()
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		return img.ID
	}

	info, err := imageimport.Get(ctx, c).Extract()
	if err != nil || !slices.Equal(info.ImportMethods.Value, []string{"glance-direct", "web-download"}) {
		t.Fatalf("import info: %+v %v", info, err)
	}

	t.Run("glance-direct", func(t *testing.T) {
		id := newImage("direct", "raw")
		if err := imagedata.Stage(ctx, c, id, bytes.NewReader(data)).ExtractErr(); err != nil {
			t.Fatalf("stage: %v", err)
		}
		if img, _ := images.Get(ctx, c, id).Extract(); img.Status != "uploading" {
			t.Fatalf("after stage the image is %s, want uploading", img.Status)
		}
		if err := imageimport.Create(ctx, c, id, imageimport.CreateOpts{Name: imageimport.GlanceDirectMethod}).ExtractErr(); err != nil {
			t.Fatalf("import: %v", err)
		}
		img := waitImageStatus(t, c, id, images.ImageStatusActive)
		if img.SizeBytes != int64(len(data)) || img.DiskFormat != "raw" {
			t.Fatalf("imported image %+v", img)
		}
		if !bytes.Equal(gcDownload(t, c, id), data) {
			t.Fatal("imported data differs")
		}
		ts := imageTasks(t, c, id)
		if len(ts) != 1 || ts[0].Type != "api_image_import" || ts[0].Status != "success" || ts[0].Result["image_id"] != id {
			t.Fatalf("image tasks %+v", ts)
		}
	})

	t.Run("web-download", func(t *testing.T) {
		id := newImage("web", "raw")
		err := imageimport.Create(ctx, c, id, imageimport.CreateOpts{Name: imageimport.WebDownloadMethod, URI: web.URL + "/images/disk.raw"}).ExtractErr()
		if err != nil {
			t.Fatalf("web-download: %v", err)
		}
		waitImageStatus(t, c, id, images.ImageStatusActive)
		if !bytes.Equal(gcDownload(t, c, id), data) {
			t.Fatal("downloaded data differs")
		}
	})

	t.Run("import tasks", func(t *testing.T) {
		task, err := tasks.Create(ctx, c, tasks.CreateOpts{Type: "import", Input: map[string]any{
			"import_from": web.URL + "/images/disk.raw", "import_from_format": "raw",
			"image_properties": map[string]any{"name": "from-task", "container_format": "bare", "min_disk": 1},
		}}).Extract()
		if err != nil || task.Status != "pending" || task.Type != "import" || task.Owner != env.Creds.ProjectID {
			t.Fatalf("create task: %+v %v", task, err)
		}
		var got *tasks.Task
		imstest.WaitFor(t, 30*time.Second, "task "+task.ID, func() bool {
			got, err = tasks.Get(ctx, c, task.ID).Extract()
			if err != nil {
				t.Fatalf("get task: %v", err)
			}
			return got.Status == "success" || got.Status == "failure"
		})
		id, _ := got.Result["image_id"].(string)
		if got.Status != "success" || id == "" || got.Input["import_from"] != web.URL+"/images/disk.raw" {
			t.Fatalf("task ended %+v", got)
		}
		if img, _ := images.Get(ctx, c, id).Extract(); img.Name != "from-task" || img.Status != images.ImageStatusActive || img.DiskFormat != "raw" {
			t.Fatalf("task image %+v", img)
		}
		pages, err := tasks.List(c, tasks.ListOpts{}).AllPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all, err := tasks.ExtractTasks(pages)
		if err != nil || len(all) < 3 {
			t.Fatalf("task list: %d %v", len(all), err)
		}
		pages, err = tasks.List(c, tasks.ListOpts{Status: tasks.TaskStatusSuccess, Limit: 1}).AllPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if paged, _ := tasks.ExtractTasks(pages); len(paged) != len(all) {
			t.Fatalf("paging one at a time listed %d tasks, want %d", len(paged), len(all))
		}
	})

	t.Run("refusals", func(t *testing.T) {
		id := newImage("refused", "raw")
		cases := []struct {
			name   string
			opts   imageimport.CreateOpts
			status int
		}{
			{"glance-direct without staged data", imageimport.CreateOpts{Name: imageimport.GlanceDirectMethod}, 409},
			{"URI outside the allow list", imageimport.CreateOpts{Name: imageimport.WebDownloadMethod, URI: web.URL + "/private/secret.raw"}, 400},
			{"file URI", imageimport.CreateOpts{Name: imageimport.WebDownloadMethod, URI: "file:///etc/passwd"}, 400},
			{"copy-image", imageimport.CreateOpts{Name: "copy-image"}, 400},
			{"unknown method", imageimport.CreateOpts{Name: "carrier-pigeon"}, 400},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := imageimport.Create(ctx, c, id, tc.opts).ExtractErr()
				if gophercloudStatus(err) != tc.status {
					t.Fatalf("got %v, want %d", err, tc.status)
				}
			})
		}
		// Staging data that contradicts the declared format is refused and
		// leaves the image queued.
		q := newImage("declared-qcow2", "qcow2")
		if err := imagedata.Stage(ctx, c, q, bytes.NewReader(data[:1<<20])).ExtractErr(); gophercloudStatus(err) != 400 {
			t.Fatalf("staging raw data into a qcow2 image: %v", err)
		}
		if img, _ := images.Get(ctx, c, q).Extract(); img.Status != images.ImageStatusQueued {
			t.Fatalf("after a refused stage the image is %s", img.Status)
		}
		// An active image takes no import.
		active := activeImage(t, env, "active", randomBytes(t, 1024))
		if err := imageimport.Create(ctx, c, active, imageimport.CreateOpts{Name: imageimport.WebDownloadMethod, URI: web.URL + "/images/disk.raw"}).ExtractErr(); gophercloudStatus(err) != 409 {
			t.Fatalf("import into an active image: %v", err)
		}
		// Failures found by the task: a redirect outside the list, a 404, a
		// file of the wrong format; the image ends killed.
		for _, path := range []string{"moved", "missing", "disk.qcow2"} {
			img := newImage("fails-"+path, "")
			if path == "disk.qcow2" {
				img = newImage("fails-format", "qcow2")
			}
			if err := imageimport.Create(ctx, c, img, imageimport.CreateOpts{Name: imageimport.WebDownloadMethod, URI: web.URL + "/images/" + path}).ExtractErr(); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			waitImageStatus(t, c, img, images.ImageStatusKilled)
			ts := imageTasks(t, c, img)
			if len(ts) != 1 || ts[0].Status != "failure" || ts[0].Message == "" {
				t.Fatalf("%s: task %+v", path, ts)
			}
		}
		// Another account sees none of this project's tasks.
		other := env.NewAccount(t, "other")
		oc := gophercloudImages(t, env, other)
		pages, err := tasks.List(oc, tasks.ListOpts{}).AllPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ts, _ := tasks.ExtractTasks(pages); len(ts) != 0 {
			t.Fatalf("another account lists %d tasks", len(ts))
		}
		pages, err = tasks.List(c, tasks.ListOpts{}).AllPages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mine, _ := tasks.ExtractTasks(pages)
		if _, err := tasks.Get(ctx, oc, mine[0].ID).Extract(); gophercloudStatus(err) != 404 {
			t.Fatalf("another account reads a task: %v", err)
		}
	})
}

// TestWebDownloadDisabled: without --web-download-allow, only
// glance-direct is offered and web-download and import tasks are refused.
func TestWebDownloadDisabled(t *testing.T) {
	env := sdktest.Start(t, nil)
	ctx := context.Background()
	c := gophercloudImages(t, env, env.Creds)
	info, err := imageimport.Get(ctx, c).Extract()
	if err != nil || !slices.Equal(info.ImportMethods.Value, []string{"glance-direct"}) {
		t.Fatalf("import info: %+v %v", info, err)
	}
	img, err := images.Create(ctx, c, images.CreateOpts{Name: "x", DiskFormat: "raw", ContainerFormat: "bare"}).Extract()
	if err != nil {
		t.Fatal(err)
	}
	if err := imageimport.Create(ctx, c, img.ID, imageimport.CreateOpts{Name: imageimport.WebDownloadMethod, URI: "http://127.0.0.1/x.raw"}).ExtractErr(); gophercloudStatus(err) != 400 {
		t.Fatalf("web-download: %v", err)
	}
	_, err = tasks.Create(ctx, c, tasks.CreateOpts{Type: "import", Input: map[string]any{"import_from": "http://127.0.0.1/x.raw"}}).Extract()
	if gophercloudStatus(err) != 400 {
		t.Fatalf("task: %v", err)
	}
}
