package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	"github.com/spf13/cobra"
)

// Images from and to the server's object storage, and sharing.

// remoteImport holds the flags of 'ims image import --from'.
type remoteImport struct {
	from        string
	data        bool
	description string
	wait        bool
	timeout     time.Duration
}

func (r *remoteImport) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&r.from, "from", "", "create the image from BUCKET:PATH in the server's object storage instead of a local file")
	f.BoolVar(&r.data, "data", false, "with --from: make a data disk image")
	f.StringVar(&r.description, "description", "", "with --from: image description")
	f.BoolVar(&r.wait, "wait", false, "with --from: wait for the import job, with progress")
	f.DurationVar(&r.timeout, "timeout", time.Hour, "with --from --wait: give up after this long (exit 4); 0 waits forever")
}

// jobFollow prints a started job's id, or with wait follows it.
func (c *cli) jobFollow(cmd *cobra.Command, what string, raw json.RawMessage, jobID string, wait bool, timeout time.Duration) error {
	if jobID == "" {
		return fmt.Errorf("%s: the response has no job id", what)
	}
	if !wait {
		if c.opts.output != "table" {
			return c.printRaw(raw)
		}
		fmt.Fprintf(c.stdout, "%s job %s started. Follow it with: ims job wait %s\n", what, jobID, jobID)
		return nil
	}
	fmt.Fprintf(c.stderr, "%s job %s started.\n", what, jobID)
	return c.printWaited(c.waitJob(cmd.Context(), jobID, timeout))
}

// importRemote is 'ims image import --from': CreateImage with image_url, or
// CreateDataImage with --data.
func (c *cli) importRemote(cmd *cobra.Command, o *createOpts, r *remoteImport) error {
	if o.diskFormat != "" {
		return usagef("--disk-format does not apply with --from: the format is detected from the file")
	}
	if !strings.Contains(r.from, ":") {
		return usagef("--from %q: name the file as BUCKET:PATH", r.from)
	}
	minDisk := max(o.minDisk, 1)
	var imageTags []model.TagKeyValue
	for _, t := range o.tags {
		k, v, err := parseTag(t)
		if err != nil {
			return err
		}
		imageTags = append(imageTags, model.TagKeyValue{Key: k, Value: v})
	}
	var jobID string
	raw, err := c.call("import "+r.from, func(cl *ims.ImsClient) (any, error) {
		if r.data {
			body := &model.CreateDataImageRequestBody{Name: o.name, ImageUrl: r.from, MinDisk: minDisk}
			if r.description != "" {
				body.Description = ptr(r.description)
			}
			if len(imageTags) > 0 {
				tags := make([]model.ImageTag, len(imageTags))
				for i, t := range imageTags {
					tags[i] = model.ImageTag{Key: ptr(t.Key), Value: ptr(t.Value)}
				}
				body.ImageTags = &tags
			}
			resp, err := cl.CreateDataImage(&model.CreateDataImageRequest{Body: body})
			if err == nil && resp.JobId != nil {
				jobID = *resp.JobId
			}
			return resp, err
		}
		body := &model.CreateImageRequestBody{Name: ptr(o.name), ImageUrl: ptr(r.from), MinDisk: ptr(minDisk)}
		if o.osVersion != "" {
			body.OsVersion = ptr(o.osVersion)
		}
		if o.minRAM != 0 {
			body.MinRam = ptr(o.minRAM)
		}
		if r.description != "" {
			body.Description = ptr(r.description)
		}
		if len(imageTags) > 0 {
			body.ImageTags = &imageTags
		}
		resp, err := cl.CreateImage(&model.CreateImageRequest{Body: body})
		if err == nil && resp.JobId != nil {
			jobID = *resp.JobId
		}
		return resp, err
	})
	if err != nil {
		return err
	}
	return c.jobFollow(cmd, "Import", raw, jobID, r.wait, r.timeout)
}

func newImageExportCmd(c *cli) *cobra.Command {
	var format string
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "export IMAGE_ID BUCKET:PATH",
		Short: "Export an image to a file in the server's object storage (an asynchronous job)",
		Long: `Writes the image's data, byte for byte, to BUCKET:PATH with ExportImage (POST
/v1/cloudimages/{id}/file). The file appears only once complete and verified. Without
--format the export is a quick export of the data as stored; --format must name the
image's own format (the server converts none). --wait follows the job (exit 3 when it
fails, 4 on --timeout).`,
		Example: `  ims image export IMAGE_ID backups:images/base.qcow2 --wait
  ims image export IMAGE_ID backups:images/base.qcow2 --format qcow2`,
		Args: exactArgs(2, "IMAGE_ID and BUCKET:PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, dest := args[0], args[1]
			if err := checkID("image", id); err != nil {
				return err
			}
			if !strings.Contains(dest, ":") {
				return usagef("%q: name the file as BUCKET:PATH", dest)
			}
			body := &model.ExportImageRequestBody{BucketUrl: dest}
			if format == "" {
				body.IsQuickExport = ptr(true)
			} else {
				f, err := enumOf[model.ExportImageRequestBodyFileFormat](format)
				if err != nil {
					return err
				}
				body.FileFormat = *f
			}
			var jobID string
			raw, err := c.call("export image "+id, func(cl *ims.ImsClient) (any, error) {
				r, err := cl.ExportImage(&model.ExportImageRequest{ImageId: id, Body: body})
				if err == nil && r.JobId != nil {
					jobID = *r.JobId
				}
				return r, err
			})
			if err != nil {
				return err
			}
			return c.jobFollow(cmd, "Export", raw, jobID, wait, timeout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "file_format: the image's own format (qcow2, raw, vhd, vmdk); default: quick export as stored")
	f.BoolVar(&wait, "wait", false, "wait for the job to finish, with progress")
	f.DurationVar(&timeout, "timeout", time.Hour, "with --wait: give up after this long (exit 4); 0 waits forever")
	return cmd
}

func newImageShareCmd(c *cli) *cobra.Command {
	var remove bool
	cmd := &cobra.Command{
		Use:   "share IMAGE_ID PROJECT_ID...",
		Short: "Share an image with projects (or stop sharing it with --remove)",
		Long: `Shares the image with the projects (BatchAddMembers), which may belong to other
accounts; each project then accepts or rejects it ('ims image accept|reject' run in
that project). --remove stops sharing with them (BatchDeleteMembers). The member job
finishes at once; it is printed.`,
		Example: `  ims image share IMAGE_ID 0123456789abcdef0123456789abcdef
  ims image share IMAGE_ID 0123456789abcdef0123456789abcdef --remove`,
		Args: minArgs(2, "IMAGE_ID and at least one PROJECT_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			body := &model.BatchAddMembersRequestBody{Images: []string{id}, Projects: args[1:]}
			var jobID string
			raw, err := c.call("share image "+id, func(cl *ims.ImsClient) (any, error) {
				if remove {
					r, err := cl.BatchDeleteMembers(&model.BatchDeleteMembersRequest{Body: body})
					if err == nil && r.JobId != nil {
						jobID = *r.JobId
					}
					return r, err
				}
				r, err := cl.BatchAddMembers(&model.BatchAddMembersRequest{Body: body})
				if err == nil && r.JobId != nil {
					jobID = *r.JobId
				}
				return r, err
			})
			if err != nil {
				return err
			}
			return c.jobFollow(cmd, "Share", raw, jobID, true, time.Minute)
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "stop sharing the image with the projects")
	return cmd
}

// newImageAnswerCmd is 'ims image accept' (accept) or 'ims image reject'.
func newImageAnswerCmd(c *cli, accept bool) *cobra.Command {
	verb, status := "reject", model.GetBatchUpdateMembersRequestBodyStatusEnum().REJECTED
	if accept {
		verb, status = "accept", model.GetBatchUpdateMembersRequestBodyStatusEnum().ACCEPTED
	}
	return &cobra.Command{
		Use:   verb + " IMAGE_ID...",
		Short: strings.ToUpper(verb[:1]) + verb[1:] + " images shared with this profile's project",
		Long: fmt.Sprintf(`Records this project's answer to images shared with it (BatchUpdateMembers, status
%s). An accepted image appears in 'ims image list' and can be copied into the
project with 'ims image copy'.`, verb+"ed"),
		Example: fmt.Sprintf("  ims image %s IMAGE_ID", verb),
		Args:    minArgs(1, "IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				if err := checkID("image", id); err != nil {
					return err
				}
			}
			if err := c.connect(); err != nil {
				return err
			}
			var jobID string
			raw, err := c.call(verb+" images", func(cl *ims.ImsClient) (any, error) {
				r, err := cl.BatchUpdateMembers(&model.BatchUpdateMembersRequest{Body: &model.BatchUpdateMembersRequestBody{
					Images: args, ProjectId: c.settings.ProjectID, Status: status}})
				if err == nil && r.JobId != nil {
					jobID = *r.JobId
				}
				return r, err
			})
			if err != nil {
				return err
			}
			return c.jobFollow(cmd, strings.ToUpper(verb[:1])+verb[1:], raw, jobID, true, time.Minute)
		},
	}
}

func newImageMembersCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "members IMAGE_ID",
		Short: "List the projects an image is shared with, and their answers",
		Long: `Lists the image's members (ListImageMembers). The owner sees every member; a
member project sees only its own membership.`,
		Example: `  ims image members IMAGE_ID -o json`,
		Args:    exactArgs(1, "IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			raw, err := c.call("list members of "+id, func(cl *ims.ImsClient) (any, error) {
				return cl.ListImageMembers(&model.ListImageMembersRequest{ImageId: id})
			})
			if err != nil {
				return err
			}
			if c.opts.output != "table" {
				return c.printRaw(raw)
			}
			var body struct {
				Members []map[string]any `json:"members"`
			}
			if err := json.Unmarshal(raw, &body); err != nil {
				return fmt.Errorf("decode response: %w", err)
			}
			t := newTable(c.stdout, "PROJECT", "STATUS", "CREATED", "UPDATED")
			for _, m := range body.Members {
				t.row(field(m, "member_id"), field(m, "status"), field(m, "created_at"), field(m, "updated_at"))
			}
			return t.flush()
		},
	}
}
