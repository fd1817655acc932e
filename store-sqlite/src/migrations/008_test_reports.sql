-- 006: laboratory test reports on lots (docs/test-reports.md), entered by a co-op manager and
-- shown on the consumer trace page. One row per co-op and report number; the results are the
-- report's canonical JSON, compared byte for byte so that entering the same report again is a
-- no-op and a different report under a used number is refused.
CREATE TABLE test_reports (
    coop_id       TEXT    NOT NULL REFERENCES coops (id),
    report_no     TEXT    NOT NULL,
    lot_id        TEXT    NOT NULL,
    issued_on     TEXT    NOT NULL,   -- YYYY-MM-DD, for ordering
    body          TEXT    NOT NULL,   -- the whole report as JSON (fieldtrace_core::test_report)
    entered_by    TEXT    NOT NULL,   -- "cli" or the manager device's id
    entered_at_ms INTEGER NOT NULL,
    PRIMARY KEY (coop_id, report_no)
) STRICT, WITHOUT ROWID;

CREATE INDEX test_reports_by_lot ON test_reports (coop_id, lot_id, issued_on);
