package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/impl"
	eps "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/eps/v1"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
)

// identity holds the IAM and EPS clients of one invocation, built on first
// use. Both are global services: the SDK signs their requests with the
// account's domain id (X-Domain-Id) instead of a project.
type identity struct {
	*cli
	iam *iam.IamClient
	eps *eps.EpsClient
}

// connectGlobal resolves the settings and builds the IAM and EPS clients
// with global credentials against the profile's endpoint (imsd serves IAM
// and EPS on the same host as IMS). A profile without domain_id asks the
// server for it (KeystoneListAuthDomains), as the SDK does.
func (g *identity) connectGlobal() error {
	if g.iam != nil {
		return nil
	}
	if err := g.connect(); err != nil {
		return err
	}
	s := g.settings
	cred, err := global.NewCredentialsBuilder().WithAk(s.AccessKey).WithSk(s.SecretKey).WithDomainId(s.DomainID).
		WithIamEndpointOverride(s.Endpoint).SafeBuild()
	if err != nil {
		return usagef("credentials: %v", err)
	}
	hcfg := config.DefaultHttpConfig().WithHttpRoundTripper(g.capture).WithTimeout(2 * time.Minute)
	if s.DomainID == "" {
		if _, err := cred.ProcessAuthParams(impl.NewDefaultHttpClient(hcfg), s.Region); err != nil || cred.DomainId == "" {
			return usagef("profile %q has no domain_id and the server did not tell it (%v): run 'ims configure --from-bootstrap "+
				"DATA_DIR/bootstrap.json' again or set %s", s.Profile, sdkError("get domain id", err), envDomain)
		}
		s.DomainID, s.Sources["domain_id"] = cred.DomainId, "server"
	}
	ic, err := iam.IamClientBuilder().WithEndpoints([]string{s.Endpoint}).WithCredential(cred).WithHttpConfig(hcfg).SafeBuild()
	if err != nil {
		return usagef("iam client: %v", err)
	}
	ec, err := eps.EpsClientBuilder().WithEndpoints([]string{s.Endpoint}).WithCredential(cred).WithHttpConfig(hcfg).SafeBuild()
	if err != nil {
		return usagef("eps client: %v", err)
	}
	g.iam, g.eps = iam.NewIamClient(ic), eps.NewEpsClient(ec)
	return nil
}

// iamCall runs one IAM SDK call and returns the response body as the
// server sent it; op names the operation in errors.
func (g *identity) iamCall(op string, fn func(*iam.IamClient) (any, error)) (json.RawMessage, error) {
	if err := g.connectGlobal(); err != nil {
		return nil, err
	}
	return g.captured(op, func() (any, error) { return fn(g.iam) })
}

// epsCall runs one EPS SDK call like iamCall.
func (g *identity) epsCall(op string, fn func(*eps.EpsClient) (any, error)) (json.RawMessage, error) {
	if err := g.connectGlobal(); err != nil {
		return nil, err
	}
	return g.captured(op, func() (any, error) { return fn(g.eps) })
}

// member returns the value of key in the JSON object raw ({"user":{...}}
// gives the user object).
func member(raw []byte, key string) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	v, ok := m[key]
	if !ok || string(v) == "null" {
		return nil, fmt.Errorf("decode response: no %q in the answer", key)
	}
	return v, nil
}

// items returns the array under key in the JSON object raw ({"users":[...]}
// gives the users); a missing or null array is empty.
func items(raw []byte, key string) ([]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode response: %w", err)
	}
	var out []json.RawMessage
	if v, ok := m[key]; ok && string(v) != "null" {
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, fmt.Errorf("decode response %q: %w", key, err)
		}
	}
	return out, nil
}

// refError reports a name or id that matched nothing (notFound), or
// several things.
type refError struct {
	msg      string
	notFound bool
}

// Error returns the message.
func (e *refError) Error() string { return e.msg }

// resolveRef returns the "id" of the single item whose id is ref, or else
// whose value of one of nameKeys (tried in order) is ref.
func resolveRef(kind, ref string, list []json.RawMessage, nameKeys ...string) (string, error) {
	ms := make([]map[string]any, 0, len(list))
	for _, raw := range list {
		m, err := decodeMap(raw)
		if err != nil {
			return "", err
		}
		if field(m, "id") == ref {
			return ref, nil
		}
		ms = append(ms, m)
	}
	for _, k := range nameKeys {
		var ids []string
		for _, m := range ms {
			if field(m, k) == ref {
				ids = append(ids, field(m, "id"))
			}
		}
		switch {
		case len(ids) == 1:
			return ids[0], nil
		case len(ids) > 1:
			return "", &refError{msg: fmt.Sprintf("%d %ss are named %q (%s): give the id", len(ids), kind, ref, strings.Join(ids, ", "))}
		}
	}
	return "", &refError{msg: fmt.Sprintf("no %s has the id or name %q", kind, ref), notFound: true}
}

// epochField renders the millisecond timestamps IAM uses (create_time) as
// RFC 3339; other values as field does.
func epochField(m map[string]any, k string) string {
	v := field(m, k)
	if strings.HasSuffix(k, "_time") {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 1e11 {
			return time.UnixMilli(n).UTC().Format(time.RFC3339)
		}
	}
	return v
}

// printList prints list items as a table with the given columns (one
// function per column), or as a JSON array of the server's objects.
func (c *cli) printList(list []json.RawMessage, header []string, cols func(m map[string]any) []string) error {
	if c.opts.output != "table" {
		if list == nil {
			list = []json.RawMessage{}
		}
		b, err := json.Marshal(list)
		if err != nil {
			return err
		}
		return c.printRaw(b)
	}
	t := newTable(c.stdout, header...)
	for _, raw := range list {
		m, err := decodeMap(raw)
		if err != nil {
			return err
		}
		t.row(cols(m)...)
	}
	return t.flush()
}

// hiddenFields are left out of object tables: links, and the policy
// document printed below the table.
var hiddenFields = []string{"links", "policy"}

// printObject prints one object: first the keys in first, then the others
// sorted, as a FIELD VALUE table; or the server's object itself. A policy
// document (key "policy") follows the table, indented.
func (c *cli) printObject(raw []byte, first ...string) error {
	if c.opts.output != "table" {
		return c.printRaw(raw)
	}
	m, err := decodeMap(raw)
	if err != nil {
		return err
	}
	t := newTable(c.stdout, "FIELD", "VALUE")
	keys := slices.Clone(first)
	var rest []string
	for k := range m {
		if !slices.Contains(first, k) && !slices.Contains(hiddenFields, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range append(keys, rest...) {
		if _, ok := m[k]; ok {
			t.row(k, epochField(m, k))
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	if doc, ok := m["policy"]; ok && doc != nil {
		rawDoc, err := member(raw, "policy")
		if err != nil {
			return err
		}
		var b bytes.Buffer
		if err := json.Indent(&b, rawDoc, "  ", "  "); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "policy:\n  %s\n", b.Bytes())
	}
	return nil
}

// printDone reports a change that has no object to show: a sentence in a
// table, else a small JSON object.
func (c *cli) printDone(v map[string]any, format string, a ...any) error {
	if c.opts.output != "table" {
		return c.printValue(v)
	}
	_, err := fmt.Fprintf(c.stdout, format+"\n", a...)
	return err
}
