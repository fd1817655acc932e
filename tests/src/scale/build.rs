//! Builds one co-op of N events in a real SQLite file through the storage layer, without HTTP,
//! and measures sustained ingest with projections on: the season is pushed in large batches (as
//! a relay or a village's phones syncing at once would) and the projector catches up after every
//! few pushes, as the server does after each push. Only pushing and projecting are timed;
//! generating events, enrolling devices and evaluating the season's alerts are reported apart.

use super::cast::*;
use super::season::{season_days, units_for, Season, SeasonInfo};
use fieldtrace_core::model::{DeviceId, Event, Role};
use fieldtrace_core::sync::new_secret;
use fieldtrace_server::alerts::dispatch::evaluate;
use fieldtrace_server::projection::Projector;
use fieldtrace_server::secrets::hash_secret;
use fieldtrace_server::storage::prelude::*;
use fieldtrace_server::storage::{NewEnrollmentToken, ProjectionProgress, PushOutcome, StorageError};
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Events per storage push: a busy village's worth of phones syncing together.
pub const PUSH_BATCH: usize = 1_000;
/// Pushes between projector catch-ups. A server catches up after every push; batching a few
/// lets the projector amortize its look-ups the way it does under concurrent pushes.
pub const CATCH_UP_EVERY: usize = 4;
/// The dashboard account the measurements sign in with.
pub const MANAGER_LOGIN: &str = "chen";

/// A device the measurements use, enrolled before the server starts.
#[derive(Debug, Clone)]
pub struct Credential {
    pub device: DeviceId,
    /// `Authorization: Bearer` value: `<device id>:<credential>`.
    pub bearer: String,
}

/// A one-time enrollment token (not yet redeemed) for a phone the measurements open.
#[derive(Debug, Clone)]
pub struct PendingPhone {
    pub party: String,
    pub role: Role,
    pub token: String,
}

/// What building one co-op produced and cost.
pub struct Built {
    pub db: PathBuf,
    pub events: u64,
    pub info: SeasonInfo,
    pub generate: Duration,
    pub push: Duration,
    pub project: Duration,
    /// Alerts the server's rules filed while the season arrived, and the abnormal findings the
    /// generator made (each should have raised one).
    pub alerts_filed: usize,
    pub findings: usize,
    pub file_alerts: Duration,
    pub build: Duration,
    /// Database file plus write-ahead log after a truncating checkpoint.
    pub db_bytes: u64,
    pub manager_device: Credential,
    pub manager_password: String,
    pub phone: PendingPhone,
}

impl Built {
    /// Events per second through storage with projections kept up to date.
    pub fn ingest_events_per_s(&self) -> f64 {
        self.events as f64 / (self.push + self.project).as_secs_f64().max(1e-9)
    }
}

fn err(context: &str) -> impl Fn(StorageError) -> String + '_ {
    move |e| format!("{context}: {e}")
}

/// Enrolls every phone of the cast (their devices record the season) and returns the manager
/// device's credential, which the EPCIS export authenticates with.
async fn enroll_cast(storage: &SqliteStorage, members: &[Member], now_ms: i64) -> Result<Credential, String> {
    let mut manager = None;
    for member in members {
        let token = new_secret().map_err(|e| e.to_string())?;
        let new = NewEnrollmentToken {
            token_hash: hash_secret(&token),
            coop: COOP.to_owned(),
            party: member.party.clone(),
            role: member.role,
            expires_at_ms: i64::MAX,
        };
        storage.create_enrollment_token(new).await.map_err(err("enrollment token"))?;
        let credential = new_secret().map_err(|e| e.to_string())?;
        storage
            .enroll(hash_secret(&token), member.device, hash_secret(&credential), now_ms)
            .await
            .map_err(err("enrolling a cast phone"))?;
        if member.role == Role::Manager {
            manager = Some(Credential { device: member.device, bearer: format!("{}:{credential}", member.device) });
        }
    }
    manager.ok_or_else(|| "the cast has no manager phone".to_owned())
}

/// The timed part of the build: pushes events in [`PUSH_BATCH`]es and catches the projector up
/// every [`CATCH_UP_EVERY`] pushes, adding up the time each took.
struct Ingest<'a> {
    storage: &'a SqliteStorage,
    projector: Projector,
    pushes: usize,
    push: Duration,
    project: Duration,
}

impl Ingest<'_> {
    async fn push(&mut self, events: Vec<Event>) -> Result<(), String> {
        let mut events = events.into_iter();
        loop {
            let batch: Vec<Event> = events.by_ref().take(PUSH_BATCH).collect();
            // The device column is each event's recorder; the push's device is only stamped as
            // last seen, so the batch goes in under its first event's phone.
            let Some(device) = batch.first().map(|event| event.recorder.device) else { break };
            let now = fieldtrace_server::now_ms();
            let started = Instant::now();
            let outcomes = self.storage.push(COOP, device, batch, now).await.map_err(err("pushing a batch"))?;
            self.push += started.elapsed();
            if let Some(known) = outcomes.iter().position(|o| matches!(o, PushOutcome::Known)) {
                return Err(format!(
                    "event {known} of a pushed batch was already stored: the generator repeated an id"
                ));
            }
            self.pushes += 1;
            if self.pushes.is_multiple_of(CATCH_UP_EVERY) {
                self.catch_up().await?;
            }
        }
        Ok(())
    }

    async fn catch_up(&mut self) -> Result<ProjectionProgress, String> {
        let started = Instant::now();
        let progress = self.projector.catch_up(self.storage, COOP).await.map_err(err("projecting"))?;
        self.project += started.elapsed();
        Ok(progress)
    }
}

/// Builds a co-op of exactly `target` events from `seed` in a new database at `db`.
/// `progress` receives one line now and then for stderr.
pub async fn build(db: &Path, seed: u64, target: u64, progress: &dyn Fn(String)) -> Result<Built, String> {
    let began = Instant::now();
    let storage = SqliteStorage::open(db).map_err(|e| format!("opening {}: {e}", db.display()))?;
    storage.create_coop(COOP, COOP_NAME).await.map_err(err("creating the co-op"))?;
    let mut generate = Duration::ZERO;
    let started = Instant::now();
    let mut season = Season::new(seed, target, units_for(seed, target), season_days(target));
    generate += started.elapsed();

    let now = fieldtrace_server::now_ms();
    let manager_device = enroll_cast(&storage, season.members(), now).await?;
    let manager_password = new_secret().map_err(|e| e.to_string())?;
    fieldtrace_dashboard::ui::put_manager(&storage, COOP, MANAGER_LOGIN, Some("陈经理"), &manager_password, false)
        .await?;
    // The measured phone: a farmer's new phone, enrolled over HTTP once the server runs.
    let phone_party = farmer_party(0, 1);
    let token = new_secret().map_err(|e| e.to_string())?;
    let offer = NewEnrollmentToken {
        token_hash: hash_secret(&token),
        coop: COOP.to_owned(),
        party: fieldtrace_core::model::PartyId::new(phone_party.clone()),
        role: Role::Farmer,
        expires_at_ms: i64::MAX,
    };
    storage.create_enrollment_token(offer).await.map_err(err("enrollment token"))?;
    let phone = PendingPhone { party: phone_party, role: Role::Farmer, token };

    let mut ingest = Ingest {
        storage: &storage,
        projector: Projector::new(),
        pushes: 0,
        push: Duration::ZERO,
        project: Duration::ZERO,
    };
    let (mut events, mut alerts_filed, mut file_alerts, mut findings) = (0u64, 0usize, Duration::ZERO, 0usize);
    let mut reported = 0u64;
    loop {
        let started = Instant::now();
        let Some(batch) = season.next_day() else { break };
        for event in &batch {
            event.validate().map_err(|e| format!("the generator made an invalid event {}: {e}", event.id))?;
        }
        findings += season.take_findings().len();
        generate += started.elapsed();
        events += batch.len() as u64;
        ingest.push(batch).await?;
        // The day's alerts, by the server's own incremental evaluation (as its alert task would
        // have run after those pushes): timed apart from ingest.
        let started = Instant::now();
        let config = fieldtrace_server::ServerConfig::default();
        alerts_filed +=
            evaluate(&storage, &config, &ingest.projector, false).await.map_err(err("evaluating alerts"))?;
        file_alerts += started.elapsed();
        if events >= reported + target / 10 {
            reported = events;
            progress(format!("  {events} of {target} events stored ({:.0} s)", began.elapsed().as_secs_f64()));
        }
    }
    let last = ingest.catch_up().await?;
    if last.checkpoint < last.head {
        return Err(format!("projection stopped at {} of {}", last.checkpoint, last.head));
    }
    if events != target {
        return Err(format!("the season has {events} events, {target} were asked for"));
    }
    let (push, project) = (ingest.push, ingest.project);
    drop(storage);
    let db_bytes = checkpoint_and_measure(db)?;
    Ok(Built {
        db: db.to_owned(),
        events,
        info: season.info.clone(),
        generate,
        push,
        project,
        alerts_filed,
        findings,
        file_alerts,
        build: began.elapsed(),
        db_bytes,
        manager_device,
        manager_password,
        phone,
    })
}

/// Folds the write-ahead log into the database (`wal_checkpoint(TRUNCATE)`) and returns the bytes
/// of the database and its log, what the co-op's data occupies at rest.
fn checkpoint_and_measure(db: &Path) -> Result<u64, String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| format!("reopening {}: {e}", db.display()))?;
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .map_err(|e| format!("checkpointing {}: {e}", db.display()))?;
    if busy != 0 {
        return Err(format!("checkpointing {}: the database was busy", db.display()));
    }
    drop(conn);
    let size = |path: PathBuf| std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let main = std::fs::metadata(db).map_err(|e| format!("{}: {e}", db.display()))?.len();
    Ok(main + size(PathBuf::from(wal)))
}
