//! Test reports in SQLite (migration 008): one JSON body per co-op and report number.

use crate::SqliteStorage;
use fieldtrace_core::test_report::TestReport;
use fieldtrace_server_store::ReportStore;
use fieldtrace_server_store::{ReportOutcome, StorageError, StorageResult};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub(super) fn put(
    conn: &mut Connection,
    coop: &str,
    report: &TestReport,
    entered_by: &str,
    now_ms: i64,
) -> StorageResult<ReportOutcome> {
    let body = serde_json::to_string(report).map_err(|e| StorageError::Backend(format!("encoding a report: {e}")))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let known: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM coops WHERE id = ?1)", [coop], |r| r.get(0))?;
    if !known {
        return Err(StorageError::UnknownCoop(coop.to_owned()));
    }
    let existing: Option<String> = tx
        .query_row(
            "SELECT body FROM test_reports WHERE coop_id = ?1 AND report_no = ?2",
            params![coop, report.report_no],
            |row| row.get(0),
        )
        .optional()?;
    let outcome = match existing {
        Some(stored) if stored == body => ReportOutcome::Unchanged,
        Some(_) => ReportOutcome::Conflict,
        None => {
            tx.execute(
                "INSERT INTO test_reports (coop_id, report_no, lot_id, issued_on, body, entered_by, entered_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![coop, report.report_no, report.lot, report.issued_on.to_string(), body, entered_by, now_ms],
            )?;
            ReportOutcome::Stored
        }
    };
    tx.commit()?;
    Ok(outcome)
}

/// The lot's reports, newest issue first.
pub(super) fn of_lot(conn: &Connection, coop: &str, lot: &str) -> StorageResult<Vec<TestReport>> {
    let mut stmt = conn.prepare_cached(
        "SELECT report_no, body FROM test_reports WHERE coop_id = ?1 AND lot_id = ?2
         ORDER BY issued_on DESC, report_no",
    )?;
    let rows = stmt.query_map(params![coop, lot], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
    let mut reports = Vec::new();
    for row in rows {
        let (number, body) = row?;
        let report = serde_json::from_str(&body)
            .map_err(|e| StorageError::Backend(format!("stored report {coop}/{number} does not read: {e}")))?;
        reports.push(report);
    }
    Ok(reports)
}

impl ReportStore for SqliteStorage {
    async fn put_test_report(
        &self,
        coop: &str,
        report: fieldtrace_core::test_report::TestReport,
        entered_by: &str,
        now_ms: i64,
    ) -> StorageResult<ReportOutcome> {
        let (coop, entered_by) = (coop.to_owned(), entered_by.to_owned());
        self.run(move |conn| crate::reports::put(conn, &coop, &report, &entered_by, now_ms)).await
    }

    async fn test_reports(
        &self,
        coop: &str,
        lot: &str,
    ) -> StorageResult<Vec<fieldtrace_core::test_report::TestReport>> {
        let (coop, lot) = (coop.to_owned(), lot.to_owned());
        self.read(move |conn| crate::reports::of_lot(conn, &coop, &lot)).await
    }
}
