package sqldb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/imsd/imsd"
)

// sortColumns maps every ImageQuery.SortKey to its column. The column list
// is closed: a sort key is never spliced into SQL unchecked.
var sortColumns = map[string]string{
	"name":             "name",
	"container_format": "container_format",
	"disk_format":      "disk_format",
	"status":           "status",
	"id":               "id",
	"size":             "size",
	"created_at":       "created_at",
	"updated_at":       "updated_at",
}

// where collects AND-ed conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

// imageWhere translates the filters of iq (not its marker) into conditions
// on the alias i. An empty DomainID, used only by maintenance queries,
// selects images of every domain.
func (q *queries) imageWhere(iq imsd.ImageQuery) *where {
	w := &where{}
	q.visibleWhere(w, iq)
	for _, f := range []struct{ col, val string }{
		{"id", iq.ID},
		{"name", iq.Name},
		{"visibility", iq.Visibility},
		{"image_type", iq.ImageType},
		{"disk_format", iq.DiskFormat},
		{"container_format", iq.ContainerFormat},
		{"virtual_env_type", iq.VirtualEnvType},
		{"cmk_id", iq.CmkID},
	} {
		if f.val != "" {
			w.add("i."+f.col+" = ?", f.val)
		}
	}
	if len(iq.Statuses) == 0 {
		w.add("i.status <> ?", string(imsd.ImageDeleted))
	} else {
		args := make([]any, len(iq.Statuses))
		for n, s := range iq.Statuses {
			args[n] = string(s)
		}
		w.add("i.status IN ("+placeholders(len(args))+")", args...)
	}
	if iq.MinRAM != nil {
		w.add("i.min_ram = ?", *iq.MinRAM)
	}
	if iq.MinDisk != nil {
		w.add("i.min_disk = ?", *iq.MinDisk)
	}
	if iq.Protected != nil {
		w.add("i.protected = ?", *iq.Protected)
	}
	if iq.EnterpriseProjects != nil {
		if len(iq.EnterpriseProjects) == 0 {
			w.add("1 = 0")
		} else {
			args := make([]any, len(iq.EnterpriseProjects))
			for n, ep := range iq.EnterpriseProjects {
				args[n] = ep
			}
			w.add("i.enterprise_project_id IN ("+placeholders(len(args))+")", args...)
		}
	}
	keys := make([]string, 0, len(iq.Props))
	for k := range iq.Props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.add(q.d.JSONValue("i.props")+" = ?", k, iq.Props[k])
	}
	keys = keys[:0]
	for k := range iq.PropsNot {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		w.add("COALESCE("+q.d.JSONValue("i.props")+", '') <> ?", k, iq.PropsNot[k])
	}
	if iq.MissingChecksum {
		w.add("i.blob_digest <> '' AND i.checksum = ''")
	}
	if iq.Tag != "" {
		w.add(q.d.JSONArrayContains("i.tags"), iq.Tag)
	}
	q.timeWhere(w, "i.created_at", iq.CreatedAt)
	q.timeWhere(w, "i.updated_at", iq.UpdatedAt)
	return w
}

// visibleWhere adds the condition selecting whose images iq asks for: the
// images of DomainID and Owner (either may be empty: maintenance queries
// across domains), the images shared with SharedWith in one of
// MemberStatuses, or both.
func (q *queries) visibleWhere(w *where, iq imsd.ImageQuery) {
	var own []string
	var ownArgs []any
	if iq.DomainID != "" {
		own = append(own, "i.domain_id = ?")
		ownArgs = append(ownArgs, iq.DomainID)
	}
	if iq.Owner != "" {
		own = append(own, "i.owner = ?")
		ownArgs = append(ownArgs, iq.Owner)
	}
	if iq.SharedWith == "" {
		if len(own) > 0 {
			w.add(strings.Join(own, " AND "), ownArgs...)
		}
		return
	}
	shared := "i.id IN (SELECT m.image_id FROM image_members m WHERE m.member_id = ?"
	sharedArgs := []any{iq.SharedWith}
	if len(iq.MemberStatuses) > 0 {
		shared += " AND m.status IN (" + placeholders(len(iq.MemberStatuses)) + ")"
		for _, st := range iq.MemberStatuses {
			sharedArgs = append(sharedArgs, string(st))
		}
	}
	shared += ")"
	if iq.SharedOwner != "" {
		shared = "(" + shared + " AND i.owner = ?)"
		sharedArgs = append(sharedArgs, iq.SharedOwner)
	}
	if iq.OnlyShared || len(own) == 0 {
		w.add(shared, sharedArgs...)
		return
	}
	w.add("(("+strings.Join(own, " AND ")+") OR "+shared+")", append(ownArgs, sharedArgs...)...)
}

// timeWhere adds conditions with the semantics of imsd.TimeCondition.Match:
// both sides are compared truncated to the second, which on the stored
// value becomes a half-open range [lo, lo+1s).
func (q *queries) timeWhere(w *where, col string, conds []imsd.TimeCondition) {
	for _, c := range conds {
		lo := c.Time.Truncate(time.Second)
		hi := lo.Add(time.Second)
		switch c.Op {
		case "gt":
			w.add(col+" >= ?", q.t(hi))
		case "gte":
			w.add(col+" >= ?", q.t(lo))
		case "lt":
			w.add(col+" < ?", q.t(lo))
		case "lte":
			w.add(col+" < ?", q.t(hi))
		case "eq":
			w.add(col+" >= ? AND "+col+" < ?", q.t(lo), q.t(hi))
		case "neq":
			w.add("("+col+" < ? OR "+col+" >= ?)", q.t(lo), q.t(hi))
		default:
			w.add("1 = 0") // Match is false for an unknown operator.
		}
	}
}

// ImageList returns the images matching iq, ordered by its sort key and
// then by id, both in its direction, after its marker.
func (q *queries) ImageList(ctx context.Context, iq imsd.ImageQuery) ([]*imsd.Image, error) {
	key := iq.SortKey
	if key == "" {
		key = "created_at"
	}
	col, ok := sortColumns[key]
	if !ok {
		return nil, fmt.Errorf("%s: list images: unknown sort key %q", q.d.Name, iq.SortKey)
	}
	dir, cmp := "DESC", "<"
	if iq.SortAsc {
		dir, cmp = "ASC", ">"
	}
	w := q.imageWhere(iq)
	if iq.Marker != "" {
		n, err := q.count(ctx, "image marker",
			`SELECT COUNT(*) FROM images WHERE id = ? AND (domain_id = ? OR ? = ''
		OR id IN (SELECT m.image_id FROM image_members m WHERE m.member_id = ? AND ? <> ''))`,
			iq.Marker, iq.DomainID, iq.DomainID, iq.SharedWith, iq.SharedWith)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("image marker %s: %w", iq.Marker, imsd.ErrNotFound)
		}
		// Keyset paging: everything strictly after the marker's (key, id).
		w.add(fmt.Sprintf("(i.%s, i.id) %s (SELECT m.%s, m.id FROM images m WHERE m.id = ?)", col, cmp, col),
			iq.Marker)
	}
	query := `SELECT ` + imageColsI + ` FROM images i WHERE ` + w.sql() +
		fmt.Sprintf(" ORDER BY i.%s %s, i.id %s", col, dir, dir)
	if iq.Limit > 0 {
		query += " LIMIT ?"
		w.args = append(w.args, iq.Limit)
	}
	imgs, err := getAll(ctx, q, scanImage, "list images", query, w.args...)
	if imgs == nil && err == nil {
		imgs = []*imsd.Image{}
	}
	return imgs, err
}

// ImageCount counts the images matching iq's filters.
func (q *queries) ImageCount(ctx context.Context, iq imsd.ImageQuery) (int, error) {
	w := q.imageWhere(iq)
	return q.count(ctx, "count images", `SELECT COUNT(*) FROM images i WHERE `+w.sql(), w.args...)
}

// placeholders returns n comma-separated placeholders.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
