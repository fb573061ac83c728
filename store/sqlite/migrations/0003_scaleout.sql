-- Scale-out support (compatible with older nodes: new tables only).
-- blob_pins: blobs committed but possibly not yet referenced by an image;
-- garbage collection spares them (see imsd.Store.LockBlobsShared).
-- settings: server-wide values, such as the master-key check.

CREATE TABLE blob_pins (
	digest    TEXT PRIMARY KEY,
	pinned_at INTEGER NOT NULL
);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
