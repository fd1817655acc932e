-- 001: co-ops, enrollment, devices and the per-co-op event log.

CREATE TABLE coops (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0   -- the co-op's event sequence: pull cursors count in it
) STRICT;

CREATE TABLE enrollment_tokens (
    token_hash     BLOB PRIMARY KEY,       -- SHA-256 of the one-time token
    coop_id        TEXT NOT NULL REFERENCES coops (id),
    party_id       TEXT NOT NULL,
    role           TEXT NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    used_by_device TEXT,
    used_at_ms     INTEGER
) STRICT;

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,
    coop_id         TEXT NOT NULL REFERENCES coops (id),
    party_id        TEXT NOT NULL,
    role            TEXT NOT NULL,
    credential_hash BLOB NOT NULL,         -- SHA-256 of the device credential
    enrolled_at_ms  INTEGER NOT NULL,
    last_seen_ms    INTEGER,
    revoked_at_ms   INTEGER
) STRICT;

-- Every event a co-op's devices pushed, in the order the server accepted them. `body` is the
-- event's wire encoding (version 1), so a pull page is assembled without re-encoding.
CREATE TABLE events (
    coop_id        TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    id             TEXT    NOT NULL,
    device_id      TEXT    NOT NULL,
    kind           TEXT    NOT NULL,
    lot_id         TEXT,
    hlc_wall       INTEGER NOT NULL,
    hlc_logical    INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    body           BLOB    NOT NULL,
    PRIMARY KEY (coop_id, seq),
    UNIQUE (coop_id, id)
) STRICT, WITHOUT ROWID;
