package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// newImage returns an image of the domain with every field set.
func newImage(n int, domainID string) *imsd.Image {
	return &imsd.Image{
		ID:                  id("image", n),
		DomainID:            domainID,
		Owner:               id("project", 1),
		Name:                fmt.Sprintf("image-%d", n),
		Status:              imsd.ImageActive,
		Visibility:          "private",
		Protected:           true,
		ImageType:           "private",
		ContainerFormat:     "bare",
		DiskFormat:          "qcow2",
		MinDisk:             40,
		MinRAM:              2048,
		Description:         "a test image",
		EnterpriseProjectID: imsd.DefaultEnterpriseProject,
		VirtualEnvType:      "FusionCompute",
		CmkID:               "cmk-1",
		WholeImage:          true,
		BlobDigest:          fmt.Sprintf("%064x", n),
		Size:                5 << 30,
		VirtualSize:         40 << 30,
		Checksum:            fmt.Sprintf("%032x", n),
		DataKey:             []byte{1, 2, 3, byte(n)},
		PlainDigest:         fmt.Sprintf("%064x", n+1000),
		Tags:                []string{"env=prod", "glance-tag"},
		Properties:          map[string]string{"__os_version": "Ubuntu 22.04 server 64bit", "__support_kvm": "true"},
		CreatedAt:           at(time.Duration(n) * time.Second),
		UpdatedAt:           at(time.Duration(n)*time.Second + time.Minute),
		ActiveAt:            at(time.Duration(n)*time.Second + 2*time.Minute),
	}
}

func (s *suite) testImage(t *testing.T) {
	s.run(t, "InsertGet", func(t *testing.T, st imsd.Store) {
		img := newImage(1, id("domain", 1))
		must(t, st.ImageInsert(t.Context(), img))
		got, err := st.ImageGet(t.Context(), img.ID)
		must(t, err)
		check(t, "ImageGet", got, img)
	})
	s.run(t, "EmptyFields", func(t *testing.T, st imsd.Store) {
		img := &imsd.Image{ID: id("image", 1), DomainID: id("domain", 1), Status: imsd.ImageQueued}
		must(t, st.ImageInsert(t.Context(), img))
		got, err := st.ImageGet(t.Context(), img.ID)
		must(t, err)
		check(t, "ImageGet", got, img)
		if !got.CreatedAt.IsZero() || !got.ActiveAt.IsZero() {
			t.Fatalf("zero times read back as %v, %v", got.CreatedAt, got.ActiveAt)
		}
	})
	s.run(t, "Times", func(t *testing.T, st imsd.Store) {
		img := newImage(1, id("domain", 1))
		zone := time.FixedZone("UTC+8", 8*3600)
		img.CreatedAt = time.Date(2026, 5, 6, 7, 8, 9, 123_456_789, zone)
		img.UpdatedAt = time.Date(1999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)
		img.ActiveAt = time.Date(2400, 1, 1, 0, 0, 0, 1_000_000, time.UTC)
		must(t, st.ImageInsert(t.Context(), img))
		got, err := st.ImageGet(t.Context(), img.ID)
		must(t, err)
		for _, c := range []struct {
			name      string
			got, want time.Time
		}{
			{"CreatedAt", got.CreatedAt, img.CreatedAt},
			{"UpdatedAt", got.UpdatedAt, img.UpdatedAt},
			{"ActiveAt", got.ActiveAt, img.ActiveAt},
		} {
			if c.got.Location() != time.UTC {
				t.Errorf("%s in %v, want UTC", c.name, c.got.Location())
			}
			if !c.got.Truncate(time.Millisecond).Equal(c.want.Truncate(time.Millisecond)) {
				t.Errorf("%s = %v, want %v to the millisecond", c.name, c.got, c.want)
			}
		}
	})
	s.run(t, "Properties", func(t *testing.T, st imsd.Store) {
		img := newImage(1, id("domain", 1))
		img.Properties = map[string]string{
			`quote"key`:   `va"lue`,
			"dot.key":     "dotted",
			"$dollar":     "$.x",
			"[0]":         "bracket",
			"中文":          "镜像",
			"empty-value": "",
			"back\\slash": "\\",
		}
		img.Tags = []string{`a"b`, "k=v=w", "中文=镜像"}
		must(t, st.ImageInsert(t.Context(), img))
		got, err := st.ImageGet(t.Context(), img.ID)
		must(t, err)
		check(t, "ImageGet", got, img)
		for k, v := range img.Properties {
			q := imsd.ImageQuery{DomainID: img.DomainID, Props: map[string]string{k: v}}
			wantIDs(t, st, "Props "+k, q, img.ID)
		}
		for _, tag := range img.Tags {
			wantIDs(t, st, "Tag "+tag, imsd.ImageQuery{DomainID: img.DomainID, Tag: tag}, img.ID)
		}
		wantIDs(t, st, "Tag prefix", imsd.ImageQuery{DomainID: img.DomainID, Tag: "k=v"})
	})
	s.run(t, "Missing", func(t *testing.T, st imsd.Store) {
		_, err := st.ImageGet(t.Context(), id("image", 1))
		wantErr(t, err, imsd.ErrNotFound)
	})
	s.run(t, "Duplicate", func(t *testing.T, st imsd.Store) {
		img := newImage(1, id("domain", 1))
		must(t, st.ImageInsert(t.Context(), img))
		dup := newImage(2, id("domain", 2))
		dup.ID = img.ID
		wantErr(t, st.ImageInsert(t.Context(), dup), imsd.ErrConflict)
	})
	s.run(t, "Update", func(t *testing.T, st imsd.Store) {
		img := newImage(1, id("domain", 1))
		must(t, st.ImageInsert(t.Context(), img))
		up := newImage(2, id("domain", 2))
		up.ID = img.ID
		up.Status, up.Visibility, up.Protected, up.ImageType = imsd.ImageKilled, "public", false, "gold"
		up.ContainerFormat, up.DiskFormat, up.MinDisk, up.MinRAM = "ovf", "zvhd2", 1, 0
		up.Description, up.EnterpriseProjectID, up.VirtualEnvType = "", id("ep", 1), "DataImage"
		up.CmkID, up.WholeImage, up.Size, up.VirtualSize = "", false, 7, 0
		up.Tags, up.Properties = []string{"x"}, map[string]string{"__os_bit": "64"}
		up.Owner, up.Name = id("project", 2), "renamed"
		must(t, st.ImageUpdate(t.Context(), up))
		got, err := st.ImageGet(t.Context(), img.ID)
		must(t, err)
		check(t, "updated image", got, up)

		up.Tags, up.Properties = nil, nil
		must(t, st.ImageUpdate(t.Context(), up))
		got, err = st.ImageGet(t.Context(), img.ID)
		must(t, err)
		check(t, "image with tags and properties cleared", got, up)

		wantErr(t, st.ImageUpdate(t.Context(), newImage(3, id("domain", 1))), imsd.ErrNotFound)
	})
	s.run(t, "Delete", func(t *testing.T, st imsd.Store) {
		img, keep := newImage(1, id("domain", 1)), newImage(2, id("domain", 1))
		must(t, st.ImageInsert(t.Context(), img))
		must(t, st.ImageInsert(t.Context(), keep))
		must(t, st.ImageDelete(t.Context(), img.ID))
		_, err := st.ImageGet(t.Context(), img.ID)
		wantErr(t, err, imsd.ErrNotFound)
		_, err = st.ImageGet(t.Context(), keep.ID)
		must(t, err)
		wantErr(t, st.ImageDelete(t.Context(), img.ID), imsd.ErrNotFound)
	})
	s.run(t, "ImageSetChecksum", func(t *testing.T, st imsd.Store) {
		digest, other := fmt.Sprintf("%064x", 100), fmt.Sprintf("%064x", 200)
		var imgs []*imsd.Image
		for n, c := range []struct {
			domain, digest, checksum string
		}{
			{id("domain", 1), digest, ""},
			{id("domain", 2), digest, ""},
			{id("domain", 1), digest, "kept"},
			{id("domain", 1), other, ""},
			{id("domain", 1), "", ""},
		} {
			img := newImage(n, c.domain)
			img.BlobDigest, img.Checksum = c.digest, c.checksum
			must(t, st.ImageInsert(t.Context(), img))
			imgs = append(imgs, img)
		}
		n, err := st.ImageSetChecksum(t.Context(), digest, "md5")
		must(t, err)
		if n != 2 {
			t.Fatalf("ImageSetChecksum set %d images, want 2", n)
		}
		for i, want := range []string{"md5", "md5", "kept", "", ""} {
			got, err := st.ImageGet(t.Context(), imgs[i].ID)
			must(t, err)
			w := imgs[i].Clone()
			w.Checksum = want
			check(t, fmt.Sprintf("image %d", i), got, w)
		}
		if n, err := st.ImageSetChecksum(t.Context(), digest, "again"); err != nil || n != 0 {
			t.Fatalf("second ImageSetChecksum = %d, %v; want 0", n, err)
		}
		if n, err := st.ImageSetChecksum(t.Context(), "", "x"); err != nil || n != 0 {
			t.Fatalf("ImageSetChecksum of no digest = %d, %v; want 0", n, err)
		}
	})
	s.run(t, "BlobRefCount", func(t *testing.T, st imsd.Store) {
		shared, single := fmt.Sprintf("%064x", 100), fmt.Sprintf("%064x", 200)
		for n, c := range []struct {
			domain, digest string
			status         imsd.ImageStatus
		}{
			{id("domain", 1), shared, imsd.ImageActive},
			{id("domain", 2), shared, imsd.ImageActive},
			{id("domain", 1), shared, imsd.ImageDeleted},
			{id("domain", 1), shared, imsd.ImageKilled},
			{id("domain", 1), single, imsd.ImageSaving},
			{id("domain", 1), "", imsd.ImageQueued},
		} {
			img := newImage(n, c.domain)
			img.BlobDigest, img.Status = c.digest, c.status
			must(t, st.ImageInsert(t.Context(), img))
		}
		for digest, want := range map[string]int{shared: 4, single: 1, fmt.Sprintf("%064x", 300): 0} {
			got, err := st.BlobRefCount(t.Context(), digest)
			must(t, err)
			if got != want {
				t.Errorf("BlobRefCount(%s…) = %d, want %d", digest[60:], got, want)
			}
		}
		must(t, st.ImageDelete(t.Context(), id("image", 0)))
		got, err := st.BlobRefCount(t.Context(), shared)
		must(t, err)
		if got != 3 {
			t.Errorf("BlobRefCount after delete = %d, want 3", got)
		}
	})
}

// wantIDs fails the test unless ImageList(q) returns exactly the images
// with the ids, in that order, and, for a query without marker and limit,
// ImageCount agrees.
func wantIDs(t *testing.T, q imsd.Queries, what string, iq imsd.ImageQuery, want ...string) {
	t.Helper()
	got, err := q.ImageList(t.Context(), iq)
	must(t, err)
	checkIDs(t, what, ids(got, imageID), want)
	if iq.Marker != "" || iq.Limit != 0 {
		return
	}
	n, err := q.ImageCount(t.Context(), iq)
	must(t, err)
	if n != len(want) {
		t.Fatalf("%s: ImageCount = %d, want %d", what, n, len(want))
	}
}

func imageID(img *imsd.Image) string { return img.ID }
