-- 004: which trip each trip event (load, departure, delivery) belongs to, so a driver's loading
-- screen can be rebuilt from the store after a restart or after another phone's scans sync in.

CREATE TABLE trip_events (
    event_seq INTEGER PRIMARY KEY REFERENCES events (seq),
    trip      TEXT    NOT NULL
) STRICT;

CREATE INDEX trip_events_trip ON trip_events (trip);
