//! `fieldtrace reproject`: rebuilds the persisted read models (units, lots, registers, loss
//! counters, piece counts) from each co-op's log, for migrations and upgrades that change what
//! they hold. Safe while the server runs: the projector's checkpoint makes a concurrent
//! projector's stale batch fail and retry, and reads catch up from whatever is stored.

use fieldtrace_server::projection::Projector;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_store_sqlite::SqliteStorage;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Reprojects `coops` (every co-op when empty), printing progress to stderr; returns a summary.
pub async fn run(db: &Path, coops: Vec<String>) -> Result<String, String> {
    let storage = SqliteStorage::open(db).map_err(|e| format!("{}: {e}", db.display()))?;
    let known = storage.coop_ids().await.map_err(|e| e.to_string())?;
    let coops = if coops.is_empty() { known.clone() } else { coops };
    if let Some(unknown) = coops.iter().find(|coop| !known.contains(coop)) {
        return Err(format!("{}: no co-op {unknown:?} (known: {})", db.display(), known.join(", ")));
    }
    let projector = Projector::new();
    let mut summary = String::new();
    for coop in coops {
        let started = Instant::now();
        let mut last_percent = None;
        let done = projector
            .reproject(&storage, &coop, |progress| {
                let percent = progress.checkpoint.saturating_mul(100) / progress.head.max(1);
                if last_percent != Some(percent) {
                    last_percent = Some(percent);
                    eprint!("\rreprojecting {coop}: {} of {} events ({percent}%)", progress.checkpoint, progress.head);
                    let _ = std::io::stderr().flush();
                }
            })
            .await
            .map_err(|e| format!("reprojecting co-op {coop}: {e}"))?;
        eprintln!();
        summary.push_str(&format!(
            "co-op {coop}: {} events projected in {:.1} s\n",
            done.checkpoint,
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(summary)
}
