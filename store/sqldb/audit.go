package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/imsd/imsd"
)

// The audit trail.

const auditCols = `id, at, request_id, domain_id, project_id, user_id, user_name, access_key, auth_method, source_ip,
	route, method, path, action, resource_type, resource_id, decision, status, code`

func scanAudit(s scanner) (*imsd.AuditEvent, error) {
	var e imsd.AuditEvent
	err := s.Scan(&e.ID, timeDst{&e.Time}, &e.RequestID, &e.DomainID, &e.ProjectID, &e.UserID, &e.UserName, &e.AccessKey,
		&e.AuthMethod, &e.SourceIP, &e.Route, &e.Method, &e.Path, &e.Action, &e.ResourceType, &e.ResourceID,
		&e.Decision, &e.Status, &e.Code)
	return &e, err
}

// AuditInsert records an event; a duplicate id is ErrConflict.
func (q *queries) AuditInsert(ctx context.Context, e *imsd.AuditEvent) error {
	return q.insert(ctx, "insert audit event "+e.ID,
		`INSERT INTO audit_events (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ID, q.t(e.Time), e.RequestID, e.DomainID, e.ProjectID, e.UserID, e.UserName, e.AccessKey, e.AuthMethod, e.SourceIP,
		e.Route, e.Method, e.Path, e.Action, e.ResourceType, e.ResourceID, e.Decision, e.Status, e.Code)
}

// AuditList returns the events of aq.DomainID matching aq, newest first,
// after aq.Marker (keyset paging on (at, id)).
func (q *queries) AuditList(ctx context.Context, aq imsd.AuditQuery) ([]*imsd.AuditEvent, error) {
	w := &where{}
	w.add("domain_id = ?", aq.DomainID)
	if !aq.From.IsZero() {
		w.add("at >= ?", q.t(aq.From))
	}
	if !aq.To.IsZero() {
		w.add("at < ?", q.t(aq.To))
	}
	for _, f := range []struct{ col, val string }{
		{"user_id", aq.UserID}, {"resource_id", aq.ResourceID}, {"decision", aq.Decision}, {"route", aq.Route},
	} {
		if f.val != "" {
			w.add(f.col+" = ?", f.val)
		}
	}
	if aq.Marker != "" {
		m, err := getOne(ctx, q, q.read, scanAudit, "audit marker "+aq.Marker,
			`SELECT `+auditCols+` FROM audit_events WHERE id = ? AND domain_id = ?`, aq.Marker, aq.DomainID)
		if err != nil {
			return nil, err
		}
		w.add("(at < ? OR (at = ? AND id < ?))", q.t(m.Time), q.t(m.Time), m.ID)
	}
	query := `SELECT ` + auditCols + ` FROM audit_events WHERE ` + w.sql() + ` ORDER BY at DESC, id DESC`
	if aq.Limit > 0 {
		query += ` LIMIT ` + strconv.Itoa(aq.Limit)
	}
	return getAll(ctx, q, scanAudit, "list audit events", query, w.args...)
}

// AuditPrune deletes the events older than before.
func (q *queries) AuditPrune(ctx context.Context, before time.Time) (int, error) {
	res, err := q.write.ExecContext(ctx, q.rebind(`DELETE FROM audit_events WHERE at < ?`), q.t(before))
	if err != nil {
		return 0, q.mapErr("prune audit events", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	return int(n), nil
}
