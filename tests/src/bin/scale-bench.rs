//! `scale-bench [--sizes 100000,1000000] [--json]`: how FieldTrace holds up as a co-op's log
//! grows (issue 16). For each size: builds one co-op of exactly that many events (a seeded
//! season: ~300 farmer phones, 10 assistants, 10 drivers; harvest taps ~5 % abnormal, packing,
//! pallets with loggers, trips, handovers, cold-store checks) through the storage layer with
//! projections caught up as it goes, timing sustained ingest; then starts the release
//! `fieldtrace serve` on that database and measures over loopback HTTP the trace page, the
//! dashboard's lots list, big-lot page, loss and alerts pages and the lot's EPCIS export (cold
//! and warm p50/p95), a phone's 100-event push, the delay from an abnormal push to its alert on
//! the dashboard, and the server's peak RSS. Prints one JSON object as the last stdout line with
//! `--json` (progress on stderr), otherwise a short table.
//!
//! Options: `--sizes N,N,…` (any list; `--sizes 20000` is a quick smoke run, add 5000000 for
//! 5M), `--seed N`, `--dir PATH` (where databases go; default the system temp dir), `--keep`
//! (keep them), `--server-bin PATH` (measure that binary instead of building the workspace's),
//! `--cold N`, `--warm N`, `--pushes N`. The summary's `…_1m` keys use 1,000,000 events when
//! measured, else the largest size (`summary_size`); growth compares it with the smallest size.
//! Nothing is asserted: figures are reported with the targets and whether each was met.

use fieldtrace_tests::scale::{build, measure, report, server};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: scale-bench [--sizes N,N,…] [--json] [--seed N] [--dir PATH] [--keep] \
                     [--server-bin PATH] [--cold N] [--warm N] [--pushes N]";

struct Options {
    sizes: Vec<u64>,
    json: bool,
    seed: u64,
    dir: Option<PathBuf>,
    keep: bool,
    server_bin: Option<PathBuf>,
    plan: measure::Plan,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        sizes: vec![100_000, 1_000_000],
        json: false,
        seed: 2026,
        dir: None,
        keep: false,
        server_bin: None,
        plan: measure::Plan::default(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |text: &str| text.replace('_', "").parse::<u64>().map_err(|e| format!("{arg} {text}: {e}"));
        match arg.as_str() {
            "--sizes" => {
                let list = value()?;
                options.sizes = list.split(',').map(|n| number(n.trim())).collect::<Result<_, _>>()?;
            }
            "--json" => options.json = true,
            "--seed" => options.seed = number(value()?)?,
            "--dir" => options.dir = Some(PathBuf::from(value()?)),
            "--keep" => options.keep = true,
            "--server-bin" => options.server_bin = Some(PathBuf::from(value()?)),
            "--cold" => options.plan.cold = number(value()?)? as usize,
            "--warm" => options.plan.warm = number(value()?)? as usize,
            "--pushes" => options.plan.pushes = number(value()?)? as usize,
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    options.sizes.sort_unstable();
    options.sizes.dedup();
    if options.sizes.is_empty() || options.sizes.contains(&0) {
        return Err("--sizes needs at least one size above 0".to_owned());
    }
    // One cold round per page at least, so every page has a first request to report.
    options.plan.cold = options.plan.cold.max(1);
    Ok(options)
}

async fn run(options: &Options) -> Result<serde_json::Value, String> {
    let verbose = !options.json;
    let progress = |line: String| eprintln!("{line}");
    let detail = |line: String| {
        if verbose {
            eprintln!("{line}");
        }
    };
    let binary = server::server_binary(options.server_bin.clone(), &progress)?;
    let mut per_size = BTreeMap::new();
    for &size in &options.sizes {
        let mut dir = tempfile::Builder::new();
        dir.prefix("scale-bench-");
        let dir = match &options.dir {
            Some(base) => dir.tempdir_in(base),
            None => dir.tempdir(),
        }
        .map_err(|e| format!("making a directory for the databases: {e}"))?;
        let db = dir.path().join("server.db");
        progress(format!("scale-bench: {size} events: building {}", db.display()));
        let built = build::build(&db, options.seed, size, &detail).await?;
        progress(format!(
            "scale-bench: {size} events built in {:.1} s (push {:.1} s, project {:.1} s, generate {:.1} s, alerts {:.1} s): \
             {:.0} events/s with projections, {:.0} B/event; measuring",
            built.build.as_secs_f64(),
            built.push.as_secs_f64(),
            built.project.as_secs_f64(),
            built.generate.as_secs_f64(),
            built.file_alerts.as_secs_f64(),
            built.ingest_events_per_s(),
            built.db_bytes as f64 / built.events.max(1) as f64
        ));
        let mut child = server::ServerChild::start(&binary, &db, &dir.path().join("server.log"))?;
        let measured = match measure::run(&mut child, &built, &options.plan, dir.path(), &detail).await {
            Ok(measured) => measured,
            Err(e) => {
                let tail = child.log_tail();
                let log = if tail.is_empty() { String::new() } else { format!("\nthe server's log ends:\n{tail}") };
                return Err(format!("{size} events: {e}{log}"));
            }
        };
        drop(child);
        per_size.insert(size, report::size_figures(&built, &measured));
        if options.keep {
            let kept = dir.keep();
            progress(format!("scale-bench: kept {}", kept.display()));
        }
    }
    Ok(report::report(&per_size))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("scale-bench: {message}");
            return ExitCode::FAILURE;
        }
    };
    match run(&options).await {
        Ok(result) => {
            if options.json {
                println!("{result}");
            } else {
                print!("{}", report::human(&result));
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("scale-bench: {message}");
            ExitCode::FAILURE
        }
    }
}
