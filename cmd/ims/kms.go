package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	kms "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kms/v2/model"
	"github.com/spf13/cobra"
)

// keyService holds the KMS client of one invocation, built on first use.
// KMS is project-scoped like IMS: the SDK signs with the profile's project.
type keyService struct {
	*cli
	kms *kms.KmsClient
}

func (k *keyService) connectKMS() error {
	if k.kms != nil {
		return nil
	}
	if err := k.connect(); err != nil {
		return err
	}
	s := k.settings
	cred, err := basic.NewCredentialsBuilder().WithAk(s.AccessKey).WithSk(s.SecretKey).WithProjectId(s.ProjectID).SafeBuild()
	if err != nil {
		return usagef("credentials: %v", err)
	}
	hc, err := kms.KmsClientBuilder().WithEndpoints([]string{s.Endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithHttpRoundTripper(k.capture).WithTimeout(2 * time.Minute)).SafeBuild()
	if err != nil {
		return usagef("kms client: %v", err)
	}
	k.kms = kms.NewKmsClient(hc)
	return nil
}

// call runs one KMS SDK call and returns the body the server sent.
func (k *keyService) call(op string, fn func(*kms.KmsClient) (any, error)) (json.RawMessage, error) {
	if err := k.connectKMS(); err != nil {
		return nil, err
	}
	return k.captured(op, func() (any, error) { return fn(k.kms) })
}

// listKeys returns every key of the project (ListKeys key_details), in
// creation order, following the pages.
func (k *keyService) listKeys(state string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	marker := ""
	for {
		body := &model.ListKeysRequestBody{Limit: ptr("1000")}
		if marker != "" {
			body.Marker = ptr(marker)
		}
		if state != "" {
			body.KeyState = ptr(state)
		}
		raw, err := k.call("list keys", func(cl *kms.KmsClient) (any, error) {
			return cl.ListKeys(&model.ListKeysRequest{Body: body})
		})
		if err != nil {
			return nil, err
		}
		page, err := items(raw, "key_details")
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		var meta struct {
			NextMarker string `json:"next_marker"`
			Truncated  string `json:"truncated"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			return nil, fmt.Errorf("decode response: %w", err)
		}
		if meta.Truncated != "true" || meta.NextMarker == "" {
			return all, nil
		}
		marker = meta.NextMarker
	}
}

// keyID resolves a key id, key alias (key_alias) or alias ("alias/…") to
// the key id. A UUID is used as is, so a user who may not list keys can
// still name a key.
func (k *keyService) keyID(ref string) (string, error) {
	if looksLikeUUID(ref) {
		return ref, nil
	}
	if strings.HasPrefix(ref, "alias/") {
		raw, err := k.call("list aliases", func(cl *kms.KmsClient) (any, error) {
			return cl.ListAliases(&model.ListAliasesRequest{Limit: ptr("100")})
		})
		if err != nil {
			return "", err
		}
		var pages []struct {
			Aliases []struct {
				Alias string `json:"alias"`
				KeyID string `json:"key_id"`
			} `json:"aliases"`
		}
		if err := json.Unmarshal(raw, &pages); err != nil {
			return "", fmt.Errorf("decode response: %w", err)
		}
		for _, p := range pages {
			for _, a := range p.Aliases {
				if a.Alias == ref {
					return a.KeyID, nil
				}
			}
		}
		return "", &refError{msg: fmt.Sprintf("no key has the alias %q", ref), notFound: true}
	}
	keys, err := k.listKeys("")
	if err != nil {
		return "", err
	}
	for _, raw := range keys {
		m, err := decodeMap(raw)
		if err != nil {
			return "", err
		}
		if field(m, "key_alias") == ref {
			return field(m, "key_id"), nil
		}
	}
	return "", &refError{msg: fmt.Sprintf("no key has the id or alias %q", ref), notFound: true}
}

// keyStates maps the CLI's state names to KMS's key_state.
var keyStates = map[string]string{"enabled": "2", "disabled": "3", "pending-deletion": "4"}

// keyStateName renders key_state as a word.
func keyStateName(s string) string {
	for name, v := range keyStates {
		if v == s {
			return name
		}
	}
	return s
}

// msDate renders KMS's millisecond timestamps as RFC 3339.
func msDate(v string) string {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.UnixMilli(n).UTC().Format(time.RFC3339)
	}
	return v
}

var cmkColumns = []string{"KEY_ID", "ALIAS", "STATE", "ENTERPRISE_PROJECT", "CREATED", "DELETION_DATE"}

func cmkRow(m map[string]any) []string {
	return []string{field(m, "key_id"), field(m, "key_alias"), keyStateName(field(m, "key_state")),
		field(m, "sys_enterprise_project_id"), msDate(field(m, "creation_date")), msDate(field(m, "scheduled_deletion_date"))}
}

// showKey prints a key (DescribeKey's key_info).
func (k *keyService) showKey(id string) error {
	raw, err := k.call("show key "+id, func(cl *kms.KmsClient) (any, error) {
		return cl.ListKeyDetail(&model.ListKeyDetailRequest{Body: &model.OperateKeyRequestBody{KeyId: id}})
	})
	if err != nil {
		return err
	}
	obj, err := member(raw, "key_info")
	if err != nil {
		return err
	}
	if k.opts.output != "table" {
		return k.printRaw(obj)
	}
	m, err := decodeMap(obj)
	if err != nil {
		return err
	}
	t := newTable(k.stdout, "FIELD", "VALUE")
	for _, f := range []string{"key_id", "key_alias", "key_state", "key_description", "key_spec", "key_usage",
		"sys_enterprise_project_id", "creation_date", "scheduled_deletion_date", "origin", "domain_id", "realm"} {
		v := field(m, f)
		switch f {
		case "key_state":
			v += " (" + keyStateName(v) + ")"
		case "creation_date", "scheduled_deletion_date":
			v = msDate(v)
		}
		t.row(f, v)
	}
	return t.flush()
}

// newKMSCmd is "ims kms": keys for encrypted images (Huawei KMS v2 SDK).
func newKMSCmd(c *cli) *cobra.Command {
	k := &keyService{cli: c}
	cmd := &cobra.Command{
		Use:   "kms",
		Short: "Manage encryption keys (KMS) for encrypted images",
		Long: `Keys (customer master keys) encrypt images: an image created with a key
('ims image import --cmk-id KEY') is stored encrypted, and a copy with --cmk-id
re-encrypts it under another key. A key that an image uses cannot be deleted; a
disabled key makes its images unreadable until it is enabled again. Keys may be
named by id, by key alias or by an alias ("alias/…"). Uses the KMS API imsd
serves on the same endpoint, in the profile's project.`,
		Example: "  ims kms create app-key --description 'images of app'\n  ims kms list\n  ims image copy IMAGE_ID --name app-enc --cmk-id app-key --wait",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var desc, ep string
	create := &cobra.Command{
		Use:     "create ALIAS [--description D] [--enterprise-project EP_ID]",
		Short:   "Create a key (AES-256, enabled)",
		Example: "  ims kms create app-key --description 'images of app'",
		Args:    exactArgs(1, "ALIAS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := &model.CreateKeyRequestBody{KeyAlias: args[0]}
			if desc != "" {
				body.KeyDescription = ptr(desc)
			}
			if ep != "" {
				body.EnterpriseProjectId = ptr(ep)
			}
			raw, err := k.call("create key "+args[0], func(cl *kms.KmsClient) (any, error) {
				return cl.CreateKey(&model.CreateKeyRequest{Body: body})
			})
			if err != nil {
				return err
			}
			var out struct {
				KeyInfo struct {
					KeyID string `json:"key_id"`
				} `json:"key_info"`
			}
			if err := json.Unmarshal(raw, &out); err != nil || out.KeyInfo.KeyID == "" {
				return fmt.Errorf("decode response: no key_id in %s", raw)
			}
			return k.showKey(out.KeyInfo.KeyID)
		},
	}
	create.Flags().StringVar(&desc, "description", "", "description (at most 255 characters)")
	create.Flags().StringVar(&ep, "enterprise-project", "", "enterprise project id (default \"0\")")
	var state string
	list := &cobra.Command{
		Use:     "list [--state enabled|disabled|pending-deletion]",
		Short:   "List the project's keys",
		Example: "  ims kms list\n  ims kms list --state pending-deletion -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st := ""
			if state != "" {
				var ok bool
				if st, ok = keyStates[state]; !ok {
					return usagef("--state must be enabled, disabled or pending-deletion")
				}
			}
			l, err := k.listKeys(st)
			if err != nil {
				return err
			}
			return k.printList(l, cmkColumns, cmkRow)
		},
	}
	list.Flags().StringVar(&state, "state", "", "only keys in this state")
	show := &cobra.Command{
		Use:     "show KEY",
		Short:   "Show a key",
		Example: "  ims kms show app-key",
		Args:    exactArgs(1, "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := k.keyID(args[0])
			if err != nil {
				return err
			}
			return k.showKey(id)
		},
	}
	var days int
	del := &cobra.Command{
		Use:   "delete KEY [--pending-days N]",
		Short: "Schedule a key's deletion (7 to 1096 days from now)",
		Long: `Schedules the key's destruction after --pending-days (default 7). Until then
'ims kms cancel-delete' keeps it. A key that any image is encrypted with cannot be
scheduled for deletion: delete those images (or copy them under another key) first.`,
		Example: "  ims kms delete old-key --pending-days 30",
		Args:    exactArgs(1, "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := k.keyID(args[0])
			if err != nil {
				return err
			}
			raw, err := k.call("schedule deletion of key "+args[0], func(cl *kms.KmsClient) (any, error) {
				return cl.DeleteKey(&model.DeleteKeyRequest{Body: &model.ScheduleKeyDeletionRequestBody{KeyId: id, PendingDays: strconv.Itoa(days)}})
			})
			if err != nil {
				return err
			}
			if k.opts.output != "table" {
				return k.printRaw(raw)
			}
			return k.showKey(id)
		},
	}
	del.Flags().IntVar(&days, "pending-days", 7, "days until the key is destroyed (7 to 1096)")
	cmd.AddCommand(create, list, show, del,
		k.stateCmd("enable", "Enable a key", func(cl *kms.KmsClient, id string) (any, error) {
			return cl.EnableKey(&model.EnableKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: id}})
		}),
		k.stateCmd("disable", "Disable a key (its images cannot be read or copied until it is enabled)", func(cl *kms.KmsClient, id string) (any, error) {
			return cl.DisableKey(&model.DisableKeyRequest{Body: &model.OperateKeyRequestBody{KeyId: id}})
		}),
		k.stateCmd("cancel-delete", "Cancel a key's scheduled deletion (the key becomes disabled)", func(cl *kms.KmsClient, id string) (any, error) {
			return cl.CancelKeyDeletion(&model.CancelKeyDeletionRequest{Body: &model.OperateKeyRequestBody{KeyId: id}})
		}),
		k.aliasCmd())
	return cmd
}

// stateCmd is a command that changes a key's state and shows the key.
func (k *keyService) stateCmd(use, short string, fn func(*kms.KmsClient, string) (any, error)) *cobra.Command {
	return &cobra.Command{
		Use:     use + " KEY",
		Short:   short,
		Example: "  ims kms " + use + " app-key",
		Args:    exactArgs(1, "KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := k.keyID(args[0])
			if err != nil {
				return err
			}
			raw, err := k.call(use+" key "+args[0], func(cl *kms.KmsClient) (any, error) { return fn(cl, id) })
			if err != nil {
				return err
			}
			if k.opts.output != "table" {
				return k.printRaw(raw)
			}
			return k.showKey(id)
		},
	}
}

// aliasCmd is "ims kms alias".
func (k *keyService) aliasCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "alias",
		Short:   "Manage key aliases (alias/NAME)",
		Example: "  ims kms alias create alias/prod app-key\n  ims kms alias list",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	create := &cobra.Command{
		Use:     "create alias/NAME KEY",
		Short:   "Give a key an alias",
		Example: "  ims kms alias create alias/prod app-key",
		Args:    exactArgs(2, "alias/NAME KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := k.keyID(args[1])
			if err != nil {
				return err
			}
			raw, err := k.call("create alias "+args[0], func(cl *kms.KmsClient) (any, error) {
				return cl.CreateAlias(&model.CreateAliasRequest{Body: &model.CreateAliasRequestBody{KeyId: id, Alias: args[0]}})
			})
			if err != nil {
				return err
			}
			return k.printObject(raw, "alias", "key_id", "alias_urn")
		},
	}
	list := &cobra.Command{
		Use:     "list [KEY]",
		Short:   "List the project's aliases, or one key's",
		Example: "  ims kms alias list\n  ims kms alias list app-key",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := &model.ListAliasesRequest{Limit: ptr("100")}
			if len(args) == 1 {
				id, err := k.keyID(args[0])
				if err != nil {
					return err
				}
				req.KeyId = ptr(id)
			}
			raw, err := k.call("list aliases", func(cl *kms.KmsClient) (any, error) { return cl.ListAliases(req) })
			if err != nil {
				return err
			}
			var pages []struct {
				Aliases []json.RawMessage `json:"aliases"`
			}
			if err := json.Unmarshal(raw, &pages); err != nil {
				return fmt.Errorf("decode response: %w", err)
			}
			var all []json.RawMessage
			for _, p := range pages {
				all = append(all, p.Aliases...)
			}
			return k.printList(all, []string{"ALIAS", "KEY_ID", "CREATED"}, func(m map[string]any) []string {
				return []string{field(m, "alias"), field(m, "key_id"), msDate(field(m, "create_time"))}
			})
		},
	}
	del := &cobra.Command{
		Use:     "delete alias/NAME",
		Short:   "Remove an alias (the key stays)",
		Example: "  ims kms alias delete alias/prod",
		Args:    exactArgs(1, "alias/NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := k.keyID(args[0])
			if err != nil {
				return err
			}
			if _, err := k.call("delete alias "+args[0], func(cl *kms.KmsClient) (any, error) {
				return cl.DeleteAlias(&model.DeleteAliasRequest{Body: &model.DeleteAliasRequestBody{KeyId: id, Aliases: []string{args[0]}}})
			}); err != nil {
				return err
			}
			return k.printDone(map[string]any{"alias": args[0], "key_id": id, "deleted": true}, "Deleted alias %s (of key %s).", args[0], id)
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}
