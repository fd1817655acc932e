-- 009: persisted read models (issue 16). Two layers:
--
-- Look-up indexes written in the push transaction itself, pure functions of the stored events
-- (insert-only, so re-running them is harmless): which container a code was ever packed into,
-- which corrections name an event, which updates name an entity. With `event_codes` (002) they
-- find every event that can concern a unit without reading the co-op's log.
--
-- Projections written by the server's ordered projector (`fieldtrace_server::projection`), which
-- records how far it got in `projection_checkpoints` in the same transaction as the rows: a crash
-- leaves them at the last checkpoint and the projector catches up from there.

CREATE TABLE containment_edges (
    coop_id TEXT NOT NULL,
    child   TEXT NOT NULL,
    parent  TEXT NOT NULL,
    PRIMARY KEY (coop_id, child, parent)
) STRICT, WITHOUT ROWID;
CREATE INDEX containment_edges_by_parent ON containment_edges (coop_id, parent, child);

CREATE TABLE correction_targets (
    coop_id TEXT    NOT NULL,
    target  TEXT    NOT NULL,      -- the voided event's id
    seq     INTEGER NOT NULL,      -- the correction's
    PRIMARY KEY (coop_id, target, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE entity_updates (
    coop_id TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    entity  TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (coop_id, kind, entity, seq)
) STRICT, WITHOUT ROWID;

-- Which events each party recorded on each piece day (`fieldtrace_core::pieces::piece_day`).
CREATE TABLE recorded_on (
    coop_id TEXT    NOT NULL,
    party   TEXT    NOT NULL,
    day     TEXT    NOT NULL,      -- YYYY-MM-DD
    seq     INTEGER NOT NULL,
    PRIMARY KEY (coop_id, party, day, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE projection_checkpoints (
    coop_id TEXT PRIMARY KEY,
    seq     INTEGER NOT NULL       -- every event up to this sequence number is projected
) STRICT;

-- The fold's per-unit state (`fieldtrace_core::fold::UnitState`) and the container it is in now.
CREATE TABLE units (
    coop_id          TEXT    NOT NULL,
    code             TEXT    NOT NULL,
    lot              TEXT,
    last_step        TEXT,
    last_status      TEXT,     -- 'normal' / 'abnormal'
    last_reason      TEXT,
    events           INTEGER NOT NULL,
    via_container    INTEGER NOT NULL,
    abnormal_reports INTEGER NOT NULL,
    last_event       TEXT,
    parent           TEXT,
    PRIMARY KEY (coop_id, code)
) STRICT, WITHOUT ROWID;
CREATE INDEX units_by_lot ON units (coop_id, lot, code) WHERE lot IS NOT NULL;

-- Per lot: units seen, units with an abnormal report, and how many units are at each step.
CREATE TABLE lot_stats (
    coop_id        TEXT    NOT NULL,
    lot            TEXT    NOT NULL,
    units          INTEGER NOT NULL,
    abnormal_units INTEGER NOT NULL,
    PRIMARY KEY (coop_id, lot)
) STRICT, WITHOUT ROWID;

CREATE TABLE lot_steps (
    coop_id TEXT    NOT NULL,
    lot     TEXT    NOT NULL,
    step    TEXT    NOT NULL,
    units   INTEGER NOT NULL,
    PRIMARY KEY (coop_id, lot, step)
) STRICT, WITHOUT ROWID;

-- Last-writer-wins registers of lots, parties, trips and loggers.
CREATE TABLE registers (
    coop_id TEXT NOT NULL,
    kind    TEXT NOT NULL,
    entity  TEXT NOT NULL,
    field   TEXT NOT NULL,
    value   TEXT,
    set_by  TEXT NOT NULL,
    PRIMARY KEY (coop_id, kind, entity, field)
) STRICT, WITHOUT ROWID;
-- Published photos are found by the register naming them.
CREATE INDEX registers_by_photo ON registers (coop_id, value) WHERE field = 'photo';
-- The near-expiry check finds lots by date (`YYYY-MM-DD` sorts as text).
CREATE INDEX registers_by_expiry ON registers (coop_id, value) WHERE field = 'expiry_date';
-- A lot's page and export read the events filed under it.
CREATE INDEX events_by_lot ON events (coop_id, lot_id) WHERE lot_id IS NOT NULL;

-- Loss analytics (`fieldtrace_server::analytics`): each unit's loss history, and counters by first
-- day, lot, dimension ('all', 'stage', 'driver') and key that the loss page sums, filtered by day.
CREATE TABLE unit_losses (
    coop_id   TEXT NOT NULL,
    code      TEXT NOT NULL,
    lot       TEXT,
    first_day TEXT NOT NULL,
    stages    TEXT NOT NULL,     -- JSON: stage key -> found abnormal
    drivers   TEXT NOT NULL,     -- JSON: driver party -> found abnormal
    PRIMARY KEY (coop_id, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE loss_counts (
    coop_id   TEXT    NOT NULL,
    day       TEXT    NOT NULL,
    lot       TEXT    NOT NULL,  -- '' for units without a lot
    dimension TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    units     INTEGER NOT NULL,
    abnormal  INTEGER NOT NULL,
    PRIMARY KEY (coop_id, day, lot, dimension, key)
) STRICT, WITHOUT ROWID;

-- Village assistants' pieces (paid per record) per party and day, as `fieldtrace_core::pieces`
-- counts them.
CREATE TABLE piece_days (
    coop_id TEXT    NOT NULL,
    party   TEXT    NOT NULL,
    day     TEXT    NOT NULL,
    pieces  INTEGER NOT NULL,
    PRIMARY KEY (coop_id, party, day)
) STRICT, WITHOUT ROWID;

-- Each lot's history in causal order (hybrid clock, then seq): events filed under the lot and
-- those in its units' histories, with how many of its units each concerned and the page sections
-- it belongs to (marks: 1 abnormal, 2 chart, 4 farming, 8 handover). Kept exact by the projector
-- (`fieldtrace_server::projection::history`); pages and exports read it a page at a time.
CREATE TABLE lot_history (
    coop_id TEXT    NOT NULL,
    lot     TEXT    NOT NULL,
    wall_ms INTEGER NOT NULL,
    logical INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    marks   INTEGER NOT NULL,
    units   INTEGER NOT NULL,
    filed   INTEGER NOT NULL,
    PRIMARY KEY (coop_id, lot, wall_ms, logical, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX lot_history_abnormal ON lot_history (coop_id, lot, wall_ms, logical, seq) WHERE marks & 1;
CREATE INDEX lot_history_chart ON lot_history (coop_id, lot, wall_ms, logical, seq) WHERE marks & 2;
CREATE INDEX lot_history_farming ON lot_history (coop_id, lot, wall_ms, logical, seq) WHERE marks & 4;
CREATE INDEX lot_history_handover ON lot_history (coop_id, lot, wall_ms, logical, seq) WHERE marks & 8;

-- The open-alert count on every dashboard page counts index entries only, not alert rows.
CREATE INDEX alerts_open ON alerts (coop_id) WHERE acked_at_ms IS NULL;

-- The alerts page lists each alert's notifications (a scan of every notification before).
CREATE INDEX alert_notifications_by_alert ON alert_notifications (alert_id, id);
