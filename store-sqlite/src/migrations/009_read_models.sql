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
