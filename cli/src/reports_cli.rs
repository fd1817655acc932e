//! `fieldtrace reports import --coop C --lot L FILE.csv`: a lab's test reports into the server's
//! database (the operator's shell on the server, like `coop` and `manager`). Exit code 0: every
//! report stored or already there; 2: some rows had problems or a report number was taken by
//! another report (listed); 1: nothing could be done.

use clap::{Args, Subcommand};
use fieldtrace_server::reports::import_csv;
use fieldtrace_server::storage::ReportOutcome;
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ReportsCommand {
    /// Import a lab's CSV (one analyte per row; zh or en headers: docs/test-reports.md).
    Import(ImportArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    #[arg(long, default_value = "fieldtrace.db")]
    db: PathBuf,
    #[arg(long)]
    coop: String,
    /// The lot the samples were taken from.
    #[arg(long)]
    lot: String,
    file: PathBuf,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub async fn run(command: ReportsCommand) -> Result<ExitCode, String> {
    let ReportsCommand::Import(args) = command;
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let storage = SqliteStorage::open(&args.db).map_err(|e| format!("{}: {e}", args.db.display()))?;
    let summary = import_csv(&storage, &args.coop, &args.lot, &bytes, "cli")
        .await
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())?);
    } else {
        for (number, outcome) in &summary.outcomes {
            let said = match outcome {
                ReportOutcome::Stored => "stored",
                ReportOutcome::Unchanged => "already there, unchanged",
                ReportOutcome::Conflict => "NOT stored: another report has this number",
            };
            println!("report {number}: {said}");
        }
        for problem in &summary.problems {
            eprintln!("{}: {problem}", args.file.display());
        }
        for number in &summary.refused {
            eprintln!("report {number}: NOT stored (problems above)");
        }
    }
    Ok(if summary.clean() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}
