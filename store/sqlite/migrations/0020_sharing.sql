-- Image sharing (issue 13): the projects an image is shared with and their
-- answer. Numbered 0020 so it never collides with the migrations of
-- parallel work; migrations apply in name order and gaps are allowed.

CREATE TABLE image_members (
	image_id         TEXT NOT NULL,
	member_id        TEXT NOT NULL,
	member_domain_id TEXT NOT NULL,
	status           TEXT NOT NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	PRIMARY KEY (image_id, member_id)
);
CREATE INDEX image_members_member_id ON image_members (member_id, status);
