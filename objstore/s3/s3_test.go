package s3

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/s3test"
	"github.com/imsd/imsd/objstore/objstoretest"
)

func TestStore(t *testing.T) { runSuite(t, nil) }

// TestStoreMultipartPut runs the suite with Put going through the staged
// multipart write from one part up.
func TestStoreMultipartPut(t *testing.T) {
	runSuite(t, func(s *Store) { s.singlePutLimit = minPartSize })
}

func runSuite(t *testing.T, tweak func(*Store)) {
	objstoretest.Run(t, func(t *testing.T) objstoretest.Fixture {
		b := s3test.New(t, "objstore")
		s, err := New(Config{Endpoint: b.Endpoint, Region: b.Region, AccessKey: b.AccessKey, SecretKey: b.SecretKey,
			PartSize: minPartSize, Concurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		if tweak != nil {
			tweak(s)
		}
		return objstoretest.Fixture{Store: s, Bucket: b.Name, Missing: b.Name + "-missing", PartSize: minPartSize,
			Leave: func(t *testing.T, key string) {
				out, err := b.Client.CreateMultipartUpload(t.Context(), &awss3.CreateMultipartUploadInput{Bucket: &b.Name, Key: &key})
				if err != nil {
					t.Fatal(err)
				}
				_, err = b.Client.UploadPart(t.Context(), &awss3.UploadPartInput{Bucket: &b.Name, Key: &key, UploadId: out.UploadId,
					PartNumber: aws.Int32(1), Body: strings.NewReader("part"), ContentLength: aws.Int64(4)})
				if err != nil {
					t.Fatal(err)
				}
			},
			Unfinished: func(t *testing.T, key string) int {
				out, err := b.Client.ListMultipartUploads(t.Context(), &awss3.ListMultipartUploadsInput{Bucket: &b.Name, Prefix: &key})
				if err != nil {
					t.Fatal(err)
				}
				return len(out.Uploads)
			},
		}
	})
}

// TestBucketAllowList: with Config.Buckets set, any other bucket is
// reported missing, even one that exists.
func TestBucketAllowList(t *testing.T) {
	allowed, other := s3test.New(t, "allowed"), s3test.New(t, "other")
	other.Put(t, "k", []byte("data"))
	s, err := New(Config{Endpoint: allowed.Endpoint, Region: allowed.Region, AccessKey: allowed.AccessKey, SecretKey: allowed.SecretKey,
		Buckets: []string{allowed.Name}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(t.Context(), other.Name, "k"); !errors.Is(err, imsd.ErrNoSuchBucket) {
		t.Fatalf("Stat in a bucket outside the list: %v", err)
	}
	if _, _, err := s.Open(t.Context(), other.Name, "k"); !errors.Is(err, imsd.ErrNoSuchBucket) {
		t.Fatalf("Open in a bucket outside the list: %v", err)
	}
	if _, err := s.Create(t.Context(), other.Name, "k2"); !errors.Is(err, imsd.ErrNoSuchBucket) {
		t.Fatalf("Create in a bucket outside the list: %v", err)
	}
	if _, err := s.Stat(t.Context(), allowed.Name, "k"); !errors.Is(err, imsd.ErrNotFound) {
		t.Fatalf("Stat of a missing object in the allowed bucket: %v", err)
	}
}

// TestWrongCredentials: a refused request is ErrAccessDenied, not a
// missing object.
func TestWrongCredentials(t *testing.T) {
	b := s3test.New(t, "denied")
	b.Put(t, "k", []byte("data"))
	s, err := New(Config{Endpoint: b.Endpoint, Region: b.Region, AccessKey: b.AccessKey, SecretKey: "wrong-secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(t.Context(), b.Name, "k"); errors.Is(err, imsd.ErrNotFound) || err == nil {
		t.Fatalf("Open with a wrong secret: %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{{PartSize: 1 << 20}, {Concurrency: -1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}
