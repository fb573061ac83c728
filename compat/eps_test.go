package compat

import (
	"net/http"
	"testing"
	"time"

	epsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"

	"github.com/imsd/imsd/internal/sdktest"
)

func TestEnterpriseProjects(t *testing.T) {
	env := sdktest.Start(t, nil)
	e := rootEPS(t, env)

	first := check(e.ListEnterpriseProject(&epsm.ListEnterpriseProjectRequest{}))(t)
	if *first.TotalCount != 1 || len(*first.EnterpriseProjects) != 1 {
		t.Fatalf("initial EPs: %+v", *first.EnterpriseProjects)
	}
	def := (*first.EnterpriseProjects)[0]
	if def.Id != "0" || def.Name != "default" || def.Status != 1 || def.Type.Value() != "prod" || def.CreatedAt == nil {
		t.Fatalf("default EP: %+v", def)
	}

	created := check(e.CreateEnterpriseProject(&epsm.CreateEnterpriseProjectRequest{Body: &epsm.EnterpriseProject{
		Name: "team-a", Description: ptr("team A"), Type: ptr("poc")}}))(t)
	ep := created.EnterpriseProject
	if created.HttpStatusCode != http.StatusOK || len(ep.Id) != 36 || ep.Name != "team-a" || ep.Description != "team A" || ep.Status != 1 ||
		ep.Type.Value() != "poc" || ep.DeleteFlag || time.Since(time.Time(*ep.CreatedAt)) > time.Minute {
		t.Fatalf("created EP: %+v", ep)
	}
	shown := check(e.ShowEnterpriseProject(&epsm.ShowEnterpriseProjectRequest{EnterpriseProjectId: ep.Id}))(t)
	if shown.EnterpriseProject.Name != "team-a" || shown.EnterpriseProject.Description != "team A" {
		t.Fatalf("shown EP: %+v", shown.EnterpriseProject)
	}
	if d := check(e.ShowEnterpriseProject(&epsm.ShowEnterpriseProjectRequest{EnterpriseProjectId: "0"}))(t); d.EnterpriseProject.Name != "default" {
		t.Fatalf("EP 0: %+v", d.EnterpriseProject)
	}

	_, err := e.CreateEnterpriseProject(&epsm.CreateEnterpriseProjectRequest{Body: &epsm.EnterpriseProject{Name: "TEAM-A"}})
	sdkError(t, err, 409, "EPS.0005")
	_, err = e.CreateEnterpriseProject(&epsm.CreateEnterpriseProjectRequest{Body: &epsm.EnterpriseProject{Name: "my-Default"}})
	sdkError(t, err, 400, "EPS.0001")

	upd := check(e.UpdateEnterpriseProject(&epsm.UpdateEnterpriseProjectRequest{EnterpriseProjectId: ep.Id,
		Body: &epsm.EnterpriseProject{Name: "team-b", Description: ptr("team B")}}))(t)
	if upd.EnterpriseProject.Name != "team-b" || upd.EnterpriseProject.Description != "team B" || upd.EnterpriseProject.Type.Value() != "poc" {
		t.Fatalf("updated EP: %+v", upd.EnterpriseProject)
	}
	_, err = e.UpdateEnterpriseProject(&epsm.UpdateEnterpriseProjectRequest{EnterpriseProjectId: "0", Body: &epsm.EnterpriseProject{Name: "zero"}})
	sdkError(t, err, 400, "EPS.0012")
	_, err = e.DisableEnterpriseProject(&epsm.DisableEnterpriseProjectRequest{EnterpriseProjectId: "0",
		Body: &epsm.DisableAction{Action: epsm.GetDisableActionActionEnum().DISABLE}})
	sdkError(t, err, 400, "EPS.0015")
	_, err = e.ShowEnterpriseProject(&epsm.ShowEnterpriseProjectRequest{EnterpriseProjectId: "3f1b7c6e-0000-4000-8000-000000000000"})
	sdkError(t, err, 404, "EPS.0004")

	dis := check(e.DisableEnterpriseProject(&epsm.DisableEnterpriseProjectRequest{EnterpriseProjectId: ep.Id,
		Body: &epsm.DisableAction{Action: epsm.GetDisableActionActionEnum().DISABLE}}))(t)
	if dis.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("disable status %d", dis.HttpStatusCode)
	}
	disabled := check(e.ListEnterpriseProject(&epsm.ListEnterpriseProjectRequest{Status: ptr(int32(2))}))(t)
	if *disabled.TotalCount != 1 || (*disabled.EnterpriseProjects)[0].Id != ep.Id {
		t.Fatalf("disabled EPs: %+v", *disabled.EnterpriseProjects)
	}

	// A disabled EP receives no image; an enabled one does.
	img := activeImage(t, env, "movable", randomBytes(t, 2048))
	migrate := func(epID string, body epsm.MigrateResource) error {
		_, err := e.MigrateResource(&epsm.MigrateResourceRequest{EnterpriseProjectId: epID, Body: &body})
		return err
	}
	move := epsm.MigrateResource{ResourceId: img, ResourceType: "images", ProjectId: ptr(env.Creds.ProjectID), RegionId: ptr(env.Creds.Region)}
	sdkError(t, migrate(ep.Id, move), 400, "EPS.0001")
	check(e.EnableEnterpriseProject(&epsm.EnableEnterpriseProjectRequest{EnterpriseProjectId: ep.Id,
		Body: &epsm.EnableAction{Action: epsm.GetEnableActionActionEnum().ENABLE}}))(t)
	if err := migrate(ep.Id, move); err != nil {
		t.Fatalf("MigrateResource: %v", err)
	}
	got := check(env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img}))(t)
	if *got.EnterpriseProjectId != ep.Id {
		t.Fatalf("image EP after migrate: %s", *got.EnterpriseProjectId)
	}
	sdkError(t, migrate(ep.Id, epsm.MigrateResource{ResourceId: img, ResourceType: "servers"}), 400, "EPS.0001")
	sdkError(t, migrate(ep.Id, epsm.MigrateResource{ResourceId: "465076de-dc36-4aec-80f5-ef9d8009428f", ResourceType: "images"}), 404, "IMG.0144")
	sdkError(t, migrate(ep.Id, epsm.MigrateResource{ResourceId: img, ResourceType: "images", ProjectId: ptr("0123456789abcdef0123456789abcdef")}), 404, "IMG.0144")
	if err := migrate("0", epsm.MigrateResource{ResourceId: img, ResourceType: "images"}); err != nil {
		t.Fatalf("MigrateResource to 0: %v", err)
	}
	if got := check(env.IMS.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: img}))(t); *got.EnterpriseProjectId != "0" {
		t.Fatalf("image EP after migrate back: %s", *got.EnterpriseProjectId)
	}

	mkEP(t, e, "team-c")
	page := check(e.ListEnterpriseProject(&epsm.ListEnterpriseProjectRequest{Limit: ptr(int32(1)), Offset: ptr(int32(1)),
		SortDir: ptr(epsm.GetListEnterpriseProjectRequestSortDirEnum().ASC)}))(t)
	if *page.TotalCount != 3 || len(*page.EnterpriseProjects) != 1 || (*page.EnterpriseProjects)[0].Id != ep.Id {
		t.Fatalf("page: %+v", *page.EnterpriseProjects)
	}
	named := check(e.ListEnterpriseProject(&epsm.ListEnterpriseProjectRequest{Name: ptr("TEAM")}))(t)
	if *named.TotalCount != 2 {
		t.Fatalf("EPs named like team: %+v", *named.EnterpriseProjects)
	}
}
