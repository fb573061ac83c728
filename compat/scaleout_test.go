package compat

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/app"
	"github.com/imsd/imsd/internal/imstest"
	"github.com/imsd/imsd/internal/sdktest"
)

// freshSchema creates a PostgreSQL schema for one test and returns a URL
// whose search_path selects it.
func freshSchema(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("pgx", imstest.PostgresURL())
	if err != nil {
		imstest.Unavailable(t, "PostgreSQL", err)
	}
	if err := db.PingContext(context.Background()); err != nil {
		imstest.Unavailable(t, "PostgreSQL", err)
	}
	schema := "compat_" + imsd.NewHexID()[:12]
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	return fmt.Sprintf("%s&search_path=%s", imstest.PostgresURL(), schema)
}

// TestScaleOutBackends runs the upload → copy → download path on
// PostgreSQL and a real S3 server (versitygw).
func TestScaleOutBackends(t *testing.T) {
	pg := freshSchema(t)
	s3cfg := imstest.S3(t)
	env := sdktest.Start(t, func(c *app.Config) {
		c.PostgresURL = pg
		c.S3.Endpoint, c.S3.Region, c.S3.AccessKey, c.S3.SecretKey = s3cfg.Endpoint, s3cfg.Region, s3cfg.AccessKey, s3cfg.SecretKey
		c.S3.Bucket = "imsd-compat-" + imsd.NewHexID()[:12]
	})
	data := randomBytes(t, 2<<20+5)
	src := activeImage(t, env, "source", data)
	r, err := env.IMS.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "copy"}})
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	j := waitJob(t, env, *r.JobId)
	if j.Status.Value() != "SUCCESS" {
		t.Fatalf("job %s %v", j.Status.Value(), j.FailReason)
	}
	resp := env.Do(t, sdktest.Request{Method: "GET", Path: "/v2/images/" + *j.Entities.ImageId + "/file"})
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("download from S3 differs (%d bytes)", len(got))
	}
}
