package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// PurgeStaging deletes staging objects last modified before olderThan and
// aborts the multipart uploads (staged writes, and copies of large blobs
// into place) last touched before it: initiated before it, with no part
// uploaded since. It reports how many of both it removed.
func (s *Store) PurgeStaging(ctx context.Context, olderThan time.Time) (int, error) {
	n, err := s.purgeObjects(ctx, olderThan)
	if err != nil {
		return n, err
	}
	for _, pfx := range []string{s.stagingPrefix(), s.blobPrefix()} {
		m, err := s.purgeUploads(ctx, pfx, olderThan)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// purgeObjects deletes the old staging objects.
func (s *Store) purgeObjects(ctx context.Context, olderThan time.Time) (int, error) {
	pfx := s.stagingPrefix()
	p := awss3.NewListObjectsV2Paginator(s.client, &awss3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &pfx})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("s3: purge staging: %w", err)
		}
		for _, o := range page.Contents {
			if !aws.ToTime(o.LastModified).Before(olderThan) {
				continue
			}
			_, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: &s.bucket, Key: o.Key})
			if err != nil && !isNotFound(err) {
				return n, fmt.Errorf("s3: purge staging: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// purgeUploads aborts the old multipart uploads under pfx.
func (s *Store) purgeUploads(ctx context.Context, pfx string, olderThan time.Time) (int, error) {
	p := awss3.NewListMultipartUploadsPaginator(s.client, &awss3.ListMultipartUploadsInput{Bucket: &s.bucket, Prefix: &pfx})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("s3: purge uploads: %w", err)
		}
		for _, u := range page.Uploads {
			if !aws.ToTime(u.Initiated).Before(olderThan) {
				continue
			}
			touched, err := s.lastPart(ctx, u)
			if isNoSuchUpload(err) {
				continue // finished meanwhile
			} else if err != nil {
				return n, fmt.Errorf("s3: purge uploads: %w", err)
			}
			if !touched.Before(olderThan) {
				continue
			}
			_, err = s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
				Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId,
			})
			if isNoSuchUpload(err) {
				continue
			} else if err != nil {
				return n, fmt.Errorf("s3: purge uploads: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// lastPart returns when a part of upload u was last uploaded, or the zero
// time if it has none.
func (s *Store) lastPart(ctx context.Context, u types.MultipartUpload) (time.Time, error) {
	var last time.Time
	p := awss3.NewListPartsPaginator(s.client, &awss3.ListPartsInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return last, err
		}
		for _, part := range page.Parts {
			if t := aws.ToTime(part.LastModified); t.After(last) {
				last = t
			}
		}
	}
	return last, nil
}

// isNoSuchUpload reports whether err says the multipart upload is gone.
func isNoSuchUpload(err error) bool {
	return errorCode(err) == "NoSuchUpload"
}
