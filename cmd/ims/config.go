package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// Environment variables that override a profile.
const (
	envAK       = "HUAWEICLOUD_SDK_AK"
	envSK       = "HUAWEICLOUD_SDK_SK"
	envProject  = "HUAWEICLOUD_SDK_PROJECT_ID"
	envDomain   = "HUAWEICLOUD_SDK_DOMAIN_ID"
	envEndpoint = "IMS_ENDPOINT"
	envProfile  = "IMS_PROFILE"
)

// defaultProfile is used when neither --profile nor IMS_PROFILE is set.
const defaultProfile = "default"

// profile is one named set of connection settings in the config file.
type profile struct {
	Endpoint  string `json:"endpoint" yaml:"endpoint"`
	Region    string `json:"region,omitempty" yaml:"region"`
	ProjectID string `json:"project_id" yaml:"project_id"`
	AccessKey string `json:"access_key" yaml:"access_key"`
	SecretKey string `json:"secret_key" yaml:"secret_key"`
	// DomainID is the account (IAM domain) id the identity commands (ims
	// iam, ims ep) send; optional, the image commands do not need it.
	DomainID string `json:"domain_id,omitempty" yaml:"domain_id,omitempty"`
}

// configFile is the YAML document at the config path.
type configFile struct {
	Profiles map[string]profile `json:"profiles" yaml:"profiles"`
}

// configPath returns the config file to use: --config, else
// $XDG_CONFIG_HOME/ims/config.yaml, else ~/.config/ims/config.yaml.
func configPath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "ims", "config.yaml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", usagef("cannot find the config file: %v; pass --config", err)
	}
	return filepath.Join(home, ".config", "ims", "config.yaml"), nil
}

// loadConfig reads the config file. A missing file is reported with an
// error wrapping fs.ErrNotExist.
func loadConfig(path string) (*configFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	cf := &configFile{}
	if len(strings.TrimSpace(string(b))) > 0 {
		if err := yaml.Unmarshal(b, cf); err != nil {
			return nil, fmt.Errorf("config file %s: %v", path, err)
		}
	}
	if cf.Profiles == nil {
		cf.Profiles = map[string]profile{}
	}
	return cf, nil
}

// saveConfig writes the config file with mode 0600 (its directory 0700),
// replacing it atomically.
func saveConfig(path string, cf *configFile) error {
	j, err := json.Marshal(cf)
	if err != nil {
		return err
	}
	var body strings.Builder
	body.WriteString("# ims CLI configuration, written by 'ims configure'. Keep it private (mode 0600).\n")
	if err := jsonToYAML(&body, j); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(body.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// settings are the effective connection settings with where each came from.
type settings struct {
	ConfigPath string
	Profile    string
	profile
	// Sources maps a field (endpoint, region, project_id, access_key,
	// secret_key, domain_id) to its origin: "profile NAME", an environment
	// variable, "--endpoint" or "server" (a domain id the server told).
	Sources map[string]string
}

// missing lists the required settings that are empty.
func (s *settings) missing() []string {
	var m []string
	for _, f := range []struct{ name, v string }{
		{"endpoint", s.Endpoint}, {"project_id", s.ProjectID}, {"access_key", s.AccessKey}, {"secret_key", s.SecretKey},
	} {
		if f.v == "" {
			m = append(m, f.name)
		}
	}
	return m
}

// resolveSettings merges the profile, the environment and --endpoint. It
// returns a usage error when the result is incomplete, together with the
// partial settings.
func resolveSettings(o globalOpts) (*settings, error) {
	path, err := configPath(o.configPath)
	if err != nil {
		return nil, err
	}
	s := &settings{ConfigPath: path, Sources: map[string]string{}}
	name, explicit := o.profile, o.profile != ""
	if name == "" {
		name, explicit = os.Getenv(envProfile), os.Getenv(envProfile) != ""
	}
	if name == "" {
		name = defaultProfile
	}
	s.Profile = name
	cf, loadErr := loadConfig(path)
	var problem error
	switch {
	case loadErr == nil:
		if p, ok := cf.Profiles[name]; ok {
			s.profile = p
			for _, f := range []struct{ k, v string }{{"endpoint", p.Endpoint}, {"region", p.Region},
				{"project_id", p.ProjectID}, {"access_key", p.AccessKey}, {"secret_key", p.SecretKey}, {"domain_id", p.DomainID}} {
				if f.v != "" {
					s.Sources[f.k] = "profile " + name
				}
			}
		} else {
			names := make([]string, 0, len(cf.Profiles))
			for n := range cf.Profiles {
				names = append(names, n)
			}
			slices.Sort(names)
			problem = usagef("profile %q is not in %s (profiles: %s); create it with 'ims configure --from-bootstrap FILE --profile %s'",
				name, path, strings.Join(names, ", "), name)
		}
	case errors.Is(loadErr, fs.ErrNotExist):
		problem = usagef("no configuration: %s does not exist; run 'ims configure --from-bootstrap DATA_DIR/bootstrap.json' "+
			"or set %s, %s, %s and %s", path, envAK, envSK, envProject, envEndpoint)
	default:
		return s, &usageError{loadErr}
	}
	for _, e := range []struct {
		env, key string
		dst      *string
	}{{envAK, "access_key", &s.AccessKey}, {envSK, "secret_key", &s.SecretKey},
		{envProject, "project_id", &s.ProjectID}, {envEndpoint, "endpoint", &s.Endpoint},
		{envDomain, "domain_id", &s.DomainID}} {
		if v := os.Getenv(e.env); v != "" {
			*e.dst, s.Sources[e.key] = v, "$"+e.env
		}
	}
	if o.endpoint != "" {
		s.Endpoint, s.Sources["endpoint"] = o.endpoint, "--endpoint"
	}
	s.Endpoint = strings.TrimRight(s.Endpoint, "/")
	m := s.missing()
	switch {
	case problem != nil && (explicit || len(m) > 0):
		return s, problem
	case len(m) > 0:
		return s, usagef("incomplete configuration (profile %q in %s): %s not set", name, path, strings.Join(m, ", "))
	}
	if !strings.HasPrefix(s.Endpoint, "http://") && !strings.HasPrefix(s.Endpoint, "https://") {
		return s, usagef("endpoint %q must start with http:// or https://", s.Endpoint)
	}
	return s, nil
}

// bootstrap is the part of imsd's bootstrap.json a profile needs.
type bootstrap struct {
	Endpoint  string `json:"endpoint"`
	Region    string `json:"region"`
	ProjectID string `json:"project_id"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"secret_key"`
	DomainID  string `json:"domain_id"`
}

// readBootstrap reads bootstrap.json; path may also be the data directory
// that holds it.
func readBootstrap(path string) (*bootstrap, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "bootstrap.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bs bootstrap
	if err := json.Unmarshal(b, &bs); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var missing []string
	for _, f := range []struct{ k, v string }{{"endpoint", bs.Endpoint}, {"project_id", bs.ProjectID},
		{"access_key", bs.AccessKey}, {"secret_key", bs.SecretKey}} {
		if f.v == "" {
			missing = append(missing, f.k)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s lacks %s", path, strings.Join(missing, ", "))
	}
	return &bs, nil
}

// mask hides a secret except its last four characters.
func mask(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}
