package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
)

// runCLI runs the command line in process.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return o.String(), e.String(), code
}

// clearEnv unsets the variables that override the configuration.
func clearEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{envAK, envSK, envProject, envEndpoint, envProfile, envDomain} {
		t.Setenv(k, "")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
}

// TestYAMLOutput: the YAML emitter keeps key order, quotes whatever a YAML
// reader would not read back as the same string, and round-trips.
func TestYAMLOutput(t *testing.T) {
	in := `{"z":"true","a":"0","e":"","n":null,"num":1.5,"big":12345678901234567890,"arr":[],"obj":{},
	"s":"a: b","m":"multi\nline","l":[{"k":"v","k2":"yes","nested":{"x":[1,[2,3]]}}],"x":"-1","h":"#x",
	"d":"2024-11-06T06:14:27.168Z","ok":true,"os":"CentOS 7.9 64bit","url":"http://127.0.0.1:9292","no":"No",
	"__imagetype":"private","uuid":"465076de-dc36-4aec-80f5-ef9d8009428f","lt":"<b>&"}`
	var b strings.Builder
	if err := jsonToYAML(&b, []byte(in)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"z: \"true\"\n", "a: \"0\"\n", "e: \"\"\n", "\"n\": null\n", "arr: []\n", "obj: {}\n",
		"k2: \"yes\"\n", "d: \"2024-11-06T06:14:27.168Z\"\n", "os: CentOS 7.9 64bit\n", "\"no\": \"No\"\n",
		"__imagetype: private\n", "lt: \"<b>&\"\n", "big: 12345678901234567890\n", "l:\n- k: v\n  k2: \"yes\"\n  nested:\n    x:\n    - 1\n    - - 2\n      - 3\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("YAML lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "z:") {
		t.Errorf("key order not kept:\n%s", out)
	}
	var fromYAML, fromJSON map[string]any
	if err := yaml.Unmarshal([]byte(out), &fromYAML); err != nil {
		t.Fatalf("YAML does not parse: %v\n%s", err, out)
	}
	if err := json.Unmarshal([]byte(in), &fromJSON); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"z", "a", "e", "s", "m", "x", "h", "d", "os", "url", "no", "uuid", "lt"} {
		if fromYAML[k] != fromJSON[k] {
			t.Errorf("%s: YAML reads back %#v, JSON has %#v", k, fromYAML[k], fromJSON[k])
		}
	}
	for _, top := range []struct{ in, want string }{{`[]`, "[]\n"}, {`{}`, "{}\n"}, {`"x"`, "x\n"}, {`[{"a":1},"b"]`, "- a: 1\n- b\n"}} {
		var b strings.Builder
		if err := jsonToYAML(&b, []byte(top.in)); err != nil || b.String() != top.want {
			t.Errorf("%s: got %q %v, want %q", top.in, b.String(), err, top.want)
		}
	}
}

// TestConfigureFromBootstrap: configure writes a 0600 profile next to the
// others, show masks the secret, and the environment and --endpoint
// override the profile.
func TestConfigureFromBootstrap(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	boot := filepath.Join(dir, "bootstrap.json")
	if err := os.WriteFile(boot, []byte(`{"endpoint":"http://127.0.0.1:9292","region":"local-1","project_id":"p1",
		"access_key":"AK1","secret_key":"SECRETSECRET1234","domain_id":"d","user_name":"imsd","password":"pw"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "sub", "config.yaml")
	if _, e, code := runCLI(t, "--config", cfg, "configure", "--from-bootstrap", boot); code != 0 {
		t.Fatalf("configure: %d %s", code, e)
	}
	// A directory works too, and another profile keeps the first.
	if _, e, code := runCLI(t, "--config", cfg, "configure", "--from-bootstrap", dir, "--profile", "b", "--endpoint", "http://10.0.0.1:9292"); code != 0 {
		t.Fatalf("configure b: %d %s", code, e)
	}
	fi, err := os.Stat(cfg)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode: %v %v", fi.Mode(), err)
	}
	cf, err := loadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := profile{Endpoint: "http://127.0.0.1:9292", Region: "local-1", ProjectID: "p1", AccessKey: "AK1", SecretKey: "SECRETSECRET1234", DomainID: "d"}
	if !reflect.DeepEqual(cf.Profiles["default"], want) || cf.Profiles["b"].Endpoint != "http://10.0.0.1:9292" {
		t.Fatalf("profiles: %+v", cf.Profiles)
	}
	o, e, code := runCLI(t, "--config", cfg, "configure", "show")
	if code != 0 || !strings.Contains(o, "****1234") || strings.Contains(o, "SECRETSECRET") || !strings.Contains(o, "profile default") {
		t.Fatalf("show: %d %q %q", code, o, e)
	}
	t.Setenv(envAK, "AK-ENV")
	o, _, code = runCLI(t, "--config", cfg, "--profile", "b", "--endpoint", "http://flag:1", "configure", "show", "-o", "json")
	var shown map[string]any
	if err := json.Unmarshal([]byte(o), &shown); err != nil || code != 0 {
		t.Fatalf("show json: %d %v %q", code, err, o)
	}
	src := shown["sources"].(map[string]any)
	if shown["access_key"] != "AK-ENV" || src["access_key"] != "$"+envAK || shown["endpoint"] != "http://flag:1" ||
		src["endpoint"] != "--endpoint" || shown["secret_key"] != "****1234" || shown["profile"] != "b" {
		t.Fatalf("show json: %v", shown)
	}
	if _, e, code := runCLI(t, "--config", cfg, "--profile", "nope", "configure", "show"); code != exitUsage || !strings.Contains(e, `profile "nope"`) {
		t.Fatalf("unknown profile: %d %q", code, e)
	}
}

// TestConfigFromEnvironmentOnly: without a file, the four variables are a
// complete configuration; with some missing it is a usage error.
func TestConfigFromEnvironmentOnly(t *testing.T) {
	clearEnv(t)
	t.Setenv(envAK, "a")
	t.Setenv(envSK, "s")
	t.Setenv(envProject, "p")
	s, err := resolveSettings(globalOpts{})
	if err == nil || exitCode(err, true) != exitUsage {
		t.Fatalf("missing endpoint accepted: %+v %v", s, err)
	}
	t.Setenv(envEndpoint, "http://127.0.0.1:1/")
	s, err = resolveSettings(globalOpts{})
	if err != nil || s.Endpoint != "http://127.0.0.1:1" || s.Sources["project_id"] != "$"+envProject {
		t.Fatalf("env config: %+v %v", s, err)
	}
	if _, err := resolveSettings(globalOpts{endpoint: "ftp://x"}); err == nil {
		t.Fatal("ftp endpoint accepted")
	}
}

// TestUsageErrors: cobra's errors and our own argument checks exit 2.
func TestUsageErrors(t *testing.T) {
	clearEnv(t)
	for _, args := range [][]string{{"image", "show"}, {"image", "lst"}, {"nope"}, {"image", "list", "--bogus"},
		{"image", "create"}, {"-o", "xml", "image", "list"}, {"image", "show", "a/b"}, {"image", "list"},
		{"image", "copy", "x"}, {"configure"}} {
		if _, e, code := runCLI(t, args...); code != exitUsage || !strings.HasPrefix(e, "Error: ") {
			t.Errorf("%v: exit %d, stderr %q; want %d", args, code, e, exitUsage)
		}
	}
	if o, _, code := runCLI(t, "completion", "bash"); code != 0 || !strings.Contains(o, "bash completion") {
		t.Errorf("completion bash: %d", code)
	}
}

// TestProgressLines: without a terminal, progress is plain lines at each
// 10% step and a final one.
func TestProgressLines(t *testing.T) {
	defer func(d time.Duration) { progressTick = d }(progressTick)
	progressTick = time.Hour // the test drives report itself
	var b bytes.Buffer
	p := newByteProgress(&b, false, "upload x", 100<<20, 0)
	for i := 0; i < 100; i++ {
		p.add(1 << 20)
		p.report(false)
	}
	p.finish()
	out := b.String()
	if !strings.Contains(out, "upload x: 100.0%  100.0 MiB / 100.0 MiB") || strings.Contains(out, "\r") {
		t.Fatalf("progress output:\n%s", out)
	}
	if n := strings.Count(out, "\n"); n != 11 { // 0% .. 100%
		t.Fatalf("%d progress lines:\n%s", n, out)
	}
	var tty bytes.Buffer
	p = newPercentProgress(&tty, true, "job j")
	p.setFraction(0.4, "RUNNING")
	p.finish()
	if !strings.Contains(tty.String(), "\r") || !strings.Contains(tty.String(), " 40.0% RUNNING") {
		t.Fatalf("terminal progress: %q", tty.String())
	}
}

// TestEveryCommandHasExample: --help of every command shows an example.
func TestEveryCommandHasExample(t *testing.T) {
	var walk func(cmd *cobra.Command)
	walk = func(cmd *cobra.Command) {
		if cmd.Example == "" {
			t.Errorf("%q has no Example", cmd.CommandPath())
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(newCLI(io.Discard, io.Discard)))
}

func TestLooksLikeUUID(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"uuid", "e26bba59-fc2c-4a50-8ae9-d18f530b588f", true},
		{"upper case", "E26BBA59-FC2C-4A50-8AE9-D18F530B588F", true},
		{"default project", "0", false},
		{"name", "team-a", false},
		{"36 characters without dashes", "e26bba59xfc2cx4a50x8ae9xd18f530b588f", false},
		{"non-hex", "g26bba59-fc2c-4a50-8ae9-d18f530b588f", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := looksLikeUUID(tc.in); got != tc.want {
				t.Fatalf("looksLikeUUID(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
