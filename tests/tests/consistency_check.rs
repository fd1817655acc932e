//! The crash and volume tests are only as good as the checker they rely on: show it catches each
//! kind of damage it claims to.

use rusqlite::Connection;
use std::path::Path;

fn database_with_reports(path: &Path, reports: usize) {
    let mut session = fieldtrace_tests::farmer_session(path, "farmer-check").expect("open");
    for n in 0..reports {
        session.scan(&format!("CHK-{n}")).expect("scan");
        session.report_normal().expect("report");
    }
}

fn problems_after(damage: &str) -> Vec<String> {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("check.db");
    database_with_reports(&db, 3);
    assert!(fieldtrace_tests::check_consistency(&db).expect("check").problems.is_empty(), "healthy before damage");
    Connection::open(&db).expect("open").execute_batch(damage).expect("damage");
    fieldtrace_tests::check_consistency(&db).expect("check").problems
}

#[test]
fn a_local_event_without_its_outbox_row_is_reported() {
    let problems = problems_after("DELETE FROM outbox WHERE event_seq = (SELECT MIN(seq) FROM events);");
    assert!(problems.iter().any(|p| p.contains("outbox")), "{problems:?}");
}

#[test]
fn an_unindexed_code_is_reported() {
    let problems = problems_after("DELETE FROM event_codes WHERE event_seq = (SELECT MAX(seq) FROM events);");
    assert!(problems.iter().any(|p| p.contains("codes indexed")), "{problems:?}");
}

#[test]
fn a_garbled_body_is_reported() {
    let problems = problems_after("PRAGMA foreign_keys = OFF; UPDATE events SET body = '{' WHERE seq = 1;");
    assert!(problems.iter().any(|p| p.contains("does not decode")), "{problems:?}");
}

#[test]
fn a_clock_behind_the_newest_event_is_reported() {
    let problems = problems_after("UPDATE settings SET value = '0:0' WHERE key = 'hlc';");
    assert!(problems.iter().any(|p| p.contains("clock")), "{problems:?}");
}
