//! `fieldtrace sensors import`: a logger's CSV export into a device store, as a phone would record
//! it, optionally enrolled with the co-op's server and synced.
//!
//! The command works on a device store (`--store`, the same SQLite file a phone keeps) rather than
//! writing into the server's database: events reach the server only through the sync protocol,
//! with a device identity, a clock and an outbox, like every other event. A desk PC is then just
//! one more phone: `--enroll` redeems a token from `fieldtrace token` once, `--sync` pushes.

use clap::{Args, Subcommand};
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{Actor, LotId, PartyId, Role};
use fieldtrace_core::payload::parse_payload;
use fieldtrace_core::sensors::{import_logger_csv, SensorImport, SensorImportReport, DEFAULT_MIN_EXCURSION_MINUTES};
use fieldtrace_core::sync::{SyncClient, SyncConfig};
use fieldtrace_core::Store;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Logger exports are a few MB at most (30 days every minute is ~2 MB); refuse anything absurd.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Subcommand)]
pub enum SensorsCommand {
    /// Import a logger's CSV export (timestamp, temperature, humidity) for the box it was packed in.
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    /// The logger app's CSV export (UTF-8 or GB18030; headers in English or Chinese).
    file: PathBuf,
    /// The logger's id (serial number printed on it).
    #[arg(long)]
    logger: String,
    /// The box's label: a trace code (7KQ2-M9XD-4TV), a GS1 code or URL, as scanned.
    #[arg(long = "box")]
    box_label: String,
    /// The box's lot; by default the lot the store already knows for the logger or the box.
    #[arg(long)]
    lot: Option<String>,
    /// The device store to record into (created if missing).
    #[arg(long, default_value = "fieldtrace-device.db")]
    store: PathBuf,
    /// Enroll the store first with this QR text from `fieldtrace token`.
    #[arg(long)]
    enroll: Option<String>,
    /// Sync with the server the store is enrolled with: pull before importing (lots named
    /// elsewhere), push after.
    #[arg(long)]
    sync: bool,
    /// Party recorded as actor when the store is not enrolled (an enrolled store uses its party).
    #[arg(long, default_value = "desk")]
    party: String,
    /// UTC offset of timestamps written without one.
    #[arg(long, default_value = "+08:00", allow_hyphen_values = true)]
    utc_offset: String,
    /// A run outside the limits must last at least this many minutes to be an excursion.
    #[arg(long, default_value_t = DEFAULT_MIN_EXCURSION_MINUTES)]
    min_excursion_minutes: u32,
}

pub async fn run(command: SensorsCommand) -> Result<(), String> {
    match command {
        SensorsCommand::Import(args) => import(args).await,
    }
}

async fn import(args: ImportArgs) -> Result<(), String> {
    let offset =
        chrono::DateTime::parse_from_str(&format!("2000-01-01 00:00 {}", args.utc_offset), "%Y-%m-%d %H:%M %:z")
            .map(|t| *t.offset())
            .map_err(|_| format!("--utc-offset {:?} is not an offset like +08:00", args.utc_offset))?;
    parse_payload(&args.box_label).map_err(|e| format!("--box {:?}: {e}", args.box_label))?;
    let text = read_text(&args.file)?;
    let store = Arc::new(Store::open(&args.store).map_err(|e| format!("{}: {e}", args.store.display()))?);
    let client = SyncClient::new(store.clone(), SyncConfig::default()).map_err(|e| e.to_string())?;
    if let Some(qr) = &args.enroll {
        let enrolled = client.enroll(qr).await.map_err(|e| format!("enrollment: {e}"))?;
        println!("enrolled as {} ({}) in co-op {}", enrolled.party, enrolled.role.key(), enrolled.coop);
    }
    if args.sync {
        // Pull first: the lot's product and limits may have been named on another device.
        client.sync_now().await.map_err(|e| format!("sync: {e}"))?;
    }
    let actor = match client.enrollment().map_err(|e| e.to_string())? {
        Some(enrolled) => Actor { party: enrolled.party, role: enrolled.role },
        None => Actor { party: PartyId::new(&args.party), role: Role::Manager },
    };
    let request = SensorImport {
        logger: args.logger,
        box_label: args.box_label,
        lot: args.lot.map(LotId::new),
        readings: Vec::new(),
        min_excursion_minutes: args.min_excursion_minutes,
    };
    let report = import_logger_csv(&store, &actor, &SystemClock, &text, offset, request)
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    print!("{}", describe(&args.file, &report));
    if args.sync {
        let synced = client.sync_now().await.map_err(|e| format!("sync: {e}"))?;
        println!(
            "synced: {} accepted, {} already known, {} refused, {} pulled; {} waiting",
            synced.accepted, synced.known, synced.refused, synced.pulled, synced.pending
        );
    }
    Ok(())
}

/// The file as text: UTF-8 (with or without BOM), else GB18030, which Chinese Excel and many
/// logger apps write.
fn read_text(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{}: {size} bytes; a logger export is at most {MAX_FILE_BYTES}", path.display()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(err.as_bytes());
            if had_errors {
                return Err(format!("{}: neither UTF-8 nor GB18030 text", path.display()));
            }
            Ok(text.into_owned())
        }
    }
}

fn describe(file: &Path, report: &SensorImportReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} readings stored in {} events, {} already stored{}",
        file.display(),
        report.readings_new,
        report.reading_events,
        report.readings_known,
        if report.duplicate_lines > 0 {
            format!(", {} repeated lines skipped", report.duplicate_lines)
        } else {
            String::new()
        }
    );
    for error in &report.line_errors {
        let _ = writeln!(out, "{}: {error}", file.display());
    }
    if !report.line_errors.is_empty() {
        let _ =
            writeln!(out, "{} lines refused (listed above); the other lines were imported", report.line_errors.len());
    }
    let lot = report.lot.as_ref().map_or("unknown".to_owned(), |l| l.to_string());
    match &report.limits {
        None => {
            let _ = writeln!(
                out,
                "box {}: lot unknown, readings not judged (pass --lot, or sync the lot first)",
                report.box_code
            );
        }
        Some(limits) if limits.is_empty() => {
            let _ = writeln!(
                out,
                "box {} lot {lot}: no limits (the lot's product is not known here and it sets no temp_min, \
                 temp_max or humidity_max): readings not judged",
                report.box_code
            );
        }
        Some(limits) => {
            let show = |v: Option<f64>, unit: &str| v.map_or("-".to_owned(), |v| format!("{v}{unit}"));
            let _ = writeln!(
                out,
                "box {} lot {lot}: limits {}..{} °C, humidity max {}; {} excursions ({} new events)",
                report.box_code,
                show(limits.temp_min_c, ""),
                show(limits.temp_max_c, ""),
                show(limits.humidity_max_percent, " %"),
                report.excursions.len(),
                report.excursion_events
            );
        }
    }
    for x in &report.excursions {
        let _ = writeln!(
            out,
            "  {:?} {:?} {}: {} → {} ({} min), peak {:.1}",
            x.sensor,
            x.bound,
            x.threshold,
            x.start.format("%Y-%m-%d %H:%M %:z"),
            x.end.format("%Y-%m-%d %H:%M"),
            (x.end - x.start).num_minutes(),
            x.peak
        );
    }
    out
}
