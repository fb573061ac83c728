-- The key service (imsd.KeyQueries): customer master keys and aliases.
CREATE TABLE kms_keys (
	id                    TEXT COLLATE "C" PRIMARY KEY,
	domain_id             TEXT NOT NULL REFERENCES domains (id),
	project_id            TEXT COLLATE "C" NOT NULL,
	alias                 TEXT COLLATE "C" NOT NULL,
	description           TEXT NOT NULL,
	state                 TEXT NOT NULL,
	enterprise_project_id TEXT NOT NULL,
	provider              TEXT NOT NULL,
	material              BYTEA NOT NULL,
	created_at            TIMESTAMPTZ NOT NULL,
	updated_at            TIMESTAMPTZ NOT NULL,
	deletion_date         TIMESTAMPTZ NOT NULL,
	UNIQUE (project_id, alias)
);
CREATE INDEX kms_keys_state_deletion ON kms_keys (state, deletion_date);

CREATE TABLE kms_aliases (
	project_id TEXT COLLATE "C" NOT NULL,
	alias      TEXT COLLATE "C" NOT NULL,
	domain_id  TEXT NOT NULL,
	key_id     TEXT NOT NULL REFERENCES kms_keys (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (project_id, alias)
);
CREATE INDEX kms_aliases_key ON kms_aliases (key_id);

CREATE INDEX images_cmk_id ON images (cmk_id) WHERE cmk_id <> '';
