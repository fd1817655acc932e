//! The per-co-op read-model cache (`state::ViewCache`): a push is in the very next view (also
//! under concurrent pushes and reads), co-ops never see each other's events, the least recently
//! used co-op is evicted beyond the limit, and a view built incrementally from any interleaving
//! of pushes and reads equals the uncached decode-and-fold of the whole log.

use chrono::{DateTime, Duration};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::fold::fold;
use fieldtrace_core::model::*;
use fieldtrace_server::state::{coop_events, coop_state, ViewCache, ViewCacheLimits};
use fieldtrace_server::storage::prelude::*;
use fieldtrace_store_sqlite::SqliteStorage;
use proptest::prelude::*;
use std::sync::Arc;

/// A harvest report (or, with `voids`, a correction) on crate `n`, at hour `at_h` of the day.
fn event(device: DeviceId, n: u64, at_h: i64, voids: Option<EventId>) -> Event {
    let at = DateTime::parse_from_rfc3339("2026-09-10T07:00:00+08:00").expect("time") + Duration::minutes(at_h);
    Event {
        id: EventId::new(),
        kind: voids.map_or(EventKind::Report, |voids| EventKind::Correction { voids }),
        step: Some(BizStep::Harvesting),
        disposition: Some(if n.is_multiple_of(5) {
            Disposition::Abnormal(AbnormalReason::Bruised)
        } else {
            Disposition::Normal
        }),
        codes: vec![format!("t/CRATE{n}")],
        lot: Some(LotId::new("K-2026-0815")),
        actor: Actor { party: PartyId::new("farmer-li"), role: Role::Farmer },
        recorder: Recorder { party: PartyId::new("farmer-li"), device },
        location: None,
        recorded_at: at,
        hlc: HlcTimestamp { wall_ms: at.timestamp_millis() as u64, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

async fn storage_with(coops: &[&str]) -> Arc<SqliteStorage> {
    let storage = Arc::new(SqliteStorage::open_in_memory().expect("open"));
    for coop in coops {
        storage.create_coop(coop, coop).await.expect("coop");
    }
    storage
}

#[tokio::test]
async fn a_new_push_is_in_the_next_view_and_coops_stay_apart() {
    let storage = storage_with(&["coop-a", "coop-b"]).await;
    let cache = ViewCache::new(ViewCacheLimits::default());
    let device = DeviceId::new();
    storage.push("coop-a", device, vec![event(device, 1, 0, None)], 0).await.expect("push");
    let first = cache.view(&*storage, "coop-a").await.expect("view");
    assert_eq!(first.events.len(), 1);
    assert!(cache.view(&*storage, "coop-b").await.expect("view").events.is_empty(), "co-op b sees nothing of a");

    let later = event(device, 2, 60, None);
    storage.push("coop-a", device, vec![later.clone()], 0).await.expect("push");
    let second = cache.view(&*storage, "coop-a").await.expect("view");
    assert_eq!(second.events.len(), 2);
    assert!(second.state.units.contains_key("t/CRATE2"), "the new crate is folded in");
    assert!(first.events.len() == 1 && first.state.units.len() == 1, "a view already handed out never changes");
    assert!(second.through_seq > first.through_seq);

    // Nothing new: the same view comes back without refolding.
    let third = cache.view(&*storage, "coop-a").await.expect("view");
    assert!(Arc::ptr_eq(&second.state, &third.state));

    // A correction voiding an old event is seen as well (a full refold, not an append).
    storage.push("coop-a", device, vec![event(device, 2, 61, Some(later.id))], 0).await.expect("push");
    let fourth = cache.view(&*storage, "coop-a").await.expect("view");
    assert!(fourth.state.voided.contains(&later.id));
    assert_eq!(fourth.state.digest(), coop_state(&*storage, "coop-a").await.expect("state").digest());
    assert!(cache.view(&*storage, "coop-b").await.expect("view").events.is_empty());
}

#[tokio::test]
async fn least_recently_used_coops_are_evicted_beyond_the_limits() {
    let storage = storage_with(&["coop-a", "coop-b", "coop-c"]).await;
    let cache = ViewCache::new(ViewCacheLimits { max_coops: 2, max_events: 1_000 });
    let device = DeviceId::new();
    for (i, coop) in ["coop-a", "coop-b", "coop-c"].into_iter().enumerate() {
        storage.push(coop, device, vec![event(device, i as u64, 0, None)], 0).await.expect("push");
    }
    cache.view(&*storage, "coop-a").await.expect("a");
    cache.view(&*storage, "coop-b").await.expect("b");
    cache.view(&*storage, "coop-a").await.expect("a again");
    cache.view(&*storage, "coop-c").await.expect("c");
    assert_eq!(cache.cached_coops(), ["coop-a", "coop-c"], "b was the least recently used");
    // Evicted is only forgotten: its next view is complete again.
    assert_eq!(cache.view(&*storage, "coop-b").await.expect("b").events.len(), 1);

    // An event budget: a co-op with 5 events and a limit of 4 keeps only the co-op being read.
    let small = ViewCache::new(ViewCacheLimits { max_coops: 10, max_events: 4 });
    let many: Vec<Event> = (0..5).map(|n| event(device, 10 + n, n as i64, None)).collect();
    storage.push("coop-a", device, many, 0).await.expect("push");
    small.view(&*storage, "coop-b").await.expect("b");
    assert_eq!(small.view(&*storage, "coop-a").await.expect("a").events.len(), 6);
    assert_eq!(small.cached_coops(), ["coop-a"]);
}

/// Many writers and readers at once: each writer, once its push is acknowledged, reads a view
/// that holds its event — never one older than its own acknowledged push.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_acknowledged_push_is_in_every_later_view_under_concurrency() {
    let storage = storage_with(&["coop-a"]).await;
    let cache = Arc::new(ViewCache::new(ViewCacheLimits::default()));
    let mut tasks = Vec::new();
    for writer in 0..8u64 {
        let (storage, cache) = (storage.clone(), cache.clone());
        tasks.push(tokio::spawn(async move {
            let device = DeviceId::new();
            for round in 0..25u64 {
                let e = event(device, writer * 100 + round, round as i64, None);
                storage.push("coop-a", device, vec![e.clone()], 0).await.expect("push");
                let view = cache.view(&*storage, "coop-a").await.expect("view");
                assert!(view.state.events.contains(&e.id), "writer {writer} round {round}: own push missing");
                assert!(view.events.iter().any(|held| held.id == e.id));
            }
        }));
    }
    for reader in 0..4 {
        let (storage, cache) = (storage.clone(), cache.clone());
        tasks.push(tokio::spawn(async move {
            let mut seen = 0;
            for _ in 0..50 {
                let view = cache.view(&*storage, "coop-a").await.expect("view");
                assert!(view.events.len() >= seen, "reader {reader}: a view went backwards");
                assert_eq!(view.events.len(), view.state.events.len(), "no event decoded twice");
                seen = view.events.len();
                tokio::task::yield_now().await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let view = cache.view(&*storage, "coop-a").await.expect("view");
    assert_eq!(view.events.len(), 200);
    assert_eq!(view.state.digest(), coop_state(&*storage, "coop-a").await.expect("state").digest());
}

#[derive(Debug, Clone)]
enum Step {
    /// Push this many reports (hours may go back: phones were offline) and maybe void one.
    Push {
        reports: Vec<i64>,
        void_one: bool,
    },
    Read,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        (proptest::collection::vec(-50i64..500, 0..6), any::<bool>())
            .prop_map(|(reports, void_one)| Step::Push { reports, void_one }),
        Just(Step::Read),
    ];
    proptest::collection::vec(step, 1..25)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the interleaving, the cached view equals decoding and folding the whole log.
    #[test]
    fn the_cached_view_equals_a_full_decode_and_fold(script in steps()) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        runtime.block_on(async {
            let storage = storage_with(&["coop-a"]).await;
            let cache = ViewCache::new(ViewCacheLimits::default());
            let device = DeviceId::new();
            let mut pushed: Vec<Event> = Vec::new();
            for (i, step) in script.iter().enumerate() {
                match step {
                    Step::Push { reports, void_one } => {
                        let mut batch: Vec<Event> =
                            reports.iter().enumerate().map(|(j, at)| event(device, (i * 10 + j) as u64, *at, None)).collect();
                        if let (true, Some(target)) = (*void_one, pushed.first()) {
                            batch.push(event(device, 0, 600, Some(target.id)));
                        }
                        // A retried batch: known events are not stored twice.
                        if let Some(old) = pushed.last() { batch.push(old.clone()); }
                        storage.push("coop-a", device, batch.clone(), 0).await.expect("push");
                        for e in batch { if !pushed.iter().any(|p| p.id == e.id) { pushed.push(e); } }
                    }
                    Step::Read => {
                        let view = cache.view(&*storage, "coop-a").await.expect("view");
                        let full = coop_events(&*storage, "coop-a").await.expect("events");
                        assert_eq!(view.events.iter().map(|e| e.id).collect::<Vec<_>>(), full.iter().map(|e| e.id).collect::<Vec<_>>());
                        assert_eq!(*view.state, fold(&full));
                    }
                }
            }
            let view = cache.view(&*storage, "coop-a").await.expect("view");
            assert_eq!(view.state.digest(), fold(&pushed).digest());
        });
    }
}
