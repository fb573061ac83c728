-- Checkpoints of resumable jobs (a byte-moving copy's durable progress).
ALTER TABLE jobs ADD COLUMN checkpoint BYTEA NOT NULL DEFAULT ''::bytea;
