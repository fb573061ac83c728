// Package s3test gives tests a fresh bucket on the test S3 server
// (versitygw in CI, see internal/imstest), with plain aws-sdk-go-v2 access
// to it, and removes the bucket when the test ends.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imsd/imsd/internal/imstest"
)

// Bucket is a fresh bucket on the test server.
type Bucket struct {
	imstest.S3Config
	// Name is the bucket's name (S3Config.Bucket is the test default).
	Name   string
	Client *awss3.Client
}

// Client returns a plain S3 client for the test server.
func Client(c imstest.S3Config) *awss3.Client {
	return awss3.New(awss3.Options{
		Region: c.Region, UsePathStyle: true, BaseEndpoint: aws.String(c.Endpoint),
		Credentials:                credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// New creates a bucket named prefix-<random> and removes it, with
// everything in it, at the end of the test. It reports the S3 server
// unavailable (imstest.Unavailable) when there is none.
func New(t testing.TB, prefix string) *Bucket {
	t.Helper()
	c := imstest.S3(t)
	b := &Bucket{S3Config: c, Name: prefix + "-" + randomHex(t, 6), Client: Client(c)}
	if _, err := b.Client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: &b.Name}); err != nil {
		imstest.Unavailable(t, "S3 test server", err)
	}
	t.Cleanup(func() { b.remove(t) })
	return b
}

// Put stores an object.
func (b *Bucket) Put(t testing.TB, key string, data []byte) {
	t.Helper()
	_, err := b.Client.PutObject(context.Background(), &awss3.PutObjectInput{Bucket: &b.Name, Key: &key,
		Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data)))})
	if err != nil {
		t.Fatalf("put %s/%s: %v", b.Name, key, err)
	}
}

// Get reads an object; ok is false when it does not exist.
func (b *Bucket) Get(t testing.TB, key string) (data []byte, ok bool) {
	t.Helper()
	out, err := b.Client.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: &b.Name, Key: &key})
	if err != nil {
		if strings.Contains(err.Error(), "NoSuchKey") || strings.Contains(err.Error(), "404") {
			return nil, false
		}
		t.Fatalf("get %s/%s: %v", b.Name, key, err)
	}
	defer out.Body.Close()
	data, err = io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s/%s: %v", b.Name, key, err)
	}
	return data, true
}

// Unfinished counts the unfinished multipart uploads in the bucket.
func (b *Bucket) Unfinished(t testing.TB) int {
	t.Helper()
	out, err := b.Client.ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: &b.Name})
	if err != nil {
		t.Fatalf("list uploads: %v", err)
	}
	return len(out.Uploads)
}

// remove deletes everything in the bucket, then the bucket.
func (b *Bucket) remove(t testing.TB) {
	ctx := context.Background()
	c := b.Client
	ups := awss3.NewListMultipartUploadsPaginator(c, &awss3.ListMultipartUploadsInput{Bucket: &b.Name})
	for ups.HasMorePages() {
		page, err := ups.NextPage(ctx)
		if err != nil {
			t.Errorf("cleanup: list uploads: %v", err)
			return
		}
		for _, u := range page.Uploads {
			c.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{Bucket: &b.Name, Key: u.Key, UploadId: u.UploadId})
		}
	}
	objs := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: &b.Name})
	for objs.HasMorePages() {
		page, err := objs.NextPage(ctx)
		if err != nil {
			t.Errorf("cleanup: list objects: %v", err)
			return
		}
		for _, o := range page.Contents {
			c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &b.Name, Key: o.Key})
		}
	}
	if _, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: &b.Name}); err != nil {
		t.Errorf("cleanup: delete bucket %s: %v", b.Name, err)
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
