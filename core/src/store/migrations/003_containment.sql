-- 003: box ↔ item aggregation, materialized for "what is in this container now" and for showing
-- a container's events on the units inside it (see docs/aggregation.md and store/containment.rs).

-- Every pack/unpack event (voided or not) with its causal stamp: to tell whether a newly arrived
-- one sorts before others already applied, and to find every code that was ever a container.
CREATE TABLE aggregations (
    event_seq   INTEGER PRIMARY KEY REFERENCES events (seq),
    parent      TEXT    NOT NULL,
    hlc_wall    INTEGER NOT NULL,
    hlc_logical INTEGER NOT NULL,
    device_id   TEXT    NOT NULL,
    event_id    TEXT    NOT NULL
) STRICT;

CREATE INDEX aggregations_parent ON aggregations (parent);
CREATE INDEX aggregations_order ON aggregations (hlc_wall, hlc_logical, device_id, event_id);

-- Which container each packed unit is in now: the fold's `containers`, kept up to date.
CREATE TABLE containment (
    child  TEXT NOT NULL PRIMARY KEY,
    parent TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX containment_parent ON containment (parent);

-- Events recorded on a container that concern a unit because it was inside at the time
-- (`via`: the container the event named). Kept apart from `event_codes`, which lists exactly
-- the codes an event names.
CREATE TABLE inherited_codes (
    code      TEXT    NOT NULL,
    event_seq INTEGER NOT NULL REFERENCES events (seq),
    via       TEXT    NOT NULL,
    PRIMARY KEY (code, event_seq)
) STRICT, WITHOUT ROWID;

-- Aggregation events stored before this migration: index them and have the store rebuild
-- containment when it next opens (the rules live in code, `fold::Containment`).
INSERT INTO aggregations (event_seq, parent, hlc_wall, hlc_logical, device_id, event_id)
    SELECT seq, json_extract(body, '$.kind.parent'), hlc_wall, hlc_logical, device_id, id
    FROM events WHERE kind = 'aggregation';
INSERT INTO settings (key, value) SELECT 'containment_dirty', '1' WHERE EXISTS (SELECT 1 FROM aggregations);
