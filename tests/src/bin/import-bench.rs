//! `import-bench [--json] [--rows N]`: how fast `fieldtrace import` takes an assistant's file.
//! Writes a CSV of N rows (default 100,000: sprayings, fertilizing, harvests of 500 farmers, with
//! Chinese headers), then prints one JSON object with
//! - `parse_validate_rows_per_s`: read the file, map the header, check and map every row to an
//!   event (no store, no network);
//! - `end_to_end_rows_per_s`, `end_to_end_ms`: the whole `import::run` — enroll, read, check,
//!   save in the state file, PHI check, push in batches of 1,000 to a real server on loopback
//!   (durable there) — with the server then holding every event;
//!   (`end_to_end_{parse,record,phi,push}_ms` split it into stages);
//! - `reimport_ms`: the same file again (nothing new anywhere).

use chrono::{FixedOffset, NaiveDate};
use fieldtrace_cli::import::{self, read_table, ImportOptions};
use fieldtrace_core::import::{Header, ImportContext, RowMapper, RowOutcome};
use fieldtrace_core::model::{Actor, DeviceId, PartyId, Role};
use fieldtrace_server::storage::prelude::*;
use fieldtrace_tests::sync_harness::TestServer;
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let json_only = args.iter().any(|a| a == "--json");
    let rows = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    match run(rows, json_only).await {
        Ok(result) => {
            println!("{result}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("import-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

fn write_csv(path: &Path, rows: usize) -> Result<(), String> {
    let mut csv = String::from("日期,农户,地块,批次,作业,农药,用量,安全间隔期(天),数量,等级,备注\n");
    for i in 0..rows {
        // Each farmer sprays, fertilizes, harvests and irrigates the same few plots.
        let farmer = (i / 4) % 500;
        let day = 1 + (i / 500) % 28;
        let line = match i % 4 {
            0 => format!("2026-08-{day:02},farmer-{farmer},P{farmer}-{},,喷药,吡虫啉,{}ml,14,,,", i % 7, 20 + i % 30),
            1 => format!("2026-08-{day:02},farmer-{farmer},P{farmer}-{},,施肥,尿素,{}kg,,,,", i % 7, 5 + i % 20),
            2 => format!(
                "2026-09-{day:02},farmer-{farmer},P{farmer}-{},LOT-{i},采收,,,,{} 斤,一级,",
                i % 7,
                100 + i % 900
            ),
            _ => format!("2026-09-{day:02},farmer-{farmer},P{farmer}-{},,灌溉,,{} m3,,,,夜间", i % 7, 1 + i % 9),
        };
        let _ = writeln!(csv, "{line}");
    }
    std::fs::write(path, csv).map_err(|e| e.to_string())
}

fn parse_and_validate(path: &Path) -> Result<usize, String> {
    let table = read_table(path).map_err(|e| e.to_string())?;
    let mut rows = table.rows.into_iter();
    let (number, cells) = rows.next().ok_or("empty file")?;
    let header = Header::parse(&cells, number).map_err(|p| format!("{p:?}"))?;
    let context = ImportContext {
        coop: "coop-zz".into(),
        recorder: Actor { party: PartyId::new("assistant-wang"), role: Role::Assistant },
        device: DeviceId::new(),
        utc_offset: FixedOffset::east_opt(8 * 3600).ok_or("offset")?,
        latest_date: NaiveDate::from_ymd_opt(2100, 1, 1).ok_or("date")?,
    };
    let mut mapper = RowMapper::new(header, context);
    let mut events = 0;
    for (number, cells) in rows {
        match mapper.map_row(number, &cells) {
            RowOutcome::Event(_) => events += 1,
            RowOutcome::Blank => {}
            RowOutcome::Problems(p) => return Err(format!("generated row {number} refused: {p:?}")),
        }
    }
    Ok(events)
}

fn per_second(count: usize, started: Instant) -> f64 {
    (count as f64 / started.elapsed().as_secs_f64()).round()
}

async fn run(rows: usize, json_only: bool) -> Result<Value, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("records.csv");
    write_csv(&file, rows)?;
    let bytes = std::fs::metadata(&file).map_err(|e| e.to_string())?.len();

    let started = Instant::now();
    let events = parse_and_validate(&file)?;
    let parse_validate_ms = started.elapsed().as_millis();
    let parse_validate_rows_per_s = per_second(events, started);
    if !json_only {
        eprintln!("parse + validate: {events} rows in {parse_validate_ms} ms");
    }

    let server = TestServer::start(&dir.path().join("server.db")).await;
    let mut options = ImportOptions::new(file.clone(), dir.path().join("state.db"));
    options.token = Some(server.enrollment_qr("coop-zz", "assistant-wang", Role::Assistant).await);
    let started = Instant::now();
    let report = import::run(&options).await.map_err(|e| e.to_string())?;
    let end_to_end_ms = started.elapsed().as_millis();
    let end_to_end_rows_per_s = per_second(rows, started);
    let held = server.storage.event_ids("coop-zz").await.map_err(|e| e.to_string())?.len();
    if report.accepted as usize != rows || held != rows || !report.problems.is_empty() {
        return Err(format!("expected {rows} events on the server; accepted {}, held {held}", report.accepted));
    }
    if !json_only {
        eprintln!("end to end: {rows} rows in {end_to_end_ms} ms");
    }

    let started = Instant::now();
    let again = import::run(&options).await.map_err(|e| e.to_string())?;
    let reimport_ms = started.elapsed().as_millis();
    if again.recorded != 0 || server.storage.event_ids("coop-zz").await.map_err(|e| e.to_string())?.len() != rows {
        return Err("the re-import added events".into());
    }

    Ok(json!({
        "rows": rows,
        "file_bytes": bytes,
        "parse_validate_ms": parse_validate_ms,
        "parse_validate_rows_per_s": parse_validate_rows_per_s,
        "end_to_end_ms": end_to_end_ms,
        "end_to_end_rows_per_s": end_to_end_rows_per_s,
        "end_to_end_parse_ms": report.parse_ms,
        "end_to_end_record_ms": report.record_ms,
        "end_to_end_phi_ms": report.phi_ms,
        "end_to_end_push_ms": report.push_ms,
        "phi_flags": report.phi_flags.len(),
        "reimport_ms": reimport_ms,
    }))
}
