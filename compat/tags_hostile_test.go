package compat

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

// TestTagsOutsideTheCharacterSet sends tags that break Huawei's documented
// tag rules through every tag-writing API (AddImageTag, BatchAddOrDeleteTags,
// CreateOrUpdateTags, GlanceCreateTag, and Glance create) and checks that
// each is refused with 400 IMG.0001 and that the image's tags do not change.
// Keys and values with control characters, CR/LF, bidi overrides, text that
// is not UTF-8 (sent raw, since the SDK cannot), lone surrogates and
// punctuation outside the set are all client mistakes.
func TestTagsOutsideTheCharacterSet(t *testing.T) {
	t.Parallel()
	env := sdktest.Start(t, nil)
	c := env.IMS
	id := activeImage(t, env, "tag-target", randomBytes(t, 4096))
	if _, err := c.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: "env", Value: "prod"}}}); err != nil {
		t.Fatalf("AddImageTag: %v", err)
	}
	before := tagsOf(t, env, id)

	badKeys := map[string]string{
		"space": "a b", "CR LF": "a\r\nb", "tab": "a\tb", "NUL-free control": "a\x07b", "bidi override": "a\u202eb",
		"colon": "a:b", "at": "a@b", "equals": "a=b", "plus": "a+b", "dot in a key": "a.b", "slash": "a/b",
		"emoji": "a😀b", "accented letter": "café", "leading space": " a", "too long": repeat("k", 129),
	}
	for name, k := range badKeys {
		t.Run("key "+name, func(t *testing.T) {
			_, err := c.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: k, Value: "v"}}})
			sdkError(t, err, 400, "IMG.0001")
			_, err = c.BatchAddOrDeleteTags(&model.BatchAddOrDeleteTagsRequest{ImageId: id, Body: &model.BatchAddOrDeleteTagsRequestBody{
				Action: model.GetBatchAddOrDeleteTagsRequestBodyActionEnum().CREATE, Tags: []model.ResourceTag{{Key: "ok", Value: "v"}, {Key: k, Value: "v"}}}})
			sdkError(t, err, 400, "IMG.0001")
			_, err = c.CreateOrUpdateTags(&model.CreateOrUpdateTagsRequest{Body: &model.AddOrUpdateTagsRequestBody{ImageId: id,
				ImageTag: &model.ResourceTag{Key: k, Value: "v"}}})
			sdkError(t, err, 400, "IMG.0001")
		})
	}
	badValues := map[string]string{
		"space": "a b", "newline": "a\nb", "bidi isolate": "a\u2066b", "comma": "a,b", "colon": "a:b", "too long": repeat("v", 256),
	}
	for name, v := range badValues {
		t.Run("value "+name, func(t *testing.T) {
			_, err := c.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &model.ResourceTag{Key: "k", Value: v}}})
			sdkError(t, err, 400, "IMG.0001")
		})
	}
	badGlance := map[string]string{"control": "a\x01b", "bidi override": "evil\u202etxt.exe", "key=value with a space": "a=b c", "newline": "a\nb"}
	for name, tag := range badGlance {
		t.Run("glance tag "+name, func(t *testing.T) {
			quoted, _ := json.Marshal(tag)
			body := []byte(`{"name":"x","tags":[` + string(quoted) + `]}`)
			resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v2/images", JSONBody: body})
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("Glance create with tag %q: %d", tag, resp.StatusCode)
			}
		})
	}
	for name, raw := range map[string]string{
		"invalid UTF-8":             "{\"tag\":{\"key\":\"a\xffb\",\"value\":\"v\"}}",
		"lone surrogate":            `{"tag":{"key":"a\ud800b","value":"v"}}`,
		"lone surrogate in a value": `{"tag":{"key":"k","value":"a\udfffb"}}`,
	} {
		t.Run("raw "+name, func(t *testing.T) {
			resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v2/" + env.Creds.ProjectID + "/images/" + id + "/tags", JSONBody: []byte(raw)})
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s: %d", name, resp.StatusCode)
			}
		})
	}
	if after := tagsOf(t, env, id); !reflect.DeepEqual(after, before) {
		t.Fatalf("tags changed by refused requests: %v -> %v", before, after)
	}

	// The documented set itself is accepted: letters, digits, '-', '_',
	// Chinese characters, '.' in values, and an empty value.
	for _, tag := range []model.ResourceTag{{Key: "Team_A-1", Value: "v1.2.3"}, {Key: "环境", Value: "生产"}, {Key: "empty", Value: ""}} {
		if _, err := c.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &tag}}); err != nil {
			t.Fatalf("AddImageTag %+v: %v", tag, err)
		}
	}
}

func tagsOf(t testing.TB, env *sdktest.Env, id string) map[string]string {
	t.Helper()
	r, err := env.IMS.ListImageTags(&model.ListImageTagsRequest{ImageId: id})
	if err != nil {
		t.Fatalf("ListImageTags: %v", err)
	}
	m := map[string]string{}
	for _, tg := range *r.Tags {
		m[tg.Key] = tg.Value
	}
	return m
}

func repeat(s string, n int) string {
	out := make([]byte, 0, n*len(s))
	for range n {
		out = append(out, s...)
	}
	return string(out)
}
