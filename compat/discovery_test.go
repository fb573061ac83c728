package compat

import (
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestDiscoveryAndRemainingCalls covers the SDK calls the lifecycle tests
// do not: version discovery, schemas, OS versions and BatchDeleteTags.
func TestDiscoveryAndRemainingCalls(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.IMS
	versions, err := c.ListVersions(&model.ListVersionsRequest{})
	if err != nil || len(*versions.Versions) != 3 || versions.HttpStatusCode != http.StatusMultipleChoices {
		t.Fatalf("ListVersions: %v %+v", err, versions)
	}
	v, err := c.ShowVersion(&model.ShowVersionRequest{Version: "v2"})
	if err != nil || len(*v.Versions) != 1 || *(*v.Versions)[0].Id != "v2.1" {
		t.Fatalf("ShowVersion: %v %+v", err, v)
	}
	if s, err := c.GlanceShowImageSchemas(&model.GlanceShowImageSchemasRequest{}); err != nil || *s.Name != "image" {
		t.Fatalf("GlanceShowImageSchemas: %v %+v", err, s)
	}
	if s, err := c.GlanceListImageSchemas(&model.GlanceListImageSchemasRequest{}); err != nil || *s.Name != "images" {
		t.Fatalf("GlanceListImageSchemas: %v %+v", err, s)
	}
	osv, err := c.ListOsVersions(&model.ListOsVersionsRequest{})
	if err != nil || len(*osv.Body) == 0 || len((*osv.Body)[0].VersionList) == 0 {
		t.Fatalf("ListOsVersions: %v %+v", err, osv)
	}
	id := activeImage(t, env, "tags", randomBytes(t, 100))
	if _, err := c.BatchAddOrDeleteTags(&model.BatchAddOrDeleteTagsRequest{ImageId: id, Body: &model.BatchAddOrDeleteTagsRequestBody{
		Action: model.GetBatchAddOrDeleteTagsRequestBodyActionEnum().CREATE, Tags: []model.ResourceTag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchDeleteTags(&model.BatchDeleteTagsRequest{ImageId: id, Body: &model.BatchDeleteTagsRequestBody{
		Tags: []model.ResourceTag{{Key: "a"}}}}); err != nil {
		t.Fatalf("BatchDeleteTags: %v", err)
	}
	tags, err := c.ListImageTags(&model.ListImageTagsRequest{ImageId: id})
	if err != nil || len(*tags.Tags) != 1 || (*tags.Tags)[0].Key != "b" {
		t.Fatalf("after BatchDeleteTags: %v %+v", err, tags)
	}
}
