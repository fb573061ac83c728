-- Checkpoints of resumable jobs (a byte-moving copy's durable progress).
ALTER TABLE jobs ADD COLUMN checkpoint BLOB NOT NULL DEFAULT x'';
