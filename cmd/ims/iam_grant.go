package main

import (
	"encoding/json"
	"fmt"

	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	"github.com/spf13/cobra"
)

// grantScope is where a grant applies: one project, all projects (the
// domain's inherited role) or one enterprise project.
type grantScope struct {
	name    string // project, all-projects, ep
	short   string
	example string
}

// grantScopes are the subcommands of grant and revoke.
var grantScopes = []grantScope{
	{"project", "in one project (default: the profile's)", "devs image-copier --project PROJECT_ID"},
	{"all-projects", "in every project of the account, present and future", "devs image-copier"},
	{"ep", "on the resources of one enterprise project", "devs image-copier --ep team-a"},
}

// newIAMGrantCmd is "ims iam grant" (grant) or "ims iam revoke".
func newIAMGrantCmd(g *identity, grant bool) *cobra.Command {
	verb, short := "grant", "Grant a policy to a user group in a project, all projects or an enterprise project"
	if !grant {
		verb, short = "revoke", "Revoke a policy granted to a user group"
	}
	cmd := &cobra.Command{
		Use:   verb,
		Short: short,
		Long: `A grant gives every user of a group the permissions of a policy (system or custom,
by id or name) at a scope: one project (project), every project of the account
including later ones (all-projects) or the resources of one enterprise project (ep).
Grants take effect on the next request; 'ims policy check' explains a decision.`,
		Example: fmt.Sprintf("  ims iam %s all-projects devs image-copier\n  ims iam %s ep devs image-copier --ep team-a", verb, verb),
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	for _, sc := range grantScopes {
		cmd.AddCommand(newGrantScopeCmd(g, grant, sc))
	}
	if grant {
		cmd.AddCommand(newGrantListCmd(g))
	}
	return cmd
}

func newGrantScopeCmd(g *identity, grant bool, sc grantScope) *cobra.Command {
	verb, prep := "grant", "Grant a policy to a group "
	if !grant {
		verb, prep = "revoke", "Revoke a group's policy "
	}
	var project, ep string
	use := sc.name + " GROUP POLICY"
	switch sc.name {
	case "project":
		use += " [--project PROJECT_ID]"
	case "ep":
		use += " --ep EP"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   prep + sc.short,
		Example: fmt.Sprintf("  ims iam %s %s %s", verb, sc.name, sc.example),
		Args:    exactArgs(2, "GROUP and POLICY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			gid, err := g.groupID(args[0])
			if err != nil {
				return err
			}
			pol, err := g.policy(args[1])
			if err != nil {
				return err
			}
			res := map[string]any{"group_id": gid, "policy_id": pol.ID, "scope": sc.name, "granted": grant}
			where := ""
			op := fmt.Sprintf("grant %s to group %s", args[1], args[0])
			if !grant {
				op = fmt.Sprintf("revoke %s from group %s", args[1], args[0])
			}
			switch sc.name {
			case "project":
				if project == "" {
					project = g.settings.ProjectID
				}
				if err := checkID("project", project); err != nil {
					return err
				}
				res["project_id"], where = project, "in project "+project
				_, err = g.iamCall(op, func(cl *iam.IamClient) (any, error) {
					if grant {
						return cl.KeystoneAssociateGroupWithProjectPermission(&model.KeystoneAssociateGroupWithProjectPermissionRequest{
							ProjectId: project, GroupId: gid, RoleId: pol.ID})
					}
					return cl.KeystoneRemoveProjectPermissionFromGroup(&model.KeystoneRemoveProjectPermissionFromGroupRequest{
						ProjectId: project, GroupId: gid, RoleId: pol.ID})
				})
			case "all-projects":
				where = "in all projects"
				_, err = g.iamCall(op, func(cl *iam.IamClient) (any, error) {
					d := g.settings.DomainID
					if grant {
						return cl.UpdateDomainGroupInheritRole(&model.UpdateDomainGroupInheritRoleRequest{DomainId: d, GroupId: gid, RoleId: pol.ID})
					}
					return cl.DeleteDomainGroupInheritedRole(&model.DeleteDomainGroupInheritedRoleRequest{DomainId: d, GroupId: gid, RoleId: pol.ID})
				})
			case "ep":
				var epID string
				if epID, err = g.epID(ep); err != nil {
					return err
				}
				res["enterprise_project_id"], where = epID, "in enterprise project "+ep
				_, err = g.iamCall(op, func(cl *iam.IamClient) (any, error) {
					if grant {
						return cl.AssociateRoleToGroupOnEnterpriseProject(&model.AssociateRoleToGroupOnEnterpriseProjectRequest{
							EnterpriseProjectId: epID, GroupId: gid, RoleId: pol.ID})
					}
					return cl.RevokeRoleFromGroupOnEnterpriseProject(&model.RevokeRoleFromGroupOnEnterpriseProjectRequest{
						EnterpriseProjectId: epID, GroupId: gid, RoleId: pol.ID})
				})
			}
			if err != nil {
				return err
			}
			if grant {
				return g.printDone(res, "Granted %s to group %s %s.", args[1], args[0], where)
			}
			return g.printDone(res, "Revoked %s from group %s %s.", args[1], args[0], where)
		},
	}
	switch sc.name {
	case "project":
		cmd.Flags().StringVar(&project, "project", "", "project id (default: the profile's project)")
	case "ep":
		cmd.Flags().StringVar(&ep, "ep", "", "enterprise project id or name")
		_ = cmd.MarkFlagRequired("ep")
	}
	return cmd
}

func newGrantListCmd(g *identity) *cobra.Command {
	var project, ep string
	var all bool
	cmd := &cobra.Command{
		Use:   "list GROUP [--project PROJECT_ID | --all-projects | --ep EP]",
		Short: "List the policies granted to a group at one scope",
		Long: `Lists the policies granted to a group in a project (--project, default the profile's:
KeystoneListProjectPermissionsForGroup), in all projects (--all-projects) or in an
enterprise project (--ep: ListRolesForGroupOnEnterpriseProject).`,
		Example: "  ims iam grant list devs\n  ims iam grant list devs --all-projects\n  ims iam grant list devs --ep team-a -o json",
		Args:    exactArgs(1, "GROUP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			gid, err := g.groupID(args[0])
			if err != nil {
				return err
			}
			var raw json.RawMessage
			op := "list grants of group " + args[0]
			switch {
			case ep != "":
				epID, err := g.epID(ep)
				if err != nil {
					return err
				}
				raw, err = g.iamCall(op, func(cl *iam.IamClient) (any, error) {
					return cl.ListRolesForGroupOnEnterpriseProject(&model.ListRolesForGroupOnEnterpriseProjectRequest{
						EnterpriseProjectId: epID, GroupId: gid})
				})
				if err != nil {
					return err
				}
			case all:
				raw, err = g.iamCall(op, func(cl *iam.IamClient) (any, error) {
					return cl.KeystoneListAllProjectPermissionsForGroup(&model.KeystoneListAllProjectPermissionsForGroupRequest{
						DomainId: g.settings.DomainID, GroupId: gid})
				})
			default:
				if project == "" {
					if err := g.connect(); err != nil {
						return err
					}
					project = g.settings.ProjectID
				}
				if err := checkID("project", project); err != nil {
					return err
				}
				raw, err = g.iamCall(op, func(cl *iam.IamClient) (any, error) {
					return cl.KeystoneListProjectPermissionsForGroup(&model.KeystoneListProjectPermissionsForGroupRequest{
						ProjectId: project, GroupId: gid})
				})
			}
			if err != nil {
				return err
			}
			roles, err := items(raw, "roles")
			if err != nil || g.opts.output != "table" {
				if err != nil {
					return err
				}
				return g.printList(roles, nil, nil)
			}
			_, custom, err := g.listPolicies(true)
			if err != nil {
				return err
			}
			customIDs := map[string]bool{}
			for _, r := range custom {
				if m, err := decodeMap(r); err == nil {
					customIDs[field(m, "id")] = true
				}
			}
			return g.printList(roles, policyColumns, func(m map[string]any) []string {
				kind := "system"
				if customIDs[field(m, "id")] {
					kind = "custom"
				}
				return policyRow(kind)(m)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&project, "project", "", "project id (default: the profile's project)")
	f.BoolVar(&all, "all-projects", false, "the grants in all projects")
	f.StringVar(&ep, "ep", "", "enterprise project id or name")
	cmd.MarkFlagsMutuallyExclusive("project", "all-projects", "ep")
	return cmd
}
