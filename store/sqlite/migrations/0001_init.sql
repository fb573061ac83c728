-- Initial schema. Times are INTEGER microseconds since the Unix epoch (UTC);
-- booleans are INTEGER 0/1; tags and props are JSON in TEXT.

CREATE TABLE domains (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);

CREATE TABLE projects (
	id          TEXT PRIMARY KEY,
	domain_id   TEXT NOT NULL REFERENCES domains (id),
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	enabled     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	UNIQUE (domain_id, name)
);

CREATE TABLE users (
	id                  TEXT PRIMARY KEY,
	domain_id           TEXT NOT NULL REFERENCES domains (id),
	name                TEXT NOT NULL,
	password_hash       TEXT NOT NULL,
	enabled             INTEGER NOT NULL,
	is_root             INTEGER NOT NULL,
	description         TEXT NOT NULL,
	email               TEXT NOT NULL,
	password_changed_at INTEGER NOT NULL,
	created_at          INTEGER NOT NULL,
	UNIQUE (domain_id, name)
);

CREATE TABLE access_keys (
	access_key    TEXT PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	domain_id     TEXT NOT NULL,
	secret_sealed BLOB NOT NULL,
	status        TEXT NOT NULL,
	description   TEXT NOT NULL,
	created_at    INTEGER NOT NULL
);
CREATE INDEX access_keys_user_id ON access_keys (user_id);

CREATE TABLE enterprise_projects (
	id          TEXT PRIMARY KEY,
	domain_id   TEXT NOT NULL REFERENCES domains (id),
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	status      INTEGER NOT NULL,
	type        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX enterprise_projects_domain_id ON enterprise_projects (domain_id);

CREATE TABLE images (
	id                    TEXT PRIMARY KEY,
	domain_id             TEXT NOT NULL,
	owner                 TEXT NOT NULL,
	name                  TEXT NOT NULL,
	status                TEXT NOT NULL,
	visibility            TEXT NOT NULL,
	protected             INTEGER NOT NULL,
	image_type            TEXT NOT NULL,
	container_format      TEXT NOT NULL,
	disk_format           TEXT NOT NULL,
	min_disk              INTEGER NOT NULL,
	min_ram               INTEGER NOT NULL,
	description           TEXT NOT NULL,
	enterprise_project_id TEXT NOT NULL,
	virtual_env_type      TEXT NOT NULL,
	cmk_id                TEXT NOT NULL,
	whole_image           INTEGER NOT NULL,
	blob_digest           TEXT NOT NULL,
	size                  INTEGER NOT NULL,
	virtual_size          INTEGER NOT NULL,
	checksum              TEXT NOT NULL,
	tags                  TEXT NOT NULL,
	props                 TEXT NOT NULL,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL,
	active_at             INTEGER NOT NULL
);
CREATE INDEX images_domain_id_created_at ON images (domain_id, created_at);
CREATE INDEX images_owner ON images (owner);
CREATE INDEX images_blob_digest ON images (blob_digest);
CREATE INDEX images_name ON images (name);

CREATE TABLE jobs (
	id            TEXT PRIMARY KEY,
	type          TEXT NOT NULL,
	domain_id     TEXT NOT NULL,
	project_id    TEXT NOT NULL,
	status        TEXT NOT NULL,
	image_id      TEXT NOT NULL,
	image_name    TEXT NOT NULL,
	progress      REAL NOT NULL,
	current_task  TEXT NOT NULL,
	error_code    TEXT NOT NULL,
	fail_reason   TEXT NOT NULL,
	payload       BLOB NOT NULL,
	client_token  TEXT NOT NULL,
	attempts      INTEGER NOT NULL,
	lease_owner   TEXT NOT NULL,
	lease_expires INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	begin_time    INTEGER NOT NULL,
	end_time      INTEGER NOT NULL
);
CREATE INDEX jobs_status_created_at ON jobs (status, created_at);
CREATE INDEX jobs_project_id_client_token ON jobs (project_id, client_token) WHERE client_token <> '';
