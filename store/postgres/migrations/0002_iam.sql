-- Groups, memberships, custom policies and grants (imsd.IdentityQueries).
CREATE TABLE iam_groups (
	id          TEXT PRIMARY KEY,
	domain_id   TEXT NOT NULL REFERENCES domains (id),
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (domain_id, name)
);

CREATE TABLE iam_group_members (
	group_id TEXT NOT NULL REFERENCES iam_groups (id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON iam_group_members (user_id);

CREATE TABLE iam_policies (
	id          TEXT PRIMARY KEY,
	domain_id   TEXT NOT NULL REFERENCES domains (id),
	name        TEXT NOT NULL,
	description TEXT NOT NULL,
	type        TEXT NOT NULL,
	document    TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	updated_at  TIMESTAMPTZ NOT NULL,
	UNIQUE (domain_id, name)
);

-- policy_id may name a system policy, which is not stored: no foreign key.
CREATE TABLE iam_grants (
	domain_id  TEXT NOT NULL,
	group_id   TEXT NOT NULL REFERENCES iam_groups (id) ON DELETE CASCADE,
	policy_id  TEXT NOT NULL,
	scope      TEXT NOT NULL,
	scope_id   TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (group_id, policy_id, scope, scope_id)
);
CREATE INDEX grants_domain ON iam_grants (domain_id);
CREATE INDEX grants_policy ON iam_grants (policy_id);
