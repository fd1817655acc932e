-- 002: last-writer-wins registers for mutable metadata (lots, parties, trips).
--
-- A register holds the value of one field of one entity and the causal stamp of the update event
-- that set it; a newer stamp `(hlc_wall, hlc_logical, device_id, event_id)` replaces it, an older
-- one is ignored, so the result does not depend on the order updates arrive in.

CREATE TABLE registers (
    entity_kind TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    value       TEXT,                 -- NULL: the field was cleared
    hlc_wall    INTEGER NOT NULL,
    hlc_logical INTEGER NOT NULL,
    device_id   TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    PRIMARY KEY (entity_kind, entity_id, field)
) STRICT, WITHOUT ROWID;

-- Which entity each update event edits: to recompute an entity when one of its updates is voided.
CREATE TABLE update_targets (
    event_seq   INTEGER PRIMARY KEY REFERENCES events (seq),
    entity_kind TEXT    NOT NULL,
    entity_id   TEXT    NOT NULL
) STRICT;

CREATE INDEX update_targets_entity ON update_targets (entity_kind, entity_id);
