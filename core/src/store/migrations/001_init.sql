-- 001: events, outbox, catalog cache and device settings.
--
-- `events.body` (JSON) is the source of truth for an event; the other columns are copies made at
-- insert time for lookups and folds. Events are never updated or deleted.

CREATE TABLE events (
    seq            INTEGER PRIMARY KEY,   -- local arrival order
    id             TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    step           TEXT,
    disposition    TEXT CHECK (disposition IN ('normal', 'abnormal')),
    reason         TEXT,
    lot_id         TEXT,
    actor_party    TEXT    NOT NULL,
    actor_role     TEXT    NOT NULL,
    recorder_party TEXT    NOT NULL,
    device_id      TEXT    NOT NULL,
    hlc_wall       INTEGER NOT NULL,
    hlc_logical    INTEGER NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    voids          TEXT,                  -- for corrections: the id of the voided event
    origin         TEXT    NOT NULL CHECK (origin IN ('local', 'remote')),
    body           TEXT    NOT NULL
) STRICT;

CREATE INDEX events_voids ON events (voids) WHERE voids IS NOT NULL;
CREATE INDEX events_lot ON events (lot_id, hlc_wall, hlc_logical) WHERE lot_id IS NOT NULL;
CREATE INDEX events_recorder_time ON events (recorder_party, recorded_at_ms);

-- Which events concern a code: the lookup behind every scan.
CREATE TABLE event_codes (
    code      TEXT    NOT NULL,
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (code, event_seq)
) STRICT, WITHOUT ROWID;

-- Local events not yet acknowledged by the server. A row is removed only when the server has
-- accepted the event (or already knew it); failures are counted and keep their reason.
CREATE TABLE outbox (
    event_seq       INTEGER PRIMARY KEY REFERENCES events (seq),
    enqueued_at_ms  INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_ms INTEGER,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
) STRICT;

CREATE TABLE parties (
    id     TEXT PRIMARY KEY,
    kind   TEXT NOT NULL,
    name   TEXT NOT NULL,
    region TEXT
) STRICT;

CREATE TABLE lots (
    id           TEXT PRIMARY KEY,
    product      TEXT NOT NULL,
    variety      TEXT,
    farm_id      TEXT NOT NULL,
    plot         TEXT,
    harvest_date TEXT,   -- ISO 8601 date
    grade        TEXT
) STRICT;

CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    level       TEXT NOT NULL CHECK (level IN ('item', 'box', 'pallet')),
    lot_id      TEXT,
    parent_code TEXT
) STRICT;

CREATE INDEX units_parent ON units (parent_code) WHERE parent_code IS NOT NULL;
CREATE INDEX units_lot ON units (lot_id) WHERE lot_id IS NOT NULL;

-- Device identity, persisted clock and sync cursor.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
