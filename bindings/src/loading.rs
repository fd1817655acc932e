//! A driver's loading screen: `FieldTrace.start_loading(trip)` gives a `LoadingSession` object
//! ("已装 x / y", the missing list, loud warnings, departure). The core's `LoadingSession`
//! decides every outcome (`docs/aggregation.md`); this only converts.

use crate::error::FieldTraceError;
use crate::field_trace::{lock, FieldTrace};
use crate::records::Receipt;
use fieldtrace_core::model::EventId;
use fieldtrace_core::session as core;
use std::sync::{Arc, Mutex};

/// What a loading scan found: the shell speaks or flashes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LoadOutcome {
    /// On the manifest (or holds listed units) and now counted.
    Loaded,
    /// Not on the manifest and holding nothing listed: warn loudly (recorded so the server sees it).
    NotOnManifest,
    /// Scanned before, or everything it stands for is already counted: warn; nothing recorded.
    AlreadyLoaded,
}

/// "Loaded x of y" and what is still missing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoadingProgress {
    pub trip: String,
    pub expected: u32,
    pub loaded: u32,
    /// Manifest entries not loaded yet, in manifest order.
    pub missing: Vec<String>,
    /// Scanned units the manifest does not list, in scan order.
    pub off_manifest: Vec<String>,
    pub departed: bool,
}

/// One scan at the vehicle.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoadScan {
    pub code: String,
    pub outcome: LoadOutcome,
    /// The manifest entries this scan counted (the code itself, or listed units inside a box).
    pub counted: Vec<String>,
    /// The trip event recorded, if any (for `undo`).
    pub event_id: Option<String>,
    pub progress: LoadingProgress,
}

/// The recorded departure: the count the vehicle left with.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DepartureReceipt {
    pub event_id: String,
    pub progress: LoadingProgress,
    pub recorded_at_ms: i64,
}

impl From<core::LoadOutcome> for LoadOutcome {
    fn from(outcome: core::LoadOutcome) -> Self {
        match outcome {
            core::LoadOutcome::Loaded => LoadOutcome::Loaded,
            core::LoadOutcome::NotOnManifest => LoadOutcome::NotOnManifest,
            core::LoadOutcome::AlreadyLoaded => LoadOutcome::AlreadyLoaded,
        }
    }
}

impl From<core::LoadingProgress> for LoadingProgress {
    fn from(progress: core::LoadingProgress) -> Self {
        Self {
            trip: progress.trip,
            expected: progress.expected,
            loaded: progress.loaded,
            missing: progress.missing,
            off_manifest: progress.off_manifest,
            departed: progress.departed,
        }
    }
}

impl From<core::LoadScan> for LoadScan {
    fn from(scan: core::LoadScan) -> Self {
        Self {
            code: scan.code,
            outcome: scan.outcome.into(),
            counted: scan.counted,
            event_id: scan.event_id.map(|id| id.to_string()),
            progress: scan.progress.into(),
        }
    }
}

impl From<core::DepartureReceipt> for DepartureReceipt {
    fn from(receipt: core::DepartureReceipt) -> Self {
        Self {
            event_id: receipt.event_id.to_string(),
            progress: receipt.progress.into(),
            recorded_at_ms: receipt.recorded_at.timestamp_millis(),
        }
    }
}

/// One driver's loading of one trip. Its state is rebuilt from the phone's database, so starting
/// it again (after a restart, a sync) resumes where it was.
#[derive(uniffi::Object)]
pub struct LoadingSession {
    inner: Mutex<core::LoadingSession>,
}

#[uniffi::export]
impl FieldTrace {
    /// Starts (or resumes) loading `trip` against its manifest (built here with
    /// `set_trip_manifest`, or received by sync). `trip_no_manifest` when there is none yet.
    pub fn start_loading(&self, trip: String) -> Result<Arc<LoadingSession>, FieldTraceError> {
        let inner = lock(&self.session).start_loading(&trip)?;
        Ok(Arc::new(LoadingSession { inner: Mutex::new(inner) }))
    }
}

#[uniffi::export]
impl LoadingSession {
    /// Where loading stands now.
    pub fn progress(&self) -> LoadingProgress {
        lock(&self.inner).progress().into()
    }

    /// The manifest's codes, in order.
    pub fn manifest(&self) -> Vec<String> {
        lock(&self.inner).manifest().to_vec()
    }

    /// A unit scanned at the vehicle: loaded, not on the manifest, or already loaded.
    pub fn scan(&self, payload: String) -> Result<LoadScan, FieldTraceError> {
        Ok(lock(&self.inner).scan(&payload)?.into())
    }

    /// Takes back a loading scan made in the last 10 seconds.
    pub fn undo(&self, event_id: String) -> Result<Receipt, FieldTraceError> {
        let id = EventId::parse(&event_id)
            .ok_or_else(|| FieldTraceError::invalid_input("event_id_invalid", "the event id is not a UUID"))?;
        Ok(lock(&self.inner).undo(id)?.into())
    }

    /// Re-reads the manifest and the trip's loads (after a sync brought another phone's scans).
    pub fn reload(&self) -> Result<LoadingProgress, FieldTraceError> {
        let mut inner = lock(&self.inner);
        inner.reload()?;
        Ok(inner.progress().into())
    }

    /// The vehicle leaves: records loaded of expected, the missing and off-manifest codes.
    pub fn depart(&self, note: Option<String>) -> Result<DepartureReceipt, FieldTraceError> {
        Ok(lock(&self.inner).depart(note)?.into())
    }
}
