package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/imsd/imsd"
)

// The reference implementation of ImageQuery: the suite computes what a
// store must return in plain Go and compares.

// catalogue is the image set of the query tests: the images of domain A
// (exactly 25 of them not deleted, plus 5 deleted) and a few of domain B
// that share their attributes, so leaks across domains show up.
type catalogue struct {
	domainA, domainB string
	all              []*imsd.Image // of both domains
}

const (
	catalogueLive    = 25
	catalogueDeleted = 5
	catalogueOther   = 6
)

// seedCatalogue inserts the catalogue. Attributes come from small sets so
// every sort key has ties; times have sub-second parts and some are equal.
func seedCatalogue(t *testing.T, q imsd.Queries) *catalogue {
	t.Helper()
	c := &catalogue{domainA: id("domain", 1), domainB: id("domain", 2)}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	total := catalogueLive + catalogueDeleted + catalogueOther
	for n := range total {
		domain := c.domainA
		if n >= catalogueLive+catalogueDeleted {
			domain = c.domainB
		}
		img := &imsd.Image{
			ID:                  id("catalogue", n),
			DomainID:            domain,
			Owner:               pick("owner-1", "owner-2", "owner-3"),
			Name:                pick("alpha", "beta", "Beta", "gamma", "镜像", "alpha"),
			Status:              imsd.ImageStatus(pick("queued", "saving", "active", "active", "killed")),
			Visibility:          pick("private", "public"),
			Protected:           r.IntN(2) == 0,
			ImageType:           pick("private", "gold", "shared"),
			ContainerFormat:     pick("bare", "ovf"),
			DiskFormat:          pick("qcow2", "raw", "vhd", "zvhd2"),
			MinDisk:             []int{0, 40, 100}[r.IntN(3)],
			MinRAM:              []int{0, 1024, 2048}[r.IntN(3)],
			EnterpriseProjectID: pick("0", "ep-1", "ep-2"),
			VirtualEnvType:      pick("FusionCompute", "DataImage", "IsoImage"),
			CmkID:               pick("", "", "cmk-a"),
			Size:                []int64{0, 5, 1 << 33, 1 << 20}[r.IntN(4)],
			Properties:          map[string]string{"__os_version": pick("CentOS 7.9 64bit", "Ubuntu 22.04 64bit")},
			// Pairs of images share a creation time; times are 700ms apart
			// so second-truncated conditions have work to do.
			CreatedAt: at(time.Duration(n/2) * 700 * time.Millisecond),
		}
		img.UpdatedAt = img.CreatedAt.Add(time.Duration(r.IntN(5)) * time.Second)
		if r.IntN(2) == 0 {
			img.Properties["__support_kvm"] = "true"
		}
		for _, tag := range []string{"env=prod", "env=dev", "team=a", "glance"} {
			if r.IntN(3) == 0 {
				img.Tags = append(img.Tags, tag)
			}
		}
		// Every third image has no data; of the others, every second one
		// has no checksum (stored before MD5s were computed).
		if n%3 != 0 {
			img.BlobDigest = fmt.Sprintf("%064x", n)
			if n%2 == 0 {
				img.Checksum = fmt.Sprintf("%032x", n)
			}
		}
		if domain == c.domainA && n >= catalogueLive {
			img.Status = imsd.ImageDeleted
		}
		must(t, q.ImageInsert(t.Context(), img))
		c.all = append(c.all, img)
	}
	return c
}

// match reports whether img satisfies every filter of q.
func match(img *imsd.Image, q imsd.ImageQuery) bool {
	eq := func(want, got string) bool { return want == "" || want == got }
	ok := (q.DomainID == "" || img.DomainID == q.DomainID) &&
		eq(q.Owner, img.Owner) && eq(q.ID, img.ID) && eq(q.Name, img.Name) &&
		eq(q.Visibility, img.Visibility) && eq(q.ImageType, img.ImageType) &&
		eq(q.DiskFormat, img.DiskFormat) && eq(q.ContainerFormat, img.ContainerFormat) &&
		eq(q.VirtualEnvType, img.VirtualEnvType) && eq(q.CmkID, img.CmkID) &&
		(q.MinRAM == nil || *q.MinRAM == img.MinRAM) &&
		(q.MinDisk == nil || *q.MinDisk == img.MinDisk) &&
		(q.Protected == nil || *q.Protected == img.Protected) &&
		(q.EnterpriseProjects == nil || slices.Contains(q.EnterpriseProjects, img.EnterpriseProjectID)) &&
		(q.Tag == "" || slices.Contains(img.Tags, q.Tag))
	if len(q.Statuses) == 0 {
		ok = ok && img.Status != imsd.ImageDeleted
	} else {
		ok = ok && slices.Contains(q.Statuses, img.Status)
	}
	for k, v := range q.Props {
		got, has := img.Properties[k]
		ok = ok && has && got == v
	}
	for k, v := range q.PropsNot {
		ok = ok && img.Properties[k] != v
	}
	if q.MissingChecksum {
		ok = ok && img.BlobDigest != "" && img.Checksum == ""
	}
	for _, c := range q.CreatedAt {
		ok = ok && c.Match(img.CreatedAt)
	}
	for _, c := range q.UpdatedAt {
		ok = ok && c.Match(img.UpdatedAt)
	}
	return ok
}

// compareBy orders two images by a sort key, then by id, ascending.
func compareBy(key string) func(a, b *imsd.Image) int {
	var byKey func(a, b *imsd.Image) int
	switch key {
	case "name":
		byKey = func(a, b *imsd.Image) int { return cmp.Compare(a.Name, b.Name) }
	case "container_format":
		byKey = func(a, b *imsd.Image) int { return cmp.Compare(a.ContainerFormat, b.ContainerFormat) }
	case "disk_format":
		byKey = func(a, b *imsd.Image) int { return cmp.Compare(a.DiskFormat, b.DiskFormat) }
	case "status":
		byKey = func(a, b *imsd.Image) int { return cmp.Compare(a.Status, b.Status) }
	case "id":
		byKey = func(a, b *imsd.Image) int { return 0 }
	case "size":
		byKey = func(a, b *imsd.Image) int { return cmp.Compare(a.Size, b.Size) }
	case "created_at", "":
		byKey = func(a, b *imsd.Image) int { return a.CreatedAt.Compare(b.CreatedAt) }
	case "updated_at":
		byKey = func(a, b *imsd.Image) int { return a.UpdatedAt.Compare(b.UpdatedAt) }
	default:
		panic(fmt.Sprintf("storetest: unknown sort key %q", key))
	}
	return func(a, b *imsd.Image) int {
		if c := byKey(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
}

// expect returns the ids ImageList(q) must return from imgs: the matching
// images in q's order, after q's marker, at most q.Limit of them.
func expect(imgs []*imsd.Image, q imsd.ImageQuery) []string {
	order := compareBy(q.SortKey)
	if !q.SortAsc {
		asc := order
		order = func(a, b *imsd.Image) int { return asc(b, a) }
	}
	var marker *imsd.Image
	for _, img := range imgs {
		if q.Marker != "" && img.ID == q.Marker {
			marker = img
		}
	}
	var out []*imsd.Image
	for _, img := range imgs {
		if match(img, q) && (marker == nil || order(img, marker) > 0) {
			out = append(out, img)
		}
	}
	slices.SortFunc(out, order)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return ids(out, imageID)
}

// sortKeys is every ImageQuery.SortKey.
var sortKeys = []string{"name", "container_format", "disk_format", "status", "id", "size", "created_at", "updated_at"}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
