//! The facts of a two-party custody handover, as the three events that record it.
//!
//! Both phones are usually offline, so each event carries the signatures that prove it: the
//! giver's device signs an offer (shown as a QR), the receiver's device signs its acceptance of
//! that offer (shown back as a receipt QR), and the giver files the receipt. What exactly is
//! signed, and how it is checked, lives in `fieldtrace_core::handover`; here is only the data.

use super::ids::{DeviceId, EventId};
use super::vocabulary::AbnormalReason;
use super::Recorder;
use serde::{Deserialize, Serialize};

/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Longest trip id accepted (characters).
pub const MAX_TRIP_LEN: usize = 128;

/// The giver offers the event's codes (in this order, which the signature covers) to whoever
/// scans the QR. The giver is the event's recorder; the time is its `recorded_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverOffer {
    pub trip: Option<String>,
    /// The giver device's Ed25519 signature over the offer statement.
    pub signature: Vec<u8>,
}

/// A box that did not arrive in normal condition: `Missing` when it was offered but not there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UnitCondition {
    pub code: String,
    pub reason: AbnormalReason,
}

/// The receiver accepts an offer box by box. The event's codes are the offer's codes in the
/// offer's order; boxes not listed in `abnormal` arrived in normal condition. The offer is carried
/// whole (with the giver's signature), so the receiver's copy proves the handover even if the
/// giver's phone never syncs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverAcceptance {
    pub offer: EventId,
    pub trip: Option<String>,
    pub giver: Recorder,
    /// The offer's `recorded_at`, UTC ms (part of what the giver signed).
    pub offered_at_ms: i64,
    pub offer_signature: Vec<u8>,
    pub abnormal: Vec<UnitCondition>,
    /// The receiver device's signature over the acceptance statement.
    pub signature: Vec<u8>,
}

/// The giver's copy of the receiver's acceptance (scanned from the receipt QR). The event's codes
/// are the offer's codes; `trip` and `offered_at_ms` repeat the offer so the receiver's signature
/// can be checked from this event alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverReceipt {
    pub offer: EventId,
    pub acceptance: EventId,
    pub trip: Option<String>,
    pub offered_at_ms: i64,
    pub receiver: Recorder,
    pub accepted_at_ms: i64,
    pub abnormal: Vec<UnitCondition>,
    pub signature: Vec<u8>,
}

/// Why a handover event is malformed, as `(field path, reason)`; checked by `Event::validate`.
pub(crate) fn problem(kind: &super::EventKind, codes: &[String]) -> Option<(&'static str, String)> {
    use super::EventKind;
    let bad_signature = |s: &[u8]| s.len() != SIGNATURE_LEN;
    let bad_trip = |t: &Option<String>| t.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > MAX_TRIP_LEN);
    let (trip, signatures, abnormal): (&Option<String>, Vec<&[u8]>, &[UnitCondition]) = match kind {
        EventKind::HandoverOffer(o) => (&o.trip, vec![&o.signature], &[]),
        EventKind::HandoverAcceptance(a) => (&a.trip, vec![&a.signature, &a.offer_signature], &a.abnormal),
        EventKind::HandoverReceipt(r) => (&r.trip, vec![&r.signature], &r.abnormal),
        _ => return None,
    };
    if bad_trip(trip) {
        return Some(("kind.trip", format!("the trip id is empty or longer than {MAX_TRIP_LEN} characters")));
    }
    if signatures.into_iter().any(bad_signature) {
        return Some(("kind.signature", format!("a signature must be {SIGNATURE_LEN} bytes")));
    }
    for (i, code) in codes.iter().enumerate() {
        if codes[..i].contains(code) {
            return Some(("codes", format!("code {code:?} is offered twice")));
        }
    }
    for (i, unit) in abnormal.iter().enumerate() {
        if !codes.contains(&unit.code) {
            return Some(("kind.abnormal", format!("{:?} is not one of the offered codes", unit.code)));
        }
        if abnormal[..i].iter().any(|earlier| earlier.code == unit.code) {
            return Some(("kind.abnormal", format!("{:?} is listed twice", unit.code)));
        }
    }
    None
}

/// The devices whose registered keys a handover event's signatures must verify against.
pub fn signers(kind: &super::EventKind, recorder: DeviceId) -> Vec<DeviceId> {
    use super::EventKind;
    match kind {
        EventKind::HandoverOffer(_) => vec![recorder],
        EventKind::HandoverAcceptance(a) => vec![recorder, a.giver.device],
        EventKind::HandoverReceipt(r) => vec![r.receiver.device],
        _ => Vec::new(),
    }
}
