package compat

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/s3test"
	"github.com/imsd/imsd/internal/sdktest"
	objs3 "github.com/imsd/imsd/objstore/s3"
)

// enum decodes an SDK enum-typed value from its wire string (also values
// outside the SDK's set, to send what a hand-written client could).
func enum[T any](t testing.TB, v string) T {
	t.Helper()
	var out T
	if err := json.Unmarshal([]byte(`"`+v+`"`), &out); err != nil {
		t.Fatalf("enum %q: %v", v, err)
	}
	return out
}

// importEnv starts imsd with the test S3 server as its import object
// storage and returns a fresh bucket on it.
func importEnv(t testing.TB, mod func(*app.Config)) (*sdktest.Env, *s3test.Bucket) {
	t.Helper()
	b := s3test.New(t, "imports")
	env := sdktest.Start(t, func(c *app.Config) {
		c.ImportS3 = objs3.Config{Endpoint: b.Endpoint, Region: b.Region, AccessKey: b.AccessKey, SecretKey: b.SecretKey, PartSize: 5 << 20}
		if mod != nil {
			mod(c)
		}
	})
	return env, b
}

// qcow2Image returns a minimal qcow2 v3 image of the given virtual size,
// with a backing file when backing is set.
func qcow2Image(virtual uint64, backing bool) []byte {
	h := make([]byte, 64<<10)
	copy(h, "QFI\xfb")
	binary.BigEndian.PutUint32(h[4:], 3)
	if backing {
		binary.BigEndian.PutUint64(h[8:], 104)
		binary.BigEndian.PutUint32(h[16:], 4)
		copy(h[104:], "base")
	}
	binary.BigEndian.PutUint32(h[20:], 16)
	binary.BigEndian.PutUint64(h[24:], virtual)
	binary.BigEndian.PutUint32(h[100:], 104)
	return h
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// download reads an image's data with an SDK-signed request.
func downloadAll(t testing.TB, env *sdktest.Env, id string) []byte {
	t.Helper()
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"})
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download %s: %d %v", id, resp.StatusCode, err)
	}
	return b
}

// imageJSON reads an image as GET /v2/images/{id} returns it.
func imageJSON(t testing.TB, env *sdktest.Env, id string) map[string]any {
	return rawImage(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, id)
}

// TestImportFromObjectStorage creates images from files in the operator's
// object storage through the SDK's CreateImage (image_url), quick import,
// CreateDataImage and RegisterImage, and checks every refusal: bad
// buckets, missing or empty objects, file names and data of the wrong
// format, bad bodies, and another account's images.
func TestImportFromObjectStorage(t *testing.T) {
	env, b := importEnv(t, func(c *app.Config) { c.Service.MaxImageSize = 16 << 20 })
	raw := randomBytes(t, 3<<20+5)
	qcow := qcow2Image(5<<30, false)
	b.Put(t, "images/disk.raw", raw)
	b.Put(t, "images/cloud.qcow2", qcow)
	b.Put(t, "images/anything.img", raw[:4096])
	b.Put(t, "bad/not-a.qcow2", raw[:1<<20])
	b.Put(t, "bad/backing.qcow2", qcow2Image(1<<30, true))
	b.Put(t, "bad/empty.raw", nil)
	b.Put(t, "bad/readme.txt", []byte("hello"))
	b.Put(t, "bad/huge.raw", make([]byte, 17<<20))
	url := func(key string) string { return b.Name + ":" + key }

	create := func(body *model.CreateImageRequestBody) (string, error) {
		r, err := env.IMS.CreateImage(&model.CreateImageRequest{Body: body})
		if err != nil {
			return "", err
		}
		return *r.JobId, nil
	}
	imported := func(t *testing.T, jobID, jobType string) map[string]any {
		t.Helper()
		j := waitJob(t, env, jobID)
		if j.Status.Value() != "SUCCESS" || *j.JobType != jobType || j.Entities.ImageId == nil {
			t.Fatalf("import job: %s %v %v %v", j.Status.Value(), *j.JobType, j.ErrorCode, j.FailReason)
		}
		return imageJSON(t, env, *j.Entities.ImageId)
	}

	t.Run("raw system image with attributes", func(t *testing.T) {
		job, err := create(&model.CreateImageRequestBody{Name: ptr("from-obs"), ImageUrl: ptr(url("images/disk.raw")), MinDisk: ptr(int32(2)),
			OsVersion: ptr("Ubuntu 22.04 server 64bit"), Description: ptr("imported"), MinRam: ptr(int32(512)), MaxRam: ptr(int32(4096)),
			ImageTags: &[]model.TagKeyValue{{Key: "env", Value: "test"}}, HwFirmwareType: ptr(enum[model.CreateImageRequestBodyHwFirmwareType](t, "uefi"))})
		if err != nil {
			t.Fatalf("CreateImage: %v", err)
		}
		img := imported(t, job, "imsImportImageJob")
		want := map[string]any{"status": "active", "name": "from-obs", "disk_format": "raw", "size": float64(len(raw)),
			"__image_size": "3145733", "os_hash_value": sha256Hex(raw), "__os_version": "Ubuntu 22.04 server 64bit", "__platform": "Ubuntu",
			"min_disk": float64(2), "min_ram": float64(512), "max_ram": "4096", "hw_firmware_type": "uefi", "__description": "imported",
			"__imagetype": "private", "virtual_env_type": "FusionCompute", "__root_origin": "file", "__data_origin": "file," + url("images/disk.raw")}
		for k, v := range want {
			if img[k] != v {
				t.Errorf("%s = %v, want %v", k, img[k], v)
			}
		}
		if tags, _ := img["tags"].([]any); len(tags) != 1 || tags[0] != "env=test" {
			t.Errorf("tags %v", img["tags"])
		}
		if !bytes.Equal(downloadAll(t, env, img["id"].(string)), raw) {
			t.Error("downloaded data differs from the object")
		}
	})

	t.Run("qcow2: format detected, min_disk covers the virtual disk", func(t *testing.T) {
		job, err := create(&model.CreateImageRequestBody{Name: ptr("qcow"), ImageUrl: ptr(url("images/cloud.qcow2")), MinDisk: ptr(int32(1))})
		if err != nil {
			t.Fatal(err)
		}
		img := imported(t, job, "imsImportImageJob")
		if img["disk_format"] != "qcow2" || img["min_disk"] != float64(5) || img["virtual_size"] != nil {
			t.Fatalf("qcow2 import: disk_format %v min_disk %v virtual_size %v", img["disk_format"], img["min_disk"], img["virtual_size"])
		}
	})

	t.Run(".img takes the detected format; BMS images are Ironic", func(t *testing.T) {
		job, err := create(&model.CreateImageRequestBody{Name: ptr("img"), ImageUrl: ptr(url("images/anything.img")), MinDisk: ptr(int32(1)),
			Type: ptr(enum[model.CreateImageRequestBodyType](t, "BMS"))})
		if err != nil {
			t.Fatal(err)
		}
		if img := imported(t, job, "imsImportImageJob"); img["disk_format"] != "raw" || img["virtual_env_type"] != "Ironic" {
			t.Fatalf("img import: %v %v", img["disk_format"], img["virtual_env_type"])
		}
	})

	t.Run("quick import and data image", func(t *testing.T) {
		r, err := env.IMS.ImportImageQuick(&model.ImportImageQuickRequest{Body: &model.QuickImportImageByFileRequestBody{
			Name: "quick", OsVersion: "CentOS 7.9 64bit", ImageUrl: url("images/disk.raw"), MinDisk: 4}})
		if err != nil {
			t.Fatalf("ImportImageQuick: %v", err)
		}
		if img := imported(t, *r.JobId, "imsImportImageJob"); img["__os_version"] != "CentOS 7.9 64bit" || img["min_disk"] != float64(4) {
			t.Fatalf("quick import: %v", img)
		}
		d, err := env.IMS.CreateDataImage(&model.CreateDataImageRequest{Body: &model.CreateDataImageRequestBody{
			Name: "data", ImageUrl: url("images/disk.raw"), MinDisk: 40, OsType: ptr(enum[model.CreateDataImageRequestBodyOsType](t, "Linux"))}})
		if err != nil {
			t.Fatalf("CreateDataImage: %v", err)
		}
		if img := imported(t, *d.JobId, "imsImportDataImageJob"); img["virtual_env_type"] != "DataImage" || img["__os_type"] != "Linux" {
			t.Fatalf("data image: %v", img)
		}
		qd, err := env.IMS.ImportImageQuick(&model.ImportImageQuickRequest{Body: &model.QuickImportImageByFileRequestBody{
			Name: "quick-data", ImageUrl: url("images/disk.raw"), MinDisk: 40, Type: ptr(enum[model.QuickImportImageByFileRequestBodyType](t, "DataImage"))}})
		if err != nil {
			t.Fatalf("quick data image: %v", err)
		}
		if img := imported(t, *qd.JobId, "imsImportDataImageJob"); img["virtual_env_type"] != "DataImage" {
			t.Fatalf("quick data image: %v", img)
		}
	})

	t.Run("refused at the request", func(t *testing.T) {
		good := func() *model.CreateImageRequestBody {
			return &model.CreateImageRequestBody{Name: ptr("x"), ImageUrl: ptr(url("images/disk.raw")), MinDisk: ptr(int32(1))}
		}
		cases := []struct {
			name   string
			change func(*model.CreateImageRequestBody)
			status int
			code   string
		}{
			{"missing bucket", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(b.Name + "-absent:images/disk.raw") }, 400, "IMG.0069"},
			{"invalid bucket name", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr("Bad_Bucket:disk.raw") }, 400, "IMG.0109"},
			{"empty bucket name", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(":disk.raw") }, 400, "IMG.0068"},
			{"no bucket separator", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr("disk.raw") }, 400, "IMG.0017"},
			{"no file", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(b.Name + ":") }, 400, "IMG.0017"},
			{"missing object", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(url("images/absent.raw")) }, 400, "IMG.0057"},
			{"empty object", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(url("bad/empty.raw")) }, 400, "IMG.0057"},
			{"not an image file name", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(url("bad/readme.txt")) }, 400, "IMG.0057"},
			{"over the size limit", func(r *model.CreateImageRequestBody) { r.ImageUrl = ptr(url("bad/huge.raw")) }, 400, "IMG.0059"},
			{"no min_disk", func(r *model.CreateImageRequestBody) { r.MinDisk = nil }, 400, "IMG.0055"},
			{"min_disk too large", func(r *model.CreateImageRequestBody) { r.MinDisk = ptr(int32(1025)) }, 400, "IMG.0055"},
			{"no name", func(r *model.CreateImageRequestBody) { r.Name = nil }, 400, "IMG.0013"},
			{"bad name", func(r *model.CreateImageRequestBody) { r.Name = ptr("a<b") }, 400, "IMG.0003"},
			{"bad type", func(r *model.CreateImageRequestBody) {
				r.Type = ptr(enum[model.CreateImageRequestBodyType](t, "Container"))
			}, 400, "IMG.0024"},
			{"ISO type without os_version", func(r *model.CreateImageRequestBody) {
				r.Type = ptr(enum[model.CreateImageRequestBodyType](t, "IsoImage"))
			}, 400, "IMG.0166"},
			{"ISO type for a raw file", func(r *model.CreateImageRequestBody) {
				r.Type, r.OsVersion = ptr(enum[model.CreateImageRequestBodyType](t, "IsoImage")), ptr("CentOS 7.9 64bit")
			}, 400, "IMG.0057"},
			{"bad architecture", func(r *model.CreateImageRequestBody) {
				r.Architecture = ptr(enum[model.CreateImageRequestBodyArchitecture](t, "mips"))
			}, 400, "IMG.0212"},
			{"cmk_id (imports are not encrypted)", func(r *model.CreateImageRequestBody) { r.CmkId = ptr("key-1") }, 400, "IMG.0001"},
			{"from a server", func(r *model.CreateImageRequestBody) { r.ImageUrl, r.InstanceId = nil, ptr("server-1") }, 400, "IMG.0105"},
			{"neither file nor server", func(r *model.CreateImageRequestBody) { r.ImageUrl = nil }, 400, "IMG.0017"},
			{"unknown enterprise project", func(r *model.CreateImageRequestBody) { r.EnterpriseProjectId = ptr("nope") }, 400, "IMG.0155"},
		}
		before := countImages(t, env)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				body := good()
				c.change(body)
				_, err := create(body)
				sdkError(t, err, c.status, c.code)
			})
		}
		if after := countImages(t, env); after != before {
			t.Fatalf("refused imports left %d images behind", after-before)
		}
	})

	t.Run("every create-from-file API refuses alike", func(t *testing.T) {
		queued := createImage(t, env, "for-register", "")
		calls := map[string]func(imageURL string) error{
			"CreateImageInSafeMode": func(u string) error {
				_, err := env.IMS.CreateImageInSafeMode(&model.CreateImageInSafeModeRequest{Body: &model.CreateImageRequestBody{
					Name: ptr("x"), ImageUrl: ptr(u), MinDisk: ptr(int32(1))}})
				return err
			},
			"ImportImageQuick": func(u string) error {
				_, err := env.IMS.ImportImageQuick(&model.ImportImageQuickRequest{Body: &model.QuickImportImageByFileRequestBody{
					Name: "x", OsVersion: "CentOS 7.9 64bit", ImageUrl: u, MinDisk: 1}})
				return err
			},
			"CreateDataImage": func(u string) error {
				_, err := env.IMS.CreateDataImage(&model.CreateDataImageRequest{Body: &model.CreateDataImageRequestBody{Name: "x", ImageUrl: u, MinDisk: 40}})
				return err
			},
			"CreateDataImageInSafeMode": func(u string) error {
				_, err := env.IMS.CreateDataImageInSafeMode(&model.CreateDataImageInSafeModeRequest{Body: &model.CreateDataImageRequestBody{Name: "x", ImageUrl: u, MinDisk: 40}})
				return err
			},
			"RegisterImage": func(u string) error {
				_, err := env.IMS.RegisterImage(&model.RegisterImageRequest{ImageId: queued, Body: &model.RegisterImageRequestBody{ImageUrl: u}})
				return err
			},
		}
		for name, call := range calls {
			for _, c := range []struct {
				what, url, code string
			}{
				{"missing bucket", b.Name + "-absent:images/disk.raw", "IMG.0069"},
				{"missing object", url("images/absent.raw"), "IMG.0057"},
				{"not an image file name", url("bad/readme.txt"), "IMG.0057"},
				{"empty object", url("bad/empty.raw"), "IMG.0057"},
				{"no bucket", "disk.raw", "IMG.0017"},
			} {
				t.Run(name+"/"+c.what, func(t *testing.T) { sdkError(t, call(c.url), 400, c.code) })
			}
		}
	})

	t.Run("wrong data fails the job", func(t *testing.T) {
		for _, key := range []string{"bad/not-a.qcow2", "bad/backing.qcow2"} {
			job, err := create(&model.CreateImageRequestBody{Name: ptr("wrong"), ImageUrl: ptr(url(key)), MinDisk: ptr(int32(1))})
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			j := waitJob(t, env, job)
			if j.Status.Value() != "FAIL" || *j.ErrorCode != "IMG.0243" || *j.FailReason == "" {
				t.Fatalf("%s: job %s %v %v", key, j.Status.Value(), j.ErrorCode, j.FailReason)
			}
			if img := imageJSON(t, env, *j.Entities.ImageId); img["status"] != "killed" || img["size"] != float64(0) {
				t.Fatalf("%s: image after the failed import: %v %v", key, img["status"], img["size"])
			}
		}
	})

	t.Run("register into a queued image", func(t *testing.T) {
		id := createImage(t, env, "registered", "")
		r, err := env.IMS.RegisterImage(&model.RegisterImageRequest{ImageId: id, Body: &model.RegisterImageRequestBody{ImageUrl: url("images/cloud.qcow2")}})
		if err != nil {
			t.Fatalf("RegisterImage: %v", err)
		}
		if img := imported(t, *r.JobId, "imsNativeImportImageJob"); img["id"] != id || img["disk_format"] != "qcow2" || img["os_hash_value"] != sha256Hex(qcow) {
			t.Fatalf("registered image %v", img)
		}
		// Active now: no second register.
		_, err = env.IMS.RegisterImage(&model.RegisterImageRequest{ImageId: id, Body: &model.RegisterImageRequestBody{ImageUrl: url("images/disk.raw")}})
		sdkError(t, err, 409, "IMG.0244")
		// A declared disk_format the file contradicts fails the job.
		declared := createImage(t, env, "declared-vhd", "vhd")
		r, err = env.IMS.RegisterImage(&model.RegisterImageRequest{ImageId: declared, Body: &model.RegisterImageRequestBody{ImageUrl: url("images/disk.raw")}})
		if err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, env, *r.JobId); j.Status.Value() != "FAIL" || *j.ErrorCode != "IMG.0243" {
			t.Fatalf("register raw into vhd: %s %v", j.Status.Value(), j.ErrorCode)
		}
		_, err = env.IMS.RegisterImage(&model.RegisterImageRequest{ImageId: "00000000-0000-0000-0000-000000000000", Body: &model.RegisterImageRequestBody{ImageUrl: url("images/disk.raw")}})
		sdkError(t, err, 404, "IMG.0144")
	})

	t.Run("another account", func(t *testing.T) {
		other := env.NewAccount(t, "other")
		c := env.Client(t, other.AccessKey, other.SecretKey, other.ProjectID)
		queued := createImage(t, env, "mine", "raw")
		_, err := c.RegisterImage(&model.RegisterImageRequest{ImageId: queued, Body: &model.RegisterImageRequestBody{ImageUrl: url("images/disk.raw")}})
		sdkError(t, err, 404, "IMG.0144")
		// The other account imports from the same object storage into its
		// own project.
		r, err := c.CreateImage(&model.CreateImageRequest{Body: &model.CreateImageRequestBody{Name: ptr("theirs"), ImageUrl: ptr(url("images/disk.raw")), MinDisk: ptr(int32(1))}})
		if err != nil {
			t.Fatalf("import in another account: %v", err)
		}
		if j := waitJobWith(t, c, *r.JobId); j.Status.Value() != "SUCCESS" {
			t.Fatalf("import in another account: %+v", j)
		}
		_, err = env.IMS.ShowJob(&model.ShowJobRequest{JobId: *r.JobId})
		sdkError(t, err, 404, "IMG.0245")
	})
}

// TestImportNeedsObjectStorage: without --import-s3-endpoint, and for
// buckets outside --import-s3-buckets, imports and exports are refused
// with IMG.0069.
func TestImportNeedsObjectStorage(t *testing.T) {
	env := sdktest.Start(t, nil)
	_, err := env.IMS.CreateImage(&model.CreateImageRequest{Body: &model.CreateImageRequestBody{Name: ptr("x"), ImageUrl: ptr("bucket:disk.raw"), MinDisk: ptr(int32(1))}})
	sdkError(t, err, 400, "IMG.0069")
	img := activeImage(t, env, "x", randomBytes(t, 100))
	_, err = env.IMS.ExportImage(&model.ExportImageRequest{ImageId: img, Body: &model.ExportImageRequestBody{BucketUrl: "bucket:x.raw",
		FileFormat: enum[model.ExportImageRequestBodyFileFormat](t, "raw")}})
	sdkError(t, err, 400, "IMG.0069")

	allowed, other := s3test.New(t, "allowed"), s3test.New(t, "other")
	other.Put(t, "disk.raw", randomBytes(t, 100))
	env2 := sdktest.Start(t, func(c *app.Config) {
		c.ImportS3 = objs3.Config{Endpoint: allowed.Endpoint, Region: allowed.Region, AccessKey: allowed.AccessKey, SecretKey: allowed.SecretKey,
			Buckets: []string{allowed.Name}}
	})
	_, err = env2.IMS.CreateImage(&model.CreateImageRequest{Body: &model.CreateImageRequestBody{Name: ptr("x"), ImageUrl: ptr(other.Name + ":disk.raw"), MinDisk: ptr(int32(1))}})
	sdkError(t, err, 400, "IMG.0069")
}

// TestExportToObjectStorage exports images through the SDK's ExportImage
// and checks the files are byte-identical to the images, and every
// refusal.
func TestExportToObjectStorage(t *testing.T) {
	env, b := importEnv(t, nil)
	data := randomBytes(t, 12<<20+7) // three parts of 5 MiB
	img := activeImage(t, env, "to-export", data)
	url := func(key string) string { return b.Name + ":" + key }
	export := func(id string, body *model.ExportImageRequestBody) (string, error) {
		r, err := env.IMS.ExportImage(&model.ExportImageRequest{ImageId: id, Body: body})
		if err != nil {
			return "", err
		}
		return *r.JobId, nil
	}
	format := func(f string) model.ExportImageRequestBodyFileFormat {
		return enum[model.ExportImageRequestBodyFileFormat](t, f)
	}

	for _, c := range []struct {
		name string
		body *model.ExportImageRequestBody
	}{
		{"file_format of the image", &model.ExportImageRequestBody{BucketUrl: url("exports/a.raw"), FileFormat: format("raw")}},
		{"quick export", &model.ExportImageRequestBody{BucketUrl: url("exports/dir/b.img"), IsQuickExport: ptr(true)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			job, err := export(img, c.body)
			if err != nil {
				t.Fatalf("ExportImage: %v", err)
			}
			j := waitJob(t, env, job)
			if j.Status.Value() != "SUCCESS" || *j.JobType != "imsNativeExportImageJob" || *j.Entities.ImageId != img {
				t.Fatalf("export job %s %v %v", j.Status.Value(), j.ErrorCode, j.FailReason)
			}
			got, ok := b.Get(t, c.body.BucketUrl[len(b.Name)+1:])
			if !ok || !bytes.Equal(got, data) {
				t.Fatalf("exported file is not byte-identical (%d bytes, found %v)", len(got), ok)
			}
		})
	}
	if n := b.Unfinished(t); n != 0 {
		t.Fatalf("%d unfinished uploads left in the bucket", n)
	}
	// The image is untouched by its exports.
	if m := imageJSON(t, env, img); m["status"] != "active" || m["os_hash_value"] != sha256Hex(data) {
		t.Fatalf("image after export: %v", m)
	}

	t.Run("refused at the request", func(t *testing.T) {
		queued := createImage(t, env, "queued", "raw")
		other := env.NewAccount(t, "other")
		theirs := activeImageIn(t, env, other, "theirs")
		cases := []struct {
			name   string
			id     string
			body   *model.ExportImageRequestBody
			status int
			code   string
		}{
			{"conversion", img, &model.ExportImageRequestBody{BucketUrl: url("exports/c.vhd"), FileFormat: format("vhd")}, 400, "IMG.0072"},
			{"unknown format", img, &model.ExportImageRequestBody{BucketUrl: url("exports/c.x"), FileFormat: format("tar")}, 400, "IMG.0072"},
			{"quick with a format", img, &model.ExportImageRequestBody{BucketUrl: url("exports/c.raw"), FileFormat: format("raw"), IsQuickExport: ptr(true)}, 400, "IMG.0001"},
			{"missing bucket", img, &model.ExportImageRequestBody{BucketUrl: b.Name + "-absent:c.raw", FileFormat: format("raw")}, 400, "IMG.0069"},
			{"file exists", img, &model.ExportImageRequestBody{BucketUrl: url("exports/a.raw"), FileFormat: format("raw")}, 400, "IMG.0070"},
			{"empty bucket_url", img, &model.ExportImageRequestBody{BucketUrl: "", FileFormat: format("raw")}, 400, "IMG.0068"},
			{"no file name", img, &model.ExportImageRequestBody{BucketUrl: b.Name + ":", FileFormat: format("raw")}, 400, "IMG.0073"},
			{"bad bucket name", img, &model.ExportImageRequestBody{BucketUrl: "UPPER:c.raw", FileFormat: format("raw")}, 400, "IMG.0109"},
			{"image without data", queued, &model.ExportImageRequestBody{BucketUrl: url("exports/q.raw"), FileFormat: format("raw")}, 400, "IMG.0046"},
			{"unknown image", "00000000-0000-0000-0000-000000000000", &model.ExportImageRequestBody{BucketUrl: url("exports/u.raw"), FileFormat: format("raw")}, 404, "IMG.0144"},
			{"another account's image", theirs, &model.ExportImageRequestBody{BucketUrl: url("exports/t.raw"), FileFormat: format("raw")}, 404, "IMG.0144"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := export(c.id, c.body)
				sdkError(t, err, c.status, c.code)
			})
		}
	})

	t.Run("corrupt data is never exported", func(t *testing.T) {
		bad := activeImage(t, env, "rotten", randomBytes(t, 3<<20))
		digest := imageJSON(t, env, bad)["os_hash_value"].(string)
		path := filepath.Join(filepath.Dir(env.App.BootstrapPath()), "blobs", "blobs", "sha256", digest[:2], digest)
		if err := os.Chmod(path, 0o600); err != nil { // committed blobs are read-only
			t.Fatalf("blob file: %v", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatalf("blob file: %v", err)
		}
		if _, err := f.WriteAt([]byte("bit rot"), 1<<20); err != nil {
			t.Fatal(err)
		}
		f.Close()
		job, err := export(bad, &model.ExportImageRequestBody{BucketUrl: url("exports/rotten.raw"), IsQuickExport: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		if j := waitJob(t, env, job); j.Status.Value() != "FAIL" || *j.ErrorCode != "IMG.0046" {
			t.Fatalf("export of corrupt data: %s %v %v", j.Status.Value(), j.ErrorCode, j.FailReason)
		}
		if _, ok := b.Get(t, "exports/rotten.raw"); ok {
			t.Fatal("corrupt data was exported")
		}
	})

	t.Run("no delete while exporting", func(t *testing.T) {
		// Two jobs of the project running under a long lease keep new jobs
		// of the project waiting (jobs-per-project 2), so the export stays
		// INIT for as long as the test needs.
		release := blockJobs(t, env)
		job, err := export(img, &model.ExportImageRequestBody{BucketUrl: url("exports/held.raw"), FileFormat: format("raw")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: img})
		sdkError(t, err, 400, "IMG.0148")
		_, err = export(img, &model.ExportImageRequestBody{BucketUrl: url("exports/second.raw"), FileFormat: format("raw")})
		sdkError(t, err, 400, "IMG.0148")
		release()
		if j := waitJob(t, env, job); j.Status.Value() != "SUCCESS" {
			t.Fatalf("held export: %s %v", j.Status.Value(), j.FailReason)
		}
		if _, err := env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: img}); err != nil {
			t.Fatalf("delete after the export: %v", err)
		}
		if got, ok := b.Get(t, "exports/held.raw"); !ok || !bytes.Equal(got, data) {
			t.Fatal("the held export's file differs")
		}
	})
}

// blockJobs inserts two jobs of the bootstrap project that look RUNNING
// under a lease of an hour, so the runner starts no other job of the
// project; release ends them.
func blockJobs(t testing.TB, env *sdktest.Env) (release func()) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var held []*imsd.Job
	for range 2 {
		j := &imsd.Job{ID: imsd.NewHexID(), Type: "imsdTestBlocker", DomainID: env.Creds.DomainID, ProjectID: env.Creds.ProjectID,
			Status: imsd.JobRunning, LeaseOwner: "test-blocker", LeaseExpires: now.Add(time.Hour), CreatedAt: now, BeginTime: now}
		if err := env.App.Store.JobInsert(ctx, j); err != nil {
			t.Fatal(err)
		}
		held = append(held, j)
	}
	return func() {
		for _, j := range held {
			j.Status, j.EndTime, j.LeaseExpires = imsd.JobSuccess, time.Now().UTC(), time.Now().UTC()
			if err := env.App.Store.JobUpdate(ctx, j); err != nil {
				t.Fatal(err)
			}
		}
		env.App.Runner.Wakeup()
	}
}
