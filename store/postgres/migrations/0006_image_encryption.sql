-- Encrypted image data: the wrapped data key and the digest of the data as
-- clients read it (blob_digest is then the sealed blob's derived address).
ALTER TABLE images ADD COLUMN data_key BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE images ADD COLUMN plain_digest TEXT NOT NULL DEFAULT '';
