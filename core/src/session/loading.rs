//! Drivers' loading against a trip manifest, and departure.
//!
//! The manifest is the trip's `units` register (codes separated by spaces), built on a phone with
//! [`Session::set_trip_manifest`] or pulled from the server. Each scan answers loudly — loaded,
//! not on the manifest, already loaded — and records a trip `Load` event the server sees. A box
//! counts for the listed units inside it. The state is rebuilt from the store, so it survives a
//! restart and includes another phone's scans of the same trip once they sync.

use super::aggregation::code_keys;
use super::flow_error::{FlowError, FlowResult};
use super::{Receipt, Session};
use crate::model::{BizStep, EntityKind, Event, EventId, EventKind, TripStage, Update};
use crate::payload::parse_payload;
use crate::Error;
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeSet;

/// What a loading scan found: the shell speaks or flashes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// On the manifest (or holds listed units) and now counted.
    Loaded,
    /// Not on the manifest and holding nothing listed: warn; recorded so the server sees it.
    NotOnManifest,
    /// Scanned before, or everything it stands for is already counted: warn; nothing recorded.
    AlreadyLoaded,
}

/// "Loaded x of y" and what is still missing.
#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadScan {
    pub code: String,
    pub outcome: LoadOutcome,
    /// The manifest entries this scan counted (the code itself, or listed units inside a box).
    pub counted: Vec<String>,
    /// The trip event recorded, if any.
    pub event_id: Option<EventId>,
    pub progress: LoadingProgress,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DepartureReceipt {
    pub event_id: EventId,
    pub progress: LoadingProgress,
    pub recorded_at: DateTime<FixedOffset>,
}

/// One driver's loading of one trip.
pub struct LoadingSession {
    session: Session,
    trip: String,
    manifest: Vec<String>,
    /// Manifest entries counted as loaded.
    loaded: BTreeSet<String>,
    /// Codes scanned on board that counted, in scan order: the departure's codes.
    scanned: Vec<String>,
    off_manifest: Vec<String>,
    departed: bool,
}

/// The codes of a manifest register value, in order, duplicates dropped.
fn parse_manifest(trip: &str, value: &str) -> FlowResult<Vec<String>> {
    let mut codes: Vec<String> = Vec::new();
    for (i, entry) in value.split_whitespace().enumerate() {
        let code = parse_payload(entry)
            .map_err(|e| FlowError::ManifestEntry {
                trip: trip.to_owned(),
                position: i + 1,
                entry: entry.to_owned(),
                reason: e.to_string(),
            })?
            .code_key();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

impl Session {
    /// Sets trip `trip`'s manifest to the scanned units (replacing any earlier one; last writer
    /// wins like every register).
    pub fn set_trip_manifest(&mut self, trip: &str, units: &[String]) -> FlowResult<Event> {
        let codes = code_keys(units)?;
        if codes.is_empty() {
            return Err(FlowError::NoUnits(trip.to_owned()));
        }
        if let Some((i, code)) = codes.iter().enumerate().find(|(_, c)| c.chars().any(char::is_whitespace)) {
            let reason = "a code with a space cannot go in a manifest (entries are separated by spaces)".to_owned();
            return Err(FlowError::ManifestEntry {
                trip: trip.to_owned(),
                position: i + 1,
                entry: code.clone(),
                reason,
            });
        }
        Ok(self.update(Update::new(EntityKind::Trip, trip).set("units", codes.join(" ")))?)
    }

    /// Starts (or resumes) loading `trip` against its manifest.
    pub fn start_loading(&self, trip: &str) -> FlowResult<LoadingSession> {
        let mut session = Session::new(self.store.clone(), self.user.clone(), self.clock.clone());
        session.set_location(self.location.clone());
        let mut loading = LoadingSession {
            session,
            trip: trip.to_owned(),
            manifest: Vec::new(),
            loaded: BTreeSet::new(),
            scanned: Vec::new(),
            off_manifest: Vec::new(),
            departed: false,
        };
        loading.reload()?;
        Ok(loading)
    }
}

impl LoadingSession {
    /// Re-reads the manifest and every load of this trip from the store (after a sync, an undo).
    pub fn reload(&mut self) -> FlowResult<()> {
        let store = self.session.store.clone();
        let registers = store.registers(EntityKind::Trip, &self.trip)?;
        let value = registers.get("units").and_then(|r| r.value.clone()).unwrap_or_default();
        self.manifest = parse_manifest(&self.trip, &value)?;
        if self.manifest.is_empty() {
            return Err(FlowError::NoManifest(self.trip.clone()));
        }
        self.loaded.clear();
        self.scanned.clear();
        self.off_manifest.clear();
        self.departed = false;
        for entry in store.trip_events(&self.trip)?.into_iter().filter(|e| !e.voided) {
            let EventKind::Trip { stage, .. } = &entry.event.kind else { continue };
            match stage {
                TripStage::Load { on_manifest: true } => {
                    for code in &entry.event.codes {
                        self.count(code)?;
                        push_new(&mut self.scanned, code);
                    }
                }
                TripStage::Load { on_manifest: false } => {
                    entry.event.codes.iter().for_each(|code| push_new(&mut self.off_manifest, code));
                }
                TripStage::Depart { .. } => self.departed = true,
                TripStage::Deliver { .. } => {}
            }
        }
        Ok(())
    }

    /// Manifest entries `code` stands for (itself and the units inside it) not counted yet;
    /// counts them.
    fn count(&mut self, code: &str) -> FlowResult<Vec<String>> {
        let stands_for = self.stands_for(code)?;
        let new: Vec<String> = stands_for.into_iter().filter(|entry| !self.loaded.contains(entry)).collect();
        self.loaded.extend(new.iter().cloned());
        Ok(new)
    }

    /// Manifest entries among `code` and everything inside it, in manifest order.
    fn stands_for(&self, code: &str) -> FlowResult<Vec<String>> {
        let mut inside: BTreeSet<String> = self.session.store.contents_deep(code)?.into_iter().collect();
        inside.insert(code.to_owned());
        Ok(self.manifest.iter().filter(|entry| inside.contains(*entry)).cloned().collect())
    }

    pub fn progress(&self) -> LoadingProgress {
        LoadingProgress {
            trip: self.trip.clone(),
            expected: u32::try_from(self.manifest.len()).unwrap_or(u32::MAX),
            loaded: u32::try_from(self.loaded.len()).unwrap_or(u32::MAX),
            missing: self.manifest.iter().filter(|entry| !self.loaded.contains(*entry)).cloned().collect(),
            off_manifest: self.off_manifest.clone(),
            departed: self.departed,
        }
    }

    /// The manifest, in order.
    pub fn manifest(&self) -> &[String] {
        &self.manifest
    }

    /// A unit scanned at the vehicle.
    pub fn scan(&mut self, raw_payload: &str) -> FlowResult<LoadScan> {
        if self.departed {
            return Err(FlowError::AlreadyDeparted(self.trip.clone()));
        }
        let code = parse_payload(raw_payload)?.code_key();
        let stands_for = self.stands_for(&code)?;
        let uncounted: Vec<String> = stands_for.iter().filter(|e| !self.loaded.contains(*e)).cloned().collect();
        // `record`: Some(on_manifest) when this scan is recorded as a trip load.
        let (outcome, record) = if self.off_manifest.contains(&code) {
            (LoadOutcome::NotOnManifest, None)
        } else if self.scanned.contains(&code) || (!stands_for.is_empty() && uncounted.is_empty()) {
            (LoadOutcome::AlreadyLoaded, None)
        } else if !uncounted.is_empty() {
            (LoadOutcome::Loaded, Some(true))
        } else if self.inside_a_loaded_unit(&code)? {
            (LoadOutcome::AlreadyLoaded, None)
        } else {
            (LoadOutcome::NotOnManifest, Some(false))
        };
        let event_id = match record {
            Some(on_manifest) => Some(self.record_load(&code, on_manifest)?),
            None => None,
        };
        // State changes only once the event is durable.
        let counted = if record == Some(true) { uncounted } else { Vec::new() };
        match record {
            Some(true) => {
                self.loaded.extend(counted.iter().cloned());
                self.scanned.push(code.clone());
            }
            Some(false) => self.off_manifest.push(code.clone()),
            None => {}
        }
        Ok(LoadScan { code, outcome, counted, event_id, progress: self.progress() })
    }

    /// An item inside a box already counted is on board with it.
    fn inside_a_loaded_unit(&self, code: &str) -> FlowResult<bool> {
        let holders = self.session.store.containers_of(code)?;
        Ok(holders.iter().any(|holder| self.loaded.contains(holder) || self.scanned.contains(holder)))
    }

    fn record_load(&mut self, code: &str, on_manifest: bool) -> FlowResult<EventId> {
        let kind = EventKind::Trip { trip: self.trip.clone(), stage: TripStage::Load { on_manifest } };
        let event = self.record(kind, vec![code.to_owned()], BizStep::Loading, None)?;
        Ok(event.id)
    }

    fn record(
        &mut self,
        kind: EventKind,
        codes: Vec<String>,
        step: BizStep,
        note: Option<String>,
    ) -> FlowResult<Event> {
        let session = &self.session;
        if !session.user.role.may_record(&kind) {
            return Err(Error::RoleForbidden { role: session.user.role.key(), kind: kind.key() }.into());
        }
        let mut template = session.new_event(kind, codes, session.clock.now());
        template.step = Some(step);
        template.note = note.filter(|n| !n.trim().is_empty());
        Ok(session.store.record_local(session.clock.now_ms(), |hlc| Event { hlc, ..template })?)
    }

    /// Takes back a loading scan made in the last 10 seconds (see `Session::undo`).
    pub fn undo(&mut self, event_id: EventId) -> FlowResult<Receipt> {
        let receipt = self.session.undo(event_id)?;
        self.reload()?;
        Ok(receipt)
    }

    /// The vehicle leaves: records the count — loaded of expected, the missing entries and the
    /// off-manifest scans — with the units on board as the event's codes.
    pub fn depart(&mut self, note: Option<String>) -> FlowResult<DepartureReceipt> {
        if self.departed {
            return Err(FlowError::AlreadyDeparted(self.trip.clone()));
        }
        if self.scanned.is_empty() {
            return Err(FlowError::NothingLoaded(self.trip.clone()));
        }
        let progress = self.progress();
        let stage = TripStage::Depart {
            expected: progress.expected,
            loaded: progress.loaded,
            missing: progress.missing.clone(),
            off_manifest: progress.off_manifest.clone(),
        };
        let kind = EventKind::Trip { trip: self.trip.clone(), stage };
        let event = self.record(kind, self.scanned.clone(), BizStep::Transfer, note)?;
        self.departed = true;
        Ok(DepartureReceipt { event_id: event.id, progress: self.progress(), recorded_at: event.recorded_at })
    }
}

fn push_new(list: &mut Vec<String>, code: &str) {
    if !list.iter().any(|c| c == code) {
        list.push(code.to_owned());
    }
}
