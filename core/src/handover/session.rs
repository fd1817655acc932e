//! The handover screens' API: the giver shows an offer QR, the receiver scans it, checks the boxes
//! one by one and accepts, the giver scans the receipt QR. Plain owned records in and out, so the
//! bindings can expose it as is; every recorded step is durable when the call returns.

use super::error::HandoverError;
use super::identity::{self, Identity};
use super::keys::sign;
use super::qr::{SignedOffer, SignedReceipt};
use super::statement::{abnormal_positions, abnormal_units, AcceptanceStatement, OfferStatement};
use super::verify::offer_statement;
use crate::clock::WallClock;
use crate::error::Error;
use crate::model::{
    AbnormalReason, Actor, BizStep, DeviceId, Event, EventId, EventKind, HandoverAcceptance, HandoverOffer,
    HandoverReceipt, PartyId, Recorder, Role, UnitCondition,
};
use crate::payload::parse_payload;
use crate::store::{Origin, Store};
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The giver's offer, recorded: show `qr_text` as a QR Code to the receiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferShown {
    pub offer_id: EventId,
    pub qr_text: String,
    pub trip: Option<String>,
    pub codes: Vec<String>,
}

/// A scanned offer whose signatures checked out: what the receiver is asked to take over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferReview {
    pub offer_id: EventId,
    pub trip: Option<String>,
    pub giver_party: PartyId,
    pub giver_device: DeviceId,
    pub giver_role: Role,
    pub offered_at_ms: i64,
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitCheck {
    /// First check of a box on the offer.
    Checked,
    /// Checked again: the new condition replaces the earlier one.
    Rechecked,
    /// Not on this offer: warn loudly; nothing recorded.
    NotOnOffer,
}

/// "Checked x of y": where the receiver is, after each box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivingProgress {
    pub code: String,
    pub check: UnitCheck,
    pub expected: u32,
    pub checked: u32,
    pub abnormal: u32,
    /// Offered boxes not checked yet: missing if accepted now.
    pub unchecked: Vec<String>,
}

/// The receiver's acceptance, recorded: show `qr_text` to the giver as the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceShown {
    pub acceptance_id: EventId,
    pub offer_id: EventId,
    pub qr_text: String,
    pub offered: u32,
    pub received: u32,
    /// Boxes that arrived abnormal, and (`missing`) offered boxes that did not arrive.
    pub abnormal: Vec<UnitCondition>,
}

/// The giver's stored receipt: proof of what the receiver accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptStored {
    pub receipt_event_id: EventId,
    pub offer_id: EventId,
    pub acceptance_id: EventId,
    pub receiver_party: PartyId,
    pub receiver_device: DeviceId,
    pub offered: u32,
    pub received: u32,
    pub abnormal: Vec<UnitCondition>,
    /// The same receipt was already stored (scanned twice); nothing new was recorded.
    pub duplicate: bool,
}

struct Receiving {
    offer: SignedOffer,
    /// Checked boxes: `None` normal, `Some(reason)` abnormal.
    checked: BTreeMap<String, Option<AbnormalReason>>,
}

/// One user's handover screens on this device.
pub struct HandoverSession {
    store: Arc<Store>,
    clock: Arc<dyn WallClock>,
    user: Actor,
    receiving: Mutex<Option<Receiving>>,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl HandoverSession {
    pub fn new(store: Arc<Store>, user: Actor, clock: Arc<dyn WallClock>) -> Self {
        Self { store, clock, user, receiving: Mutex::new(None) }
    }

    fn receiving(&self) -> std::sync::MutexGuard<'_, Option<Receiving>> {
        self.receiving.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn identity(&self, kind: &'static str) -> Result<Identity, HandoverError> {
        if !self.user.role.may_hand_over() {
            return Err(Error::RoleForbidden { role: self.user.role.key(), kind }.into());
        }
        identity::load(&self.store)
    }

    /// Records `kind` about `codes` at `now`, signed by this device for its certified party.
    fn record(
        &self,
        id: EventId,
        kind: EventKind,
        step: BizStep,
        codes: Vec<String>,
        now: DateTime<FixedOffset>,
        party: PartyId,
    ) -> Result<Event, HandoverError> {
        let template = Event {
            id,
            kind,
            step: Some(step),
            disposition: None,
            codes,
            lot: None,
            actor: self.user.clone(),
            recorder: Recorder { party, device: self.store.device_id() },
            location: None,
            recorded_at: now,
            hlc: Default::default(),
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        };
        Ok(self.store.record_local(self.clock.now_ms(), |hlc| Event { hlc, ..template })?)
    }

    fn now(&self) -> DateTime<FixedOffset> {
        // Whole milliseconds: what the wire carries and the signatures cover.
        let now = self.clock.now();
        now - chrono::Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1_000_000))
    }

    /// Giver: records a signed offer of the scanned boxes (duplicates dropped, order kept) and
    /// returns the QR text to show.
    pub fn offer(&self, trip: Option<String>, scanned: Vec<String>) -> Result<OfferShown, HandoverError> {
        let trip = trip.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let identity = self.identity("handover_offer")?;
        let mut codes: Vec<String> = Vec::with_capacity(scanned.len());
        for raw in &scanned {
            let code = parse_payload(raw).map_err(Error::from)?.code_key();
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        if codes.is_empty() {
            return Err(HandoverError::InvalidOffer("scan at least one box to offer".into()));
        }
        let (id, now) = (EventId::new(), self.now());
        let statement = OfferStatement {
            coop: identity.coop.clone(),
            offer: id,
            giver_party: identity.certificate.party.clone(),
            giver_device: self.store.device_id(),
            offered_ms: now.timestamp_millis(),
            trip: trip.clone(),
            codes: codes.clone(),
        };
        let signature = sign(&identity.seed, &statement.message());
        let kind = EventKind::HandoverOffer(HandoverOffer { trip: trip.clone(), signature: signature.clone() });
        self.record(id, kind, BizStep::Transfer, codes.clone(), now, statement.giver_party.clone())?;
        let qr_text = SignedOffer { statement, signature, certificate: identity.certificate }.to_qr_text();
        Ok(OfferShown { offer_id: id, qr_text, trip, codes })
    }

    /// Receiver: reads and checks an offer QR offline (certificate, then signature) and starts
    /// checking its boxes. A forged or altered offer is refused with what failed.
    pub fn review_offer(&self, qr_text: &str) -> Result<OfferReview, HandoverError> {
        let identity = self.identity("handover_acceptance")?;
        let offer = SignedOffer::parse(qr_text)?;
        offer.verify(&identity.coop, &identity.coop_key)?;
        let s = &offer.statement;
        if s.giver_device == self.store.device_id() {
            return Err(HandoverError::OwnOffer);
        }
        let accepted = self.store.events_of_kind("handover_acceptance")?.into_iter().any(|event| {
            matches!(&event.kind, EventKind::HandoverAcceptance(a) if a.offer == s.offer && event.recorder.device == self.store.device_id())
        });
        if accepted {
            return Err(HandoverError::AlreadyAccepted(s.offer));
        }
        let review = OfferReview {
            offer_id: s.offer,
            trip: s.trip.clone(),
            giver_party: s.giver_party.clone(),
            giver_device: s.giver_device,
            giver_role: offer.certificate.role,
            offered_at_ms: s.offered_ms,
            codes: s.codes.clone(),
        };
        *self.receiving() = Some(Receiving { offer, checked: BTreeMap::new() });
        Ok(review)
    }

    /// Receiver: one box checked, normal (`None`) or abnormal.
    pub fn check_unit(
        &self,
        scanned: &str,
        abnormal: Option<AbnormalReason>,
    ) -> Result<ReceivingProgress, HandoverError> {
        let code = parse_payload(scanned).map_err(Error::from)?.code_key();
        let mut guard = self.receiving();
        let receiving = guard.as_mut().ok_or(HandoverError::NoOfferScanned)?;
        let codes = &receiving.offer.statement.codes;
        let check = if !codes.contains(&code) {
            UnitCheck::NotOnOffer
        } else if receiving.checked.insert(code.clone(), abnormal).is_some() {
            UnitCheck::Rechecked
        } else {
            UnitCheck::Checked
        };
        Ok(ReceivingProgress {
            code,
            check,
            expected: count(codes.len()),
            checked: count(receiving.checked.len()),
            abnormal: count(receiving.checked.values().filter(|c| c.is_some()).count()),
            unchecked: codes.iter().filter(|c| !receiving.checked.contains_key(*c)).cloned().collect(),
        })
    }

    /// Receiver: accepts the offer as checked (unchecked boxes count as missing), records the
    /// signed acceptance and returns the receipt QR for the giver.
    pub fn accept(&self) -> Result<AcceptanceShown, HandoverError> {
        let identity = self.identity("handover_acceptance")?;
        let mut guard = self.receiving();
        let receiving = guard.as_ref().ok_or(HandoverError::NoOfferScanned)?;
        let offer = &receiving.offer.statement;
        let abnormal: Vec<UnitCondition> = offer
            .codes
            .iter()
            .filter_map(|code| match receiving.checked.get(code) {
                None => Some(UnitCondition { code: code.clone(), reason: AbnormalReason::Missing }),
                Some(condition) => condition.map(|reason| UnitCondition { code: code.clone(), reason }),
            })
            .collect();
        let missing = abnormal.iter().filter(|u| u.reason == AbnormalReason::Missing).count();
        let (id, now) = (EventId::new(), self.now());
        let positions = abnormal_positions(&abnormal, &offer.codes).unwrap_or_default();
        let statement = AcceptanceStatement {
            coop: identity.coop.clone(),
            acceptance: id,
            offer_digest: offer.digest(),
            receiver_party: identity.certificate.party.clone(),
            receiver_device: self.store.device_id(),
            accepted_ms: now.timestamp_millis(),
            abnormal: positions.clone(),
        };
        let signature = sign(&identity.seed, &statement.message());
        let kind = EventKind::HandoverAcceptance(HandoverAcceptance {
            offer: offer.offer,
            trip: offer.trip.clone(),
            giver: Recorder { party: offer.giver_party.clone(), device: offer.giver_device },
            offered_at_ms: offer.offered_ms,
            offer_signature: receiving.offer.signature.clone(),
            abnormal: abnormal.clone(),
            signature: signature.clone(),
        });
        self.record(id, kind, BizStep::Receiving, offer.codes.clone(), now, statement.receiver_party.clone())?;
        let receipt = SignedReceipt {
            acceptance: id,
            offer: offer.offer,
            accepted_ms: statement.accepted_ms,
            abnormal: positions,
            signature,
            certificate: identity.certificate,
        };
        let shown = AcceptanceShown {
            acceptance_id: id,
            offer_id: offer.offer,
            qr_text: receipt.to_qr_text(),
            offered: count(offer.codes.len()),
            received: count(offer.codes.len() - missing),
            abnormal,
        };
        *guard = None;
        Ok(shown)
    }

    /// Giver: checks the receiver's receipt QR against the offer made on this phone and files it.
    pub fn store_receipt(&self, qr_text: &str) -> Result<ReceiptStored, HandoverError> {
        let identity = self.identity("handover_receipt")?;
        let receipt = SignedReceipt::parse(qr_text)?;
        let offer_event = self
            .store
            .event(receipt.offer)?
            .filter(|stored| stored.origin == Origin::Local && stored.event.recorder.device == self.store.device_id())
            .map(|stored| stored.event)
            .ok_or(HandoverError::UnknownOffer(receipt.offer))?;
        let offer = offer_statement(&offer_event, &identity.coop).ok_or(HandoverError::UnknownOffer(receipt.offer))?;
        receipt.verify(&offer, &identity.coop, &identity.coop_key)?;
        let abnormal = abnormal_units(&receipt.abnormal, &offer.codes).unwrap_or_default();
        let missing = abnormal.iter().filter(|u| u.reason == AbnormalReason::Missing).count();
        let stored = |receipt_event_id, duplicate| ReceiptStored {
            receipt_event_id,
            offer_id: offer.offer,
            acceptance_id: receipt.acceptance,
            receiver_party: receipt.certificate.party.clone(),
            receiver_device: receipt.certificate.device,
            offered: count(offer.codes.len()),
            received: count(offer.codes.len() - missing),
            abnormal: abnormal.clone(),
            duplicate,
        };
        let earlier =
            self.store.events_of_kind("handover_receipt")?.into_iter().find(
                |event| matches!(&event.kind, EventKind::HandoverReceipt(r) if r.acceptance == receipt.acceptance),
            );
        if let Some(earlier) = earlier {
            return Ok(stored(earlier.id, true));
        }
        let kind = EventKind::HandoverReceipt(HandoverReceipt {
            offer: offer.offer,
            acceptance: receipt.acceptance,
            trip: offer.trip.clone(),
            offered_at_ms: offer.offered_ms,
            receiver: Recorder { party: receipt.certificate.party.clone(), device: receipt.certificate.device },
            accepted_at_ms: receipt.accepted_ms,
            abnormal: abnormal.clone(),
            signature: receipt.signature.clone(),
        });
        let event = self.record(
            EventId::new(),
            kind,
            BizStep::Transfer,
            offer.codes.clone(),
            self.now(),
            offer.giver_party.clone(),
        )?;
        Ok(stored(event.id, false))
    }
}
