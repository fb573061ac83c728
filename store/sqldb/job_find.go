package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/imsd/imsd"
)

// JobFind returns the jobs jq selects, ordered by creation time and id
// (newest first unless SortAsc), with keyset paging after the marker.
func (q *queries) JobFind(ctx context.Context, jq imsd.JobQuery) ([]*imsd.Job, error) {
	w := &where{conds: []string{"1 = 1"}}
	if jq.DomainID != "" {
		w.add("j.domain_id = ?", jq.DomainID)
	}
	if jq.ProjectID != "" {
		w.add("j.project_id = ?", jq.ProjectID)
	}
	if jq.ImageID != "" {
		w.add("j.image_id = ?", jq.ImageID)
	}
	if len(jq.Types) > 0 {
		args := make([]any, len(jq.Types))
		for n, t := range jq.Types {
			args[n] = t
		}
		w.add("j.type IN ("+placeholders(len(args))+")", args...)
	}
	if len(jq.Statuses) > 0 {
		args := make([]any, len(jq.Statuses))
		for n, st := range jq.Statuses {
			args[n] = string(st)
		}
		w.add("j.status IN ("+placeholders(len(args))+")", args...)
	}
	dir, cmp := "DESC", "<"
	if jq.SortAsc {
		dir, cmp = "ASC", ">"
	}
	if jq.Marker != "" {
		n, err := q.count(ctx, "job marker", `SELECT COUNT(*) FROM jobs j WHERE j.id = ? AND `+w.sql(), append([]any{jq.Marker}, w.args...)...)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("job marker %s: %w", jq.Marker, imsd.ErrNotFound)
		}
		w.add(fmt.Sprintf("(j.created_at, j.id) %s (SELECT m.created_at, m.id FROM jobs m WHERE m.id = ?)", cmp), jq.Marker)
	}
	query := `SELECT ` + jobColsJ + ` FROM jobs j WHERE ` + w.sql() + fmt.Sprintf(" ORDER BY j.created_at %s, j.id %s", dir, dir)
	if jq.Limit > 0 {
		query += " LIMIT ?"
		w.args = append(w.args, jq.Limit)
	}
	jobs, err := getAll(ctx, q, scanJob, "find jobs", query, w.args...)
	if jobs == nil && err == nil {
		jobs = []*imsd.Job{}
	}
	return jobs, err
}

// jobColsJ is jobCols qualified by the alias j (derived, so the two never
// drift apart).
var jobColsJ = qualifyCols(jobCols, "j")

// qualifyCols prefixes each column of a comma-separated list with alias.
func qualifyCols(cols, alias string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
