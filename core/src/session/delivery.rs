//! Delivery confirmation at the destination: the driver (or manager) scans what is handed over —
//! or, scanning nothing, confirms everything the trip departed with — and records the
//! recipient's name and optional photo references (content-addressed; the photos travel
//! separately and the event never waits for them).

use super::aggregation::code_keys;
use super::flow_error::{FlowError, FlowResult};
use super::Session;
use crate::model::{BizStep, EntityKind, Event, EventId, EventKind, PhotoRef, TripStage, MAX_RECIPIENT_LEN};
use crate::Error;
use chrono::{DateTime, FixedOffset};

#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryReceipt {
    pub event_id: EventId,
    pub trip: String,
    pub recipient: String,
    /// The units recorded as delivered.
    pub units: Vec<String>,
    pub photos: Vec<PhotoRef>,
    pub recorded_at: DateTime<FixedOffset>,
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Session {
    /// Records that `scanned` units of `trip` (none scanned: the units the trip departed with,
    /// or failing that its manifest) were handed to `recipient`.
    pub fn confirm_delivery(
        &mut self,
        trip: &str,
        scanned: &[String],
        recipient: &str,
        photos: Vec<PhotoRef>,
        note: Option<String>,
    ) -> FlowResult<DeliveryReceipt> {
        let recipient = recipient.trim();
        if recipient.is_empty() || recipient.chars().count() > MAX_RECIPIENT_LEN {
            return Err(FlowError::Recipient { max: MAX_RECIPIENT_LEN });
        }
        if let Some(position) = photos.iter().position(|p| !is_sha256_hex(&p.0)) {
            return Err(FlowError::PhotoRef { position });
        }
        let kind =
            EventKind::Trip { trip: trip.to_owned(), stage: TripStage::Deliver { recipient: recipient.to_owned() } };
        if !self.user.role.may_record(&kind) {
            return Err(Error::RoleForbidden { role: self.user.role.key(), kind: kind.key() }.into());
        }
        let units = if scanned.is_empty() { self.trip_units(trip)? } else { code_keys(scanned)? };
        if units.is_empty() {
            return Err(FlowError::NothingToDeliver(trip.to_owned()));
        }
        let mut template = self.new_event(kind, units.clone(), self.clock.now());
        template.step = Some(BizStep::Delivering);
        template.photos = photos.clone();
        template.note = note.filter(|n| !n.trim().is_empty());
        let event = self.store.record_local(self.clock.now_ms(), |hlc| Event { hlc, ..template })?;
        Ok(DeliveryReceipt {
            event_id: event.id,
            trip: trip.to_owned(),
            recipient: recipient.to_owned(),
            units,
            photos,
            recorded_at: event.recorded_at,
        })
    }

    /// The units the trip's latest (not voided) departure names, else its manifest.
    fn trip_units(&self, trip: &str) -> FlowResult<Vec<String>> {
        let departed = self.store.trip_events(trip)?.into_iter().rev().find(|entry| {
            !entry.voided && matches!(&entry.event.kind, EventKind::Trip { stage: TripStage::Depart { .. }, .. })
        });
        if let Some(departure) = departed {
            return Ok(departure.event.codes);
        }
        let registers = self.store.registers(EntityKind::Trip, trip)?;
        let manifest = registers.get("units").and_then(|r| r.value.clone()).unwrap_or_default();
        let entries: Vec<String> = manifest.split_whitespace().map(str::to_owned).collect();
        code_keys(&entries)
    }
}
