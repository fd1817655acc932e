//! The one-tap reporting session: scan a label, tap 正常 or 异常, undo within 10 seconds.
//!
//! Built for elderly farmers on cheap phones: the camera keeps seeing the same label, thumbs tap
//! twice, and the network is usually absent. So a report of the same code with the same verdict
//! within 2 seconds returns the first receipt instead of recording again, every report is durable
//! when the call returns, and nothing here needs a network.

use crate::clock::WallClock;
use crate::error::{Error, Result};
use crate::model::{
    AbnormalReason, Actor, BizStep, Disposition, Event, EventId, EventKind, Location, Lot, LotId, Party, PhotoRef,
    Recorder, TraceUnit, Update,
};
use crate::payload::parse_payload;
use crate::store::{HistoryEntry, Store};
use chrono::{DateTime, Duration, FixedOffset};
use std::sync::Arc;

mod aggregation;
mod delivery;
mod flow_error;
mod loading;

pub use aggregation::{ContainerContents, MovedUnit, PackReceipt};
pub use delivery::DeliveryReceipt;
pub use flow_error::{FlowError, FlowResult};
pub use loading::{DepartureReceipt, LoadOutcome, LoadScan, LoadingProgress, LoadingSession};

/// How long after a report its "undo" button works.
pub const UNDO_WINDOW_MS: i64 = 10_000;
/// A repeat of the same report of the same code within this time is the same report.
pub const REPEAT_WINDOW_MS: i64 = 2_000;

/// What the phone knows about a scanned code, shown before the farmer taps.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanResult {
    pub code: String,
    pub unit: Option<TraceUnit>,
    /// The lot this code belongs to as far as this phone knows (`lot` holds its details when
    /// the phone has them).
    pub lot_id: Option<LotId>,
    pub lot: Option<Lot>,
    pub farm: Option<Party>,
    pub last_step: Option<BizStep>,
    pub last_disposition: Option<Disposition>,
    pub last_recorded_at: Option<DateTime<FixedOffset>>,
    /// The step this user's role most likely performs next; a tap records this step.
    pub next_step: BizStep,
    /// Set when this code was reported in the last 2 seconds: tapping again returns this receipt.
    pub recent_report: Option<Receipt>,
    /// Units packed inside this code now, at every depth (a box's items): a report covers them.
    pub contents: u64,
    /// The container this code is packed in now, if any.
    pub container: Option<String>,
}

/// Proof that a report was saved durably on the phone.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub event_id: EventId,
    pub code: String,
    pub step: Option<BizStep>,
    pub disposition: Option<Disposition>,
    pub recorded_at: DateTime<FixedOffset>,
    /// Device time (UTC ms) until which `undo` is accepted; `None` for a correction, which cannot
    /// itself be undone.
    pub undo_until_ms: Option<i64>,
    /// True when this tap repeated a report made moments ago and nothing new was recorded.
    pub duplicate: bool,
}

impl Receipt {
    fn of(event: &Event, code: String) -> Self {
        Self {
            event_id: event.id,
            code,
            step: event.step,
            disposition: event.disposition,
            recorded_at: event.recorded_at,
            undo_until_ms: Some(event.recorded_at.timestamp_millis() + UNDO_WINDOW_MS),
            duplicate: false,
        }
    }
}

/// One user's reporting session on this device.
pub struct Session {
    store: Arc<Store>,
    clock: Arc<dyn WallClock>,
    user: Actor,
    location: Option<Location>,
    current: Option<ScanResult>,
    /// Reports made in the last `REPEAT_WINDOW_MS`, for de-duplicating repeated taps and scans.
    recent: Vec<(Receipt, i64)>,
    /// The lot being worked on (today's picking): reports on codes this phone has never seen
    /// with a lot are filed under it, which is how a freshly labelled crate joins its lot.
    working_lot: Option<LotId>,
}

impl Session {
    pub fn new(store: Arc<Store>, user: Actor, clock: Arc<dyn WallClock>) -> Self {
        Self { store, clock, user, location: None, current: None, recent: Vec::new(), working_lot: None }
    }

    /// Sets (or clears) the lot new codes are filed under when reported; codes already known
    /// with a lot keep theirs.
    pub fn set_working_lot(&mut self, lot: Option<LotId>) {
        self.working_lot = lot;
    }

    /// Changes who reports from now on (a phone that enrolled in place, without reopening). The
    /// last scan and the recent reports are forgotten: they were the previous user's.
    pub fn set_user(&mut self, user: Actor) {
        self.user = user;
        self.current = None;
        self.recent.clear();
    }

    /// Who reports: the actor of every event this session records.
    pub fn user(&self) -> &Actor {
        &self.user
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Where the phone is now (from GPS or a chosen place); attached to the following reports.
    pub fn set_location(&mut self, location: Option<Location>) {
        self.location = location;
    }

    /// The code scanned last, if any.
    pub fn current(&self) -> Option<&ScanResult> {
        self.current.as_ref()
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Drops remembered reports older than the repeat window (either way: phone clocks jump).
    fn forget_old_reports(&mut self, now_ms: i64) {
        self.recent.retain(|(_, at)| (now_ms - at).abs() <= REPEAT_WINDOW_MS);
    }

    fn recent_report(&self, code: &str) -> Option<&Receipt> {
        self.recent.iter().rev().map(|(receipt, _)| receipt).find(|receipt| receipt.code == code)
    }

    /// An event of `kind` about `codes`, by this user on this device, at `now`; the store stamps
    /// its clock reading when recording it.
    fn new_event(&self, kind: EventKind, codes: Vec<String>, now: DateTime<FixedOffset>) -> Event {
        Event {
            id: EventId::new(),
            kind,
            step: None,
            disposition: None,
            codes,
            lot: None,
            actor: self.user.clone(),
            recorder: Recorder { party: self.user.party.clone(), device: self.store.device_id() },
            location: self.location.clone(),
            recorded_at: now,
            hlc: Default::default(),
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }

    /// Reads a scanned payload and says what this phone knows about it.
    pub fn scan(&mut self, raw_payload: &str) -> Result<ScanResult> {
        let code = parse_payload(raw_payload)?.code_key();
        self.forget_old_reports(self.now_ms());
        let summary = self.store.code_summary(&code)?;
        let unit = self.store.unit(&code)?;
        let lot_id = unit.as_ref().and_then(|u| u.lot.clone()).or(summary.lot);
        let lot = match &lot_id {
            Some(id) => self.store.lot(id)?,
            None => None,
        };
        let farm = match &lot {
            Some(lot) => self.store.party(&lot.farm)?,
            None => None,
        };
        let result = ScanResult {
            lot_id: lot_id.clone(),
            contents: self.store.contents_deep(&code)?.len() as u64,
            container: self.store.container_of(&code)?,
            next_step: self.user.role.likely_next_step(summary.last_flow_step),
            recent_report: self.recent_report(&code).cloned(),
            code,
            unit,
            lot,
            farm,
            last_step: summary.last_step,
            last_disposition: summary.last_disposition,
            last_recorded_at: summary.last_recorded_at,
        };
        self.current = Some(result.clone());
        Ok(result)
    }

    /// 正常: the scanned goods are fine at this step.
    pub fn report_normal(&mut self) -> Result<Receipt> {
        self.report(Disposition::Normal, None, Vec::new())
    }

    /// 异常: something is wrong with the scanned goods.
    pub fn report_abnormal(
        &mut self,
        reason: AbnormalReason,
        note: Option<String>,
        photo: Option<PhotoRef>,
    ) -> Result<Receipt> {
        self.report(Disposition::Abnormal(reason), note, photo.into_iter().collect())
    }

    /// Compresses a camera photo (JPEG or PNG bytes) and keeps it on the phone, ready to attach to
    /// an abnormal report. It uploads on its own after that report reaches the server.
    pub fn save_photo(&self, encoded: &[u8]) -> Result<PhotoRef, crate::photo::PhotoError> {
        self.store.save_photo(encoded, self.clock.now_ms())
    }

    /// 异常 with photos taken with [`Session::save_photo`]. Every photo must be on this phone, so a
    /// report never names a photo that can never be uploaded.
    pub fn report_abnormal_with_photos(
        &mut self,
        reason: AbnormalReason,
        note: Option<String>,
        photos: Vec<PhotoRef>,
    ) -> Result<Receipt> {
        for photo in &photos {
            if !self.store.has_photo(photo)? {
                let shown: String = photo.0.chars().take(80).collect();
                return Err(Error::invalid_event(
                    "photos",
                    format!("photo {shown:?} is not on this phone: save it first"),
                ));
            }
        }
        self.report(Disposition::Abnormal(reason), note, photos)
    }

    fn report(&mut self, disposition: Disposition, note: Option<String>, photos: Vec<PhotoRef>) -> Result<Receipt> {
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        self.forget_old_reports(now_ms);
        let scan = self.current.as_ref().ok_or(Error::NothingScanned)?;
        if let Some(earlier) = self.recent_report(&scan.code).filter(|r| r.disposition == Some(disposition)) {
            return Ok(Receipt { duplicate: true, ..earlier.clone() });
        }
        let mut template = self.new_event(EventKind::Report, vec![scan.code.clone()], now);
        template.step = Some(scan.next_step);
        template.disposition = Some(disposition);
        template.lot = scan.lot_id.clone().or_else(|| self.working_lot.clone());
        template.note = note.filter(|n| !n.trim().is_empty());
        template.photos = photos;
        let code = scan.code.clone();
        let event = self.store.record_local(self.clock.now_ms(), |hlc| Event { hlc, ..template })?;
        let receipt = Receipt::of(&event, code);
        self.recent.push((receipt.clone(), now_ms));
        if let Some(current) = self.current.as_mut() {
            current.recent_report = Some(receipt.clone());
        }
        Ok(receipt)
    }

    /// Takes back a report made on this device in the last 10 seconds, by recording a correction
    /// that voids it. The original stays in the history, marked voided.
    pub fn undo(&mut self, event_id: EventId) -> Result<Receipt> {
        let stored = self.store.event(event_id)?.ok_or(Error::EventNotFound(event_id))?;
        let original = stored.event;
        if original.recorder.device != self.store.device_id() {
            return Err(Error::NotOwnEvent(event_id));
        }
        if matches!(original.kind, EventKind::Correction { .. }) {
            return Err(Error::CannotUndoCorrection(event_id));
        }
        if stored.voided_by.is_some() {
            return Err(Error::AlreadyUndone(event_id));
        }
        let now = self.clock.now();
        let elapsed_ms = now.timestamp_millis() - original.recorded_at.timestamp_millis();
        // Absolute value: if the phone's clock was set back meanwhile, the tap was still recent.
        if elapsed_ms.abs() > UNDO_WINDOW_MS {
            return Err(Error::UndoExpired { event: event_id, elapsed_ms, window_ms: UNDO_WINDOW_MS });
        }
        let mut template = self.new_event(EventKind::Correction { voids: event_id }, original.codes.clone(), now);
        template.step = original.step;
        template.lot = original.lot.clone();
        let correction = self.store.record_local(self.clock.now_ms(), |hlc| Event { hlc, ..template })?;
        self.recent.retain(|(receipt, _)| receipt.event_id != event_id);
        if let Some(current) = self.current.as_mut() {
            current.recent_report = current.recent_report.take().filter(|r| r.event_id != event_id);
        }
        let code = original.codes.first().cloned().unwrap_or_default();
        Ok(Receipt { undo_until_ms: None, ..Receipt::of(&correction, code) })
    }

    /// Edits a lot, party or trip: the fields named are set on every replica unless a causally
    /// later edit set them too (last writer wins per field, no merge dialog). Checked locally
    /// against this user's role, so a refused edit is never queued.
    pub fn update(&mut self, update: Update) -> Result<Event> {
        let kind = EventKind::Update(update);
        if !self.user.role.may_record(&kind) {
            return Err(Error::RoleForbidden { role: self.user.role.key(), kind: kind.key() });
        }
        // A published photo travels with the update that names it, so it uploads after it.
        let photos: Vec<PhotoRef> = match &kind {
            EventKind::Update(update) => update
                .fields
                .iter()
                .filter(|field| field.field == "photo")
                .filter_map(|field| field.value.clone().map(PhotoRef))
                .collect(),
            _ => Vec::new(),
        };
        for photo in &photos {
            if photo.is_well_formed() && !self.store.has_photo(photo)? {
                return Err(Error::invalid_event(
                    "photos",
                    format!("photo {:?} is not on this phone: save it first", photo.0),
                ));
            }
        }
        let mut template = self.new_event(kind, Vec::new(), self.clock.now());
        template.photos = photos;
        self.store.record_local(self.clock.now_ms(), |hlc| Event { hlc, ..template })
    }

    /// Everything recorded about a code, oldest first, with voided reports marked.
    pub fn history(&self, raw_code: &str) -> Result<Vec<HistoryEntry>> {
        self.store.history(&parse_payload(raw_code)?.code_key())
    }

    /// Reports waiting for the network.
    pub fn pending_count(&self) -> Result<u64> {
        self.store.outbox_pending_count()
    }

    /// This user's pieces per day in `month` (what an assistant is paid for; see [`crate::pieces`]).
    pub fn piece_counts(&self, month: crate::pieces::Month) -> Result<crate::pieces::PieceCounts> {
        self.store.piece_counts(&self.user.party, month)
    }

    /// Distinct codes this user recorded today (device's local day), undone reports excluded.
    pub fn today_count(&self) -> Result<u64> {
        let now = self.clock.now();
        let midnight = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(*now.offset()).single())
            .ok_or_else(|| Error::Database("local midnight is not representable".into()))?;
        let start = midnight.timestamp_millis();
        let end = (midnight + Duration::days(1)).timestamp_millis();
        self.store.count_codes_recorded(self.user.party.as_str(), start, end)
    }
}

#[cfg(test)]
mod flow_tests;
#[cfg(test)]
mod tests;
