package main

import (
	"encoding/json"
	"fmt"

	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	"github.com/spf13/cobra"
)

// maxPageSize is the largest page imsd returns.
const maxPageSize = 1000

// listOpts are the filters and paging flags of image list.
type listOpts struct {
	name, status, diskFormat, visibility, imageType, tag, sortKey, sortDir, enterpriseProject string
	limit, pageSize                                                                           int
	all                                                                                       bool
}

// request builds the ListImages request of one page.
func (o *listOpts) request() (*model.ListImagesRequest, error) {
	req := &model.ListImagesRequest{}
	var err error
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return ptr(v)
	}
	req.Name, req.Tag, req.EnterpriseProjectId = str(o.name), str(o.tag), str(o.enterpriseProject)
	if o.status != "" {
		if req.Status, err = enumOf[model.ListImagesRequestStatus](o.status); err != nil {
			return nil, err
		}
	}
	if o.diskFormat != "" {
		if req.DiskFormat, err = enumOf[model.ListImagesRequestDiskFormat](o.diskFormat); err != nil {
			return nil, err
		}
	}
	if o.visibility != "" {
		if req.Visibility, err = enumOf[model.ListImagesRequestVisibility](o.visibility); err != nil {
			return nil, err
		}
	}
	if o.imageType != "" {
		if req.Imagetype, err = enumOf[model.ListImagesRequestImagetype](o.imageType); err != nil {
			return nil, err
		}
	}
	if o.sortKey != "" {
		if req.SortKey, err = enumOf[model.ListImagesRequestSortKey](o.sortKey); err != nil {
			return nil, err
		}
	}
	if o.sortDir != "" {
		if req.SortDir, err = enumOf[model.ListImagesRequestSortDir](o.sortDir); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// listImages pages through ListImages, following the marker (the last id of
// a page) until a short or empty page, or until limit images (0: no
// limit).
func (c *cli) listImages(o *listOpts) ([]json.RawMessage, error) {
	if o.pageSize < 1 || o.pageSize > maxPageSize {
		return nil, usagef("--page-size must be between 1 and %d", maxPageSize)
	}
	if o.limit < 0 {
		return nil, usagef("--limit must not be negative")
	}
	limit := o.limit
	if o.all {
		limit = 0
	}
	out := []json.RawMessage{}
	marker := ""
	for {
		req, err := o.request()
		if err != nil {
			return nil, err
		}
		want := o.pageSize
		if limit > 0 {
			want = min(want, limit-len(out))
		}
		req.Limit = ptr(int32(want))
		if marker != "" {
			req.Marker = ptr(marker)
		}
		raw, err := c.call("list images", func(cl *ims.ImsClient) (any, error) { return cl.ListImages(req) })
		if err != nil {
			return nil, err
		}
		var page struct {
			Images []json.RawMessage `json:"images"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("list images: decode response: %w", err)
		}
		out = append(out, page.Images...)
		if len(page.Images) == 0 || len(page.Images) < want || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		var last struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(page.Images[len(page.Images)-1], &last); err != nil || last.ID == "" || last.ID == marker {
			return out, nil // no usable marker: stop rather than loop
		}
		marker = last.ID
	}
}

func newImageListCmd(c *cli) *cobra.Command {
	o := &listOpts{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List images (following the paging marker)",
		Long: `Lists the project's images with ListImages (GET /v2/cloudimages), newest first
unless --sort-key/--sort-dir say otherwise. Pages of --page-size images are fetched,
each continuing after the last id of the previous one, until --limit images are
listed; --all lists every image. -o json prints a JSON array of image objects.`,
		Example: `  ims image list
  ims image list --status active --disk-format qcow2
  ims image list --name base --all -o json | jq -r '.[].id'`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			images, err := c.listImages(o)
			if err != nil {
				return err
			}
			return c.printImages(images)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "only images with this exact name")
	f.StringVar(&o.status, "status", "", "only images in this status: queued, saving, active, killed")
	f.StringVar(&o.diskFormat, "disk-format", "", "only images of this disk format")
	f.StringVar(&o.visibility, "visibility", "", "only images of this visibility: private, public, shared")
	f.StringVar(&o.imageType, "image-type", "", "only images of this __imagetype: private, gold, shared, market")
	f.StringVar(&o.tag, "tag", "", "only images with this tag (key=value)")
	f.StringVar(&o.enterpriseProject, "enterprise-project", "", `only images of this enterprise project ("0" default, "all_granted_eps")`)
	f.StringVar(&o.sortKey, "sort-key", "", "sort by name, status, id, size, disk_format, container_format or created_at (server default created_at)")
	f.StringVar(&o.sortDir, "sort-dir", "", "sort direction: asc or desc (server default desc)")
	f.IntVar(&o.limit, "limit", 500, "list at most this many images (0: no limit)")
	f.BoolVar(&o.all, "all", false, "list every image, however many (ignores --limit)")
	f.IntVar(&o.pageSize, "page-size", 500, fmt.Sprintf("images per request (1-%d)", maxPageSize))
	return cmd
}

// listTags returns the image's tags (ListImageTags).
func (c *cli) listTags(id string) (json.RawMessage, error) {
	return c.call("list tags of image "+id, func(cl *ims.ImsClient) (any, error) {
		return cl.ListImageTags(&model.ListImageTagsRequest{ImageId: id})
	})
}

func newImageTagCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "tag IMAGE_ID key=value [key=value ...]",
		Short: "Add or update tags of an image",
		Long:  `Adds each tag with AddImageTag (an existing key gets the new value) and prints the image's tags.`,
		Example: `  ims image tag IMAGE_ID env=prod team=web
  ims image tag IMAGE_ID golden`,
		Args: minArgs(2, "IMAGE_ID and at least one key=value"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			tags := make([]model.ResourceTag, 0, len(args)-1)
			for _, a := range args[1:] {
				k, v, err := parseTag(a)
				if err != nil {
					return err
				}
				tags = append(tags, model.ResourceTag{Key: k, Value: v})
			}
			for _, tg := range tags {
				if _, err := c.call("tag image "+id, func(cl *ims.ImsClient) (any, error) {
					return cl.AddImageTag(&model.AddImageTagRequest{ImageId: id, Body: &model.AddImageTagRequestBody{Tag: &tg}})
				}); err != nil {
					return err
				}
			}
			raw, err := c.listTags(id)
			if err != nil {
				return err
			}
			return c.printTags(raw)
		},
	}
}

func newImageUntagCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "untag IMAGE_ID key [key ...]",
		Short:   "Remove tags from an image",
		Long:    `Removes each tag key with DeleteImageTag and prints the remaining tags.`,
		Example: `  ims image untag IMAGE_ID env team`,
		Args:    minArgs(2, "IMAGE_ID and at least one key"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			for _, k := range args[1:] {
				if _, err := c.call("untag image "+id, func(cl *ims.ImsClient) (any, error) {
					return cl.DeleteImageTag(&model.DeleteImageTagRequest{ImageId: id, Key: k})
				}); err != nil {
					return err
				}
			}
			raw, err := c.listTags(id)
			if err != nil {
				return err
			}
			return c.printTags(raw)
		},
	}
}

// completeImageID completes the first argument with the ids of the
// project's images (the name as description); later arguments complete as
// files.
func (c *cli) completeImageID(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	images, err := c.listImages(&listOpts{limit: 500, pageSize: 500})
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	out := make([]cobra.Completion, 0, len(images))
	for _, raw := range images {
		var img struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if json.Unmarshal(raw, &img) == nil && img.ID != "" {
			out = append(out, cobra.CompletionWithDesc(img.ID, img.Name))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
