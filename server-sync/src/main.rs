//! `fieldtrace`: the operator's tool. `serve` runs the sync server, `demo` a whole co-op on this machine,
//! `decode` reads barcodes in image files, `sensors import` a box logger's CSV, `labels` prints trace-code label sheets; `coop` and `token` prepare a
//! co-op and the one-time enrollment tokens its phones scan.

mod decode_cli;
mod labels;
mod sensors_cli;

use clap::{Parser, Subcommand};
use fieldtrace_core::model::Role;
use fieldtrace_sync::demo;
use fieldtrace_sync::storage::sqlite::SqliteStorage;
use fieldtrace_sync::storage::Storage;
use fieldtrace_sync::ServerConfig;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "fieldtrace", version, about = "FieldTrace operator tool: sync server and co-op set-up")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sync server.
    Serve {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
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
    /// Temperature/humidity loggers: import a logger's CSV export into a device store.
    Sensors {
        #[command(subcommand)]
        command: sensors_cli::SensorsCommand,
    },
    /// Print a sheet of new trace-code QR labels for a lot (PNG, SVG or PDF, A4, 3 × 8).
    Labels(labels::LabelsArgs),
    /// Read the barcodes in JPEG/PNG files (`--json`: one JSON line per file).
    Decode {
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

async fn run_demo(db: Option<PathBuf>, listen: &str, once: bool) -> Result<(), String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("temporary folder: {e}"))?;
    let db = db.unwrap_or_else(|| scratch.path().join("fieldtrace-demo.db"));
    let storage = Arc::new(SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("listen on {listen}: {e}"))?;
    let url = format!("http://{}/", listener.local_addr().map_err(|e| e.to_string())?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = stopped => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let server = tokio::spawn(fieldtrace_sync::serve(listener, storage.clone(), ServerConfig::default(), shutdown));
    println!("fieldtrace demo: sync server on {url} (database {})", db.display());
    let report = demo::run(&storage, &url, scratch.path()).await?;
    print!("{}", demo::describe(&report));
    println!("Dashboard (sync API until the manager dashboard lands): {url}v1/health");
    if once {
        let _ = stop.send(());
    } else {
        println!("Serving; Ctrl-C to stop.");
    }
    server.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse().command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("fieldtrace: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Decode { json, files } => {
            decode_cli::run(&files, json);
            Ok(())
        }
        Command::Serve { db, listen } => {
            let storage = SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
            let listener =
                tokio::net::TcpListener::bind(&listen).await.map_err(|e| format!("listen on {listen}: {e}"))?;
            let address = listener.local_addr().map_err(|e| e.to_string())?;
            println!("fieldtrace sync server on http://{address} (database {})", db.display());
            let shutdown = async {
                let _ = tokio::signal::ctrl_c().await;
            };
            fieldtrace_sync::serve(listener, Arc::new(storage), ServerConfig::default(), shutdown)
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
        Command::Demo { db, listen, once } => run_demo(db, &listen, once).await,
        Command::Sensors { command } => sensors_cli::run(command).await,
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
