package compat

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	kms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"
	kmsm "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"

	"github.com/imsd/imsd"
	"github.com/imsd/imsd/internal/sdktest"
)

// mkCMK creates a key through the SDK and returns its id.
func mkCMK(t testing.TB, c *kms.KmsClient, alias string) string {
	t.Helper()
	r := check(c.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: alias, KeyDescription: ptr("test key")}}))(t)
	if r.KeyInfo == nil || r.KeyInfo.KeyId == nil || len(*r.KeyInfo.KeyId) != 36 {
		t.Fatalf("CreateKey answered %+v", r)
	}
	return *r.KeyInfo.KeyId
}

func describeKey(t testing.TB, c *kms.KmsClient, id string) *kmsm.KeyDetails {
	t.Helper()
	r := check(c.ListKeyDetail(&kmsm.ListKeyDetailRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}}))(t)
	return r.KeyInfo
}

// TestKMSKeyLifecycle drives every key-service call through the SDK's
// kms/v2 client and checks the answers decode with the values a KMS user
// expects.
func TestKMSKeyLifecycle(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.RootKMS(t)
	id := mkCMK(t, c, "lifecycle")
	second := mkCMK(t, c, "second")

	d := describeKey(t, c, id)
	if *d.KeyId != id || *d.KeyAlias != "lifecycle" || *d.KeyState != "2" || d.KeySpec.Value() != "AES_256" ||
		d.KeyUsage.Value() != "ENCRYPT_DECRYPT" || *d.KeyDescription != "test key" || *d.DomainId != env.Creds.DomainID ||
		*d.Realm != "local-1" || *d.CreationDate == "" || *d.ScheduledDeletionDate != "" || *d.SysEnterpriseProjectId != "0" {
		t.Fatalf("ListKeyDetail: %+v", d)
	}

	list := check(c.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{}}))(t)
	if list.Total == nil || *list.Total != 2 || len(*list.Keys) != 2 || (*list.Keys)[0] != id || list.Truncated.Value() != "false" {
		t.Fatalf("ListKeys: %+v", list)
	}
	page := check(c.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{Limit: ptr("1")}}))(t)
	if len(*page.Keys) != 1 || page.Truncated.Value() != "true" || *page.NextMarker != "1" {
		t.Fatalf("ListKeys limit 1: %+v", page)
	}
	page = check(c.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{Limit: ptr("1"), Marker: page.NextMarker}}))(t)
	if len(*page.Keys) != 1 || (*page.Keys)[0] != second || page.Truncated.Value() != "false" {
		t.Fatalf("ListKeys second page: %+v", page)
	}

	dis := check(c.DisableKey(&kmsm.DisableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}}))(t)
	if *dis.KeyInfo.KeyState != "3" {
		t.Fatalf("DisableKey: %+v", dis.KeyInfo)
	}
	disabled := check(c.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{KeyState: ptr("3")}}))(t)
	if len(*disabled.Keys) != 1 || (*disabled.Keys)[0] != id {
		t.Fatalf("ListKeys key_state 3: %+v", disabled)
	}
	en := check(c.EnableKey(&kmsm.EnableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}}))(t)
	if *en.KeyInfo.KeyState != "2" {
		t.Fatalf("EnableKey: %+v", en.KeyInfo)
	}

	a := check(c.CreateAlias(&kmsm.CreateAliasRequest{Body: &kmsm.CreateAliasRequestBody{KeyId: id, Alias: "alias/app"}}))(t)
	if *a.Alias != "alias/app" || *a.KeyId != id || !strings.HasSuffix(*a.AliasUrn, ":alias/app") {
		t.Fatalf("CreateAlias: %+v", a)
	}
	check(c.CreateAlias(&kmsm.CreateAliasRequest{Body: &kmsm.CreateAliasRequestBody{KeyId: second, Alias: "alias/other"}}))(t)
	aliases := check(c.ListAliases(&kmsm.ListAliasesRequest{KeyId: ptr(id)}))(t)
	if aliases.Body == nil || len(*aliases.Body) != 1 || len((*aliases.Body)[0].Aliases) != 1 || (*aliases.Body)[0].Aliases[0].Alias != "alias/app" ||
		*(*aliases.Body)[0].PageInfo.CurrentCount != 1 {
		t.Fatalf("ListAliases: %+v", aliases.Body)
	}
	check(c.AssociateAlias(&kmsm.AssociateAliasRequest{Body: &kmsm.AssociateAliasRequestBody{Alias: "alias/app", TargetKeyId: second}}))(t)
	all := check(c.ListAliases(&kmsm.ListAliasesRequest{}))(t)
	if got := (*all.Body)[0].Aliases; len(got) != 2 || *got[0].KeyId != second || *got[1].KeyId != second {
		t.Fatalf("ListAliases after AssociateAlias: %+v", got)
	}
	check(c.DeleteAlias(&kmsm.DeleteAliasRequest{Body: &kmsm.DeleteAliasRequestBody{KeyId: second, Aliases: []string{"alias/app"}}}))(t)
	if got := (*check(c.ListAliases(&kmsm.ListAliasesRequest{}))(t).Body)[0].Aliases; len(got) != 1 || got[0].Alias != "alias/other" {
		t.Fatalf("ListAliases after DeleteAlias: %+v", got)
	}

	del := check(c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: "7"}}))(t)
	if *del.KeyState != "4" {
		t.Fatalf("DeleteKey: %+v", del)
	}
	if d := describeKey(t, c, id); *d.KeyState != "4" || *d.ScheduledDeletionDate == "" {
		t.Fatalf("pending deletion: %+v", d)
	}
	_, err := c.EnableKey(&kmsm.EnableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}})
	sdkError(t, err, 400, "KMS.0210")
	cancel := check(c.CancelKeyDeletion(&kmsm.CancelKeyDeletionRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}}))(t)
	if *cancel.KeyState != "3" {
		t.Fatalf("CancelKeyDeletion: %+v", cancel)
	}
	if d := describeKey(t, c, id); *d.ScheduledDeletionDate != "" {
		t.Fatalf("after CancelKeyDeletion: %+v", d)
	}
}

// TestKMSErrors: every refused key-service call answers the documented
// code and changes nothing; another account's keys are 404 like missing
// ones; a user without KMS permissions gets 403.
func TestKMSErrors(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.RootKMS(t)
	id := mkCMK(t, c, "errors")
	other := env.NewAccount(t, "other")
	oc := env.KMS(t, other.AccessKey, other.SecretKey, other.ProjectID)
	foreign := mkCMK(t, oc, "foreign")
	ak, sk := env.NewUser(t, "nokms")
	nc := env.KMS(t, ak, sk, env.Creds.ProjectID)

	create := func(b kmsm.CreateKeyRequestBody) error {
		_, err := c.CreateKey(&kmsm.CreateKeyRequest{Body: &b})
		return err
	}
	rsa := kmsm.GetCreateKeyRequestBodyKeySpecEnum().RSA_2048
	external := kmsm.GetCreateKeyRequestBodyOriginEnum().EXTERNAL
	cases := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"empty alias", func() error { return create(kmsm.CreateKeyRequestBody{}) }, 400, "KMS.0204"},
		{"bad alias", func() error { return create(kmsm.CreateKeyRequestBody{KeyAlias: "has space"}) }, 400, "KMS.1101"},
		{"default alias", func() error { return create(kmsm.CreateKeyRequestBody{KeyAlias: "ims/default"}) }, 400, "KMS.1101"},
		{"duplicate alias", func() error { return create(kmsm.CreateKeyRequestBody{KeyAlias: "errors"}) }, 409, "KMS.1104"},
		{"asymmetric key", func() error { return create(kmsm.CreateKeyRequestBody{KeyAlias: "rsa", KeySpec: &rsa}) }, 400, "KMS.0308"},
		{"external origin", func() error { return create(kmsm.CreateKeyRequestBody{KeyAlias: "ext", Origin: &external}) }, 400, "KMS.0308"},
		{"unknown enterprise project", func() error {
			return create(kmsm.CreateKeyRequestBody{KeyAlias: "ep", EnterpriseProjectId: ptr("0123456789abcdef0123456789abcdef")})
		}, 400, "KMS.0308"},
		{"missing key", func() error {
			_, err := c.ListKeyDetail(&kmsm.ListKeyDetailRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: "8b1b1d3c-0000-4000-8000-000000000000"}})
			return err
		}, 404, "KMS.0205"},
		{"another account's key", func() error {
			_, err := c.DisableKey(&kmsm.DisableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: foreign}})
			return err
		}, 404, "KMS.0205"},
		{"empty key id", func() error {
			_, err := c.EnableKey(&kmsm.EnableKeyRequest{Body: &kmsm.OperateKeyRequestBody{}})
			return err
		}, 400, "KMS.0204"},
		{"pending days too short", func() error {
			_, err := c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: "6"}})
			return err
		}, 400, "KMS.0308"},
		{"pending days not a number", func() error {
			_, err := c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: "week"}})
			return err
		}, 400, "KMS.0308"},
		{"cancel deletion of an enabled key", func() error {
			_, err := c.CancelKeyDeletion(&kmsm.CancelKeyDeletionRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}})
			return err
		}, 400, "KMS.1112"},
		{"bad limit", func() error {
			_, err := c.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{Limit: ptr("0")}})
			return err
		}, 400, "KMS.0308"},
		{"alias without prefix", func() error {
			_, err := c.CreateAlias(&kmsm.CreateAliasRequest{Body: &kmsm.CreateAliasRequestBody{KeyId: id, Alias: "app"}})
			return err
		}, 400, "KMS.1101"},
		{"alias of another account's key", func() error {
			_, err := c.CreateAlias(&kmsm.CreateAliasRequest{Body: &kmsm.CreateAliasRequestBody{KeyId: foreign, Alias: "alias/x"}})
			return err
		}, 404, "KMS.0205"},
		{"delete a missing alias", func() error {
			_, err := c.DeleteAlias(&kmsm.DeleteAliasRequest{Body: &kmsm.DeleteAliasRequestBody{KeyId: id, Aliases: []string{"alias/none"}}})
			return err
		}, 404, "KMS.1116"},
		{"no permission: create", func() error {
			_, err := nc.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: "mine"}})
			return err
		}, 403, "KMS.0403"},
		{"no permission: list", func() error {
			_, err := nc.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{}})
			return err
		}, 403, "KMS.0403"},
		{"no permission: describe (before the id is looked at)", func() error {
			_, err := nc.ListKeyDetail(&kmsm.ListKeyDetailRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: foreign}})
			return err
		}, 403, "KMS.0403"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sdkError(t, tc.call(), tc.status, tc.code)
		})
	}
	if list := check(c.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{}}))(t); *list.Total != 1 {
		t.Fatalf("refused calls created keys: %v", *list.Keys)
	}
	if d := describeKey(t, c, id); *d.KeyState != "2" {
		t.Fatalf("refused calls changed the key: %+v", d)
	}

	// Bodies the SDK would never send.
	for _, body := range []string{`{"key_alias":5}`, `not json`, ``} {
		resp := env.Do(t, sdktest.Request{Method: "POST", Path: "/v1.0/" + env.Creds.ProjectID + "/kms/create-key", JSONBody: []byte(body)})
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("create-key with %q: %d", body, resp.StatusCode)
		}
	}
}

// TestKMSPermissions: a user holding kms:cmk:* in an enterprise project
// manages the keys of that enterprise project only.
func TestKMSPermissions(t *testing.T) {
	env := sdktest.Start(t, nil)
	m := iam{t, env}
	epA, epB := m.ep("kms-a"), m.ep("kms-b")
	c := env.RootKMS(t)
	inA := check(c.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: "in-a", EnterpriseProjectId: ptr(epA)}}))(t)
	inB := check(c.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: "in-b", EnterpriseProjectId: ptr(epB)}}))(t)
	ak, sk := m.user("kms-ep-a", grantSpec{m.custom("kms-ep", []string{"kms:cmk:*"}, "Allow"), imsd.ScopeEnterpriseProject, epA})
	uc := env.KMS(t, ak, sk, env.Creds.ProjectID)
	list := check(uc.ListKeys(&kmsm.ListKeysRequest{Body: &kmsm.ListKeysRequestBody{}}))(t)
	if len(*list.Keys) != 1 || (*list.Keys)[0] != *inA.KeyInfo.KeyId {
		t.Fatalf("EP-scoped ListKeys: %v", *list.Keys)
	}
	check(uc.DisableKey(&kmsm.DisableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: *inA.KeyInfo.KeyId}}))(t)
	_, err := uc.DisableKey(&kmsm.DisableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: *inB.KeyInfo.KeyId}})
	sdkError(t, err, 403, "KMS.0403")
	_, err = uc.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: "in-default"}})
	sdkError(t, err, 403, "KMS.0403")
	check(uc.CreateKey(&kmsm.CreateKeyRequest{Body: &kmsm.CreateKeyRequestBody{KeyAlias: "mine", EnterpriseProjectId: ptr(epA)}}))(t)
}

// TestCopyKeyValidation: a copy's cmk_id is checked against the key
// service: unknown and foreign keys IMG.0095, disabled and pending-deletion
// keys IMG.0097; on v2.1 the caller's own kms:dek:create (IMG.0099). A key
// an image uses cannot be scheduled for deletion (KMS.9001).
func TestCopyKeyValidation(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.RootKMS(t)
	src := activeImage(t, env, "src", randomBytes(t, 4096))
	enabled := mkCMK(t, c, "enabled")
	disabled := mkCMK(t, c, "disabled")
	check(c.DisableKey(&kmsm.DisableKeyRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: disabled}}))(t)
	pending := mkCMK(t, c, "pending")
	check(c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: pending, PendingDays: "30"}}))(t)
	other := env.NewAccount(t, "other")
	foreign := mkCMK(t, env.KMS(t, other.AccessKey, other.SecretKey, other.ProjectID), "foreign")

	m := iam{t, env}
	proj := env.Creds.ProjectID
	copier := m.custom("copier", []string{"ims:images:copy", "ims:images:get"}, "Allow")
	ak, sk := m.user("copier-nokms", grantSpec{copier, imsd.ScopeProject, proj})
	noKMS := env.Client(t, ak, sk, proj)
	ak2, sk2 := m.user("copier-kms", grantSpec{copier, imsd.ScopeProject, proj},
		grantSpec{m.custom("dek", []string{"kms:dek:create"}, "Allow"), imsd.ScopeProject, proj})
	withKMS := env.Client(t, ak2, sk2, proj)

	copyV1 := func(c interface {
		CopyImageInRegion(*model.CopyImageInRegionRequest) (*model.CopyImageInRegionResponse, error)
	}, key string) error {
		_, err := c.CopyImageInRegion(&model.CopyImageInRegionRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "enc", CmkId: ptr(key)}})
		return err
	}
	copyV21 := func(c interface {
		CopyImageInRegionInSafeMode(*model.CopyImageInRegionInSafeModeRequest) (*model.CopyImageInRegionInSafeModeResponse, error)
	}, key string) error {
		_, err := c.CopyImageInRegionInSafeMode(&model.CopyImageInRegionInSafeModeRequest{ImageId: src, Body: &model.CopyImageInRegionRequestBody{Name: "enc", CmkId: ptr(key)}})
		return err
	}
	cases := []struct {
		name string
		err  error
		code string
	}{
		{"unknown key", copyV1(env.IMS, "8b1b1d3c-0000-4000-8000-000000000000"), "IMG.0095"},
		{"another account's key", copyV1(env.IMS, foreign), "IMG.0095"},
		{"disabled key", copyV1(env.IMS, disabled), "IMG.0097"},
		{"key pending deletion", copyV1(env.IMS, pending), "IMG.0097"},
		{"v2.1 without kms:dek:create", copyV21(noKMS, enabled), "IMG.0099"},
		{"v2.1 disabled key comes before the permission", copyV21(noKMS, disabled), "IMG.0097"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { sdkError(t, tc.err, 400, tc.code) })
	}
	// v1 acts for the caller like Huawei's agency: no caller KMS permission
	// is needed; v2.1 accepts a caller holding kms:dek:create.
	for name, err := range map[string]error{"v1 without KMS permission": copyV1(noKMS, enabled), "v2.1 with kms:dek:create": copyV21(withKMS, enabled)} {
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	_, err := c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: enabled, PendingDays: "7"}})
	se := sdkError(t, err, 409, "KMS.9001")
	if !strings.Contains(se.ErrorMessage, "image") {
		t.Fatalf("in-use message: %s", se.ErrorMessage)
	}
	if d := describeKey(t, c, enabled); *d.KeyState != "2" {
		t.Fatalf("refused deletion changed the key: %+v", d)
	}
}

// TestKeyPurgedAfterPendingDeletion: the GC pass destroys a key once its pending
// deletion ends (the clock is the service's).
func TestKeyPurgedAfterPendingDeletion(t *testing.T) {
	env := sdktest.Start(t, nil)
	c := env.RootKMS(t)
	id := mkCMK(t, c, "doomed")
	check(c.DeleteKey(&kmsm.DeleteKeyRequest{Body: &kmsm.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: "7"}}))(t)
	k, err := env.App.Store.KeyGet(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	k.DeletionDate = k.DeletionDate.Add(-8 * 24 * 3600e9)
	if err := env.App.Store.KeyUpdate(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	n, err := env.App.KMS.PurgeDueKeys(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("PurgeDueKeys: %d keys destroyed, %v", n, err)
	}
	_, err = c.ListKeyDetail(&kmsm.ListKeyDetailRequest{Body: &kmsm.OperateKeyRequestBody{KeyId: id}})
	sdkError(t, err, http.StatusNotFound, "KMS.0205")
}
