-- 006: alerts (docs/alerts.md). Rules run in a background task after pushes and trace-page scans;
-- what they find is persisted here before anything is sent, so a restart loses nothing: the
-- cursors say which events and scans were evaluated, `alert_notifications` is the outbox.

CREATE TABLE alert_settings (
    coop_id           TEXT    PRIMARY KEY REFERENCES coops (id),
    webhook_url       TEXT,
    sms_gateway_url   TEXT,
    sms_token         TEXT,
    excursion_minutes INTEGER NOT NULL DEFAULT 30,
    max_per_hour      INTEGER NOT NULL DEFAULT 20    -- notifications per recipient per hour
) STRICT;

-- Events (by seq) and trace scans (by rowid) already evaluated, per co-op. Databases upgraded to
-- this migration start at what they hold, so history is not announced as news.
CREATE TABLE alert_cursors (
    coop_id    TEXT    PRIMARY KEY REFERENCES coops (id),
    event_seq  INTEGER NOT NULL,
    scan_rowid INTEGER NOT NULL
) STRICT;
INSERT INTO alert_cursors (coop_id, event_seq, scan_rowid)
    SELECT id, last_seq, (SELECT coalesce(max(rowid), 0) FROM trace_scans) FROM coops;

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    coop_id         TEXT    NOT NULL REFERENCES coops (id),
    kind            TEXT    NOT NULL,               -- abnormal, excursion, near_expiry, diversion
    subject         TEXT    NOT NULL,               -- what it is about; one alert per (kind, subject)
    lot_id          TEXT,
    code            TEXT,
    text_zh         TEXT    NOT NULL,
    text_en         TEXT    NOT NULL,
    recipients      TEXT    NOT NULL,               -- party ids, space-separated
    created_at_ms   INTEGER NOT NULL,
    acked_at_ms     INTEGER,
    acked_by        TEXT,
    UNIQUE (coop_id, kind, subject)
) STRICT;
CREATE INDEX alerts_by_time ON alerts (coop_id, created_at_ms);

CREATE TABLE alert_notifications (
    id               INTEGER PRIMARY KEY,
    alert_id         INTEGER NOT NULL REFERENCES alerts (id),
    coop_id          TEXT    NOT NULL,
    channel          TEXT    NOT NULL,              -- webhook, sms
    recipient        TEXT    NOT NULL,              -- party id, or `coop` for the co-op's webhook
    address          TEXT    NOT NULL,              -- phone number; the webhook is read at send time
    status           TEXT    NOT NULL,              -- pending, delivered, failed, rate_limited, not_configured
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at_ms    INTEGER NOT NULL,
    next_attempt_ms  INTEGER NOT NULL,
    last_error       TEXT,
    done_at_ms       INTEGER
) STRICT;
CREATE INDEX alert_notifications_due ON alert_notifications (status, next_attempt_ms);
CREATE INDEX alert_notifications_by_address ON alert_notifications (coop_id, channel, address, created_at_ms);
