package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// auditEvent is the part of an audit event the table shows; JSON output
// passes the server's events through whole.
type auditEvent struct {
	ID           string `json:"id"`
	Time         string `json:"time"`
	UserName     string `json:"user_name"`
	UserID       string `json:"user_id"`
	API          string `json:"api"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Decision     string `json:"decision"`
	Status       int    `json:"status"`
	Code         string `json:"code"`
	SourceIP     string `json:"source_ip"`
}

// auditFilter holds the flags both audit commands share.
type auditFilter struct {
	since          time.Duration
	from, to       string
	user, resource string
	api            string
	denied         bool
	limit          int
}

func (f *auditFilter) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.DurationVar(&f.since, "since", 0, "only events of the last DURATION (e.g. 1h, 30m)")
	fl.StringVar(&f.from, "from", "", "only events at or after this RFC 3339 time")
	fl.StringVar(&f.to, "to", "", "only events before this RFC 3339 time")
	fl.StringVar(&f.user, "user", "", "only events of this user id")
	fl.StringVar(&f.resource, "resource", "", "only events on this resource id (image, job, user, ...)")
	fl.StringVar(&f.api, "api", "", "only events of this API (e.g. CopyImageInRegion)")
	fl.BoolVar(&f.denied, "denied", false, "only refused requests (403)")
}

func (f *auditFilter) query(now time.Time) (map[string]string, error) {
	q := map[string]string{}
	if f.since > 0 {
		if f.from != "" {
			return nil, usagef("--since and --from cannot be combined")
		}
		q["from"] = now.Add(-f.since).UTC().Format(time.RFC3339)
	}
	for k, v := range map[string]string{"from": f.from, "to": f.to, "user_id": f.user, "resource_id": f.resource, "api": f.api} {
		if v != "" {
			q[k] = v
		}
	}
	if f.denied {
		q["decision"] = "denied"
	}
	return q, nil
}

func newAuditCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read your account's audit trail (writes and refused requests)",
		Long: `Every write and every refused request (401, 403) is recorded with its time, request id, user,
API, resource, decision and outcome; reads that succeed are not. Needs cts:trace:list (the account
root and the admin group have it). Secrets, bodies and tokens are never recorded.`,
		Example: `  ims audit list --since 1h
  ims audit list --denied --user USER_ID
  ims audit export --since 24h > trail.jsonl`,
		Args: groupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var lf auditFilter
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Example: `  ims audit list --since 1h
  ims audit list --resource IMAGE_ID -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := lf.query(time.Now())
			if err != nil {
				return err
			}
			q["limit"] = strconv.Itoa(lf.limit)
			raw, err := c.auditPage(cmd.Context(), q)
			if err != nil {
				return err
			}
			if c.opts.output != "table" {
				return c.printRaw(raw)
			}
			var page struct {
				Events []auditEvent `json:"events"`
				Next   string       `json:"next_marker"`
			}
			if err := json.Unmarshal(raw, &page); err != nil {
				return err
			}
			t := newTable(c.stdout, "TIME", "USER", "API", "RESOURCE", "DECISION", "STATUS", "SOURCE")
			for _, e := range page.Events {
				user := e.UserName
				if user == "" {
					user = e.UserID
				}
				res := e.ResourceID
				if e.ResourceType != "" && res != "" {
					res = e.ResourceType + " " + res
				}
				status := strconv.Itoa(e.Status)
				if e.Code != "" {
					status += " " + e.Code
				}
				t.row(e.Time, user, e.API, res, e.Decision, status, e.SourceIP)
			}
			if err := t.flush(); err != nil {
				return err
			}
			if page.Next != "" {
				fmt.Fprintf(c.stderr, "more events: raise --limit, or use ims audit export\n")
			}
			return nil
		},
	}
	lf.register(list)
	list.Flags().IntVar(&lf.limit, "limit", 50, "events to show (1-1000)")

	var ef auditFilter
	export := &cobra.Command{
		Use:   "export",
		Short: "Write every matching audit event as JSON lines, newest first",
		Example: `  ims audit export --since 24h > trail.jsonl
  ims audit export --from 2026-12-01T00:00:00Z --to 2026-12-02T00:00:00Z > day.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := ef.query(time.Now())
			if err != nil {
				return err
			}
			q["limit"] = "1000"
			for {
				raw, err := c.auditPage(cmd.Context(), q)
				if err != nil {
					return err
				}
				var page struct {
					Events []json.RawMessage `json:"events"`
					Next   string            `json:"next_marker"`
				}
				if err := json.Unmarshal(raw, &page); err != nil {
					return err
				}
				for _, e := range page.Events {
					if _, err := fmt.Fprintf(c.stdout, "%s\n", e); err != nil {
						return err
					}
				}
				if page.Next == "" {
					return nil
				}
				q["marker"] = page.Next
			}
		},
	}
	ef.register(export)
	cmd.AddCommand(list, export)
	return cmd
}

// auditPage fetches one page of GET /v1/imsd/audit.
func (c *cli) auditPage(ctx context.Context, q map[string]string) ([]byte, error) {
	req, err := c.newSigned(ctx, signedRequest{Method: http.MethodGet, Path: "/v1/imsd/audit", Query: q})
	if err != nil {
		return nil, err
	}
	resp, err := c.transfer.Do(req)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, responseError("audit", resp)
	}
	return io.ReadAll(resp.Body)
}
