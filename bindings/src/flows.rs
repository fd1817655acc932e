//! The field flows on `FieldTrace` that need no session of their own: packing boxes and pallets,
//! trip manifests, delivery confirmation, the working lot, photos and piece counts. Each method
//! converts its arguments, calls one core function and converts the answer; the rules are in
//! `fieldtrace_core::session` (see `docs/aggregation.md`, `docs/photos.md`).

use crate::error::FieldTraceError;
use crate::field_trace::{lock, FieldTrace};
use crate::records::Receipt;
use crate::vocabulary::AbnormalReason;
use fieldtrace_core::clock::{SystemClock, WallClock};
use fieldtrace_core::model::{LotId, PhotoRef};
use fieldtrace_core::pieces::Month;
use fieldtrace_core::session as core;
use fieldtrace_core::store::PhotoQueueStatus;

/// A unit a pack took out of another container.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MovedUnit {
    pub code: String,
    pub from_container: String,
}

/// What a pack or unpack did ("箱 X: 40 件").
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PackResult {
    /// Absent when every unit was already where it was asked to be: nothing was recorded.
    pub event_id: Option<String>,
    pub container: String,
    /// The units packed or unpacked by this call.
    pub units: Vec<String>,
    /// For a pack: units taken out of another container by it.
    pub moved_from: Vec<MovedUnit>,
    /// Units in the container now, at every depth.
    pub contents: u64,
    /// Device time (UTC ms) until which `undo` is accepted.
    pub undo_until_ms: Option<i64>,
}

/// What a container holds now.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ContainerContents {
    pub container: String,
    /// Directly inside (a pallet's boxes), sorted.
    pub direct: Vec<String>,
    /// At every depth (the boxes and their items), sorted.
    pub all: Vec<String>,
}

/// A recorded delivery.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeliveryReceipt {
    pub event_id: String,
    pub trip: String,
    pub recipient: String,
    /// The units recorded as delivered.
    pub units: Vec<String>,
    /// SHA-256 (hex) of the photos attached.
    pub photos: Vec<String>,
    pub recorded_at_ms: i64,
}

/// "2 photos waiting": the photo upload queue.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PhotoQueue {
    /// Photos named by a report and not yet confirmed by the server.
    pub pending: u64,
    /// Of those, photos whose report itself still waits in the outbox.
    pub waiting_for_events: u64,
    /// Photos whose last upload attempt failed.
    pub failing: u64,
    /// The error key of the latest failure, if a photo is failing.
    pub last_error_key: Option<String>,
    /// Photos the server has confirmed.
    pub uploaded: u64,
}

/// One day's pieces.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DayPieces {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub pieces: u64,
}

/// A user's pieces in one month, per day (days without pieces left out): what an assistant is
/// paid for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PieceCounts {
    pub party_id: String,
    /// `YYYY-MM`.
    pub month: String,
    pub days: Vec<DayPieces>,
    pub total: u64,
}

impl From<core::PackReceipt> for PackResult {
    fn from(receipt: core::PackReceipt) -> Self {
        Self {
            event_id: receipt.event_id.map(|id| id.to_string()),
            container: receipt.container,
            units: receipt.units,
            moved_from: receipt
                .moved_from
                .into_iter()
                .map(|moved| MovedUnit { code: moved.code, from_container: moved.from })
                .collect(),
            contents: receipt.contents,
            undo_until_ms: receipt.undo_until_ms,
        }
    }
}

impl From<core::ContainerContents> for ContainerContents {
    fn from(contents: core::ContainerContents) -> Self {
        Self { container: contents.container, direct: contents.direct, all: contents.all }
    }
}

impl From<core::DeliveryReceipt> for DeliveryReceipt {
    fn from(receipt: core::DeliveryReceipt) -> Self {
        Self {
            event_id: receipt.event_id.to_string(),
            trip: receipt.trip,
            recipient: receipt.recipient,
            units: receipt.units,
            photos: receipt.photos.into_iter().map(|photo| photo.0).collect(),
            recorded_at_ms: receipt.recorded_at.timestamp_millis(),
        }
    }
}

impl From<PhotoQueueStatus> for PhotoQueue {
    fn from(status: PhotoQueueStatus) -> Self {
        Self {
            pending: status.pending,
            waiting_for_events: status.waiting_for_events,
            failing: status.failing,
            last_error_key: status.last_error,
            uploaded: status.uploaded,
        }
    }
}

impl From<fieldtrace_core::pieces::PieceCounts> for PieceCounts {
    fn from(counts: fieldtrace_core::pieces::PieceCounts) -> Self {
        Self {
            party_id: counts.party,
            month: counts.month,
            days: counts.days.into_iter().map(|day| DayPieces { date: day.date, pieces: day.pieces }).collect(),
            total: counts.total,
        }
    }
}

fn photo_refs(photos: Vec<String>) -> Vec<PhotoRef> {
    photos.into_iter().map(PhotoRef).collect()
}

#[uniffi::export]
impl FieldTrace {
    /// Packs the scanned units into the scanned container (box, pallet); a unit in another
    /// container leaves it. Refused, with nothing recorded, if a unit is or holds the container.
    pub fn pack(&self, container: String, units: Vec<String>) -> Result<PackResult, FieldTraceError> {
        Ok(lock(&self.session).pack(&container, &units)?.into())
    }

    /// Takes the scanned units out of the scanned container; each must be directly in it.
    pub fn unpack(&self, container: String, units: Vec<String>) -> Result<PackResult, FieldTraceError> {
        Ok(lock(&self.session).unpack(&container, &units)?.into())
    }

    /// Empties the scanned container (a box taken off a pallet keeps its own contents).
    pub fn unpack_all(&self, container: String) -> Result<PackResult, FieldTraceError> {
        Ok(lock(&self.session).unpack_all(&container)?.into())
    }

    /// What the scanned container holds now.
    pub fn contents(&self, container: String) -> Result<ContainerContents, FieldTraceError> {
        Ok(lock(&self.session).contents(&container)?.into())
    }

    /// Sets a trip's manifest to the scanned units (a manifest built on the device; one from the
    /// server arrives by sync). Returns the recorded event's id.
    pub fn set_trip_manifest(&self, trip: String, units: Vec<String>) -> Result<String, FieldTraceError> {
        Ok(lock(&self.session).set_trip_manifest(&trip, &units)?.id.to_string())
    }

    /// Records that the scanned units of `trip` (none scanned: what the trip departed with, else
    /// its manifest) were handed to `recipient`, with optional photos from `save_photo`.
    pub fn confirm_delivery(
        &self,
        trip: String,
        scanned: Vec<String>,
        recipient: String,
        photos: Vec<String>,
        note: Option<String>,
    ) -> Result<DeliveryReceipt, FieldTraceError> {
        let receipt = lock(&self.session).confirm_delivery(&trip, &scanned, &recipient, photo_refs(photos), note)?;
        Ok(receipt.into())
    }

    /// Sets (or clears) the lot that codes never seen with a lot are filed under (today's picking).
    pub fn set_working_lot(&self, lot_id: Option<String>) {
        lock(&self.session).set_working_lot(lot_id.map(LotId::new));
    }

    /// Compresses a camera photo (JPEG or PNG bytes; ≤ 1280 px, ≤ 200 KB JPEG) and keeps it on the
    /// phone; returns its SHA-256 (hex) to attach to a report. Takes up to a second or two: call it
    /// off the main thread. It uploads after the report that names it reaches the server.
    pub fn save_photo(&self, encoded: Vec<u8>) -> Result<String, FieldTraceError> {
        // The store, not the session: compressing must not hold up taps waiting for the session.
        Ok(self.store.save_photo(&encoded, SystemClock.now_ms())?.0)
    }

    /// 异常 with photos saved by `save_photo` (each must be on this phone).
    pub fn report_abnormal_with_photos(
        &self,
        reason: AbnormalReason,
        note: Option<String>,
        photos: Vec<String>,
    ) -> Result<Receipt, FieldTraceError> {
        let receipt = lock(&self.session).report_abnormal_with_photos(reason.into(), note, photo_refs(photos))?;
        Ok(receipt.into())
    }

    /// Photos waiting for the server, failing, uploaded.
    pub fn photo_queue(&self) -> Result<PhotoQueue, FieldTraceError> {
        Ok(self.store.photo_queue_status()?.into())
    }

    /// This user's pieces per day in `month` (`YYYY-MM`), undone records excluded.
    pub fn piece_counts(&self, month: String) -> Result<PieceCounts, FieldTraceError> {
        let parsed = Month::parse(&month).ok_or_else(|| {
            FieldTraceError::invalid_input("month_invalid", format!("{month:?} is not a month (YYYY-MM, 1970-9999)"))
        })?;
        Ok(lock(&self.session).piece_counts(parsed)?.into())
    }
}
