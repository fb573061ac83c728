package compat

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/s3test"
	"github.com/imsd/imsd/internal/sdktest"
	objs3 "github.com/imsd/imsd/objstore/s3"
)

// BenchmarkImportExport measures an import from object storage (CreateImage
// with image_url, request to job SUCCESS) against a plain S3 GetObject of
// the same object into a file on the data directory's disk (fsynced), and
// an export (ExportImage, request to SUCCESS) against a plain S3 PutObject
// of the same data from a file, all in the same run against the same S3
// server. Opt-in, it moves gigabytes:
//
//	IMSD_TEST_S3_ENDPOINT=… IMSD_TEST_S3_ACCESS_KEY=… IMSD_TEST_S3_SECRET_KEY=… \
//	  go test -run '^$' -bench ImportExport -benchtime 1x -v ./compat/
//
// IMS_BENCH_MB sets the object size (default 2048) and IMS_BENCH_ROUNDS the
// rounds (default 3); every round has distinct content. The per-round
// ratios and their medians are logged.
func BenchmarkImportExport(bb *testing.B) {
	t := testing.TB(bb)
	size := int64(benchEnv("IMS_BENCH_MB", 2048)) << 20
	rounds := benchEnv("IMS_BENCH_ROUNDS", 3)
	bucket := s3test.New(t, "bench")
	env := sdktest.Start(t, func(c *app.Config) {
		c.ImportS3 = objs3.Config{Endpoint: bucket.Endpoint, Region: bucket.Region, AccessKey: bucket.AccessKey, SecretKey: bucket.SecretKey}
		c.Jobs.PollInterval = 10 * time.Millisecond
	})
	dataDir := filepath.Dir(env.App.BootstrapPath())
	src := filepath.Join(t.TempDir(), "bench.raw")
	writeRandom(t, src, size)
	ctx := context.Background()
	var getR, impR, putR, expR []float64
	for round := range rounds {
		stamp(t, src, uint64(round)+1) // distinct content: nothing deduplicates
		key := fmt.Sprintf("bench/%d.raw", round)

		// Baseline 1: PutObject of the file.
		start := time.Now()
		f, err := os.Open(src)
		if err != nil {
			t.Fatal(err)
		}
		_, err = bucket.Client.PutObject(ctx, &awss3.PutObjectInput{Bucket: &bucket.Name, Key: &key, Body: f, ContentLength: aws.Int64(size)})
		f.Close()
		if err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		put := time.Since(start)

		// Baseline 2: GetObject into a file beside the blob store, fsynced.
		start = time.Now()
		out, err := bucket.Client.GetObject(ctx, &awss3.GetObjectInput{Bucket: &bucket.Name, Key: &key})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		dst, err := os.Create(filepath.Join(dataDir, "baseline.raw"))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(dst, out.Body)
		out.Body.Close()
		if err == nil {
			err = dst.Sync()
		}
		dst.Close()
		os.Remove(dst.Name())
		if err != nil || n != size {
			t.Fatalf("GetObject copy: %d bytes, %v", n, err)
		}
		get := time.Since(start)

		// imsd: import the object, then export the image.
		start = time.Now()
		r, err := env.IMS.CreateImage(&model.CreateImageRequest{Body: &model.CreateImageRequestBody{Name: ptr("bench"),
			ImageUrl: ptr(bucket.Name + ":" + key), MinDisk: ptr(int32(1))}})
		if err != nil {
			t.Fatalf("CreateImage: %v", err)
		}
		img := benchWait(t, env, *r.JobId)
		imp := time.Since(start)
		start = time.Now()
		e, err := env.IMS.ExportImage(&model.ExportImageRequest{ImageId: img, Body: &model.ExportImageRequestBody{
			BucketUrl: bucket.Name + ":bench/out-" + strconv.Itoa(round) + ".raw", IsQuickExport: ptr(true)}})
		if err != nil {
			t.Fatalf("ExportImage: %v", err)
		}
		benchWait(t, env, *e.JobId)
		exp := time.Since(start)
		if _, err := env.IMS.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: img}); err != nil {
			t.Fatalf("delete: %v", err)
		}

		mbps := func(d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }
		t.Logf("round %d: import %.0f MB/s vs GetObject %.0f MB/s = %.2fx; export %.0f MB/s vs PutObject %.0f MB/s = %.2fx",
			round+1, mbps(imp), mbps(get), get.Seconds()/imp.Seconds(), mbps(exp), mbps(put), put.Seconds()/exp.Seconds())
		getR, impR = append(getR, mbps(get)), append(impR, mbps(imp))
		putR, expR = append(putR, mbps(put)), append(expR, mbps(exp))
	}
	ratio := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] / b[i]
		}
		return out
	}
	t.Logf("median over %d rounds of %d MiB: import %.0f MB/s, GetObject %.0f MB/s, ratio %.2fx; export %.0f MB/s, PutObject %.0f MB/s, ratio %.2fx",
		rounds, size>>20, median(impR), median(getR), median(ratio(impR, getR)), median(expR), median(putR), median(ratio(expR, putR)))
	bb.ReportMetric(median(ratio(impR, getR)), "import/get")
	bb.ReportMetric(median(ratio(expR, putR)), "export/put")
}

// benchWait polls a job until it ends, returns its image, and fails the
// benchmark unless it succeeded.
func benchWait(t testing.TB, env *sdktest.Env, jobID string) string {
	t.Helper()
	var j *model.ShowJobProgressResponse
	imstest.WaitFor(t, time.Hour, "job "+jobID, func() bool {
		var err error
		if j, err = env.IMS.ShowJobProgress(&model.ShowJobProgressRequest{JobId: jobID}); err != nil {
			t.Fatalf("ShowJobProgress: %v", err)
		}
		if st := j.Status.Value(); st == "SUCCESS" || st == "FAIL" {
			return true
		}
		time.Sleep(10 * time.Millisecond)
		return false
	})
	if j.Status.Value() != "SUCCESS" {
		t.Fatalf("job %s: %v %v", jobID, j.ErrorCode, j.FailReason)
	}
	return *j.Entities.ImageId
}

func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func writeRandom(t testing.TB, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 8<<20)
	for left := size; left > 0; left -= int64(len(buf)) {
		if _, err := rand.Read(buf); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(buf[:min(left, int64(len(buf)))]); err != nil {
			t.Fatal(err)
		}
	}
}

// stamp writes n over the first bytes of the file.
func stamp(t testing.TB, path string, n uint64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	if _, err := f.WriteAt(b[:], 0); err != nil {
		t.Fatal(err)
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
