// Command ims is the command-line client of imsd (and of any Huawei Cloud
// IMS compatible endpoint): profiles, images, upload and download with
// progress, in-region copy and jobs. It talks through the official Huawei
// Cloud Go SDK, and signs the upload and download requests the SDK lacks
// with the SDK's own signer.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the root command's help.
const (
	exitOK      = 0
	exitError   = 1 // generic or API error
	exitUsage   = 2 // bad flags or arguments, missing configuration
	exitJobFail = 3 // the job finished with status FAIL
	exitTimeout = 4 // waiting for a job timed out
)

// main runs the command line. Signals keep their default action: an
// interrupted download keeps its partial file for --resume, and nothing
// else needs cleaning up.
func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code. Errors
// are printed to stderr here, never by cobra.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCLI(stdout, stderr)
	root := newRootCmd(c)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	code := exitCode(err, c.started)
	printError(stderr, err)
	if code == exitUsage {
		fmt.Fprintln(stderr, "Run 'ims --help' or 'ims COMMAND --help' for usage.")
	}
	return code
}

// usageError marks an error in how the command was invoked (exit 2).
type usageError struct{ err error }

// Error returns the message.
func (e *usageError) Error() string { return e.err.Error() }

// Unwrap returns the cause.
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error.
func usagef(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// exitErr carries a specific exit code (job failure, timeout).
type exitErr struct {
	code int
	err  error
}

// Error returns the message.
func (e *exitErr) Error() string { return e.err.Error() }

// Unwrap returns the cause.
func (e *exitErr) Unwrap() error { return e.err }

// exitCode maps an error to the process exit code. started tells whether a
// command began running: cobra's own errors (unknown command or flag, wrong
// argument count) happen before and are usage errors.
func exitCode(err error, started bool) int {
	var ue *usageError
	var ee *exitErr
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ue):
		return exitUsage
	case !started:
		return exitUsage
	default:
		return exitError
	}
}

// printError writes one line per error: API errors carry the IMS code,
// message, HTTP status and request id.
func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "Error: %v\n", err)
}

const rootLong = `ims is the command-line client of imsd, a self-hosted image service that speaks the
Huawei Cloud IMS API. It manages images (create, upload, download, list, update,
tag, delete), copies them within the region as asynchronous jobs and follows those
jobs. It also administers the account: IAM users, groups, policies, grants and
access keys (ims iam), and enterprise projects (ims ep).

Configuration: profiles live in $XDG_CONFIG_HOME/ims/config.yaml (by default
~/.config/ims/config.yaml; --config selects another file). Create one from the
server's bootstrap.json with 'ims configure --from-bootstrap'. Select a profile
with --profile (or IMS_PROFILE; default "default"). The environment variables
HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID,
HUAWEICLOUD_SDK_DOMAIN_ID and IMS_ENDPOINT override the profile, and --endpoint
overrides them all. The identity commands (ims iam, ims ep) also need the account's
domain_id, which 'ims configure --from-bootstrap' stores.

Output: human-readable tables by default; -o json or -o yaml prints one machine
readable document (an object, or an array for lists) on stdout. Progress and
errors go to stderr.

Exit codes:
  0  success
  1  error: an API error (its IMS code, message and request id are printed),
     a network or file error
  2  usage error: unknown command or flag, wrong arguments, missing or
     incomplete configuration
  3  the job finished with status FAIL (copy --wait, job wait)
  4  timed out waiting for a job (--timeout)`

func newRootCmd(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "ims",
		Short: "Command-line client for imsd and Huawei Cloud IMS",
		Long:  rootLong,
		Example: `  ims configure --from-bootstrap ./imsd-data/bootstrap.json
  ims image import disk.qcow2 --name base --disk-format qcow2
  ims image list
  ims image copy IMAGE_ID --name base-copy --wait
  ims image list -o json | jq -r '.[].id'`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			// cobra checks these after this hook; errors here are usage errors.
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return &usageError{err}
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return &usageError{err}
			}
			c.started = true
			switch c.opts.output {
			case "table", "json", "yaml":
				return nil
			default:
				return usagef("--output must be table, json or yaml, not %q", c.opts.output)
			}
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&c.opts.configPath, "config", "", "configuration file (default $XDG_CONFIG_HOME/ims/config.yaml or ~/.config/ims/config.yaml)")
	pf.StringVar(&c.opts.profile, "profile", "", `profile to use (env IMS_PROFILE; default "default")`)
	pf.StringVar(&c.opts.endpoint, "endpoint", "", "API endpoint URL, overriding the profile and IMS_ENDPOINT")
	pf.StringVarP(&c.opts.output, "output", "o", "table", "output format: table, json or yaml")
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newConfigureCmd(c), newImageCmd(c), newJobCmd(c), newPolicyCmd(c), newIAMCmd(c), newEPCmd(c), newAuditCmd(c), newKMSCmd(c))
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		switch sub.Name() {
		case "help":
			sub.Example = "  ims help image copy"
		case "completion":
			sub.Example = "  source <(ims completion bash)\n  ims completion zsh > \"${fpath[1]}/_ims\"\n  ims completion fish > ~/.config/fish/completions/ims.fish"
			for _, sh := range sub.Commands() {
				sh.Example = completionExamples[sh.Name()]
			}
		}
	}
	return root
}

// completionExamples are the examples of cobra's completion subcommands.
var completionExamples = map[string]string{
	"bash":       "  source <(ims completion bash)\n  ims completion bash > /etc/bash_completion.d/ims",
	"zsh":        "  ims completion zsh > \"${fpath[1]}/_ims\"",
	"fish":       "  ims completion fish > ~/.config/fish/completions/ims.fish",
	"powershell": "  ims completion powershell | Out-String | Invoke-Expression",
}

// exactArgs is cobra.ExactArgs with a usage error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("expected %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}

// groupArgs rejects an unknown subcommand of a command group, with
// suggestions.
func groupArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return &usageError{errors.New(msg)}
}

// minArgs is cobra.MinimumNArgs with a usage error.
func minArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return usagef("expected %s, got %d argument(s)", names, len(args))
		}
		return nil
	}
}
