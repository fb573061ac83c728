package compat

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestImageLifecycle drives create → upload → show/list → update → tags →
// quota → download → delete through the official SDK.
func TestImageLifecycle(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.IMS
	data := randomBytes(t, 3<<20+17)
	sum := sha256.Sum256(data)

	created, err := c.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: &model.GlanceCreateImageMetadataRequestBody{
		Name: ptr("my image+x"), OsVersion: ptr("Ubuntu 22.04 server 64bit"), MinDisk: ptr(int32(40)),
		MinRam: ptr(int32(1024)), Tags: &[]string{"team=infra", "golden"},
	}})
	if err != nil {
		t.Fatalf("GlanceCreateImageMetadata: %v", err)
	}
	if created.HttpStatusCode != 201 || created.Status.Value() != "queued" || *created.Name != "my image+x" ||
		*created.MinDisk != 40 || *created.MinRam != 1024 || *created.ImageSize != "0" ||
		*created.Platform != "Ubuntu" || created.OsType.Value() != "Linux" || created.OsBit.Value() != "64" ||
		*created.Imagetype != "private" || *created.Owner != env.Creds.ProjectID || len(*created.Tags) != 2 {
		t.Fatalf("created image fields wrong: %+v", created)
	}
	id := *created.Id

	if resp := upload(t, env, id, bytes.NewReader(data)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload status %d", resp.StatusCode)
	}
	shown, err := c.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
	if err != nil {
		t.Fatalf("GlanceShowImage: %v", err)
	}
	if shown.Status.Value() != "active" || *shown.ImageSize != strconv.Itoa(len(data)) || *shown.Size != int64(len(data)) ||
		shown.DiskFormat.Value() != "raw" || *shown.File != "/v2/images/"+id+"/file" {
		t.Fatalf("shown image fields wrong: %+v", shown)
	}

	// ListImages with the SDK's exact query encoding: name with space and +.
	list, err := c.ListImages(&model.ListImagesRequest{Name: ptr("my image+x"), Imagetype: ptr(model.GetListImagesRequestImagetypeEnum().PRIVATE),
		Status: ptr(model.GetListImagesRequestStatusEnum().ACTIVE), Limit: ptr(int32(10))})
	if err != nil {
		t.Fatalf("ListImages: %v", err)
	}
	if len(*list.Images) != 1 || (*list.Images)[0].Id != id || *(*list.Images)[0].Size != int32(len(data)) {
		t.Fatalf("ListImages by name: %+v", list.Images)
	}
	byID, err := c.ListImages(&model.ListImagesRequest{Id: ptr(id)})
	if err != nil || len(*byID.Images) != 1 {
		t.Fatalf("ListImages?id=: %v %+v", err, byID)
	}
	none, err := c.ListImages(&model.ListImagesRequest{Status: ptr(model.GetListImagesRequestStatusEnum().QUEUED)})
	if err != nil || len(*none.Images) != 0 {
		t.Fatalf("ListImages?status=queued: %v %+v", err, none)
	}
	glist, err := c.GlanceListImages(&model.GlanceListImagesRequest{Limit: ptr(int32(5))})
	if err != nil || len(*glist.Images) != 1 || *glist.First == "" || glist.Next != nil {
		t.Fatalf("GlanceListImages: %v %+v", err, glist)
	}

	upd, err := c.UpdateImage(&model.UpdateImageRequest{ImageId: id, Body: &[]model.UpdateImageRequestBody{
		{Op: model.GetUpdateImageRequestBodyOpEnum().REPLACE, Path: "/name", Value: "renamed"},
		{Op: model.GetUpdateImageRequestBodyOpEnum().REPLACE, Path: "/min_ram", Value: "2048"},
	}})
	if err != nil || *upd.Name != "renamed" || *upd.MinRam != 2048 {
		t.Fatalf("UpdateImage: %v %+v", err, upd)
	}
	gupd, err := c.GlanceUpdateImage(&model.GlanceUpdateImageRequest{ImageId: id, Body: &[]model.GlanceUpdateImageRequestBody{
		{Op: model.GetGlanceUpdateImageRequestBodyOpEnum().ADD, Path: "/__description", Value: ptr("via glance")},
	}})
	if err != nil || *gupd.Description != "via glance" {
		t.Fatalf("GlanceUpdateImage: %v %+v", err, gupd)
	}

	quota, err := c.ShowImageQuota(&model.ShowImageQuotaRequest{})
	if err != nil || quota.Quotas.Resources[0].Type != "image" || quota.Quotas.Resources[0].Used != 1 {
		t.Fatalf("ShowImageQuota: %v %+v", err, quota)
	}

	// Download, whole and ranged, equals the uploaded bytes.
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file"})
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("download: status %d, %d bytes", resp.StatusCode, len(got))
	}
	rangeCases := []struct {
		name, header string
		from, to     int
	}{
		{"middle", "bytes=100-199", 100, 200},
		{"open end", "bytes=" + strconv.Itoa(len(data)-10) + "-", len(data) - 10, len(data)},
		{"suffix", "bytes=-5", len(data) - 5, len(data)},
	}
	for _, rc := range rangeCases {
		t.Run("range "+rc.name, func(t *testing.T) {
			resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file", Header: http.Header{"Range": {rc.header}}})
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 206 || !bytes.Equal(got, data[rc.from:rc.to]) {
				t.Fatalf("status %d, %d bytes", resp.StatusCode, len(got))
			}
		})
	}
	resp = env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id + "/file", Header: http.Header{"Range": {"bytes=999999999-"}}})
	resp.Body.Close()
	if resp.StatusCode != 416 {
		t.Fatalf("unsatisfiable range: %d", resp.StatusCode)
	}
	// The SDK model has no os_hash_*; read them from the raw body.
	resp = env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + id})
	var raw map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if raw["os_hash_algo"] != "sha256" || raw["os_hash_value"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("os_hash: %v %v", raw["os_hash_algo"], raw["os_hash_value"])
	}

	if _, err := c.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: id}); err != nil {
		t.Fatalf("GlanceDeleteImage: %v", err)
	}
	after, err := c.ListImages(&model.ListImagesRequest{Id: ptr(id)})
	if err != nil || len(*after.Images) != 0 {
		t.Fatalf("deleted image still listed: %v %+v", err, after)
	}
	_, err = c.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
	sdkError(t, err, 404, "IMG.0144")
}

func TestTags(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.IMS
	id := activeImage(t, env, "tagged", randomBytes(t, 4096))
	if _, err := c.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: "env", Value: "prod"}}}); err != nil {
		t.Fatalf("AddImageTag: %v", err)
	}
	if _, err := c.BatchAddOrDeleteTags(&model.BatchAddOrDeleteTagsRequest{ImageId: id, Body: &model.BatchAddOrDeleteTagsRequestBody{
		Action: model.GetBatchAddOrDeleteTagsRequestBodyActionEnum().CREATE,
		Tags:   []model.ResourceTag{{Key: "owner", Value: "ops"}, {Key: "env", Value: "staging"}}}}); err != nil {
		t.Fatalf("BatchAddOrDeleteTags: %v", err)
	}
	tags, err := c.ListImageTags(&model.ListImageTagsRequest{ImageId: id})
	if err != nil {
		t.Fatalf("ListImageTags: %v", err)
	}
	got := map[string]string{}
	for _, tg := range *tags.Tags {
		got[tg.Key] = tg.Value
	}
	if len(got) != 2 || got["env"] != "staging" || got["owner"] != "ops" {
		t.Fatalf("tags %v", got)
	}
	if _, err := c.DeleteImageTag(&model.DeleteImageTagRequest{ImageId: id, Key: "owner"}); err != nil {
		t.Fatalf("DeleteImageTag: %v", err)
	}
	_, err = c.DeleteImageTag(&model.DeleteImageTagRequest{ImageId: id, Key: "owner"})
	sdkError(t, err, 404, "IMG.0247")
	all, err := c.ListImagesTags(&model.ListImagesTagsRequest{})
	if err != nil || len(*all.Tags) != 1 || (*all.Tags)[0].Key != "env" {
		t.Fatalf("ListImagesTags: %v %+v", err, all)
	}
	byTag, err := c.ListImageByTags(&model.ListImageByTagsRequest{Body: &model.ListImageByTagsRequestBody{
		Action: model.GetListImageByTagsRequestBodyActionEnum().FILTER, Tags: &[]model.Tags{{Key: "env", Values: []string{"staging"}}}}})
	if err != nil || *byTag.TotalCount != 1 || (*byTag.Resources)[0].ResourceId != id {
		t.Fatalf("ListImageByTags: %v %+v", err, byTag)
	}
	if _, err := c.CreateOrUpdateTags(&model.CreateOrUpdateTagsRequest{Body: &model.AddOrUpdateTagsRequestBody{ImageId: id, Tag: ptr("tier=gold")}}); err != nil {
		t.Fatalf("CreateOrUpdateTags: %v", err)
	}
	lt, err := c.ListTags(&model.ListTagsRequest{})
	if err != nil || len(*lt.Tags) != 2 {
		t.Fatalf("ListTags: %v %+v", err, lt)
	}
	if _, err := c.GlanceCreateTag(&model.GlanceCreateTagRequest{ImageId: id, Tag: "plain"}); err != nil {
		t.Fatalf("GlanceCreateTag: %v", err)
	}
	if _, err := c.GlanceDeleteTag(&model.GlanceDeleteTagRequest{ImageId: id, Tag: "plain"}); err != nil {
		t.Fatalf("GlanceDeleteTag: %v", err)
	}
	shown, err := c.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
	if err != nil || len(*shown.Tags) != 2 {
		t.Fatalf("tags after edits: %v %+v", err, shown.Tags)
	}
}
