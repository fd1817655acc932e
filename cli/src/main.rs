//! `fieldtrace`: the operator's tool. `serve` runs the sync server, `demo` a whole co-op on this machine,
//! `decode` reads barcodes in image files, `sensors import` a box logger's CSV, `labels` prints
//! trace-code label sheets; `coop`, `token` and `manager` prepare a co-op, the one-time enrollment
//! tokens its phones scan and its dashboard accounts; `import` uploads an assistant's spreadsheet of
//! farming records and lots; `reports import` enters a lab's test reports; `export epcis` writes a lot's EPCIS 2.0 document;
//! `backup` and `restore` copy a serving database with its photos and bring one back, verified.

mod backup_cli;
mod decode_cli;
mod labels;
mod reports_cli;
mod reproject_cli;
mod sensors_cli;
mod shutdown;

use clap::{Parser, Subcommand};
use fieldtrace_cli::demo;
use fieldtrace_cli::import::{self, ImportOptions};
use fieldtrace_cli::logging::{self, LogFormat};
use fieldtrace_cli::serve_config::{GivenSettings, ServeSettings};
use fieldtrace_core::model::Role;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::ServerConfig;
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "fieldtrace", version, about = "FieldTrace operator tool: sync server and co-op set-up")]
struct Cli {
    /// How log lines on stderr look: pretty (one readable line each) or json (one object a
    /// line). Levels come from RUST_LOG (default: info for serve, warn for the other commands).
    #[arg(long, global = true, value_enum, env = logging::FORMAT_ENV, default_value = "pretty")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sync server. Each setting comes from its flag, else its FIELDTRACE_* environment
    /// variable, else the --config file (docs/fieldtrace.example.toml), else the default.
    Serve(GivenSettings),
    /// Seed a demo co-op, simulate phones working offline and syncing, then keep serving.
    Demo {
        /// Server database; by default a fresh one in a temporary folder.
        #[arg(long)]
        db: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Exit after the simulation instead of serving on.
        #[arg(long)]
        once: bool,
        /// Where the Prometheus metrics are served (no authentication; keep it on loopback).
        #[arg(long, default_value = "127.0.0.1:9464")]
        metrics_listen: String,
    },
    /// Create (or rename) a co-op.
    Coop {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        id: String,
        name: String,
    },
    /// Create a one-time enrollment token for a phone; prints the token to show as a QR.
    Token {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        #[arg(long)]
        coop: String,
        #[arg(long)]
        party: String,
        /// farmer, assistant, driver or manager
        #[arg(long)]
        role: String,
        #[arg(long, default_value_t = 72)]
        valid_hours: i64,
        /// The server address phones will use, written into the enrollment QR.
        #[arg(long, default_value = "http://127.0.0.1:8080/")]
        server_url: String,
    },
    /// Create a co-op manager's dashboard account, or set a new password (read from the
    /// environment variable FIELDTRACE_MANAGER_PASSWORD, else from the first line of stdin).
    Manager {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        #[arg(long)]
        coop: String,
        /// Sign-in name (unique on this server).
        name: String,
        /// Name shown on the dashboard; defaults to the sign-in name.
        #[arg(long)]
        display_name: Option<String>,
        /// Require a TOTP code at sign-in; prints the otpauth:// URI to add to an authenticator app.
        #[arg(long)]
        totp: bool,
    },
    /// Copy the database and its photos into one backup file, consistently, while the server runs.
    Backup(backup_cli::BackupArgs),
    /// Restore a backup file into a fresh database path (and its photo folder), verified.
    Restore(backup_cli::RestoreArgs),
    /// Rebuild the persisted read models from the log (after a migration or an upgrade).
    Reproject {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        /// Only these co-ops (repeatable); default: every co-op.
        #[arg(long)]
        coop: Vec<String>,
    },
    /// Export data for other systems.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Import farming records and lots from a CSV or XLSX file (columns: docs/import.md). Exit
    /// code 0: every row imported; 2: some rows had problems (listed); 1: nothing could be done.
    Import {
        file: PathBuf,
        /// The sync server; not needed when --token is the enrollment QR text or the state file
        /// is already enrolled.
        #[arg(long)]
        server: Option<String>,
        /// One-time enrollment token, or the QR text `fieldtrace token` prints. Only the first
        /// import with a state file needs it: the device credential is kept there.
        #[arg(long)]
        token: Option<String>,
        /// The importer's device state (credential, clock, records not yet sent) [default:
        /// ~/.fieldtrace/import-state.db].
        #[arg(long)]
        state: Option<PathBuf>,
        /// Check every row and report, without saving or sending anything.
        #[arg(long)]
        dry_run: bool,
        /// Import nothing if any row has a problem.
        #[arg(long)]
        all_or_nothing: bool,
        /// UTC offset of the dates in the file.
        #[arg(long, default_value = "+08:00", allow_hyphen_values = true)]
        utc_offset: String,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Temperature/humidity loggers: import a logger's CSV export into a device store.
    Sensors {
        #[command(subcommand)]
        command: sensors_cli::SensorsCommand,
    },
    /// Laboratory test reports shown on the consumer trace page.
    Reports {
        #[command(subcommand)]
        command: reports_cli::ReportsCommand,
    },
    /// Print a sheet of new trace-code QR labels for a lot (PNG, SVG or PDF, A4, 3 × 8).
    Labels(labels::LabelsArgs),
    /// Alert settings of a co-op: webhook, SMS gateway, excursion minutes (docs/alerts.md).
    Alerts {
        #[command(subcommand)]
        command: fieldtrace_cli::alerts_cli::AlertsCommand,
    },
    /// Read the barcodes in JPEG/PNG files (`--json`: one JSON line per file).
    Decode {
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// A lot's events as an EPCIS 2.0 JSON-LD document (stdout, or `--out`).
    Epcis {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        #[arg(long)]
        coop: String,
        #[arg(long)]
        lot: String,
        /// Public base URL of the trace pages (`{base}/t/{code}`).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        trace_base: String,
        /// GS1 Digital Link resolver for GTIN/SSCC identifiers.
        #[arg(long, default_value = "https://id.gs1.org")]
        digital_link_base: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

async fn export_epcis(command: ExportCommand) -> Result<(), String> {
    let ExportCommand::Epcis { db, coop, lot, trace_base, digital_link_base, out } = command;
    let storage = SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    // The lot's own events, units and registers, as the server exports them.
    let projector = fieldtrace_server::projection::Projector::new();
    projector.catch_up(&storage, &coop).await.map_err(|e| e.to_string())?;
    let options = fieldtrace_server::epcis::ExportOptions { digital_link_base, trace_base };
    let created = chrono::Utc::now().to_rfc3339();
    // Written page by page into one document: a lot of any size, in bounded memory.
    let mut writer: std::io::BufWriter<Box<dyn std::io::Write + Send>> = std::io::BufWriter::new(match &out {
        Some(path) => Box::new(std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => Box::new(std::io::stdout()),
    });
    let count =
        fieldtrace_server::epcis::write_stored_lot(&storage, &coop, &lot, &options, &created, &mut writer).await?;
    std::io::Write::flush(&mut writer).map_err(|e| format!("writing the export: {e}"))?;
    drop(writer);
    if count == 0 {
        if let Some(path) = &out {
            // Nothing to export: no file that looks like one left behind.
            let _ = std::fs::remove_file(path);
        }
        return Err(format!("co-op {coop:?} has no events for lot {lot:?}"));
    }
    if let Some(path) = &out {
        eprintln!("{count} EPCIS events written to {}", path.display());
    }
    Ok(())
}

async fn run_demo(db: Option<PathBuf>, listen: &str, once: bool, metrics_listen: &str) -> Result<(), String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let db = db.unwrap_or_else(|| scratch.path().join("fieldtrace-demo.db"));
    let storage = Arc::new(SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("listen on {listen}: {e}"))?;
    let url = format!("http://{}/", listener.local_addr().map_err(|e| e.to_string())?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = stopped => {}
            () = shutdown::signalled() => {}
        }
    };
    let config = ServerConfig::default();
    // A busy port must not stop the demo: say so and go on without metrics.
    let metrics_url = match serve_metrics(metrics_listen, storage.clone(), config.metrics.clone()).await {
        Ok(url) => url,
        Err(err) => format!("not served ({err}; choose another with --metrics-listen)"),
    };
    // Stops as `serve` does, within a fixed grace: a browser's connection cannot keep it running.
    let grace = std::time::Duration::from_secs(10);
    let server = tokio::spawn(shutdown::serve_draining(listener, storage.clone(), config, shutdown, grace));
    println!("fieldtrace demo: sync server on {url} (database {})", db.display());
    let report = demo::run(&storage, &url, scratch.path()).await?;
    print!("{}", demo::describe(&report));
    println!("Consumer trace page (a crate of kiwis): {url}t/{}", demo::sample_trace_code());
    println!(
        "Consumer trace page (mangoes, one test value over its limit): {url}t/{}",
        fieldtrace_cli::demo::mango_trace_code()
    );
    println!("Dashboard: {url}ui  (sign in as {} / {}; demo only)", demo::DEMO_MANAGER, demo::DEMO_MANAGER_PASSWORD);
    println!("Metrics (Prometheus text, no sign-in, this machine only): {metrics_url}");
    println!("Lot page (custody, photos, temperature): {url}ui/lots/{}", demo::field_flows::RICHEST_LOT);
    if once {
        let _ = stop.send(());
    } else {
        println!("Serving; Ctrl-C to stop.");
    }
    server.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())
}

/// Binds `listen` and serves the server's metrics there in the background; returns their URL.
/// The task ends with the process: metrics need no graceful shutdown.
async fn serve_metrics(
    listen: &str,
    storage: Arc<SqliteStorage>,
    metrics: fieldtrace_server::observe::Metrics,
) -> Result<String, String> {
    let listener =
        tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("metrics listen on {listen}: {e}"))?;
    let url = format!("http://{}/metrics", listener.local_addr().map_err(|e| e.to_string())?);
    tokio::spawn(async move {
        let serving = fieldtrace_server::observe::serve_metrics(listener, storage, metrics, std::future::pending());
        if let Err(err) = serving.await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    Ok(url)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server's request and sync lines are what `serve` is watched by; other commands run
    // server code in-process (reproject, export) and should print only its warnings.
    let levels = if matches!(cli.command, Command::Serve(_)) { "info" } else { "warn" };
    if let Err(message) = logging::init(cli.log_format, levels) {
        eprintln!("fieldtrace: {message}");
        return ExitCode::FAILURE;
    }
    match run(cli.command).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fieldtrace: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Reports { command } => reports_cli::run(command).await,
        Command::Import { file, server, token, state, dry_run, all_or_nothing, utc_offset, json } => {
            let mut options = ImportOptions::new(file, state.unwrap_or_else(import::default_state_path));
            options.server = server;
            options.token = token;
            options.dry_run = dry_run;
            options.all_or_nothing = all_or_nothing;
            options.utc_offset =
                utc_offset.parse().map_err(|_| format!("--utc-offset {utc_offset:?} is not like +08:00"))?;
            options.progress = !json;
            let report = import::run(&options).await.map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
            } else {
                print!("{}", import::describe(&report));
            }
            Ok(if report.clean() { ExitCode::SUCCESS } else { ExitCode::from(2) })
        }
        other => run_other(other).await.map(|()| ExitCode::SUCCESS),
    }
}

async fn run_other(command: Command) -> Result<(), String> {
    match command {
        Command::Import { .. } | Command::Reports { .. } => Err("handled by run".into()),
        Command::Decode { json, files } => {
            decode_cli::run(&files, json);
            Ok(())
        }
        Command::Serve(given) => {
            let ServeSettings {
                db,
                listen,
                public_url,
                geo_header,
                unpaired_after_ms,
                shutdown_grace_ms,
                metrics_listen,
            } = given.resolve()?;
            let config = ServerConfig { public_url, geo_header, unpaired_after_ms, ..ServerConfig::default() };
            let storage = Arc::new(SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?);
            let listener =
                tokio::net::TcpListener::bind(&listen).await.map_err(|e| format!("listen on {listen}: {e}"))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            println!("fieldtrace sync server on http://{address} (database {})", db.display());
            if let Some(metrics_listen) = metrics_listen {
                let url = serve_metrics(&metrics_listen, storage.clone(), config.metrics.clone()).await?;
                println!("metrics on {url}");
            }
            let grace = std::time::Duration::from_millis(shutdown_grace_ms.unsigned_abs());
            shutdown::serve_draining(listener, storage, config, shutdown::signalled(), grace)
                .await
                .map_err(|e| e.to_string())
        }
        Command::Coop { db, id, name } => {
            let storage = SqliteStorage::open(&db).map_err(|e| e.to_string())?;
            storage.create_coop(&id, &name).await.map_err(|e| e.to_string())?;
            println!("co-op {id} ({name}) ready");
            Ok(())
        }
        Command::Token { db, coop, party, role, valid_hours, server_url } => {
            let role = Role::from_key(&role)
                .ok_or_else(|| format!("unknown role {role:?}: farmer, assistant, driver or manager"))?;
            let storage = SqliteStorage::open(&db).map_err(|e| e.to_string())?;
            let qr = demo::enrollment_qr(&storage, &server_url, &coop, &party, role, valid_hours * 3_600_000).await?;
            println!("{qr}");
            Ok(())
        }
        Command::Demo { db, listen, once, metrics_listen } => run_demo(db, &listen, once, &metrics_listen).await,
        Command::Export { what } => export_epcis(what).await,
        Command::Backup(args) => backup_cli::backup(args).await.map(|summary| print!("{summary}")),
        Command::Restore(args) => backup_cli::restore(args).await.map(|summary| print!("{summary}")),
        Command::Reproject { db, coop } => reproject_cli::run(&db, coop).await.map(|summary| print!("{summary}")),
        Command::Manager { db, coop, name, display_name, totp } => {
            let storage = SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
            let password = match std::env::var("FIELDTRACE_MANAGER_PASSWORD") {
                Ok(password) => password,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line).map_err(|e| format!("reading the password: {e}"))?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let outcome =
                fieldtrace_dashboard::ui::put_manager(&storage, &coop, &name, display_name.as_deref(), &password, totp)
                    .await?;
            println!("manager {name} of co-op {coop} can sign in at /ui");
            if let Some(uri) = outcome {
                println!("add this to an authenticator app: {uri}");
            }
            Ok(())
        }
        Command::Sensors { command } => sensors_cli::run(command).await,
        Command::Alerts { command } => fieldtrace_cli::alerts_cli::run(command).await.map(|text| print!("{text}")),
        Command::Labels(args) => {
            let printed = labels::run(args).map_err(|e| e.to_string())?;
            println!("{} labels for {}:", printed.codes.len(), printed.product);
            for code in &printed.codes {
                println!("{code}");
            }
            for file in &printed.files {
                println!("wrote {}", file.display());
            }
            Ok(())
        }
    }
}
