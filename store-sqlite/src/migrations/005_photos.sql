-- 005: photos. The bytes are files under the photo folder (`<db>-photos/`); these rows say which
-- co-op holds which photo, how far its upload got, and which events reference it.

-- One row per co-op and photo: a photo is visible to a co-op only once a device of that co-op
-- uploaded it completely (its SHA-256 verified), even if the same bytes came from another co-op.
CREATE TABLE photos (
    coop_id         TEXT    NOT NULL REFERENCES coops (id),
    sha256          TEXT    NOT NULL,   -- lowercase hex
    size            INTEGER NOT NULL,   -- as declared by the uploader, checked at completion
    received        INTEGER NOT NULL DEFAULT 0,
    uploader_device TEXT    NOT NULL,   -- the device that started the upload
    started_at_ms   INTEGER NOT NULL,
    completed_at_ms INTEGER,
    PRIMARY KEY (coop_id, sha256)
) STRICT, WITHOUT ROWID;

-- Photos named by pushed events. An upload is accepted only for a photo some event of the co-op
-- references, so photos arrive after their events and nobody stores unreferenced files here.
CREATE TABLE event_photos (
    coop_id  TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (coop_id, sha256, event_id)
) STRICT, WITHOUT ROWID;
