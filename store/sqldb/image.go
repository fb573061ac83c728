package sqldb

import (
	"context"
	"fmt"

	"github.com/imsd/imsd"
)

// Images. Tags are stored as a JSON array and Properties as a JSON object,
// both in TEXT columns; every other field has its own typed column.

const imageCols = `id, domain_id, owner, name, status, visibility, protected, image_type,
	container_format, disk_format, min_disk, min_ram, description, enterprise_project_id,
	virtual_env_type, cmk_id, whole_image, blob_digest, size, virtual_size, checksum,
	tags, props, created_at, updated_at, active_at, data_key, plain_digest`

// imageColsI is imageCols qualified by the alias i, for list queries.
const imageColsI = `i.id, i.domain_id, i.owner, i.name, i.status, i.visibility, i.protected, i.image_type,
	i.container_format, i.disk_format, i.min_disk, i.min_ram, i.description, i.enterprise_project_id,
	i.virtual_env_type, i.cmk_id, i.whole_image, i.blob_digest, i.size, i.virtual_size, i.checksum,
	i.tags, i.props, i.created_at, i.updated_at, i.active_at, i.data_key, i.plain_digest`

func scanImage(s scanner) (*imsd.Image, error) {
	var img imsd.Image
	err := s.Scan(&img.ID, &img.DomainID, &img.Owner, &img.Name, &img.Status, &img.Visibility,
		&img.Protected, &img.ImageType, &img.ContainerFormat, &img.DiskFormat, &img.MinDisk,
		&img.MinRAM, &img.Description, &img.EnterpriseProjectID, &img.VirtualEnvType, &img.CmkID,
		&img.WholeImage, &img.BlobDigest, &img.Size, &img.VirtualSize, &img.Checksum,
		jsonDst{&img.Tags}, jsonDst{&img.Properties},
		timeDst{&img.CreatedAt}, timeDst{&img.UpdatedAt}, timeDst{&img.ActiveAt}, &img.DataKey, &img.PlainDigest)
	if len(img.DataKey) == 0 {
		img.DataKey = nil
	}
	return &img, err
}

// imageArgs returns the values of every column of imageCols but id, in
// order.
func (q *queries) imageArgs(img *imsd.Image) ([]any, error) {
	tags, err := jsonTags(img.Tags)
	if err != nil {
		return nil, fmt.Errorf("image %s: encode tags: %w", img.ID, err)
	}
	props, err := jsonProps(img.Properties)
	if err != nil {
		return nil, fmt.Errorf("image %s: encode properties: %w", img.ID, err)
	}
	return []any{img.DomainID, img.Owner, img.Name, string(img.Status), img.Visibility, img.Protected,
		img.ImageType, img.ContainerFormat, img.DiskFormat, img.MinDisk, img.MinRAM,
		img.Description, img.EnterpriseProjectID, img.VirtualEnvType, img.CmkID, img.WholeImage,
		img.BlobDigest, img.Size, img.VirtualSize, img.Checksum, tags, props,
		q.t(img.CreatedAt), q.t(img.UpdatedAt), q.t(img.ActiveAt), bytesOrEmpty(img.DataKey), img.PlainDigest}, nil
}

// ImageInsert inserts an image; a duplicate id is ErrConflict.
func (q *queries) ImageInsert(ctx context.Context, img *imsd.Image) error {
	args, err := q.imageArgs(img)
	if err != nil {
		return err
	}
	return q.insert(ctx, "insert image "+img.ID,
		`INSERT INTO images (`+imageCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT DO NOTHING`,
		append([]any{img.ID}, args...)...)
}

// ImageGet returns the image with the id, whatever its domain or status.
func (q *queries) ImageGet(ctx context.Context, id string) (*imsd.Image, error) {
	return getOne(ctx, q, q.read, scanImage, "image "+id,
		`SELECT `+imageCols+` FROM images WHERE id = ?`, id)
}

// ImageUpdate replaces every stored field of the image but its id.
func (q *queries) ImageUpdate(ctx context.Context, img *imsd.Image) error {
	args, err := q.imageArgs(img)
	if err != nil {
		return err
	}
	return q.change(ctx, "update image "+img.ID,
		`UPDATE images SET domain_id = ?, owner = ?, name = ?, status = ?, visibility = ?, protected = ?,
	image_type = ?, container_format = ?, disk_format = ?, min_disk = ?, min_ram = ?, description = ?,
	enterprise_project_id = ?, virtual_env_type = ?, cmk_id = ?, whole_image = ?, blob_digest = ?,
	size = ?, virtual_size = ?, checksum = ?, tags = ?, props = ?, created_at = ?, updated_at = ?,
	active_at = ?, data_key = ?, plain_digest = ?
	WHERE id = ?`,
		append(args, img.ID)...)
}

// ImageDelete deletes the image row and its members (the projects it was
// shared with), in one transaction.
func (q *queries) ImageDelete(ctx context.Context, id string) error {
	return q.withTx(ctx, func(q *queries) error {
		if _, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM image_members WHERE image_id = ?`), id); err != nil {
			return q.mapErr("delete members of image "+id, err)
		}
		return q.change(ctx, "delete image "+id, `DELETE FROM images WHERE id = ?`, id)
	})
}

// ImageSetChecksum sets the checksum of the images of digest that have
// none, in one statement, so it never overwrites a concurrent change to
// another field.
func (q *queries) ImageSetChecksum(ctx context.Context, digest, checksum string) (int, error) {
	if digest == "" {
		return 0, nil
	}
	res, err := q.write.ExecContext(ctx, q.rebind(`UPDATE images SET checksum = ? WHERE blob_digest = ? AND checksum = ''`), checksum, digest)
	if err != nil {
		return 0, q.mapErr("set checksum", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, q.mapErr("set checksum", err)
	}
	return int(n), nil
}

// BlobRefCount counts the images of any domain and status whose blob is
// digest; the empty digest is referenced by nothing.
func (q *queries) BlobRefCount(ctx context.Context, digest string) (int, error) {
	if digest == "" {
		return 0, nil
	}
	return q.count(ctx, "count blob references", `SELECT COUNT(*) FROM images WHERE blob_digest = ?`, digest)
}
