//! `fieldtrace`: the operator's tool. `serve` runs the sync server; `coop` and `token` prepare a
//! co-op and the one-time enrollment tokens its phones scan.

mod decode_cli;

use clap::{Parser, Subcommand};
use fieldtrace_core::model::{PartyId, Role};
use fieldtrace_sync::secrets::{generate_secret, hash_secret};
use fieldtrace_sync::storage::sqlite::SqliteStorage;
use fieldtrace_sync::storage::{NewEnrollmentToken, Storage};
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
    },
    /// Read the barcodes in JPEG/PNG files (`--json`: one JSON line per file).
    Decode {
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
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
        Command::Token { db, coop, party, role, valid_hours } => {
            let role = Role::from_key(&role)
                .ok_or_else(|| format!("unknown role {role:?}: farmer, assistant, driver or manager"))?;
            let storage = SqliteStorage::open(&db).map_err(|e| e.to_string())?;
            let token = generate_secret().map_err(|e| e.to_string())?;
            let expires_at_ms = fieldtrace_sync::api::now_ms() + valid_hours * 3_600_000;
            storage
                .create_enrollment_token(NewEnrollmentToken {
                    token_hash: hash_secret(&token),
                    coop,
                    party: PartyId(party),
                    role,
                    expires_at_ms,
                })
                .await
                .map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
    }
}
