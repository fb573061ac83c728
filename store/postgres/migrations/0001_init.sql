-- Initial schema. Times are timestamptz (microseconds, UTC); tags and props
-- are JSON in TEXT. Text columns that are sorted or compared in key order
-- use the "C" collation so every backend orders them by bytes.

CREATE TABLE domains (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name       TEXT COLLATE "C" NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE projects (
	id          TEXT COLLATE "C" PRIMARY KEY,
	domain_id   TEXT NOT NULL REFERENCES domains (id),
	name        TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL,
	enabled     BOOLEAN NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (domain_id, name)
);

CREATE TABLE users (
	id                  TEXT COLLATE "C" PRIMARY KEY,
	domain_id           TEXT NOT NULL REFERENCES domains (id),
	name                TEXT COLLATE "C" NOT NULL,
	password_hash       TEXT NOT NULL,
	enabled             BOOLEAN NOT NULL,
	is_root             BOOLEAN NOT NULL,
	description         TEXT NOT NULL,
	email               TEXT NOT NULL,
	password_changed_at TIMESTAMPTZ NOT NULL,
	created_at          TIMESTAMPTZ NOT NULL,
	UNIQUE (domain_id, name)
);

CREATE TABLE access_keys (
	access_key    TEXT COLLATE "C" PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	domain_id     TEXT NOT NULL,
	secret_sealed BYTEA NOT NULL,
	status        TEXT NOT NULL,
	description   TEXT NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX access_keys_user_id ON access_keys (user_id);

CREATE TABLE enterprise_projects (
	id          TEXT COLLATE "C" PRIMARY KEY,
	domain_id   TEXT NOT NULL REFERENCES domains (id),
	name        TEXT COLLATE "C" NOT NULL,
	description TEXT NOT NULL,
	status      INTEGER NOT NULL,
	type        TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX enterprise_projects_domain_id ON enterprise_projects (domain_id);

CREATE TABLE images (
	id                    TEXT COLLATE "C" PRIMARY KEY,
	domain_id             TEXT NOT NULL,
	owner                 TEXT NOT NULL,
	name                  TEXT COLLATE "C" NOT NULL,
	status                TEXT COLLATE "C" NOT NULL,
	visibility            TEXT NOT NULL,
	protected             BOOLEAN NOT NULL,
	image_type            TEXT NOT NULL,
	container_format      TEXT COLLATE "C" NOT NULL,
	disk_format           TEXT COLLATE "C" NOT NULL,
	min_disk              INTEGER NOT NULL,
	min_ram               INTEGER NOT NULL,
	description           TEXT NOT NULL,
	enterprise_project_id TEXT NOT NULL,
	virtual_env_type      TEXT NOT NULL,
	cmk_id                TEXT NOT NULL,
	whole_image           BOOLEAN NOT NULL,
	blob_digest           TEXT NOT NULL,
	size                  BIGINT NOT NULL,
	virtual_size          BIGINT NOT NULL,
	checksum              TEXT NOT NULL,
	tags                  TEXT NOT NULL,
	props                 TEXT NOT NULL,
	created_at            TIMESTAMPTZ NOT NULL,
	updated_at            TIMESTAMPTZ NOT NULL,
	active_at             TIMESTAMPTZ NOT NULL
);
CREATE INDEX images_domain_id_created_at ON images (domain_id, created_at);
CREATE INDEX images_owner ON images (owner);
CREATE INDEX images_blob_digest ON images (blob_digest);
CREATE INDEX images_name ON images (name);

CREATE TABLE jobs (
	id            TEXT COLLATE "C" PRIMARY KEY,
	type          TEXT NOT NULL,
	domain_id     TEXT NOT NULL,
	project_id    TEXT NOT NULL,
	status        TEXT NOT NULL,
	image_id      TEXT NOT NULL,
	image_name    TEXT NOT NULL,
	progress      DOUBLE PRECISION NOT NULL,
	current_task  TEXT NOT NULL,
	error_code    TEXT NOT NULL,
	fail_reason   TEXT NOT NULL,
	payload       BYTEA NOT NULL,
	client_token  TEXT NOT NULL,
	attempts      INTEGER NOT NULL,
	lease_owner   TEXT NOT NULL,
	lease_expires TIMESTAMPTZ NOT NULL,
	created_at    TIMESTAMPTZ NOT NULL,
	begin_time    TIMESTAMPTZ NOT NULL,
	end_time      TIMESTAMPTZ NOT NULL
);
CREATE INDEX jobs_status_created_at ON jobs (status, created_at);
CREATE INDEX jobs_project_id_client_token ON jobs (project_id, client_token) WHERE client_token <> '';
