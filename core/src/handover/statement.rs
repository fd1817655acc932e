//! Exactly what each signature covers. A statement is the postcard encoding of a domain string
//! and the fields below, so the same facts always give the same bytes on every device and on the
//! server, whether they are read from a QR or rebuilt from a stored event.

use super::keys::message;
use crate::model::{AbnormalReason, DeviceId, EventId, PartyId, UnitCondition};
use serde::Serialize;
use sha2::{Digest, Sha256};

const OFFER_DOMAIN: &str = "fieldtrace/handover-offer/v1";
const ACCEPTANCE_DOMAIN: &str = "fieldtrace/handover-acceptance/v1";

/// The giver's offer: in co-op `coop`, device `giver_device` of `giver_party` offers `codes`
/// (for `trip`) at `offered_ms`, as offer `offer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferStatement {
    pub coop: String,
    pub offer: EventId,
    pub giver_party: PartyId,
    pub giver_device: DeviceId,
    pub offered_ms: i64,
    pub trip: Option<String>,
    pub codes: Vec<String>,
}

#[derive(Serialize)]
struct OfferBody<'a> {
    coop: &'a str,
    offer: [u8; 16],
    giver_party: &'a str,
    giver_device: [u8; 16],
    offered_ms: i64,
    trip: Option<&'a str>,
    codes: &'a [String],
}

impl OfferStatement {
    pub fn message(&self) -> Vec<u8> {
        message(
            OFFER_DOMAIN,
            &OfferBody {
                coop: &self.coop,
                offer: self.offer.0.into_bytes(),
                giver_party: self.giver_party.as_str(),
                giver_device: self.giver_device.0.into_bytes(),
                offered_ms: self.offered_ms,
                trip: self.trip.as_deref(),
                codes: &self.codes,
            },
        )
    }

    /// SHA-256 of the signed offer statement: how an acceptance names the exact offer it accepts.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.message()).into()
    }
}

/// The receiver's acceptance: in co-op `coop`, device `receiver_device` of `receiver_party`
/// accepts the offer with `offer_digest` at `accepted_ms`, as acceptance `acceptance`; the boxes
/// at these positions of the offer's codes arrived abnormal (or missing), the rest normal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceStatement {
    pub coop: String,
    pub acceptance: EventId,
    pub offer_digest: [u8; 32],
    pub receiver_party: PartyId,
    pub receiver_device: DeviceId,
    pub accepted_ms: i64,
    /// `(index into the offer's codes, reason)`, in the order the receiver listed them.
    pub abnormal: Vec<(u32, AbnormalReason)>,
}

#[derive(Serialize)]
struct AcceptanceBody<'a> {
    coop: &'a str,
    acceptance: [u8; 16],
    offer_digest: [u8; 32],
    receiver_party: &'a str,
    receiver_device: [u8; 16],
    accepted_ms: i64,
    abnormal: Vec<(u32, &'static str)>,
}

impl AcceptanceStatement {
    pub fn message(&self) -> Vec<u8> {
        message(
            ACCEPTANCE_DOMAIN,
            &AcceptanceBody {
                coop: &self.coop,
                acceptance: self.acceptance.0.into_bytes(),
                offer_digest: self.offer_digest,
                receiver_party: self.receiver_party.as_str(),
                receiver_device: self.receiver_device.0.into_bytes(),
                accepted_ms: self.accepted_ms,
                abnormal: self.abnormal.iter().map(|(i, reason)| (*i, reason.key())).collect(),
            },
        )
    }
}

/// Abnormal boxes as positions in the offer's codes; `None` if one is not an offered code.
pub fn abnormal_positions(abnormal: &[UnitCondition], codes: &[String]) -> Option<Vec<(u32, AbnormalReason)>> {
    abnormal
        .iter()
        .map(|unit| {
            let at = codes.iter().position(|c| *c == unit.code)?;
            Some((u32::try_from(at).ok()?, unit.reason))
        })
        .collect()
}

/// The boxes at `positions` of `codes`; `None` if a position is past the end.
pub fn abnormal_units(positions: &[(u32, AbnormalReason)], codes: &[String]) -> Option<Vec<UnitCondition>> {
    positions
        .iter()
        .map(|(at, reason)| {
            let code = codes.get(usize::try_from(*at).ok()?)?;
            Some(UnitCondition { code: code.clone(), reason: *reason })
        })
        .collect()
}
