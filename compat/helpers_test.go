package compat

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

func ptr[T any](v T) *T { return &v }

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// sdkError asserts err is a ServiceResponseError with the given status and
// code.
func sdkError(t testing.TB, err error, status int, code string) *sdkerr.ServiceResponseError {
	t.Helper()
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want ServiceResponseError %d %s", err, err, status, code)
	}
	if se.StatusCode != status || se.ErrorCode != code {
		t.Fatalf("got %d %s (%s), want %d %s", se.StatusCode, se.ErrorCode, se.ErrorMessage, status, code)
	}
	if se.RequestId == "" {
		t.Errorf("error without request id")
	}
	return se
}

// createImage makes image metadata through the SDK.
func createImage(t testing.TB, env *sdktest.Env, name, diskFormat string) string {
	t.Helper()
	body := &model.GlanceCreateImageMetadataRequestBody{Name: ptr(name), OsVersion: ptr("CentOS 7.9 64bit")}
	if diskFormat != "" {
		df := model.GlanceCreateImageMetadataRequestBodyDiskFormat{}
		if err := json.Unmarshal([]byte(`"`+diskFormat+`"`), &df); err != nil {
			t.Fatal(err)
		}
		body.DiskFormat = &df
	}
	resp, err := env.IMS.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: body})
	if err != nil {
		t.Fatalf("GlanceCreateImageMetadata: %v", err)
	}
	return *resp.Id
}

// upload PUTs data to an image with an SDK-signed request.
func upload(t testing.TB, env *sdktest.Env, id string, data io.Reader) *http.Response {
	t.Helper()
	resp := env.Do(t, sdktest.Request{Method: "PUT", Path: "/v2/images/" + id + "/file", ContentType: "application/octet-stream", Body: data})
	resp.Body.Close()
	return resp
}

// activeImage creates and uploads an image of raw data.
func activeImage(t testing.TB, env *sdktest.Env, name string, data []byte) string {
	t.Helper()
	id := createImage(t, env, name, "raw")
	if resp := upload(t, env, id, bytesReader(data)); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upload status %d", resp.StatusCode)
	}
	return id
}

type byteReader struct {
	b []byte
	i int
}

func (r *byteReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}

func bytesReader(b []byte) io.Reader { return &byteReader{b: b} }

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
