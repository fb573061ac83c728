package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"
)

// decision is one explained authorization answer of GET /v1/imsd/policy-check.
type decision struct {
	Action            string `json:"action"`
	EnterpriseProject string `json:"enterprise_project_id"`
	Allowed           bool   `json:"allowed"`
	Reason            string `json:"reason"`
}

func newPolicyCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "policy",
		Short:   "Explain authorization decisions",
		Example: `  ims policy check --user alice --action ims:images:copy --image IMAGE_ID --target-ep EP_ID`,
		Args:    groupArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var user, action, image, targetEP string
	check := &cobra.Command{
		Use:   "check",
		Short: "Show how a user's request would be decided, and the statement that decided it",
		Long: `Asks the server how the request of another user of your account would be decided in
your project: for each permission question (a copy asks ims:images:copy on the source
image's enterprise project and, when the account uses enterprise projects,
ims:serverImages:create on the target), ALLOW or DENY with the grant, policy and
statement that decided, or "implicit deny" when nothing matched. Needs iam:users:getUser
(the account root and the admin group have it). Exit status 0 whatever the decision;
use -o json and the "allowed" fields in scripts.`,
		Example: `  ims policy check --user alice --action ims:images:copy --image 465076de-dc36-4aec-80f5-ef9d8009428f
  ims policy check --user alice --action ims:images:copy --image IMAGE_ID --target-ep EP_ID -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if user == "" || action == "" {
				return usagef("--user and --action are required")
			}
			q := map[string]string{"user_id": user, "action": action}
			if image != "" {
				q["image_id"] = image
			}
			if targetEP != "" {
				q["target_enterprise_project_id"] = targetEP
			}
			req, err := c.newSigned(cmd.Context(), signedRequest{Method: http.MethodGet, Path: "/v1/imsd/policy-check", Query: q})
			if err != nil {
				return err
			}
			resp, err := c.transfer.Do(req)
			if err != nil {
				return fmt.Errorf("policy check: %w", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode >= 300 {
				return responseError("policy check", resp)
			}
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				return err
			}
			if c.opts.output != "table" {
				return c.printRaw(raw)
			}
			var out struct {
				Decisions []decision `json:"decisions"`
			}
			if err := json.Unmarshal(raw, &out); err != nil {
				return err
			}
			for _, d := range out.Decisions {
				ep := ""
				if d.EnterpriseProject != "" {
					ep = " (enterprise project " + d.EnterpriseProject + ")"
				}
				fmt.Fprintf(c.stdout, "%s%s\n  %s\n", d.Action, ep, d.Reason)
			}
			return nil
		},
	}
	f := check.Flags()
	f.StringVar(&user, "user", "", "the user's id or name")
	f.StringVar(&action, "action", "", "the action, e.g. ims:images:copy")
	f.StringVar(&image, "image", "", "the image the action applies to (its enterprise project decides)")
	f.StringVar(&targetEP, "target-ep", "", "for a copy: the target enterprise project (default \"0\")")
	cmd.AddCommand(check)
	return cmd
}
