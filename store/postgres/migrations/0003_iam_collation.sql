-- 0002 created the IAM tables without the "C" collation 0001 gives every
-- text column that is sorted or compared in key order, so under a database
-- whose default collation is not C, groups, policies and grants were listed
-- in a different order than on SQLite. Byte order everywhere, as in 0001.

ALTER TABLE iam_groups
	ALTER COLUMN id TYPE TEXT COLLATE "C",
	ALTER COLUMN name TYPE TEXT COLLATE "C";

ALTER TABLE iam_policies
	ALTER COLUMN id TYPE TEXT COLLATE "C",
	ALTER COLUMN name TYPE TEXT COLLATE "C";

ALTER TABLE iam_grants
	ALTER COLUMN group_id TYPE TEXT COLLATE "C",
	ALTER COLUMN policy_id TYPE TEXT COLLATE "C",
	ALTER COLUMN scope TYPE TEXT COLLATE "C",
	ALTER COLUMN scope_id TYPE TEXT COLLATE "C";
