-- The audit trail (imsd.AuditQueries). domain_id is '' for requests that
-- could not be authenticated; no foreign keys, so deleting an account's
-- users keeps their history.
CREATE TABLE audit_events (
	id            TEXT PRIMARY KEY,
	at            INTEGER NOT NULL,
	request_id    TEXT NOT NULL,
	domain_id     TEXT NOT NULL,
	project_id    TEXT NOT NULL,
	user_id       TEXT NOT NULL,
	user_name     TEXT NOT NULL,
	access_key    TEXT NOT NULL,
	auth_method   TEXT NOT NULL,
	source_ip     TEXT NOT NULL,
	route         TEXT NOT NULL,
	method        TEXT NOT NULL,
	path          TEXT NOT NULL,
	action        TEXT NOT NULL,
	resource_type TEXT NOT NULL,
	resource_id   TEXT NOT NULL,
	decision      TEXT NOT NULL,
	status        INTEGER NOT NULL,
	code          TEXT NOT NULL
);
CREATE INDEX audit_events_domain_at ON audit_events (domain_id, at, id);
CREATE INDEX audit_events_at ON audit_events (at);
