package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"
)

func newConfigureCmd(c *cli) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "configure --from-bootstrap FILE",
		Short: "Write a profile from imsd's bootstrap.json",
		Long: `Writes a profile (endpoint, region, project_id, access_key, secret_key, domain_id) into the
config file, taken from the bootstrap.json imsd writes into its data directory on
first start. FILE may also be the data directory. Other profiles in the file are
kept; the file is written with mode 0600.

--profile names the profile (default "default"); --endpoint stores another endpoint
than the one in bootstrap.json (useful when the server listens on 0.0.0.0).`,
		Example: `  ims configure --from-bootstrap ./imsd-data/bootstrap.json
  ims configure --from-bootstrap /var/lib/imsd --profile prod --endpoint http://ims.example:9292
  ims configure show`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return usagef("--from-bootstrap is required (or use 'ims configure show')")
			}
			bs, err := readBootstrap(from)
			if err != nil {
				return err
			}
			path, err := configPath(c.opts.configPath)
			if err != nil {
				return err
			}
			cf, err := loadConfig(path)
			if errors.Is(err, fs.ErrNotExist) {
				cf, err = &configFile{Profiles: map[string]profile{}}, nil
			}
			if err != nil {
				return fmt.Errorf("%v (fix or remove the file first)", err)
			}
			name := c.profileName()
			p := profile{Endpoint: bs.Endpoint, Region: bs.Region, ProjectID: bs.ProjectID, AccessKey: bs.AccessKey, SecretKey: bs.SecretKey, DomainID: bs.DomainID}
			if c.opts.endpoint != "" {
				p.Endpoint = c.opts.endpoint
			}
			cf.Profiles[name] = p
			if err := saveConfig(path, cf); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			res := map[string]any{"config_file": path, "profile": name, "endpoint": p.Endpoint, "region": p.Region, "project_id": p.ProjectID}
			if c.opts.output != "table" {
				return c.printValue(res)
			}
			fmt.Fprintf(c.stdout, "Wrote profile %q to %s (endpoint %s, project %s).\n", name, path, p.Endpoint, p.ProjectID)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from-bootstrap", "", "path of imsd's bootstrap.json (or the data directory holding it)")
	cmd.AddCommand(newConfigureShowCmd(c))
	return cmd
}

func newConfigureShowCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the effective configuration (secret masked)",
		Long: `Shows the settings the other commands would use, after applying the profile,
the environment variables and --endpoint, with the origin of each. The secret key
is masked. Exits with 2 when the configuration is missing or incomplete.`,
		Example: `  ims configure show
  ims configure show --profile prod -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := resolveSettings(c.opts)
			if s == nil {
				return err
			}
			src := func(k string) string {
				if v, ok := s.Sources[k]; ok {
					return v
				}
				return "-"
			}
			if c.opts.output != "table" {
				if perr := c.printValue(map[string]any{
					"config_file": s.ConfigPath, "profile": s.Profile, "endpoint": s.Endpoint, "region": s.Region,
					"project_id": s.ProjectID, "domain_id": s.DomainID, "access_key": s.AccessKey, "secret_key": mask(s.SecretKey), "sources": s.Sources,
				}); perr != nil {
					return perr
				}
				return err
			}
			t := newTable(c.stdout, "SETTING", "VALUE", "SOURCE")
			t.row("config_file", s.ConfigPath, "")
			t.row("profile", s.Profile, "")
			t.row("endpoint", s.Endpoint, src("endpoint"))
			t.row("region", s.Region, src("region"))
			t.row("project_id", s.ProjectID, src("project_id"))
			t.row("domain_id", s.DomainID, src("domain_id"))
			t.row("access_key", s.AccessKey, src("access_key"))
			t.row("secret_key", mask(s.SecretKey), src("secret_key"))
			if ferr := t.flush(); ferr != nil {
				return ferr
			}
			return err
		},
	}
}

// profileName is the profile selected by --profile, IMS_PROFILE or the
// default.
func (c *cli) profileName() string {
	if c.opts.profile != "" {
		return c.opts.profile
	}
	if p := os.Getenv(envProfile); p != "" {
		return p
	}
	return defaultProfile
}
