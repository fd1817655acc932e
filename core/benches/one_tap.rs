//! One-tap latency: `scan` + `report_normal` with a durable commit, on a real database file.
//!
//! Criterion reports the mean with a confidence interval; the goal is about the tail
//! (p99 ≤ 5 ms), so a first pass times each tap individually and prints p50/p99/max.
//! Run: `cargo bench -p fieldtrace-core --bench one_tap`.

use criterion::{criterion_group, criterion_main, Criterion};
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{Actor, PartyId, Role};
use fieldtrace_core::{Session, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PERCENTILE_TAPS: usize = 3_000;

fn open_session(dir: &tempfile::TempDir) -> Session {
    let store = Store::open(dir.path().join("bench.db")).expect("open store");
    let user = Actor { party: PartyId::new("farmer-bench"), role: Role::Farmer };
    Session::new(Arc::new(store), user, Arc::new(SystemClock))
}

fn tap(session: &mut Session, n: u64) {
    session.scan(&format!("FT-BENCH-{n:08}")).expect("scan");
    session.report_normal().expect("report");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn print_percentiles() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut session = open_session(&dir);
    let mut samples: Vec<Duration> = (0..PERCENTILE_TAPS as u64)
        .map(|n| {
            let start = Instant::now();
            tap(&mut session, n);
            start.elapsed()
        })
        .collect();
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "one_tap durable scan+report_normal: n={} p50={:.3} ms p99={:.3} ms max={:.3} ms (goal: p99 <= 5 ms)",
        samples.len(),
        ms(percentile(&samples, 0.50)),
        ms(percentile(&samples, 0.99)),
        ms(samples[samples.len() - 1]),
    );
}

fn one_tap(c: &mut Criterion) {
    print_percentiles();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut session = open_session(&dir);
    let mut n = 1_000_000u64;
    c.bench_function("scan_report_normal_durable", |b| {
        b.iter(|| {
            n += 1;
            tap(&mut session, n);
        })
    });
}

criterion_group!(benches, one_tap);
criterion_main!(benches);
