package main

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The files of deploy/ cannot be run here (no docker, no systemd), so these
// tests hold them to the binary instead: every flag they pass parses, every
// IMSD_* variable they set is one the binary reads and takes, and the
// services agree with each other (ports, credentials, node names).

const deployDir = "../../deploy"

// envVars returns the environment variables the binary reads, from the
// "(env IMSD_...)" notes of every flag's help, plus the S3 secret key,
// which is read from the environment only.
func envVars(t *testing.T) map[string]bool {
	t.Helper()
	re := regexp.MustCompile(`\(env (IMSD_[A-Z0-9_]+)\)`)
	vars := map[string]bool{"IMSD_S3_SECRET_KEY": true}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			for _, m := range re.FindAllStringSubmatch(f.Usage, -1) {
				vars[m[1]] = true
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd())
	if len(vars) < 15 {
		t.Fatalf("only %d environment variables found in the flags' help", len(vars))
	}
	return vars
}

// checkEnv sets the variables, builds the command anew (it reads the
// environment then) and checks that each variable became its flag's value.
func checkEnv(t *testing.T, where string, env map[string]string) {
	t.Helper()
	known := envVars(t)
	for k, v := range env {
		if !strings.HasPrefix(k, "IMSD_") {
			continue
		}
		if !known[k] {
			t.Errorf("%s sets %s, which imsd does not read", where, k)
		}
		t.Setenv(k, v)
	}
	root := newRootCmd()
	re := regexp.MustCompile(`\(env (IMSD_[A-Z0-9_]+)\)`)
	root.Flags().VisitAll(func(f *pflag.Flag) {
		m := re.FindStringSubmatch(f.Usage)
		if m == nil {
			return
		}
		v, ok := env[m[1]]
		if !ok {
			return
		}
		if f.DefValue != v && !sameValue(f, v) {
			t.Errorf("%s: %s=%q did not become --%s (got %q)", where, m[1], v, f.Name, f.DefValue)
		}
	})
}

// sameValue reports whether v parses to the flag's current value (a
// duration written as 1h shows as 1h0m0s).
func sameValue(f *pflag.Flag, v string) bool {
	before := f.Value.String()
	if err := f.Value.Set(v); err != nil {
		return false
	}
	after := f.Value.String()
	_ = f.Value.Set(before)
	return after == before
}

// checkArgs parses args as the server's command line.
func checkArgs(t *testing.T, where string, args []string) *pflag.FlagSet {
	t.Helper()
	root := newRootCmd()
	if err := root.ParseFlags(args); err != nil {
		t.Fatalf("%s: the server rejects %q: %v", where, args, err)
	}
	if rest := root.Flags().Args(); len(rest) > 0 {
		t.Fatalf("%s: arguments the server does not take: %q", where, rest)
	}
	return root.Flags()
}

type composeFile struct {
	Services map[string]struct {
		Image string `yaml:"image"`
		Build *struct {
			Context    string `yaml:"context"`
			Dockerfile string `yaml:"dockerfile"`
		} `yaml:"build"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		Ports       []string          `yaml:"ports"`
		DependsOn   any               `yaml:"depends_on"`
	} `yaml:"services"`
	Volumes map[string]any `yaml:"volumes"`
}

func TestComposeFileMatchesTheBinary(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(raw, &cf); err != nil {
		t.Fatal(err)
	}
	var nodes []string
	for name, svc := range cf.Services {
		if svc.Build == nil {
			continue
		}
		nodes = append(nodes, name)
		if _, err := os.Stat(filepath.Join(deployDir, svc.Build.Context, svc.Build.Dockerfile)); err != nil {
			t.Fatalf("%s builds from a missing Dockerfile: %v", name, err)
		}
		flags := checkArgs(t, "compose service "+name, svc.Command)
		if got, _ := flags.GetString("node-name"); got != name {
			t.Errorf("service %s runs as node %q", name, got)
		}
		checkEnv(t, "compose service "+name, svc.Environment)
		for _, v := range svc.Volumes {
			vol, dir, _ := strings.Cut(v, ":")
			if _, declared := cf.Volumes[vol]; !declared || dir != svc.Environment["IMSD_DATA_DIR"] {
				t.Errorf("%s mounts %q, not a declared volume at IMSD_DATA_DIR", name, v)
			}
		}
	}
	slices.Sort(nodes)
	if !slices.Equal(nodes, []string{"imsd1", "imsd2", "imsd3"}) {
		t.Fatalf("imsd nodes in compose.yaml: %v, want three", nodes)
	}
	env := cf.Services["imsd1"].Environment

	// PostgreSQL: the URL names the user, password and database the
	// postgres service creates.
	pg := cf.Services["postgres"].Environment
	u, err := url.Parse(env["IMSD_POSTGRES_URL"])
	if err != nil {
		t.Fatal(err)
	}
	pass, _ := u.User.Password()
	if u.Hostname() != "postgres" || u.User.Username() != pg["POSTGRES_USER"] || pass != pg["POSTGRES_PASSWORD"] ||
		strings.TrimPrefix(u.Path, "/") != pg["POSTGRES_DB"] {
		t.Errorf("IMSD_POSTGRES_URL %s does not match the postgres service %v", u.Redacted(), pg)
	}

	// S3: the endpoint, keys and port of the versitygw service.
	s3 := cf.Services["s3"]
	arg := func(name string) string {
		if i := slices.Index(s3.Command, name); i >= 0 && i+1 < len(s3.Command) {
			return s3.Command[i+1]
		}
		return ""
	}
	if !strings.HasPrefix(s3.Image, "versity/versitygw:") || env["IMSD_S3_ENDPOINT"] != "http://s3"+arg("--port") ||
		env["IMSD_S3_ACCESS_KEY"] != arg("--access") || env["IMSD_S3_SECRET_KEY"] != arg("--secret") {
		t.Errorf("the S3 settings of the nodes do not match the s3 service (%v)", s3.Command)
	}

	// nginx: one upstream server per node, on the port the nodes listen on.
	conf, err := os.ReadFile(filepath.Join(deployDir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := strings.Cut(env["IMSD_LISTEN"], ":")
	for _, n := range nodes {
		if !strings.Contains(string(conf), "server "+n+":"+port+" ") {
			t.Errorf("nginx.conf has no upstream %s:%s", n, port)
		}
	}
	if !strings.Contains(string(conf), "proxy_set_header Host $http_host;") {
		t.Error("nginx.conf must pass the Host header through: signatures cover it")
	}
	lbPort := strings.Split(cf.Services["lb"].Ports[0], ":")
	if env["IMSD_PUBLIC_URL"] != "http://127.0.0.1:"+lbPort[len(lbPort)-1] {
		t.Errorf("IMSD_PUBLIC_URL %s is not the load balancer's published port %v", env["IMSD_PUBLIC_URL"], lbPort)
	}
}

func TestDockerfileBuildsTheServer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(raw)
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(mod))
	if goVersion == nil || !strings.Contains(df, "FROM golang:"+goVersion[1]+" ") {
		t.Errorf("the Dockerfile's Go image does not match go.mod's go %v", goVersion)
	}
	if !strings.Contains(df, "./cmd/imsd") || !strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("the Dockerfile does not build ./cmd/imsd statically")
	}
	cmd := regexp.MustCompile(`(?m)^CMD \[(.*)\]$`).FindStringSubmatch(df)
	if cmd == nil {
		t.Fatal("the Dockerfile has no CMD")
	}
	var args []string
	for _, a := range strings.Split(cmd[1], ",") {
		args = append(args, strings.Trim(strings.TrimSpace(a), `"`))
	}
	checkArgs(t, "Dockerfile CMD", args)
}

func TestSystemdUnitMatchesTheBinary(t *testing.T) {
	unit := readKeyValues(t, filepath.Join(deployDir, "imsd.service"))
	exec := strings.Fields(unit["ExecStart"])
	if len(exec) < 2 || exec[0] != "/usr/local/bin/imsd" {
		t.Fatalf("ExecStart %q", unit["ExecStart"])
	}
	args := slices.Clone(exec[1:])
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "%H", "host-1") // systemd's host name specifier
	}
	flags := checkArgs(t, "imsd.service ExecStart", args)
	if dir, _ := flags.GetString("data-dir"); !strings.Contains(unit["ReadWritePaths"], dir) || !strings.HasSuffix(dir, "/"+unit["StateDirectory"]) {
		t.Errorf("--data-dir %s is not the unit's writable state directory", dir)
	}
	if stop, _ := strconv.Atoi(unit["TimeoutStopSec"]); unit["KillSignal"] != "SIGTERM" || stop <= 30 {
		t.Errorf("the unit must stop with SIGTERM and leave the 30 s drain time: %s, %s", unit["KillSignal"], unit["TimeoutStopSec"])
	}
	if unit["EnvironmentFile"] != "/etc/imsd/imsd.env" {
		t.Errorf("EnvironmentFile %q", unit["EnvironmentFile"])
	}
	checkEnv(t, "imsd.env.example", readKeyValues(t, filepath.Join(deployDir, "imsd.env.example")))
}

// readKeyValues reads KEY=VALUE lines, skipping comments and [sections].
func readKeyValues(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "[") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: not KEY=VALUE: %q", path, line)
		}
		out[k] = v
	}
	if len(out) == 0 {
		t.Fatalf("%s is empty", path)
	}
	return out
}
