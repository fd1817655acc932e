//! `sync-bench [--json]`: the sync benchmark. One JSON object with
//! - `push_10k_ms`: one phone pushes 10,000 events to a loopback server (durable there);
//! - `bytes_per_event`: request bytes on the wire per event (compressed batches of 100);
//! - `ingest_events_per_s`: 20 phones pushing at once, sustained;
//! - `converge_1000_devices_ms`, `lost`, `duplicated`: 1,000 phones × 100 events pushed at once
//!   until the server holds every event, checked id by id, and a phone that pulls everything
//!   has the server's state digest;
//! - `bootstrap_100k_ms`: a newly enrolled phone pulls those 100,000 events;
//! - `pouchdb_push_10k_ms`: the same 10,000 events as JSON documents replicated by PouchDB into
//!   pouchdb-server on loopback (the CouchDB replication protocol), measured in the same run.
//!
//! Recording the events on the phones is not timed. Set `FIELDTRACE_BENCH_SKIP_POUCHDB=1` to
//! skip the reference (it needs Node.js and `npm ci` in `tests/peers/pouchdb`).

use fieldtrace_core::model::{Event, EventId, Role};
use fieldtrace_server::state::coop_state;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_tests::sync_harness::{push_all, Phone, TestServer};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let json_only = std::env::args().any(|a| a == "--json");
    match run(json_only).await {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("sync-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn log(json_only: bool, message: &str) {
    if !json_only {
        eprintln!("{message}");
    }
}

async fn run(json_only: bool) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let server = TestServer::start(&dir.path().join("server.db")).await;

    log(json_only, "recording 10,000 events on one phone…");
    let phone = phones(&server, dir.path(), "solo", 1, 10_000).await?.remove(0);
    let events: Vec<Event> =
        phone.store().all_events().map_err(|e| e.to_string())?.into_iter().map(|s| s.event).collect();
    let started = Instant::now();
    let pushed = phone.client.push_now().await.map_err(|e| e.to_string())?;
    let push_10k_ms = ms(started);
    let bytes_per_event = pushed.bytes_sent as f64 / events.len() as f64;
    log(json_only, &format!("push_10k_ms {push_10k_ms:.0}"));

    log(json_only, "recording 20 × 5,000 events…");
    let twenty = phones(&server, dir.path(), "ingest", 20, 5_000).await?;
    let started = Instant::now();
    push_everything(&twenty).await?;
    let ingest_events_per_s = 100_000.0 / started.elapsed().as_secs_f64();
    log(json_only, &format!("ingest_events_per_s {ingest_events_per_s:.0}"));

    log(json_only, "recording 1,000 × 100 events…");
    let thousand = phones(&server, dir.path(), "many", 1_000, 100).await?;
    let mut expected = HashSet::new();
    for phone in &thousand {
        for stored in phone.store().all_events().map_err(|e| e.to_string())? {
            expected.insert(stored.event.id);
        }
    }
    let started = Instant::now();
    push_everything(&thousand).await?;
    let pushed_ms = ms(started);
    let coop = "coop-many";
    let ids = server.storage.event_ids(coop).await.map_err(|e| e.to_string())?;
    let held: HashSet<EventId> = ids.iter().copied().collect();
    let lost = expected.difference(&held).count();
    let duplicated = ids.len() - held.len();
    let server_digest = coop_state(server.storage.as_ref(), coop).await.map_err(|e| e.to_string())?.digest();
    let converge_1000_devices_ms = ms(started);
    log(json_only, &format!("converge_1000_devices_ms {converge_1000_devices_ms:.0} (pushed in {pushed_ms:.0})"));

    let newcomer = phones(&server, dir.path(), "many", 1, 0).await?.remove(0);
    let started = Instant::now();
    let pulled = newcomer.client.sync_now().await.map_err(|e| e.to_string())?.pulled;
    let bootstrap_100k_ms = ms(started);
    let bootstrap_digest_matches = newcomer.state().digest() == server_digest;
    log(json_only, &format!("bootstrap_100k_ms {bootstrap_100k_ms:.0} ({pulled} events)"));

    let pouchdb = if std::env::var_os("FIELDTRACE_BENCH_SKIP_POUCHDB").is_some() {
        Value::Null
    } else {
        log(json_only, "PouchDB reference: replicating the same 10,000 events…");
        pouchdb_push(&events, dir.path())?
    };
    let pouchdb_ms = pouchdb.get("push_ms").and_then(Value::as_f64);
    Ok(json!({
        "push_10k_ms": round(push_10k_ms),
        "bytes_per_event": round(bytes_per_event),
        "ingest_events_per_s": ingest_events_per_s.round(),
        "converge_1000_devices_ms": round(converge_1000_devices_ms),
        "lost": lost,
        "duplicated": duplicated,
        "converged_digest_matches": bootstrap_digest_matches,
        "bootstrap_100k_ms": round(bootstrap_100k_ms),
        "bootstrap_events": pulled,
        "pouchdb_push_10k_ms": pouchdb_ms.map(round),
        "push_vs_pouchdb": pouchdb_ms.map(|p| (push_10k_ms / p * 1000.0).round() / 1000.0),
        "pouchdb": pouchdb,
        "goals": {
            "push_10k_ms": "<= 1000 and <= 0.1 x pouchdb",
            "ingest_events_per_s": ">= 50000",
            "converge_1000_devices_ms": "<= 30000, lost 0, duplicated 0",
            "bootstrap_100k_ms": "<= 3000",
        },
    }))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn round(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// `count` enrolled phones of co-op `coop-{group}`, each with `events` reports recorded offline.
async fn phones(
    server: &TestServer,
    dir: &Path,
    group: &str,
    count: usize,
    events: usize,
) -> Result<Vec<Arc<Phone>>, String> {
    let coop = format!("coop-{group}");
    let mut enrolled = Vec::with_capacity(count);
    for _ in 0..count {
        let name = format!("{group}-{}", EventId::new());
        let phone = Phone::open(&dir.join(format!("{name}.db")), &name, Role::Farmer, chrono::Duration::zero());
        let qr = server.enrollment_qr(&coop, &name, Role::Farmer).await;
        phone.client.enroll(&qr).await.map_err(|e| e.to_string())?;
        enrolled.push(phone);
    }
    let recorders: Vec<_> = enrolled
        .into_iter()
        .map(|mut phone| {
            tokio::task::spawn_blocking(move || {
                for n in 0..events {
                    let _ = phone.tap_normal(&format!("t/{}-{n}", phone.store().device_id()));
                }
                Arc::new(phone)
            })
        })
        .collect();
    let mut ready = Vec::with_capacity(count);
    for recorder in recorders {
        ready.push(recorder.await.map_err(|e| e.to_string())?);
    }
    Ok(ready)
}

/// Every phone pushes at once; an error if any event is left unconfirmed.
async fn push_everything(phones: &[Arc<Phone>]) -> Result<(), String> {
    let reports = push_all(phones).await.map_err(|e| e.to_string())?;
    match reports.iter().map(|r| r.pending).sum::<u64>() {
        0 => Ok(()),
        pending => Err(format!("{pending} events still pending after a push")),
    }
}

/// Runs `tests/peers/pouchdb/push.js` on the same events as JSON documents.
fn pouchdb_push(events: &[Event], dir: &Path) -> Result<Value, String> {
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/pouchdb");
    if !peer.join("node_modules").exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&peer)
            .status()
            .map_err(|e| format!("npm: {e}"))?;
        if !status.success() {
            return Err(format!("npm ci in {} failed", peer.display()));
        }
    }
    let docs = dir.join("events.jsonl");
    let mut lines = String::new();
    for event in events {
        let mut doc = serde_json::to_value(event).map_err(|e| e.to_string())?;
        doc["_id"] = Value::String(event.id.to_string());
        lines.push_str(&doc.to_string());
        lines.push('\n');
    }
    std::fs::write(&docs, lines).map_err(|e| e.to_string())?;
    let output = std::process::Command::new("node")
        .arg(peer.join("push.js"))
        .args(["--docs", &docs.to_string_lossy(), "--batch-size", "100"])
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !output.status.success() {
        return Err(format!("push.js failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("push.js output: {e}"))
}
