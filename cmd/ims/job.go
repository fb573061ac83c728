package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	"github.com/spf13/cobra"
)

// Job polling intervals: the first poll comes quickly (a copy that shares
// data finishes in milliseconds), later ones back off.
var (
	pollFirst = 100 * time.Millisecond
	pollMax   = 2 * time.Second
)

// jobStatus reads the status and completion fraction of a ShowJobProgress
// answer.
func jobStatus(r *model.ShowJobProgressResponse) (status string, fraction float64) {
	if r.Status != nil {
		status = r.Status.Value()
	}
	if r.Entities != nil && r.Entities.ProcessPercent != nil {
		fraction = *r.Entities.ProcessPercent
	}
	return status, fraction
}

// showJob returns a job's ShowJobProgress answer, raw and decoded.
func (c *cli) showJob(id string) (json.RawMessage, *model.ShowJobProgressResponse, error) {
	var resp *model.ShowJobProgressResponse
	raw, err := c.call("show job "+id, func(cl *ims.ImsClient) (any, error) {
		r, err := cl.ShowJobProgress(&model.ShowJobProgressRequest{JobId: id})
		resp = r
		return r, err
	})
	return raw, resp, err
}

// waitJob polls ShowJobProgress until the job ends, feeding a progress bar
// with process_percent. It returns the last answer; the error is an exitErr
// with exitJobFail when the job failed and exitTimeout when timeout (0:
// none) passed first.
func (c *cli) waitJob(ctx context.Context, id string, timeout time.Duration) (json.RawMessage, error) {
	if err := c.connect(); err != nil {
		return nil, err
	}
	p := newPercentProgress(c.stderr, c.stderrTTY, "job "+id)
	defer p.finish()
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	interval := pollFirst
	for {
		raw, resp, err := c.showJob(id)
		if err != nil {
			return nil, err
		}
		status, frac := jobStatus(resp)
		switch status {
		case "SUCCESS":
			p.setFraction(1, status)
			return raw, nil
		case "FAIL":
			p.setFraction(frac, status)
			code, reason := "", "no reason given"
			if resp.ErrorCode != nil {
				code = *resp.ErrorCode + ": "
			}
			if resp.FailReason != nil && *resp.FailReason != "" {
				reason = *resp.FailReason
			}
			return raw, &exitErr{exitJobFail, fmt.Errorf("job %s failed: %s%s", id, code, reason)}
		}
		p.setFraction(frac, status)
		wait := interval
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return raw, &exitErr{exitTimeout, fmt.Errorf("timed out after %v waiting for job %s (status %s, %.0f%% done); continue with 'ims job wait %s'",
					timeout, id, status, frac*100, id)}
			}
			wait = min(wait, left)
		}
		select {
		case <-ctx.Done():
			return raw, fmt.Errorf("waiting for job %s: %w", id, ctx.Err())
		case <-time.After(wait):
		}
		interval = min(interval*3/2, pollMax)
	}
}

// printWaited prints the last job state after a wait, then returns the
// wait's error (so a failed job is printed and exits with exitJobFail).
func (c *cli) printWaited(raw json.RawMessage, err error) error {
	var ee *exitErr
	if raw != nil && (err == nil || errors.As(err, &ee)) {
		if perr := c.printJob(raw); perr != nil {
			return perr
		}
	}
	return err
}

func newImageCopyCmd(c *cli) *cobra.Command {
	var name, desc, cmk, ep, token string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "copy SOURCE_IMAGE_ID --name NAME",
		Short: "Copy an image within the region (an asynchronous job)",
		Long: `Starts an in-region copy with CopyImageInRegion (POST /v1/cloudimages/{id}/copy)
and prints the job id. With --wait it follows the job with a progress bar and
prints the finished job: the exit status is 0 on SUCCESS, 3 on FAIL (the job's
fail_reason is printed) and 4 when --timeout passes first.

--client-token makes the request idempotent: the same token within 24 hours
returns the same job instead of making another copy.`,
		Example: `  ims image copy IMAGE_ID --name base-copy
  ims image copy IMAGE_ID --name base-enc --cmk-id KMS_KEY_ID --wait --timeout 30m
  ims image copy IMAGE_ID --name team-copy --enterprise-project team-a --wait
  ims image copy IMAGE_ID --name nightly --client-token "nightly-$(date +%F)" --wait -o json`,
		Args: exactArgs(1, "SOURCE_IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			src := args[0]
			if err := checkID("image", src); err != nil {
				return err
			}
			body := &model.CopyImageInRegionRequestBody{Name: name}
			if cmd.Flags().Changed("description") {
				body.Description = ptr(desc)
			}
			if cmk != "" {
				key, err := (&keyService{cli: c}).keyID(cmk)
				if err != nil {
					return err
				}
				body.CmkId = ptr(key)
			}
			if ep != "" {
				id, err := copyTargetEP(c, ep)
				if err != nil {
					return err
				}
				body.EnterpriseProjectId = ptr(id)
			}
			var jobID string
			raw, err := c.call("copy image "+src, func(cl *ims.ImsClient) (any, error) {
				inv := cl.CopyImageInRegionInvoker(&model.CopyImageInRegionRequest{ImageId: src, Body: body})
				if token != "" {
					inv.AddHeaders(map[string]string{"X-Client-Token": token})
				}
				r, err := inv.Invoke()
				if err == nil && r.JobId != nil {
					jobID = *r.JobId
				}
				return r, err
			})
			if err != nil {
				return err
			}
			if jobID == "" {
				return fmt.Errorf("copy image %s: the response has no job id", src)
			}
			if !wait {
				if c.opts.output != "table" {
					return c.printRaw(raw)
				}
				fmt.Fprintf(c.stdout, "Copy job %s started. Follow it with: ims job wait %s\n", jobID, jobID)
				return nil
			}
			fmt.Fprintf(c.stderr, "Copy job %s started.\n", jobID)
			return c.printWaited(c.waitJob(cmd.Context(), jobID, timeout))
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the copy (required)")
	f.StringVar(&desc, "description", "", "description of the copy")
	f.StringVar(&cmk, "cmk-id", "", "KMS key (id, key alias or alias/NAME) to re-encrypt the copy with")
	f.StringVar(&ep, "enterprise-project", "", `enterprise project of the copy, by id or name ("0" is the default project)`)
	f.StringVar(&token, "client-token", "", "idempotency token sent as X-Client-Token")
	f.BoolVar(&wait, "wait", false, "wait for the job to finish, with progress")
	f.DurationVar(&timeout, "timeout", time.Hour, "with --wait: give up after this long (exit 4); 0 waits forever")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newJobCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "job",
		Short: "Show, wait for and cancel asynchronous jobs",
		Example: `  ims job show JOB_ID
  ims job wait JOB_ID --timeout 10m
  ims job cancel JOB_ID`,
		Args: groupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	show := &cobra.Command{
		Use:   "show JOB_ID",
		Short: "Show a job's status and progress",
		Long: `Shows a job with ShowJobProgress (GET /v1/cloudimages/job/{id}): status (INIT,
RUNNING, SUCCESS or FAIL), progress, the resulting image and, for a failed job,
its error code and fail_reason.`,
		Example: `  ims job show 9a175ac892fa13420193001c2e62205a
  ims job show 9a175ac892fa13420193001c2e62205a -o json | jq -r .entities.image_id`,
		Args: exactArgs(1, "JOB_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("job", args[0]); err != nil {
				return err
			}
			raw, _, err := c.showJob(args[0])
			if err != nil {
				return err
			}
			return c.printJob(raw)
		},
	}
	var timeout time.Duration
	wait := &cobra.Command{
		Use:   "wait JOB_ID",
		Short: "Wait for a job to finish, with progress",
		Long: `Polls the job until it ends and prints it. Exit status: 0 on SUCCESS, 3 on FAIL
(the fail_reason is printed), 4 when --timeout passes first.`,
		Example: `  ims job wait 9a175ac892fa13420193001c2e62205a
  ims job wait 9a175ac892fa13420193001c2e62205a --timeout 5m -o json`,
		Args: exactArgs(1, "JOB_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("job", args[0]); err != nil {
				return err
			}
			return c.printWaited(c.waitJob(cmd.Context(), args[0], timeout))
		},
	}
	wait.Flags().DurationVar(&timeout, "timeout", time.Hour, "give up after this long (exit 4); 0 waits forever")
	cancel := &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a queued or running job (an imsd extension)",
		Long: `Cancels a job with imsd's POST /v1/imsd/jobs/{id}/cancel: the job ends FAIL with
IMG.0250 at once and its image is deleted; a running copy stops within a second
and removes the data it had written. A job that has ended cannot be cancelled
(IMG.0249). Needs ims:images:copy.`,
		Example: `  ims job cancel 9a175ac892fa13420193001c2e62205a`,
		Args:    exactArgs(1, "JOB_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("job", args[0]); err != nil {
				return err
			}
			req, err := c.newSigned(cmd.Context(), signedRequest{Method: http.MethodPost, Path: "/v1/imsd/jobs/" + args[0] + "/cancel",
				ContentType: "application/json;charset=UTF-8", JSONBody: []byte("{}")})
			if err != nil {
				return err
			}
			resp, err := c.transfer.Do(req)
			if err != nil {
				return fmt.Errorf("cancel job %s: %w", args[0], err)
			}
			defer resp.Body.Close()
			if resp.StatusCode >= 300 {
				return responseError("cancel job "+args[0], resp)
			}
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				return fmt.Errorf("cancel job %s: %w", args[0], err)
			}
			return c.printJob(raw)
		},
	}
	cmd.AddCommand(show, wait, cancel)
	return cmd
}
