//! Power-cut durability: a child process records reports and prints each id after its commit
//! returns; we SIGKILL it at random moments and check, after every kill, that every acknowledged
//! event is present, nothing is half-written and SQLite's integrity check passes.
//!
//! `FIELDTRACE_CRASH_TRIALS` sets the number of kills (default 60); `FIELDTRACE_CRASH_SEED` replays
//! a run.

use fieldtrace_core::model::EventId;
use fieldtrace_core::Store;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

/// splitmix64: enough randomness for kill timings, and reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn every_acknowledged_report_survives_sigkill() {
    let trials = env_number("FIELDTRACE_CRASH_TRIALS").unwrap_or(60);
    let seed = env_number("FIELDTRACE_CRASH_SEED")
        .unwrap_or_else(|| SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64));
    println!("crash test: {trials} trials, seed {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("farmer.db");
    let mut acknowledged: Vec<EventId> = Vec::new();

    for trial in 0..trials {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-writer"))
            .arg(&db)
            .arg(trial.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn crash-writer");
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut ids = Vec::new();
            let mut line = String::new();
            // Only complete lines count: a line cut by the kill was never fully acknowledged.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Some(id) = line.strip_suffix('\n') {
                    ids.push(EventId::parse(id).expect("child prints event ids"));
                }
                line.clear();
            }
            ids
        });
        // Early kills land in open/migration; later ones in the middle of a stream of commits.
        std::thread::sleep(Duration::from_micros(rng.next() % 150_000));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reap");
        assert!(!status.success(), "trial {trial}: the writer must have been killed, not have exited");
        acknowledged.extend(reader.join().expect("reader thread"));

        let report = fieldtrace_tests::check_consistency(&db).expect("consistency check");
        assert!(report.problems.is_empty(), "trial {trial} (seed {seed}): {:#?}", report.problems);
        let lost: Vec<_> = acknowledged.iter().filter(|id| !report.ids.contains(&id.to_string())).collect();
        assert!(lost.is_empty(), "trial {trial} (seed {seed}): acknowledged reports lost: {lost:?}");
        // The app itself must be able to open the database again after every kill.
        let store = Store::open(&db).expect("reopen after kill");
        if let Some(last) = acknowledged.last() {
            assert!(store.event(*last).expect("read").is_some());
        }
    }
    println!("crash test: {trials} kills, {} acknowledged reports, all present", acknowledged.len());
    assert!(!acknowledged.is_empty(), "the writer never got to write: the test proved nothing");
}
