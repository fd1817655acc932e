-- 002: the consumer trace page. `event_codes` finds a code's co-op and events without decoding a
-- co-op's whole log; `trace_scans` remembers every look-up of a code (anti-counterfeit: a code
-- seen many times, or in many places, is suspicious). Events stored before this migration are
-- indexed once by `SqliteStorage::open` (see `backfill_event_codes`).

CREATE TABLE event_codes (
    code    TEXT    NOT NULL,
    coop_id TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (code, coop_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE trace_scans (
    code    TEXT    NOT NULL,
    coop_id TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL,
    place   TEXT                       -- as the front proxy reported it (a city), when it did
) STRICT;
CREATE INDEX trace_scans_by_code ON trace_scans (code, at_ms);
