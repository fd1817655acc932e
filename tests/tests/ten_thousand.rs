//! Volume: 10,000 one-tap reports, close, reopen: every report is there, the outbox holds each
//! exactly once, in the order they were made, and the clock order agrees.

use fieldtrace_core::model::EventId;
use fieldtrace_core::store::Origin;

const REPORTS: usize = 10_000;

#[test]
fn ten_thousand_reports_survive_close_and_reopen_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("farmer.db");
    let made: Vec<EventId> = {
        let mut session = fieldtrace_tests::farmer_session(&db, "farmer-volume").expect("open");
        (0..REPORTS)
            .map(|n| {
                session.scan(&format!("VOL-{n:05}")).expect("scan");
                session.report_normal().expect("report").event_id
            })
            .collect()
    };

    let session = fieldtrace_tests::farmer_session(&db, "farmer-volume").expect("reopen");
    let store = session.store();
    assert_eq!(store.event_count().expect("count"), REPORTS as u64);
    assert_eq!(session.pending_count().expect("pending"), REPORTS as u64);
    assert_eq!(session.today_count().expect("today"), REPORTS as u64);

    let outbox: Vec<_> = store.outbox_batch(REPORTS + 1, u64::MAX).expect("outbox");
    let queued: Vec<EventId> = outbox.iter().map(|entry| entry.event.id).collect();
    assert_eq!(queued, made, "outbox holds every report once, in the order made");
    assert!(outbox.windows(2).all(|w| w[0].event.hlc < w[1].event.hlc), "clock order matches");
    assert!(outbox.iter().all(|entry| entry.attempts == 0));

    let stored = store.all_events().expect("all");
    assert!(stored.iter().all(|s| s.origin == Origin::Local && s.voided_by.is_none()));
    let report = fieldtrace_tests::check_consistency(&db).expect("check");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!((report.ids.len(), report.outbox), (REPORTS, REPORTS));
}
