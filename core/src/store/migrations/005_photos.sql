-- 005: photos waiting for upload, and which local events reference them.
--
-- The photo bytes are files in the folder beside the database (`<db>-photos/<sha256>.jpg`); this
-- table is the upload queue. A photo is due only when an event referencing it has left the outbox
-- (the server has it), so events never wait for photos and the server never receives a photo
-- nobody refers to.

CREATE TABLE photo_uploads (
    sha256          TEXT    PRIMARY KEY,   -- lowercase hex of the JPEG bytes
    size            INTEGER NOT NULL,
    stored_at_ms    INTEGER NOT NULL,
    uploaded_at_ms  INTEGER,               -- set when the server confirmed the whole photo
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_ms INTEGER,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
) STRICT;

CREATE TABLE photo_refs (
    sha256    TEXT    NOT NULL,
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (sha256, event_seq)
) STRICT, WITHOUT ROWID;
