package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/spf13/cobra"
)

// policyRef is a resolved system or custom policy.
type policyRef struct {
	ID     string
	Custom bool
}

// listPolicies returns the system policies and roles (KeystoneListPermissions)
// unless customOnly, and the account's custom policies (ListCustomPolicies),
// each policy once.
func (g *identity) listPolicies(customOnly bool) (system, custom []json.RawMessage, err error) {
	if !customOnly {
		raw, err := g.iamCall("list system policies", func(cl *iam.IamClient) (any, error) {
			return cl.KeystoneListPermissions(&model.KeystoneListPermissionsRequest{})
		})
		if err != nil {
			return nil, nil, err
		}
		if system, err = items(raw, "roles"); err != nil {
			return nil, nil, err
		}
	}
	raw, err := g.iamCall("list custom policies", func(cl *iam.IamClient) (any, error) {
		return cl.ListCustomPolicies(&model.ListCustomPoliciesRequest{})
	})
	if err != nil {
		return nil, nil, err
	}
	if custom, err = items(raw, "roles"); err != nil {
		return nil, nil, err
	}
	// KeystoneListPermissions may list the custom policies too: keep each
	// policy once, as custom.
	ids := map[string]bool{}
	for _, r := range custom {
		if m, err := decodeMap(r); err == nil {
			ids[field(m, "id")] = true
		}
	}
	system = slices.DeleteFunc(system, func(r json.RawMessage) bool {
		m, err := decodeMap(r)
		return err == nil && ids[field(m, "id")]
	})
	return system, custom, nil
}

// policy resolves a policy id, display name or name: custom policies
// first, then system ones.
func (g *identity) policy(ref string) (policyRef, error) {
	system, custom, err := g.listPolicies(false)
	if err != nil {
		return policyRef{}, err
	}
	id, err := resolveRef("custom policy", ref, custom, "display_name", "name")
	if err == nil {
		return policyRef{ID: id, Custom: true}, nil
	}
	if re, ok := err.(*refError); !ok || !re.notFound {
		return policyRef{}, err
	}
	id, err = resolveRef("policy", ref, system, "display_name", "name")
	return policyRef{ID: id}, err
}

// policyColumns are the columns of policy tables.
var policyColumns = []string{"ID", "NAME", "KIND", "TYPE", "DESCRIPTION"}

// policyRow renders a policy; kind is "system" or "custom".
func policyRow(kind string) func(m map[string]any) []string {
	return func(m map[string]any) []string {
		name := field(m, "display_name")
		if name == "" {
			name = field(m, "name")
		}
		return []string{field(m, "id"), name, kind, field(m, "type"), field(m, "description")}
	}
}

// policyFields are shown first by policy show.
var policyFields = []string{"id", "display_name", "name", "type", "catalog", "description", "domain_id", "created_time", "updated_time"}

// readPolicyFile reads a policy document ({"Version":"1.1","Statement":[...]})
// from a file, or from standard input for "-".
func readPolicyFile(path string) (*model.ServicePolicy, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var p model.ServicePolicy
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, usagef("%s: not a policy document: %v", path, err)
	}
	if p.Version == "" || len(p.Statement) == 0 {
		return nil, usagef(`%s: a policy document needs "Version" (e.g. "1.1") and at least one "Statement"`, path)
	}
	return &p, nil
}

func newIAMPolicyCmd(g *identity) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "List system and custom policies; create, update and delete custom policies",
		Long: `Policies are granted to user groups ('ims iam grant'). System policies are built in;
custom policies are the account's own documents in the IAM policy language, e.g.

  {"Version": "1.1", "Statement": [{"Effect": "Allow",
    "Action": ["ims:images:list", "ims:images:get", "ims:images:copy"]}]}`,
		Example: "  ims iam policy list\n  ims iam policy create image-copier --file copy-policy.json --description 'list, get and copy images'\n  ims iam policy show image-copier -o json",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var customOnly bool
	list := &cobra.Command{
		Use:     "list [--custom]",
		Short:   "List system policies and the account's custom policies",
		Example: "  ims iam policy list\n  ims iam policy list --custom -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			system, custom, err := g.listPolicies(customOnly)
			if err != nil {
				return err
			}
			if g.opts.output != "table" {
				return g.printList(append(system, custom...), nil, nil)
			}
			t := newTable(g.stdout, policyColumns...)
			for _, part := range []struct {
				kind string
				list []json.RawMessage
			}{{"system", system}, {"custom", custom}} {
				for _, raw := range part.list {
					m, err := decodeMap(raw)
					if err != nil {
						return err
					}
					t.row(policyRow(part.kind)(m)...)
				}
			}
			return t.flush()
		},
	}
	list.Flags().BoolVar(&customOnly, "custom", false, "only the account's custom policies")
	show := &cobra.Command{
		Use:     "show POLICY",
		Short:   "Show a system or custom policy with its document",
		Example: "  ims iam policy show image-copier\n  ims iam policy show image-copier -o json | jq .policy",
		Args:    exactArgs(1, "POLICY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := g.policy(args[0])
			if err != nil {
				return err
			}
			raw, err := g.iamCall("show policy "+args[0], func(cl *iam.IamClient) (any, error) {
				if ref.Custom {
					return cl.ShowCustomPolicy(&model.ShowCustomPolicyRequest{RoleId: ref.ID})
				}
				return cl.KeystoneShowPermission(&model.KeystoneShowPermissionRequest{RoleId: ref.ID})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "role", policyFields)
		},
	}
	del := &cobra.Command{
		Use:     "delete POLICY",
		Short:   "Delete a custom policy (it must not be granted)",
		Example: "  ims iam policy delete image-copier",
		Args:    exactArgs(1, "POLICY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, custom, err := g.listPolicies(true)
			if err != nil {
				return err
			}
			id, err := resolveRef("custom policy", args[0], custom, "display_name", "name")
			if err != nil {
				return err
			}
			if _, err := g.iamCall("delete policy "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.DeleteCustomPolicy(&model.DeleteCustomPolicyRequest{RoleId: id})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"policy_id": id, "deleted": true}, "Deleted policy %s (%s).", args[0], id)
		},
	}
	cmd.AddCommand(list, show, newIAMPolicyCreateCmd(g), newIAMPolicyUpdateCmd(g), del)
	return cmd
}

func newIAMPolicyCreateCmd(g *identity) *cobra.Command {
	var file, desc, typ string
	cmd := &cobra.Command{
		Use:   "create NAME --file POLICY.json [--description D]",
		Short: "Create a custom policy from a policy document",
		Long: `Creates a custom policy (CreateCloudServiceCustomPolicy) named NAME from the policy
document in --file ("-" reads standard input). --type is "XA" (the default) for
project-level services such as IMS, "AX" for global services such as IAM and EPS.`,
		Example: `  cat > copy-policy.json <<'EOF'
  {"Version": "1.1", "Statement": [{"Effect": "Allow", "Action": ["ims:images:list", "ims:images:get", "ims:images:copy"]}]}
  EOF
  ims iam policy create image-copier --file copy-policy.json --description 'list, get and copy images'`,
		Args: exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			doc, err := readPolicyFile(file)
			if err != nil {
				return err
			}
			opt := &model.ServicePolicyRoleOption{DisplayName: args[0], Type: typ, Description: desc, Policy: doc}
			raw, err := g.iamCall("create policy "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.CreateCloudServiceCustomPolicy(&model.CreateCloudServiceCustomPolicyRequest{
					Body: &model.CreateCloudServiceCustomPolicyRequestBody{Role: opt}})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "role", policyFields)
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "file", "", `policy document JSON file ("-": standard input)`)
	f.StringVar(&desc, "description", "", "description")
	f.StringVar(&typ, "type", "XA", `"XA" for project-level services, "AX" for global services`)
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func newIAMPolicyUpdateCmd(g *identity) *cobra.Command {
	var file, desc, name string
	cmd := &cobra.Command{
		Use:   "update POLICY [--file POLICY.json] [--description D] [--name N]",
		Short: "Replace a custom policy's document, description or name",
		Long: `Updates a custom policy (UpdateCloudServiceCustomPolicy). What is not given is kept:
the command reads the policy first and sends it back with the changes. The new
document applies to every grant of the policy at once.`,
		Example: "  ims iam policy update image-copier --file copy-policy-v2.json\n  ims iam policy update image-copier --description 'list and get only'",
		Args:    exactArgs(1, "POLICY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("file") && !f.Changed("description") && !f.Changed("name") {
				return usagef("nothing to update: give --file, --description or --name")
			}
			var doc *model.ServicePolicy
			if f.Changed("file") {
				var err error
				if doc, err = readPolicyFile(file); err != nil {
					return err
				}
			}
			_, custom, err := g.listPolicies(true)
			if err != nil {
				return err
			}
			id, err := resolveRef("custom policy", args[0], custom, "display_name", "name")
			if err != nil {
				return err
			}
			raw, err := g.iamCall("show policy "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.ShowCustomPolicy(&model.ShowCustomPolicyRequest{RoleId: id})
			})
			if err != nil {
				return err
			}
			var cur struct {
				Role struct {
					DisplayName string              `json:"display_name"`
					Type        string              `json:"type"`
					Description string              `json:"description"`
					Policy      model.ServicePolicy `json:"policy"`
				} `json:"role"`
			}
			if err := json.Unmarshal(raw, &cur); err != nil {
				return fmt.Errorf("decode policy %s: %w", id, err)
			}
			opt := &model.ServicePolicyRoleOption{DisplayName: cur.Role.DisplayName, Type: cur.Role.Type,
				Description: cur.Role.Description, Policy: &cur.Role.Policy}
			if doc != nil {
				opt.Policy = doc
			}
			if f.Changed("description") {
				opt.Description = desc
			}
			if f.Changed("name") {
				opt.DisplayName = name
			}
			raw, err = g.iamCall("update policy "+args[0], func(cl *iam.IamClient) (any, error) {
				return cl.UpdateCloudServiceCustomPolicy(&model.UpdateCloudServiceCustomPolicyRequest{RoleId: id,
					Body: &model.UpdateCloudServiceCustomPolicyRequestBody{Role: opt}})
			})
			if err != nil {
				return err
			}
			return g.printMember(raw, "role", policyFields)
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "file", "", `new policy document JSON file ("-": standard input)`)
	f.StringVar(&desc, "description", "", "new description")
	f.StringVar(&name, "name", "", "new name")
	return cmd
}
