package compat

import (
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	"github.com/chnsz/golangsdk/openstack/ims/v2/cloudimages"
	imstags "github.com/chnsz/golangsdk/openstack/ims/v2/tags"
)

// obsImageConfig is a huaweicloud_images_image resource block with
// image_url (a system image from a file in object storage).
type obsImageConfig struct {
	Name, ImageURL, OSVersion, Description, Type string
	MinDisk, MinRAM, MaxRAM                      int
	Tags                                         map[string]string
}

// createImageByURL is resourceImsImageCreate's createByImageUrl, then the
// provider's job wait and GetJobEntity.
func (p *terraformProvider) createImageByURL(cfg obsImageConfig) (string, error) {
	v2 := p.imsV2()
	var tags []cloudimages.ImageTag
	for k, v := range cfg.Tags {
		tags = append(tags, cloudimages.ImageTag{Key: k, Value: v})
	}
	job, err := cloudimages.CreateImageByOBS(v2, &cloudimages.CreateByOBSOpts{
		Name: cfg.Name, Description: cfg.Description, ImageUrl: cfg.ImageURL, MinDisk: cfg.MinDisk, MaxRam: cfg.MaxRAM,
		MinRam: cfg.MinRAM, OsVersion: cfg.OSVersion, Type: cfg.Type, ImageTags: tags, EnterpriseProjectID: "0",
	}).ExtractJobResponse()
	if err != nil {
		return "", err
	}
	return job.JobID, nil
}

// TestTerraformImageFromObjectStorage drives huaweicloud_images_image with
// image_url through the provider's own golangsdk calls: create, the job
// wait, the read-back the provider stores (an empty plan), and an
// import the provider reports failed.
func TestTerraformImageFromObjectStorage(t *testing.T) {
	env, b := importEnv(t, nil)
	data := randomBytes(t, 1<<20+3)
	b.Put(t, "tf/disk.vhd", vhdFixedImage(data))
	b.Put(t, "tf/raw.raw", data)
	tf := newTerraformProvider(t, env, env.Creds.AccessKey, env.Creds.SecretKey, env.Creds.ProjectID, "")
	cfg := obsImageConfig{Name: "tf-from-obs", ImageURL: b.Name + ":tf/raw.raw", OSVersion: "Debian GNU/Linux 12.0.0 64bit",
		Description: "made by terraform", Type: "ECS", MinDisk: 3, MinRAM: 1024, MaxRAM: 8192, Tags: map[string]string{"env": "test"}}
	jobID, err := tf.createImageByURL(cfg)
	if err != nil {
		t.Fatalf("CreateImageByOBS: %v", err)
	}
	v1, v2 := tf.imsV1(), tf.imsV2()
	waitTerraformJob(t, v1, jobID)
	entity, err := cloudimages.GetJobEntity(v2, jobID, "image_id")
	if err != nil {
		t.Fatalf("GetJobEntity: %v", err)
	}
	id := entity.(string)
	// resourceImsImageRead.
	list := getImageList(t, v2, id)
	if len(list) != 1 {
		t.Fatalf("GetCloudImage: %d images", len(list))
	}
	img := list[0]
	maxRAM, _ := strconv.Atoi(img.MaxRam)
	tl, err := imstags.Get(v2, id).Extract()
	if err != nil {
		t.Fatalf("tags: %v", err)
	}
	got := map[string]string{
		"name": img.Name, "description": img.Description, "min_ram": strconv.Itoa(img.MinRam), "max_ram": strconv.Itoa(maxRAM),
		"visibility": img.Visibility, "status": img.Status, "disk_format": img.DiskFormat, "image_size": img.ImageSize,
		"enterprise_project_id": img.EnterpriseProjectID, "os_version": img.OsVersion, "data_origin": img.DataOrigin,
		"tags": func() string {
			var s []string
			for _, tag := range tl.Tags {
				s = append(s, tag.Key+"="+tag.Value)
			}
			return strings.Join(s, ",")
		}(),
	}
	want := map[string]string{
		"name": cfg.Name, "description": cfg.Description, "min_ram": "1024", "max_ram": "8192", "visibility": "private",
		"status": "active", "disk_format": "raw", "image_size": strconv.Itoa(len(data)), "enterprise_project_id": "0",
		"os_version": cfg.OSVersion, "data_origin": "file," + cfg.ImageURL, "tags": "env=test",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s read back as %q, want %q (terraform plan would show a diff)", k, got[k], w)
		}
	}
	if img.MinDisk != 3 {
		t.Errorf("min_disk %d", img.MinDisk)
	}

	// Errors reach the provider with their code.
	for _, c := range []struct {
		url, code string
	}{{b.Name + "-absent:tf/raw.raw", "IMG.0069"}, {b.Name + ":tf/absent.raw", "IMG.0057"}, {"no-colon", "IMG.0017"}} {
		bad := cfg
		bad.ImageURL = c.url
		if _, err := tf.createImageByURL(bad); err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("image_url %q: %v, want %s", c.url, err, c.code)
		}
	}
	// A vhd file holding a fixed VHD imports as vhd.
	vhd := cfg
	vhd.Name, vhd.ImageURL = "tf-vhd", b.Name+":tf/disk.vhd"
	jobID, err = tf.createImageByURL(vhd)
	if err != nil {
		t.Fatal(err)
	}
	waitTerraformJob(t, v1, jobID)
	entity, _ = cloudimages.GetJobEntity(v2, jobID, "image_id")
	if l := getImageList(t, v2, entity.(string)); len(l) != 1 || l[0].DiskFormat != "vhd" {
		t.Fatalf("vhd import: %+v", l)
	}
}

// vhdFixedImage returns data (padded to whole sectors) followed by the
// footer of a fixed VHD.
func vhdFixedImage(data []byte) []byte {
	padded := append([]byte(nil), data...)
	for len(padded)%512 != 0 {
		padded = append(padded, 0)
	}
	f := make([]byte, 512)
	copy(f, "conectix")
	binary.BigEndian.PutUint32(f[8:], 2)
	binary.BigEndian.PutUint32(f[12:], 0x00010000)
	binary.BigEndian.PutUint64(f[16:], ^uint64(0))
	copy(f[28:32], "qem2")
	binary.BigEndian.PutUint64(f[40:], uint64(len(padded)))
	binary.BigEndian.PutUint64(f[48:], uint64(len(padded)))
	binary.BigEndian.PutUint32(f[60:], 2) // fixed
	var sum uint32
	for _, c := range f {
		sum += uint32(c)
	}
	binary.BigEndian.PutUint32(f[64:], ^sum)
	return append(padded, f...)
}
