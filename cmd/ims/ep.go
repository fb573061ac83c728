package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	eps "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1/model"
	"github.com/spf13/cobra"
)

// epResourceType is the EPS resource type of IMS images.
const epResourceType = "images"

// listEPs returns the account's enterprise projects (ListEnterpriseProject).
func (g *identity) listEPs(name string) ([]json.RawMessage, error) {
	raw, err := g.epsCall("list enterprise projects", func(cl *eps.EpsClient) (any, error) {
		req := &model.ListEnterpriseProjectRequest{Limit: ptr(int32(1000))}
		if name != "" {
			req.Name = ptr(name)
		}
		return cl.ListEnterpriseProject(req)
	})
	if err != nil {
		return nil, err
	}
	return items(raw, "enterprise_projects")
}

// epID resolves an enterprise project id or name to the id.
func (g *identity) epID(ref string) (string, error) {
	if ref == "" {
		return "", usagef("--ep is required")
	}
	list, err := g.listEPs("")
	if err != nil {
		return "", err
	}
	return resolveRef("enterprise project", ref, list, "name")
}

// copyTargetEP turns the --enterprise-project of a copy into an id. An id
// ("0" or a UUID, as EPS makes them) is sent as is, so users without EPS
// permissions can copy into an enterprise project they know by id; any
// other value is looked up by name.
func copyTargetEP(c *cli, ref string) (string, error) {
	if ref == "0" || looksLikeUUID(ref) {
		return ref, nil
	}
	id, err := (&identity{cli: c}).epID(ref)
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		return "", fmt.Errorf("%w\n(looking up the enterprise project named %q needs eps:enterpriseProjects:list; give its id instead)", err, ref)
	}
	return id, err
}

// looksLikeUUID reports whether s has the 8-4-4-4-12 hex form of a UUID.
func looksLikeUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", r):
			return false
		}
	}
	return true
}

// epStatus renders EPS's numeric status (1 enabled, 2 disabled).
func epStatus(m map[string]any) string {
	switch field(m, "status") {
	case "1":
		return "enabled"
	case "2":
		return "disabled"
	}
	return field(m, "status")
}

// epColumns are the columns of enterprise project tables.
var epColumns = []string{"ID", "NAME", "STATUS", "DESCRIPTION", "CREATED"}

func epRow(m map[string]any) []string {
	return []string{field(m, "id"), field(m, "name"), epStatus(m), field(m, "description"), field(m, "created_at")}
}

// epFields are shown first by ep show and create.
var epFields = []string{"id", "name", "status", "description", "type", "created_at", "updated_at"}

// printEP prints the enterprise project of a Create or Show answer; the
// table spells the status out ("2 (disabled)").
func (g *identity) printEP(raw []byte) error {
	obj, err := member(raw, "enterprise_project")
	if err != nil || g.opts.output != "table" {
		if err != nil {
			return err
		}
		return g.printRaw(obj)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	if st, err := decodeMap(obj); err == nil && field(st, "status") != "" {
		m["status"], _ = json.Marshal(field(st, "status") + " (" + epStatus(st) + ")")
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return g.printObject(b, epFields...)
}

// newEPCmd is "ims ep": enterprise projects (Huawei EPS v1 SDK).
func newEPCmd(c *cli) *cobra.Command {
	g := &identity{cli: c}
	cmd := &cobra.Command{
		Use:   "ep",
		Short: "Manage enterprise projects and move images between them",
		Long: `Enterprise projects group resources for authorization: a grant in an enterprise
project ('ims iam grant ep') covers the images in it. The default enterprise project
has the id "0". Enterprise projects may be named by id or by name. Uses the EPS API
imsd serves on the same endpoint, with the profile's domain_id.`,
		Example: "  ims ep create team-a --description 'team A images'\n  ims ep move IMAGE_ID --ep team-a\n  ims ep list",
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var name string
	list := &cobra.Command{
		Use:     "list [--name NAME]",
		Short:   "List enterprise projects",
		Example: "  ims ep list\n  ims ep list -o json | jq -r '.[] | select(.status == 1) | .name'",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := g.listEPs(name)
			if err != nil {
				return err
			}
			return g.printList(l, epColumns, epRow)
		},
	}
	list.Flags().StringVar(&name, "name", "", "only enterprise projects with this name")
	var desc string
	create := &cobra.Command{
		Use:     "create NAME [--description D]",
		Short:   "Create an enterprise project",
		Example: "  ims ep create team-a --description 'team A images'",
		Args:    exactArgs(1, "NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := &model.EnterpriseProject{Name: args[0]}
			if desc != "" {
				body.Description = ptr(desc)
			}
			raw, err := g.epsCall("create enterprise project "+args[0], func(cl *eps.EpsClient) (any, error) {
				return cl.CreateEnterpriseProject(&model.CreateEnterpriseProjectRequest{Body: body})
			})
			if err != nil {
				return err
			}
			return g.printEP(raw)
		},
	}
	create.Flags().StringVar(&desc, "description", "", "description")
	show := &cobra.Command{
		Use:     "show EP",
		Short:   "Show an enterprise project",
		Example: "  ims ep show team-a",
		Args:    exactArgs(1, "EP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.epID(args[0])
			if err != nil {
				return err
			}
			raw, err := g.epsCall("show enterprise project "+args[0], func(cl *eps.EpsClient) (any, error) {
				return cl.ShowEnterpriseProject(&model.ShowEnterpriseProjectRequest{EnterpriseProjectId: id})
			})
			if err != nil {
				return err
			}
			return g.printEP(raw)
		},
	}
	cmd.AddCommand(list, create, show, newEPSwitchCmd(g, true), newEPSwitchCmd(g, false), newEPMoveCmd(g))
	return cmd
}

// newEPSwitchCmd is "ep enable" (enable) or "ep disable".
func newEPSwitchCmd(g *identity, enable bool) *cobra.Command {
	use, short, done := "enable", "Enable an enterprise project", "Enabled"
	if !enable {
		use, short, done = "disable", "Disable an enterprise project (no new resources can be moved into it)", "Disabled"
	}
	return &cobra.Command{
		Use:     use + " EP",
		Short:   short,
		Example: "  ims ep " + use + " team-a",
		Args:    exactArgs(1, "EP"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := g.epID(args[0])
			if err != nil {
				return err
			}
			if _, err := g.epsCall(use+" enterprise project "+args[0], func(cl *eps.EpsClient) (any, error) {
				if enable {
					return cl.EnableEnterpriseProject(&model.EnableEnterpriseProjectRequest{EnterpriseProjectId: id,
						Body: &model.EnableAction{Action: model.GetEnableActionActionEnum().ENABLE}})
				}
				return cl.DisableEnterpriseProject(&model.DisableEnterpriseProjectRequest{EnterpriseProjectId: id,
					Body: &model.DisableAction{Action: model.GetDisableActionActionEnum().DISABLE}})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"enterprise_project_id": id, "enabled": enable}, "%s enterprise project %s (%s).", done, args[0], id)
		},
	}
}

func newEPMoveCmd(g *identity) *cobra.Command {
	var ep string
	cmd := &cobra.Command{
		Use:   "move IMAGE_ID --ep EP",
		Short: "Move an image into another enterprise project",
		Long: `Moves an image of the profile's project into an enterprise project (EPS
MigrateResource, resource type "images"). Grants in the target enterprise project
apply to the image from then on. Use --ep 0 for the default enterprise project.`,
		Example: "  ims ep move 8f1d1c4e-1c0e-4a8e-9d4a-3c2f0a7b6e21 --ep team-a",
		Args:    exactArgs(1, "IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			img := args[0]
			if err := checkID("image", img); err != nil {
				return err
			}
			id, err := g.epID(ep)
			if err != nil {
				return err
			}
			if _, err := g.epsCall("move image "+img, func(cl *eps.EpsClient) (any, error) {
				body := &model.MigrateResource{ResourceId: img, ResourceType: epResourceType, ProjectId: ptr(g.settings.ProjectID)}
				if g.settings.Region != "" {
					body.RegionId = ptr(g.settings.Region)
				}
				return cl.MigrateResource(&model.MigrateResourceRequest{EnterpriseProjectId: id, Body: body})
			}); err != nil {
				return err
			}
			return g.printDone(map[string]any{"image_id": img, "enterprise_project_id": id, "moved": true},
				"Moved image %s to enterprise project %s (%s).", img, ep, id)
		},
	}
	cmd.Flags().StringVar(&ep, "ep", "", "target enterprise project id or name")
	_ = cmd.MarkFlagRequired("ep")
	cmd.ValidArgsFunction = g.completeImageID
	return cmd
}
