//! What the read-model cache saves on the consumer trace page: `/t/{code}` on a co-op holding
//! 50,000 events (FIELDTRACE_BENCH_EVENTS to change), served over loopback HTTP from one SQLite
//! file by two servers — one with the cache (`ServerConfig::view_cache` default), one with it off
//! (`max_coops: 0`, every request decodes and folds the whole log, as before the cache).
//! Prints one JSON object. `cargo bench -p fieldtrace-sync --bench trace_cache`.

use chrono::{DateTime, Duration};
use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_core::payload::TraceCode;
use fieldtrace_server::state::ViewCacheLimits;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::sync::Arc;
use std::time::Instant;

const COOP: &str = "coop-zhouzhi";

fn code(n: u64) -> String {
    TraceCode::from_value(0x5EED_0000 + n).map(|c| c.canonical()).unwrap_or_default()
}

/// Crate `n % crates` reported at minute `n`: harvest first, then packing and loading steps.
fn event(device: DeviceId, n: u64, crates: u64) -> Event {
    let at =
        DateTime::parse_from_rfc3339("2026-09-01T07:00:00+08:00").unwrap_or_default() + Duration::seconds(n as i64);
    let round = n / crates;
    let step = [BizStep::Harvesting, BizStep::Packing, BizStep::WarehouseIn, BizStep::Loading, BizStep::Delivering]
        [(round as usize).min(4)];
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: Some(step),
        disposition: Some(if n.is_multiple_of(97) {
            Disposition::Abnormal(AbnormalReason::Bruised)
        } else {
            Disposition::Normal
        }),
        codes: vec![format!("t/{}", code(n % crates))],
        lot: Some(LotId::new(format!("K-2026-{:04}", n % crates / 100))),
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

async fn serve(storage: Arc<SqliteStorage>, view_cache: ViewCacheLimits) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let config = ServerConfig { view_cache, ..ServerConfig::default() };
    tokio::spawn(fieldtrace_dashboard::serve(listener, storage, config, std::future::pending()));
    base
}

async fn get_ms(http: &reqwest::Client, url: &str) -> f64 {
    let start = Instant::now();
    let response = http.get(url).send().await.expect("get");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("body");
    start.elapsed().as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let total: u64 = std::env::var("FIELDTRACE_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let crates = (total / 5).max(1);
    let dir = tempfile::tempdir().expect("dir");
    let storage = Arc::new(SqliteStorage::open(dir.path().join("bench.db")).expect("open"));
    storage.create_coop(COOP, "周至猕猴桃合作社").await.expect("coop");
    let device = DeviceId::new();
    let events: Vec<Event> = (0..total).map(|n| event(device, n, crates)).collect();
    for batch in events.chunks(2_000) {
        storage.push(COOP, device, batch.to_vec(), 0).await.expect("push");
    }
    let cached = serve(storage.clone(), ViewCacheLimits::default()).await;
    let uncached = serve(storage.clone(), ViewCacheLimits { max_coops: 0, max_events: 0 }).await;
    let http = reqwest::Client::new();
    let page = |base: &str, n: u64| format!("{base}/t/{}", code(n % crates));

    let first_cached_ms = get_ms(&http, &page(&cached, 0)).await;
    let mut warm = Vec::new();
    for n in 1..=30 {
        warm.push(get_ms(&http, &page(&cached, n * 7)).await);
    }
    let mut cold = Vec::new();
    for n in 1..=7 {
        cold.push(get_ms(&http, &page(&uncached, n * 7)).await);
    }
    // One phone pushes 100 new events; the next cached request decodes those and refolds.
    let more: Vec<Event> = (total..total + 100).map(|n| event(device, n, crates)).collect();
    storage.push(COOP, device, more, 0).await.expect("push");
    let after_push_ms = get_ms(&http, &page(&cached, 3)).await;

    let (cached_ms, uncached_ms) = (median(warm), median(cold));
    let report = serde_json::json!({
        "events": total,
        "uncached_request_ms_median": (uncached_ms * 10.0).round() / 10.0,
        "cached_request_ms_median": (cached_ms * 10.0).round() / 10.0,
        "cached_first_request_ms": (first_cached_ms * 10.0).round() / 10.0,
        "cached_request_after_100_new_events_ms": (after_push_ms * 10.0).round() / 10.0,
        "ratio_cached_over_uncached": ((cached_ms / uncached_ms) * 1000.0).round() / 1000.0,
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
    });
    println!("{report}");
}
