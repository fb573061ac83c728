package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/spf13/cobra"
)

// newIAMCmd is "ims iam": users, groups, policies, grants and access keys
// of the account, through the IAM API (Huawei IAM v3 SDK).
func newIAMCmd(c *cli) *cobra.Command {
	g := &identity{cli: c}
	cmd := &cobra.Command{
		Use:   "iam",
		Short: "Manage the account's users, groups, policies, grants and access keys",
		Long: `Administers the account's identities through the IAM API that imsd serves on the
same endpoint: users, user groups, custom policies, the grants of policies to groups
(in a project, in all projects or in an enterprise project) and permanent access
keys. Users, groups and policies may be named by id or by name. Needs the profile's
domain_id (written by 'ims configure --from-bootstrap', or HUAWEICLOUD_SDK_DOMAIN_ID)
and IAM permissions: the account root and members of the "admin" group have them.`,
		Example: `  ims iam user create alice --password 'S3cret-pass'
  ims iam group create devs && ims iam group add-user devs alice
  ims iam policy create image-copier --file copy-policy.json
  ims iam grant all-projects devs image-copier
  ims iam key create --user alice --save-profile alice`,
		Args: groupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newIAMUserCmd(g), newIAMGroupCmd(g), newIAMPolicyCmd(g), newIAMGrantCmd(g, true),
		newIAMGrantCmd(g, false), newIAMKeyCmd(g))
	return cmd
}

// listUsers returns the account's users (KeystoneListUsers).
func (g *identity) listUsers(name string) ([]json.RawMessage, error) {
	raw, err := g.iamCall("list users", func(cl *iam.IamClient) (any, error) {
		req := &model.KeystoneListUsersRequest{}
		if name != "" {
			req.Name = ptr(name)
		}
		return cl.KeystoneListUsers(req)
	})
	if err != nil {
		return nil, err
	}
	return items(raw, "users")
}

// userID resolves a user id or name to the id.
func (g *identity) userID(ref string) (string, error) {
	list, err := g.listUsers("")
	if err != nil {
		return "", err
	}
	return resolveRef("user", ref, list, "name")
}

// listGroups returns the account's user groups (KeystoneListGroups).
func (g *identity) listGroups(name string) ([]json.RawMessage, error) {
	raw, err := g.iamCall("list groups", func(cl *iam.IamClient) (any, error) {
		req := &model.KeystoneListGroupsRequest{}
		if name != "" {
			req.Name = ptr(name)
		}
		return cl.KeystoneListGroups(req)
	})
	if err != nil {
		return nil, err
	}
	return items(raw, "groups")
}

// groupID resolves a group id or name to the id.
func (g *identity) groupID(ref string) (string, error) {
	list, err := g.listGroups("")
	if err != nil {
		return "", err
	}
	return resolveRef("group", ref, list, "name")
}

// readSecret returns v, or the first line of standard input when v is "-".
func readSecret(v string) (string, error) {
	if v != "-" {
		return v, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", usagef("reading the password from standard input: %v", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// userColumns are the columns of user tables.
var userColumns = []string{"ID", "NAME", "ENABLED", "DESCRIPTION"}

func userRow(m map[string]any) []string {
	return []string{field(m, "id"), field(m, "name"), field(m, "enabled"), field(m, "description")}
}

// userFields are shown first by user show.
var userFields = []string{"id", "name", "enabled", "domain_id", "description", "pwd_status", "password_expires_at"}

func newIAMUserCmd(g *identity) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "user",
		Short:   "List, create, show, update and delete IAM users",
		Example: "  ims iam user list\n  ims iam user create alice --password 'S3cret-pass'\n  ims iam user update alice --disable",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var name string
	list := &cobra.Command{
		Use:     "list [--name NAME]",
		Short:   "List the account's users",
		Example: "  ims iam user list\n  ims iam user list -o json | jq -r '.[].name'",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.listUsers(name)
			if err != nil {
				return err
			}
			return g.printList(l, userColumns, userRow)
		},
	}
	list.Flags().StringVar(&name, "name", "", "only the user with this name")

	var password, desc string
	var disabled bool
	create := &cobra.Command{
		Use:   "create NAME [--password P] [--description D]",
		Short: "Create a user",
		Long: `Creates an IAM user in the account (KeystoneCreateUser). Without --password the user
has none and can only use access keys ('ims iam key create --user NAME'). --password -
reads the password from the first line of standard input.`,
		Example: "  ims iam user create alice --password 'S3cret-pass' --description 'image builder'\n  ims iam user create ci-bot -o json | jq -r .id",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := &model.KeystoneCreateUserOption{Name: args[0]}
			if cmd.Flags().Changed("password") {
				p, err := readSecret(password)
				if err != nil {
					return err
				}
				opt.Password = ptr(p)
			}
			if desc != "" {
				opt.Description = ptr(desc)
			}
			if disabled {
				opt.Enabled = ptr(false)
			}
			raw, err := g.iamCall("create user "+args[0], func(cl *iam.IamClient) (any, error) {
				opt.DomainId = ptr(g.settings.DomainID) // connected by now
				return cl.KeystoneCreateUser(&model.KeystoneCreateUserRequest{Body: &model.KeystoneCreateUserRequestBody{User: opt}})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "user", userFields)
		},
	}
	create.Flags().StringVar(&password, "password", "", `login password ("-": read it from standard input)`)
	create.Flags().StringVar(&desc, "description", "", "description")
	create.Flags().BoolVar(&disabled, "disabled", false, "create the user disabled")

	show := &cobra.Command{
		Use:     "show USER",
		Short:   "Show a user",
		Example: "  ims iam user show alice\n  ims iam user show 0c1a8d0e5b6f4e0b9a1e5f3c2d4b6a8e -o json",
		Args:    exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.userID(args[0])
			if err != nil {
				return err
			}
			raw, err := g.iamCall("show user "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.KeystoneShowUser(&model.KeystoneShowUserRequest{UserId: id})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "user", userFields)
		},
	}
	cmd.AddCommand(list, create, show, newIAMUserUpdateCmd(g), newIAMUserDeleteCmd(g))
	return cmd
}

// printMember prints the object under key of an answer ({"user":{...}}).
func (g *identity) printMember(raw []byte, key string, first []string) error {
	obj, err := member(raw, key)
	if err != nil {
		return err
	}
	return g.printObject(obj, first...)
}

func newIAMUserUpdateCmd(g *identity) *cobra.Command {
	var enable, disable bool
	var password, name, desc string
	cmd := &cobra.Command{
		Use:   "update USER [--enable|--disable] [--password P] [--name N] [--description D]",
		Short: "Enable or disable a user, or change its password, name or description",
		Long: `Updates a user as an administrator (KeystoneUpdateUserByAdmin). A disabled user's
access keys and tokens stop working. --password - reads the new password from the first
line of standard input.`,
		Example: "  ims iam user update alice --disable\n  ims iam user update alice --enable --password 'N3w-pass'\n  echo \"$PASS\" | ims iam user update alice --password -",
		Args:    exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := &model.KeystoneUpdateUserOption{}
			f := cmd.Flags()
			switch {
			case enable:
				opt.Enabled = ptr(true)
			case disable:
				opt.Enabled = ptr(false)
			}
			if f.Changed("password") {
				p, err := readSecret(password)
				if err != nil {
					return err
				}
				opt.Password = ptr(p)
			}
			if f.Changed("name") {
				opt.Name = ptr(name)
			}
			if f.Changed("description") {
				opt.Description = ptr(desc)
			}
			if *opt == (model.KeystoneUpdateUserOption{}) {
				return usagef("nothing to update: give --enable, --disable, --password, --name or --description")
			}
			id, err := g.userID(args[0])
			if err != nil {
				return err
			}
			raw, err := g.iamCall("update user "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.KeystoneUpdateUserByAdmin(&model.KeystoneUpdateUserByAdminRequest{UserId: id,
					Body: &model.KeystoneUpdateUserByAdminRequestBody{User: opt}})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "user", userFields)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&enable, "enable", false, "enable the user")
	f.BoolVar(&disable, "disable", false, "disable the user")
	f.StringVar(&password, "password", "", `new password ("-": read it from standard input)`)
	f.StringVar(&name, "name", "", "new name")
	f.StringVar(&desc, "description", "", "new description")
	cmd.MarkFlagsMutuallyExclusive("enable", "disable")
	return cmd
}

func newIAMUserDeleteCmd(g *identity) *cobra.Command {
	return &cobra.Command{
		Use:     "delete USER",
		Short:   "Delete a user (its access keys go with it)",
		Example: "  ims iam user delete alice",
		Args:    exactArgs(1, "USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.userID(args[0])
			if err != nil {
				return err
			}
			if _, err := g.iamCall("delete user "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.KeystoneDeleteUser(&model.KeystoneDeleteUserRequest{UserId: id})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"user_id": id, "deleted": true}, "Deleted user %s (%s).", args[0], id)
		},
	}
}

// groupColumns are the columns of group tables.
var groupColumns = []string{"ID", "NAME", "DESCRIPTION", "CREATED"}

func groupRow(m map[string]any) []string {
	return []string{field(m, "id"), field(m, "name"), field(m, "description"), epochField(m, "create_time")}
}

// groupFields are shown first by group show.
var groupFields = []string{"id", "name", "description", "domain_id", "create_time"}

func newIAMGroupCmd(g *identity) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "group",
		Short:   "Manage user groups and their members",
		Example: "  ims iam group create devs\n  ims iam group add-user devs alice\n  ims iam group users devs",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var name string
	list := &cobra.Command{
		Use:     "list [--name NAME]",
		Short:   "List the account's user groups",
		Example: "  ims iam group list\n  ims iam group list --name admin -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.listGroups(name)
			if err != nil {
				return err
			}
			return g.printList(l, groupColumns, groupRow)
		},
	}
	list.Flags().StringVar(&name, "name", "", "only the group with this name")

	var desc string
	create := &cobra.Command{
		Use:     "create NAME [--description D]",
		Short:   "Create a user group",
		Example: "  ims iam group create devs --description 'image builders'",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := g.iamCall("create group "+args[0], func(cl *iam.IamClient) (any, error) {
				opt := &model.KeystoneCreateGroupOption{Name: args[0], DomainId: ptr(g.settings.DomainID)}
				if desc != "" {
					opt.Description = ptr(desc)
				}
				return cl.KeystoneCreateGroup(&model.KeystoneCreateGroupRequest{Body: &model.KeystoneCreateGroupRequestBody{Group: opt}})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "group", groupFields)
		},
	}
	create.Flags().StringVar(&desc, "description", "", "description")

	show := &cobra.Command{
		Use:     "show GROUP",
		Short:   "Show a user group",
		Example: "  ims iam group show devs",
		Args:    exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.groupID(args[0])
			if err != nil {
				return err
			}
			raw, err := g.iamCall("show group "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.KeystoneShowGroup(&model.KeystoneShowGroupRequest{GroupId: id})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "group", groupFields)
		},
	}
	del := &cobra.Command{
		Use:     "delete GROUP",
		Short:   "Delete a user group (its grants go with it; its users stay)",
		Example: "  ims iam group delete devs",
		Args:    exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.groupID(args[0])
			if err != nil {
				return err
			}
			if _, err := g.iamCall("delete group "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.KeystoneDeleteGroup(&model.KeystoneDeleteGroupRequest{GroupId: id})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"group_id": id, "deleted": true}, "Deleted group %s (%s).", args[0], id)
		},
	}
	users := &cobra.Command{
		Use:     "users GROUP",
		Short:   "List the users in a group",
		Example: "  ims iam group users devs",
		Args:    exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.groupID(args[0])
			if err != nil {
				return err
			}
			raw, err := g.iamCall("list users of group "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.KeystoneListUsersForGroupByAdmin(&model.KeystoneListUsersForGroupByAdminRequest{GroupId: id})
			})
			if err != nil {
				return err
			}
			l, err := items(raw, "users")
			if err != nil {
				return err
			}
			return g.printList(l, userColumns, userRow)
		},
	}
	cmd.AddCommand(list, create, show, del, newIAMMembershipCmd(g, true), newIAMMembershipCmd(g, false), users)
	return cmd
}

// newIAMMembershipCmd is "group add-user" (add) or "group remove-user".
func newIAMMembershipCmd(g *identity, add bool) *cobra.Command {
	use, short, verb, prep := "add-user", "Add a user to a group", "Added", "to"
	if !add {
		use, short, verb, prep = "remove-user", "Remove a user from a group", "Removed", "from"
	}
	return &cobra.Command{
		Use:     use + " GROUP USER",
		Short:   short,
		Example: fmt.Sprintf("  ims iam group %s devs alice", use),
		Args:    exactArgs(2, "GROUP and USER"),
		RunE: func(cmd *cobra.Command, args []string) error {
			gid, err := g.groupID(args[0])
			if err != nil {
				return err
			}
			uid, err := g.userID(args[1])
			if err != nil {
				return err
			}
			op := strings.ReplaceAll(use, "-", " ")
			if _, err := g.iamCall(op+" "+args[1], func(cl *iam.IamClient) (any, error) {
				if add {
					return cl.KeystoneAddUserToGroup(&model.KeystoneAddUserToGroupRequest{GroupId: gid, UserId: uid})
				}
				return cl.KeystoneRemoveUserFromGroup(&model.KeystoneRemoveUserFromGroupRequest{GroupId: gid, UserId: uid})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"group_id": gid, "user_id": uid, "member": add},
				"%s user %s %s group %s.", verb, args[1], prep, args[0])
		},
	}
}
