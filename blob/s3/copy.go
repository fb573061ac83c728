package s3

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// copyObject copies src to dst on the server: one CopyObject up to
// copyLimit, else a multipart upload of UploadPartCopy ranges, at most
// s.concurrency at a time. dst appears atomically either way.
func (s *Store) copyObject(ctx context.Context, src, dst string, size int64) error {
	if size <= s.copyLimit {
		_, err := s.client.CopyObject(ctx, &awss3.CopyObjectInput{
			Bucket:     &s.bucket,
			Key:        &dst,
			CopySource: s.copySource(src),
		})
		if err != nil {
			return fmt.Errorf("s3: copy %s to %s: %w", src, dst, err)
		}
		return nil
	}
	partSize := max(s.copyPartSize, (size+maxParts-1)/maxParts)
	up, err := s.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{Bucket: &s.bucket, Key: &dst})
	if err != nil {
		return fmt.Errorf("s3: copy %s to %s: %w", src, dst, err)
	}
	parts, err := s.copyParts(ctx, src, dst, up.UploadId, size, partSize)
	if err == nil {
		_, err = s.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
			Bucket:          &s.bucket,
			Key:             &dst,
			UploadId:        up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
	}
	if err != nil {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		_ = s.abort(cctx, dst, up.UploadId)
		return fmt.Errorf("s3: copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// copyParts runs the UploadPartCopy calls of a multipart copy.
func (s *Store) copyParts(ctx context.Context, src, dst string, uploadID *string, size, partSize int64) ([]types.CompletedPart, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := int((size + partSize - 1) / partSize)
	parts := make([]types.CompletedPart, n)
	errs := make([]error, n)
	slots := make(chan struct{}, s.concurrency)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			first := int64(i) * partSize
			last := min(first+partSize, size) - 1
			num := int32(i + 1)
			out, err := s.client.UploadPartCopy(ctx, &awss3.UploadPartCopyInput{
				Bucket:          &s.bucket,
				Key:             &dst,
				UploadId:        uploadID,
				PartNumber:      &num,
				CopySource:      s.copySource(src),
				CopySourceRange: aws.String(fmt.Sprintf("bytes=%d-%d", first, last)),
			})
			if err != nil {
				errs[i] = fmt.Errorf("part %d: %w", num, err)
				cancel()
				return
			}
			parts[i] = types.CompletedPart{ETag: out.CopyPartResult.ETag, PartNumber: &num}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return parts, nil
}

// abort aborts a multipart upload; one that is gone already is no error.
// What a failed abort leaves behind, PurgeStaging finds later.
func (s *Store) abort(ctx context.Context, key string, uploadID *string) error {
	_, err := s.client.AbortMultipartUpload(ctx, &awss3.AbortMultipartUploadInput{
		Bucket: &s.bucket, Key: &key, UploadId: uploadID,
	})
	if err != nil && !isNoSuchUpload(err) {
		return fmt.Errorf("s3: abort upload of %s: %w", key, err)
	}
	return nil
}
