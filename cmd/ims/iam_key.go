package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/spf13/cobra"
)

// listKeys returns the access keys of a user (ListPermanentAccessKeys);
// userID "" lists the caller's own.
func (g *identity) listKeys(userID string) ([]json.RawMessage, error) {
	raw, err := g.iamCall("list access keys", func(cl *iam.IamClient) (any, error) {
		req := &model.ListPermanentAccessKeysRequest{}
		if userID != "" {
			req.UserId = ptr(userID)
		}
		return cl.ListPermanentAccessKeys(req)
	})
	if err != nil {
		return nil, err
	}
	return items(raw, "credentials")
}

// keyUser resolves --user, or finds the caller's own user id: the owner of
// the access key the profile uses, among the caller's keys.
func (g *identity) keyUser(ref string) (string, error) {
	if ref != "" {
		return g.userID(ref)
	}
	own, err := g.listKeys("")
	if err != nil {
		return "", err
	}
	for _, raw := range own {
		m, err := decodeMap(raw)
		if err != nil {
			return "", err
		}
		if field(m, "access") == g.settings.AccessKey && field(m, "user_id") != "" {
			return field(m, "user_id"), nil
		}
	}
	return "", fmt.Errorf("cannot tell which user access key %s belongs to: give --user", g.settings.AccessKey)
}

// keyColumns are the columns of access key tables.
var keyColumns = []string{"ACCESS KEY", "USER ID", "STATUS", "CREATED", "DESCRIPTION"}

func keyRow(m map[string]any) []string {
	return []string{field(m, "access"), field(m, "user_id"), field(m, "status"), field(m, "create_time"), field(m, "description")}
}

// keyFields are shown first by key create and update.
var keyFields = []string{"access", "secret", "user_id", "status", "create_time", "description"}

func newIAMKeyCmd(g *identity) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "key",
		Short:   "Manage permanent access keys (AK/SK)",
		Example: "  ims iam key create --user alice --save-profile alice\n  ims iam key list --user alice\n  ims iam key update AK --inactive",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var user string
	list := &cobra.Command{
		Use:     "list [--user USER]",
		Short:   "List a user's access keys (default: your own)",
		Example: "  ims iam key list\n  ims iam key list --user alice -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			uid := ""
			if user != "" {
				var err error
				if uid, err = g.userID(user); err != nil {
					return err
				}
			}
			l, err := g.listKeys(uid)
			if err != nil {
				return err
			}
			return g.printList(l, keyColumns, keyRow)
		},
	}
	list.Flags().StringVar(&user, "user", "", "user id or name (default: the user of the profile's access key)")
	del := &cobra.Command{
		Use:     "delete ACCESS_KEY",
		Short:   "Delete an access key",
		Example: "  ims iam key delete HPUAXXXXXXXXXXXXXXXX",
		Args:    exactArgs(1, "ACCESS_KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("access key", args[0]); err != nil {
				return err
			}
			if _, err := g.iamCall("delete access key "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.DeletePermanentAccessKey(&model.DeletePermanentAccessKeyRequest{AccessKey: args[0]})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"access": args[0], "deleted": true}, "Deleted access key %s.", args[0])
		},
	}
	cmd.AddCommand(list, newIAMKeyCreateCmd(g), newIAMKeyUpdateCmd(g), del)
	return cmd
}

func newIAMKeyCreateCmd(g *identity) *cobra.Command {
	var user, desc, save string
	cmd := &cobra.Command{
		Use:   "create [--user USER] [--description D] [--save-profile NAME]",
		Short: "Create an access key; its secret key is shown only this once",
		Long: `Creates a permanent access key (CreatePermanentAccessKey) for --user, by default the
user of the profile's access key. The secret key is printed only now: store it.
--save-profile NAME also writes a profile NAME into the config file with the new key
and the current profile's endpoint, region, project and domain, so that
'ims --profile NAME ...' acts as that user.`,
		Example: "  ims iam key create --user alice --save-profile alice\n  ims --profile alice image list\n  ims iam key create --user ci-bot -o json | jq -r .secret",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			uid, err := g.keyUser(user)
			if err != nil {
				return err
			}
			opt := &model.CreateCredentialOption{UserId: uid}
			if desc != "" {
				opt.Description = ptr(desc)
			}
			raw, err := g.iamCall("create access key", func(cl *iam.IamClient) (any, error) {
				return cl.CreatePermanentAccessKey(&model.CreatePermanentAccessKeyRequest{
					Body: &model.CreatePermanentAccessKeyRequestBody{Credential: opt}})
			})
			if err != nil {
				return err
			}
			obj, err := member(raw, "credential")
			if err != nil {
				return err
			}
			if save != "" {
				if err := g.saveKeyProfile(save, obj); err != nil {
					return fmt.Errorf("the access key was created but the profile was not saved: %w", err)
				}
			}
			if err := g.printObject(obj, keyFields...); err != nil {
				return err
			}
			if g.opts.output == "table" {
				fmt.Fprintln(g.stderr, "The secret key is shown only now: store it safely.")
				if save != "" {
					fmt.Fprintf(g.stderr, "Saved profile %q: use it with 'ims --profile %s ...'.\n", save, save)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "user id or name (default: the user of the profile's access key)")
	f.StringVar(&desc, "description", "", "description")
	f.StringVar(&save, "save-profile", "", "also write a profile with this name that uses the new key")
	return cmd
}

// saveKeyProfile writes profile name: the current connection settings with
// the access key in obj (a CreatePermanentAccessKey credential).
func (g *identity) saveKeyProfile(name string, obj []byte) error {
	var k struct {
		Access string `json:"access"`
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(obj, &k); err != nil || k.Access == "" || k.Secret == "" {
		return fmt.Errorf("the answer has no access and secret key (%v)", err)
	}
	s := g.settings
	cf, err := loadConfig(s.ConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		cf, err = &configFile{Profiles: map[string]profile{}}, nil
	}
	if err != nil {
		return err
	}
	cf.Profiles[name] = profile{Endpoint: s.Endpoint, Region: s.Region, ProjectID: s.ProjectID, DomainID: s.DomainID,
		AccessKey: k.Access, SecretKey: k.Secret}
	return saveConfig(s.ConfigPath, cf)
}

func newIAMKeyUpdateCmd(g *identity) *cobra.Command {
	var active, inactive bool
	var desc string
	cmd := &cobra.Command{
		Use:   "update ACCESS_KEY [--active|--inactive] [--description D]",
		Short: "Activate or deactivate an access key, or change its description",
		Long: `Updates an access key (UpdatePermanentAccessKey). Requests signed with an inactive
key are refused (APIGW.0301) until it is activated again.`,
		Example: "  ims iam key update HPUAXXXXXXXXXXXXXXXX --inactive\n  ims iam key update HPUAXXXXXXXXXXXXXXXX --active --description 'CI runner'",
		Args:    exactArgs(1, "ACCESS_KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("access key", args[0]); err != nil {
				return err
			}
			opt := &model.UpdateCredentialOption{}
			st := model.GetUpdateCredentialOptionStatusEnum()
			switch {
			case active:
				opt.Status = &st.ACTIVE
			case inactive:
				opt.Status = &st.INACTIVE
			}
			if cmd.Flags().Changed("description") {
				opt.Description = ptr(desc)
			}
			if opt.Status == nil && opt.Description == nil {
				return usagef("nothing to update: give --active, --inactive or --description")
			}
			raw, err := g.iamCall("update access key "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.UpdatePermanentAccessKey(&model.UpdatePermanentAccessKeyRequest{AccessKey: args[0],
					Body: &model.UpdatePermanentAccessKeyRequestBody{Credential: opt}})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "credential", keyFields)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&active, "active", false, "activate the key")
	f.BoolVar(&inactive, "inactive", false, "deactivate the key")
	f.StringVar(&desc, "description", "", "new description")
	cmd.MarkFlagsMutuallyExclusive("active", "inactive")
	return cmd
}
