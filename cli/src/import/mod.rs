//! `fieldtrace import FILE.{csv,xlsx}`: a village assistant's batch upload of farming records and
//! lots. The file is read here (CSV/XLSX), each row is mapped by the core
//! (`fieldtrace_core::import`: headers in Chinese or English, values checked, ids derived from the
//! row's content), and the events go through the same store, outbox and sync client a phone uses
//! (see `identity` for the state file). Mapping rules: `docs/import.md`.

mod identity;
mod read;
mod report;

pub use identity::default_state_path;
pub use read::{csv_table, read_table, xlsx_table, Table};
pub use report::describe;

use chrono::{Duration, FixedOffset, Offset, Utc};
use fieldtrace_core::farm::{phi_flags, PhiFlag};
use fieldtrace_core::import::{Header, ImportContext, Problem, RowMapper, RowOutcome};
use fieldtrace_core::model::{Actor, Event, EventId, PartyId, Role};
use fieldtrace_core::store::BatchRecorded;
use fieldtrace_core::sync::{SyncClient, SyncConfig};
use fieldtrace_core::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}: no header row (the first non-empty row names the columns)")]
    NoHeader { file: String },
    #[error("{file}: the header row cannot be used:\n{}", list(file, problems))]
    Header { file: String, problems: Vec<Problem> },
    #[error("state file: {0}")]
    State(String),
    #[error("enrollment: {0}")]
    Enroll(String),
    #[error("sending to the server failed: {0}; the records are kept in the state file and go with the next import")]
    Sync(String),
}

fn list(file: &str, problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {file}: {p}")).collect::<Vec<_>>().join("\n")
}

/// Events recorded per store transaction: bounds memory for the progress bar, not correctness.
const RECORD_CHUNK: usize = 5_000;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub file: PathBuf,
    pub server: Option<String>,
    pub token: Option<String>,
    pub state: PathBuf,
    pub dry_run: bool,
    pub all_or_nothing: bool,
    /// The co-op's UTC offset; the sheet's dates are its calendar days.
    pub utc_offset: FixedOffset,
    /// Draw progress bars on stderr (still hidden when stderr is not a terminal).
    pub progress: bool,
    pub sync: SyncConfig,
}

impl ImportOptions {
    pub fn new(file: PathBuf, state: PathBuf) -> Self {
        Self {
            file,
            server: None,
            token: None,
            state,
            dry_run: false,
            all_or_nothing: false,
            // China has one time zone, UTC+8, all year.
            utc_offset: FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix()),
            progress: false,
            // Large batches: a file is sent on a good connection, and the per-device rate limit
            // counts requests.
            sync: SyncConfig { push_batch: 1_000, ..SyncConfig::default() },
        }
    }
}

/// What an import did, for the assistant (text) or a script (`--json`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    /// Who the records were made by (the recorder), e.g. `assistant-wang (assistant)`.
    pub recorder: String,
    /// Non-blank rows below the header.
    pub rows: u64,
    pub valid_rows: u64,
    pub problems: Vec<String>,
    pub dry_run: bool,
    /// Nothing was recorded because `--all-or-nothing` met a bad row.
    pub refused_all: bool,
    /// New in the state file now / already there from an earlier import of the same rows.
    pub recorded: u64,
    pub already_recorded: u64,
    /// The server's verdicts on everything sent (the state file's whole outbox).
    pub accepted: u64,
    pub known: u64,
    pub refused: u64,
    /// Still waiting in the state file afterwards.
    pub pending: u64,
    pub phi_flags: Vec<PhiFlag>,
    /// Time spent reading and checking, saving in the state file, checking PHI, sending.
    pub parse_ms: u64,
    pub record_ms: u64,
    pub phi_ms: u64,
    pub push_ms: u64,
    pub total_ms: u64,
}

impl ImportReport {
    /// Whether every row imported (the exit code's question).
    pub fn clean(&self) -> bool {
        self.problems.is_empty() && self.refused == 0
    }
}

pub async fn run(options: &ImportOptions) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let file = options.file.display().to_string();
    let table = read_table(&options.file)?;
    let mut rows = table.rows.into_iter().skip_while(|(_, cells)| cells.iter().all(|c| c.is_blank()));
    let (header_row, header_cells) = rows.next().ok_or_else(|| ImportError::NoHeader { file: file.clone() })?;
    let header = Header::parse(&header_cells, header_row)
        .map_err(|problems| ImportError::Header { file: file.clone(), problems })?;

    let (store, recorder) = open_identity(options).await?;
    let state_err = |e: fieldtrace_core::Error| ImportError::State(e.to_string());
    let today = Utc::now().with_timezone(&options.utc_offset).date_naive();
    let context = ImportContext {
        coop: recorder.coop.clone(),
        recorder: recorder.actor.clone(),
        device: store.device_id(),
        utc_offset: options.utc_offset,
        latest_date: today + Duration::days(1),
    };
    let mut report = ImportReport {
        file: file.clone(),
        recorder: format!("{} ({})", recorder.actor.party, recorder.actor.role.key()),
        dry_run: options.dry_run,
        ..ImportReport::default()
    };

    let rows: Vec<_> = rows.collect();
    let bar = progress(options, rows.len() as u64, "checking rows");
    let mut mapper = RowMapper::new(header, context);
    let mut events = Vec::with_capacity(rows.len());
    for (number, cells) in &rows {
        match mapper.map_row(*number, cells) {
            RowOutcome::Blank => {}
            RowOutcome::Event(event) => {
                report.rows += 1;
                events.push(*event);
            }
            RowOutcome::Problems(problems) => {
                report.rows += 1;
                report.problems.extend(problems.iter().map(|p| format!("{file}: {p}")));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    report.valid_rows = events.len() as u64;
    report.parse_ms = started.elapsed().as_millis() as u64;

    let refuse_all = options.all_or_nothing && !report.problems.is_empty();
    if options.dry_run || refuse_all {
        report.refused_all = refuse_all;
        report.phi_flags = flags_touching(&store, &events, &[]).map_err(state_err)?;
        report.total_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }

    let ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    let stage = Instant::now();
    let recorded = record(options, &store, events).map_err(state_err)?;
    report.recorded = recorded.added;
    report.already_recorded = recorded.known;
    report.record_ms = stage.elapsed().as_millis() as u64;
    let stage = Instant::now();
    report.phi_flags = flags_touching(&store, &[], &ids).map_err(state_err)?;
    report.phi_ms = stage.elapsed().as_millis() as u64;
    let stage = Instant::now();
    push(options, store, &mut report).await?;
    report.push_ms = stage.elapsed().as_millis() as u64;
    report.total_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

struct Recorder {
    coop: String,
    actor: Actor,
}

/// The state file and who it is enrolled as. A dry run never enrolls (that would spend the
/// one-time token) and never creates a state file.
async fn open_identity(options: &ImportOptions) -> Result<(Arc<Store>, Recorder), ImportError> {
    let state_err = |e: String| ImportError::State(format!("{}: {e}", options.state.display()));
    if options.dry_run && !options.state.exists() {
        let store = Store::open_in_memory().map_err(|e| state_err(e.to_string()))?;
        let actor = Actor { party: PartyId::new("(not enrolled yet)"), role: Role::Assistant };
        return Ok((Arc::new(store), Recorder { coop: String::new(), actor }));
    }
    if let Some(parent) = options.state.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| state_err(e.to_string()))?;
    }
    let store = Arc::new(Store::open(&options.state).map_err(|e| state_err(e.to_string()))?);
    let client = SyncClient::new(store.clone(), options.sync.clone()).map_err(|e| state_err(e.to_string()))?;
    let enrollment = if options.dry_run {
        client.enrollment().map_err(|e| state_err(e.to_string()))?
    } else {
        let server = options.server.as_deref();
        Some(identity::ensure_enrolled(&client, &options.state, server, options.token.as_deref()).await?)
    };
    let (coop, actor) = match enrollment {
        Some(e) => (e.coop, Actor { party: e.party, role: e.role }),
        None => (String::new(), Actor { party: PartyId::new("(not enrolled yet)"), role: Role::Assistant }),
    };
    Ok((store, Recorder { coop, actor }))
}

fn record(options: &ImportOptions, store: &Store, events: Vec<Event>) -> fieldtrace_core::Result<BatchRecorded> {
    let bar = progress(options, events.len() as u64, "saving");
    let mut total = BatchRecorded::default();
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let chunk: Vec<Event> = events.by_ref().take(RECORD_CHUNK).collect();
        let size = chunk.len() as u64;
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        let done = store.record_local_batch(now_ms, chunk)?;
        total.added += done.added;
        total.known += done.known;
        bar.inc(size);
    }
    bar.finish_and_clear();
    Ok(total)
}

/// Flags of every event held plus `extra`, keeping those that concern `extra` or `ids`: a
/// harvest imported today is checked against sprayings imported last week.
fn flags_touching(store: &Store, extra: &[Event], ids: &[EventId]) -> fieldtrace_core::Result<Vec<PhiFlag>> {
    let held: Vec<Event> = store.all_events()?.into_iter().map(|stored| stored.event).collect();
    let mine: HashSet<EventId> = extra.iter().map(|e| e.id).chain(ids.iter().copied()).collect();
    let flags = phi_flags(held.iter().chain(extra));
    Ok(flags.into_iter().filter(|f| mine.contains(&f.spraying) || mine.contains(&f.harvest)).collect())
}

/// Sends the state file's outbox through the core's sync client, in batches.
async fn push(options: &ImportOptions, store: Arc<Store>, report: &mut ImportReport) -> Result<(), ImportError> {
    let pending = store.outbox_pending_count().map_err(|e| ImportError::State(e.to_string()))?;
    let client = SyncClient::new(store, options.sync.clone()).map_err(|e| ImportError::State(e.to_string()))?;
    let bar = progress(options, pending, "sending");
    let mut status = client.subscribe();
    let watcher = {
        let bar = bar.clone();
        tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let pushed = status.borrow().pushed;
                bar.set_position(pushed);
            }
        })
    };
    let outcome = client.push_now().await;
    watcher.abort();
    bar.finish_and_clear();
    let sent = outcome.map_err(|e| ImportError::Sync(e.to_string()))?;
    report.accepted = sent.accepted;
    report.known = sent.known;
    report.refused = sent.refused;
    report.pending = sent.pending;
    Ok(())
}

fn progress(options: &ImportOptions, length: u64, what: &'static str) -> ProgressBar {
    if !options.progress || length < 1_000 {
        return ProgressBar::hidden();
    }
    // `stderr()` draws nothing when stderr is not a terminal (a log file, CI).
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:>14} [{bar:40}] {pos}/{len} ({per_sec}, {eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what);
    bar
}
