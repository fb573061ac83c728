package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	ims "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/ims/v2/model"
	"github.com/spf13/cobra"
)

func newImageCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Create, import, upload, list, show, update, tag, download, export, copy, share and delete images",
		Example: `  ims image import disk.qcow2 --name base --disk-format qcow2
  ims image import --from images:disk.qcow2 --name base --wait
  ims image list --status active
  ims image copy IMAGE_ID --name base-copy --wait
  ims image share IMAGE_ID PROJECT_ID`,
		Args: groupArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newImageCreateCmd(c), newImageUploadCmd(c), newImageImportCmd(c), newImageListCmd(c),
		newImageShowCmd(c), newImageUpdateCmd(c), newImageDeleteCmd(c), newImageDownloadCmd(c),
		newImageTagCmd(c), newImageUntagCmd(c), newImageCopyCmd(c), newImageExportCmd(c), newImageShareCmd(c),
		newImageAnswerCmd(c, true), newImageAnswerCmd(c, false), newImageMembersCmd(c))
	for _, sub := range cmd.Commands() {
		if strings.Contains(sub.Use, "IMAGE_ID") {
			sub.ValidArgsFunction = c.completeImageID
		}
	}
	return cmd
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// enumOf builds one of the SDK's enum types from its wire string.
func enumOf[T any](v string) (*T, error) {
	var e T
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, usagef("invalid value %q: %v", v, err)
	}
	return &e, nil
}

// checkID rejects arguments that cannot be an id in a URL path.
func checkID(kind, id string) error {
	if id == "" || strings.ContainsAny(id, "/?#% \t\n") {
		return usagef("%q is not a valid %s id", id, kind)
	}
	return nil
}

// parseTag splits "key=value" ("key" alone has an empty value).
func parseTag(s string) (key, value string, err error) {
	key, value, _ = strings.Cut(s, "=")
	if strings.TrimSpace(key) == "" {
		return "", "", usagef("tag %q has no key; use key=value", s)
	}
	return key, value, nil
}

// createOpts are the metadata flags of image create and image import.
type createOpts struct {
	name, diskFormat, osVersion string
	minDisk, minRAM             int32
	tags                        []string
	cmk                         string
}

func (o *createOpts) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "", "image name (required)")
	f.StringVar(&o.diskFormat, "disk-format", "", "disk format: qcow2, raw, vhd, vmdk, zvhd2, ... (default: detected from the uploaded data)")
	f.StringVar(&o.osVersion, "os-version", "", `OS version, e.g. "Ubuntu 22.04 server 64bit" (server default "Other Linux(64 bit)")`)
	f.Int32Var(&o.minDisk, "min-disk", 0, "minimum system disk size in GB")
	f.Int32Var(&o.minRAM, "min-ram", 0, "minimum memory in MB")
	f.StringArrayVar(&o.tags, "tag", nil, "tag key=value (repeatable)")
	f.StringVar(&o.cmk, "cmk-id", "", "KMS key (id, key alias or alias/NAME) to store the image's data encrypted with")
	_ = cmd.MarkFlagRequired("name")
}

// create makes the image metadata (GlanceCreateImageMetadata) and returns
// the server's image object and id.
func (c *cli) create(o *createOpts) (json.RawMessage, string, error) {
	body := &model.GlanceCreateImageMetadataRequestBody{Name: ptr(o.name)}
	if o.diskFormat != "" {
		df, err := enumOf[model.GlanceCreateImageMetadataRequestBodyDiskFormat](o.diskFormat)
		if err != nil {
			return nil, "", err
		}
		body.DiskFormat = df
	}
	if o.osVersion != "" {
		body.OsVersion = ptr(o.osVersion)
	}
	if o.minDisk != 0 {
		body.MinDisk = ptr(o.minDisk)
	}
	if o.minRAM != 0 {
		body.MinRam = ptr(o.minRAM)
	}
	if len(o.tags) > 0 {
		tags := make([]string, len(o.tags))
		for i, t := range o.tags {
			k, v, err := parseTag(t)
			if err != nil {
				return nil, "", err
			}
			tags[i] = k + "=" + v
		}
		body.Tags = &tags
	}
	if o.cmk != "" {
		return c.createEncrypted(body, o.cmk)
	}
	var id string
	raw, err := c.call("create image", func(cl *ims.ImsClient) (any, error) {
		r, err := cl.GlanceCreateImageMetadata(&model.GlanceCreateImageMetadataRequest{Body: body})
		if err == nil && r.Id != nil {
			id = *r.Id
		}
		return r, err
	})
	if err == nil && id == "" {
		err = fmt.Errorf("create image: the response has no image id")
	}
	return raw, id, err
}

// createEncrypted creates image metadata with __system__cmkid, which the
// SDK's create body lacks: the same body with that attribute, signed by the
// SDK's signer.
func (c *cli) createEncrypted(body *model.GlanceCreateImageMetadataRequestBody, keyRef string) (json.RawMessage, string, error) {
	key, err := (&keyService{cli: c}).keyID(keyRef)
	if err != nil {
		return nil, "", err
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, "", err
	}
	m["__system__cmkid"] = key
	if b, err = json.Marshal(m); err != nil {
		return nil, "", err
	}
	req, err := c.newSigned(context.Background(), signedRequest{Method: http.MethodPost, Path: "/v2/images",
		ContentType: "application/json;charset=UTF-8", JSONBody: b})
	if err != nil {
		return nil, "", err
	}
	resp, err := c.transfer.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("create image: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, "", responseError("create image", resp)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", fmt.Errorf("create image: %w", err)
	}
	var img struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &img); err != nil || img.ID == "" {
		return nil, "", fmt.Errorf("create image: the response has no image id")
	}
	return raw, img.ID, nil
}

// showImage returns the server's image object (GlanceShowImage).
func (c *cli) showImage(id string) (json.RawMessage, error) {
	return c.call("show image "+id, func(cl *ims.ImsClient) (any, error) {
		return cl.GlanceShowImage(&model.GlanceShowImageRequest{ImageId: id})
	})
}

func newImageCreateCmd(c *cli) *cobra.Command {
	o := &createOpts{}
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create image metadata (status queued) to upload data into",
		Example: `  ims image create --name base --disk-format qcow2 --os-version "Ubuntu 22.04 server 64bit" --min-disk 10
  ID=$(ims image create --name base -o json | jq -r .id) && ims image upload "$ID" disk.qcow2`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, _, err := c.create(o)
			if err != nil {
				return err
			}
			return c.printImage(raw)
		},
	}
	o.register(cmd)
	return cmd
}

// uploadAndShow uploads the file, reports the transfer on stderr and prints
// the image as it is afterwards.
func (c *cli) uploadAndShow(cmd *cobra.Command, id, file string) error {
	res, err := c.upload(cmd.Context(), id, file)
	if err != nil {
		return err
	}
	rate := ""
	if res.Seconds > 0 {
		rate = fmt.Sprintf(" (%s/s)", humanBytes(int64(float64(res.Bytes)/res.Seconds)))
	}
	fmt.Fprintf(c.stderr, "Uploaded %s to image %s in %.1fs%s.\n", humanBytes(res.Bytes), id, res.Seconds, rate)
	raw, err := c.showImage(id)
	if err != nil {
		return err
	}
	return c.printImage(raw)
}

func newImageUploadCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "upload IMAGE_ID FILE",
		Short: "Upload a file into a queued image",
		Long: `Streams FILE into the image (PUT /v2/images/{id}/file) and prints the image
afterwards. A progress bar (bytes, rate, ETA) is drawn when stderr is a terminal,
plain progress lines are printed otherwise.`,
		Example: `  ims image upload 8f1d1c4e-1c0e-4a8e-9d4a-3c2f0a7b6e21 disk.qcow2`,
		Args:    exactArgs(2, "IMAGE_ID and FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("image", args[0]); err != nil {
				return err
			}
			return c.uploadAndShow(cmd, args[0], args[1])
		},
	}
}

func newImageImportCmd(c *cli) *cobra.Command {
	o := &createOpts{}
	r := &remoteImport{}
	cmd := &cobra.Command{
		Use:   "import {FILE | --from BUCKET:PATH} --name NAME",
		Short: "Create an image from a local file, or from a file in object storage",
		Long: `With FILE: creates the image metadata, then streams FILE into it with progress,
and prints the image. If the upload fails the image is left queued: retry with
'ims image upload ID FILE' or remove it with 'ims image delete ID'.

With --from BUCKET:PATH: the server reads the file from its object storage
(CreateImage with image_url, an asynchronous job) and the command prints the job,
or with --wait follows it like 'ims image copy --wait' does (exit 3 when the job
fails, 4 on --timeout). The disk format is detected from the data; --min-disk
defaults to 1 GB and is raised to cover the virtual disk. --data makes a data disk
image (CreateDataImage).`,
		Example: `  ims image import disk.qcow2 --name base --disk-format qcow2
  ims image import rootfs.raw --name web --os-version "Debian GNU/Linux 12 64bit" --tag team=web -o json
  ims image import --from images:ubuntu/jammy.qcow2 --name jammy --os-version "Ubuntu 22.04 server 64bit" --wait
  ims image import --from images:disks/data.raw --name data-disk --data --wait`,
		Args: func(cmd *cobra.Command, args []string) error {
			if r.from != "" {
				return exactArgs(0, "no FILE with --from")(cmd, args)
			}
			return exactArgs(1, "FILE (or --from BUCKET:PATH)")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if r.from != "" {
				return c.importRemote(cmd, o, r)
			}
			if fi, err := os.Stat(args[0]); err != nil {
				return err
			} else if !fi.Mode().IsRegular() {
				return usagef("%s is not a regular file", args[0])
			}
			_, id, err := c.create(o)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Created image %s.\n", id)
			if err := c.uploadAndShow(cmd, id, args[0]); err != nil {
				return fmt.Errorf("%w\nimage %s was created but has no data: retry with 'ims image upload %s %s' or remove it with 'ims image delete %s'",
					err, id, id, args[0], id)
			}
			return nil
		},
	}
	o.register(cmd)
	r.register(cmd)
	return cmd
}

func newImageShowCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "show IMAGE_ID",
		Short:   "Show an image with all its attributes",
		Example: `  ims image show 8f1d1c4e-1c0e-4a8e-9d4a-3c2f0a7b6e21 -o json`,
		Args:    exactArgs(1, "IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkID("image", args[0]); err != nil {
				return err
			}
			raw, err := c.showImage(args[0])
			if err != nil {
				return err
			}
			return c.printImage(raw)
		},
	}
}

func newImageUpdateCmd(c *cli) *cobra.Command {
	var name, desc string
	var set, unset []string
	cmd := &cobra.Command{
		Use:   "update IMAGE_ID [--name N] [--description D] [--set key=value ...] [--unset key ...]",
		Short: "Change an active image's name, description or attributes",
		Long: `Updates an active image with UpdateImage (PATCH /v2/cloudimages/{id}): --name and
--description replace those, --set adds or replaces any updatable attribute (for
example min_ram, __support_kvm or a custom one, which must be lower case) and
--unset removes one.`,
		Example: `  ims image update IMAGE_ID --name web-v2 --description "patched 2024-06"
  ims image update IMAGE_ID --set min_ram=2048 --set owner_team=web --unset old_attr`,
		Args: exactArgs(1, "IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			ops := model.GetUpdateImageRequestBodyOpEnum()
			var body []model.UpdateImageRequestBody
			if cmd.Flags().Changed("name") {
				body = append(body, model.UpdateImageRequestBody{Op: ops.REPLACE, Path: "/name", Value: name})
			}
			if cmd.Flags().Changed("description") {
				body = append(body, model.UpdateImageRequestBody{Op: ops.REPLACE, Path: "/__description", Value: desc})
			}
			for _, s := range set {
				k, v, ok := strings.Cut(s, "=")
				k = strings.TrimPrefix(k, "/")
				if !ok || k == "" {
					return usagef("--set %q: use key=value", s)
				}
				body = append(body, model.UpdateImageRequestBody{Op: ops.ADD, Path: "/" + k, Value: v})
			}
			for _, k := range unset {
				k = strings.TrimPrefix(k, "/")
				if k == "" {
					return usagef("--unset needs an attribute name")
				}
				body = append(body, model.UpdateImageRequestBody{Op: ops.REMOVE, Path: "/" + k})
			}
			if len(body) == 0 {
				return usagef("nothing to update: give --name, --description, --set or --unset")
			}
			raw, err := c.call("update image "+id, func(cl *ims.ImsClient) (any, error) {
				return cl.UpdateImage(&model.UpdateImageRequest{ImageId: id, Body: &body})
			})
			if err != nil {
				return err
			}
			return c.printImage(raw)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "new name")
	f.StringVar(&desc, "description", "", "new description")
	f.StringArrayVar(&set, "set", nil, "attribute key=value to add or replace (repeatable)")
	f.StringArrayVar(&unset, "unset", nil, "attribute to remove (repeatable)")
	return cmd
}

func newImageDeleteCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:     "delete IMAGE_ID",
		Short:   "Delete an image",
		Example: `  ims image delete 8f1d1c4e-1c0e-4a8e-9d4a-3c2f0a7b6e21`,
		Args:    exactArgs(1, "IMAGE_ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			if _, err := c.call("delete image "+id, func(cl *ims.ImsClient) (any, error) {
				return cl.GlanceDeleteImage(&model.GlanceDeleteImageRequest{ImageId: id})
			}); err != nil {
				return err
			}
			if c.opts.output != "table" {
				return c.printValue(map[string]any{"image_id": id, "deleted": true})
			}
			fmt.Fprintf(c.stdout, "Deleted image %s.\n", id)
			return nil
		},
	}
}

func newImageDownloadCmd(c *cli) *cobra.Command {
	var resume bool
	cmd := &cobra.Command{
		Use:   "download IMAGE_ID FILE",
		Short: "Download an image's data into FILE",
		Long: `Downloads the image data (GET /v2/images/{id}/file) into FILE with progress. An
interrupted download keeps its partial file; --resume continues it from its current
size with a Range request (a complete file is left as is).`,
		Example: `  ims image download IMAGE_ID disk.qcow2
  ims image download IMAGE_ID disk.qcow2 --resume`,
		Args: exactArgs(2, "IMAGE_ID and FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if err := checkID("image", id); err != nil {
				return err
			}
			res, err := c.download(cmd.Context(), id, args[1], resume)
			if err != nil {
				return err
			}
			if c.opts.output != "table" {
				return c.printValue(res)
			}
			switch {
			case res.ResumedFrom > 0 && res.ResumedFrom == res.Bytes:
				fmt.Fprintf(c.stdout, "%s is already complete (%s).\n", res.File, humanBytes(res.Bytes))
			case res.ResumedFrom > 0:
				fmt.Fprintf(c.stdout, "Downloaded %s of image %s to %s (resumed at %s) in %.1fs.\n",
					humanBytes(res.Bytes-res.ResumedFrom), id, res.File, humanBytes(res.ResumedFrom), res.Seconds)
			default:
				fmt.Fprintf(c.stdout, "Downloaded %s of image %s to %s in %.1fs.\n", humanBytes(res.Bytes), id, res.File, res.Seconds)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&resume, "resume", false, "continue a partial FILE instead of starting over")
	return cmd
}
