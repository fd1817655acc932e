//! `alerts-bench [--events N]`: what the alert rules cost the server. Stores a co-op of N events
//! (default 20,000: harvest reports on N/2 crates of 50 lots, then loading scans, 1 % abnormal)
//! in a real SQLite file, then prints one JSON object with
//! - `first_evaluation_ms`: one evaluation of every rule over the whole log (a server started on a
//!   fresh database catching up), with `alerts_filed`;
//! - `incremental_evaluation_ms`: one more abnormal report arrives: the run a push triggers (it
//!   reads and folds the whole log again — the known cost, see docs/alerts.md);
//! - `normal_push_evaluation_ms`: a normal report arrives (nothing can fire): only it is read;
//! - `idle_expiry_check_ms`: the periodic run with nothing new (folds the log for expiry dates).

use fieldtrace_core::clock::HlcTimestamp;
use fieldtrace_core::model::*;
use fieldtrace_server::alerts::dispatch::evaluate;
use fieldtrace_server::projection::Projector;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

const COOP: &str = "coop-bench";

fn event(party: &str, device: DeviceId, n: u64, code: String, lot: String, abnormal: bool) -> Event {
    let wall_ms = 1_790_000_000_000 + n * 1_000;
    let at = chrono::DateTime::from_timestamp_millis(wall_ms as i64).unwrap_or_default().fixed_offset();
    Event {
        id: EventId::new(),
        kind: EventKind::Report,
        step: None,
        disposition: Some(if abnormal { Disposition::Abnormal(AbnormalReason::Bruised) } else { Disposition::Normal }),
        codes: vec![code],
        lot: Some(LotId::new(lot)),
        actor: Actor { party: PartyId::new(party), role: Role::Farmer },
        recorder: Recorder { party: PartyId::new(party), device },
        location: None,
        recorded_at: at,
        hlc: HlcTimestamp { wall_ms, logical: 0 },
        note: None,
        photos: Vec::new(),
        sensors: Vec::new(),
    }
}

async fn run(total: u64) -> Result<serde_json::Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let storage = SqliteStorage::open(dir.path().join("server.db")).map_err(|e| e.to_string())?;
    storage.create_coop(COOP, "bench").await.map_err(|e| e.to_string())?;
    let (farmer, driver) = (DeviceId::new(), DeviceId::new());
    let crates = total / 2;
    let mut batch = Vec::new();
    for n in 0..total {
        let crate_no = n % crates.max(1);
        let (party, device, abnormal) =
            if n < crates { ("farmer-li", farmer, false) } else { ("driver-zhao", driver, crate_no % 50 == 7) };
        batch.push(event(party, device, n, format!("t/C{crate_no:07}"), format!("K-{}", crate_no % 50), abnormal));
        if batch.len() == 1_000 {
            storage.push(COOP, device, std::mem::take(&mut batch), 0).await.map_err(|e| e.to_string())?;
        }
    }
    if !batch.is_empty() {
        storage.push(COOP, driver, batch, 0).await.map_err(|e| e.to_string())?;
    }
    let config = ServerConfig::default();
    let projector = Projector::new();
    let started = Instant::now();
    let filed = evaluate(&storage, &config, &projector, true).await.map_err(|e| e.to_string())?;
    let first_ms = started.elapsed().as_secs_f64() * 1e3;

    let one = event("driver-zhao", driver, total + 1, "t/C0000003".into(), "K-3".into(), true);
    storage.push(COOP, driver, vec![one], 0).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let more = evaluate(&storage, &config, &projector, false).await.map_err(|e| e.to_string())?;
    let incremental_ms = started.elapsed().as_secs_f64() * 1e3;

    let normal = event("driver-zhao", driver, total + 2, "t/C0000004".into(), "K-4".into(), false);
    storage.push(COOP, driver, vec![normal], 0).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    evaluate(&storage, &config, &projector, false).await.map_err(|e| e.to_string())?;
    let normal_ms = started.elapsed().as_secs_f64() * 1e3;

    let started = Instant::now();
    evaluate(&storage, &config, &projector, true).await.map_err(|e| e.to_string())?;
    let idle_ms = started.elapsed().as_secs_f64() * 1e3;
    Ok(json!({
        "events": total,
        "alerts_filed": filed,
        "first_evaluation_ms": (first_ms * 10.0).round() / 10.0,
        "incremental_alerts_filed": more,
        "incremental_evaluation_ms": (incremental_ms * 10.0).round() / 10.0,
        "normal_push_evaluation_ms": (normal_ms * 10.0).round() / 10.0,
        "idle_expiry_check_ms": (idle_ms * 10.0).round() / 10.0,
    }))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let total = args
        .iter()
        .position(|a| a == "--events")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    match run(total).await {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("alerts-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
