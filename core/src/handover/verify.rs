//! Checking a handover event's signatures against registered device keys: what the server does
//! on every push (a phone checks QR texts offline instead, with certificates; see `qr`).
//!
//! Each statement is rebuilt from the event's own fields, so an event altered anywhere the
//! signature covers no longer verifies, and each signer must be registered in the same co-op, for
//! the party the event names, with a key.

use super::error::HandoverError;
use super::keys::verify;
use super::statement::{abnormal_positions, AcceptanceStatement, OfferStatement};
use crate::model::{DeviceId, Event, EventKind, PartyId};

/// A device as the server registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredDevice {
    pub coop: String,
    pub party: PartyId,
    pub public_key: Option<[u8; 32]>,
}

/// The offer statement a `HandoverOffer` event signs (`None` for other kinds).
pub fn offer_statement(event: &Event, coop: &str) -> Option<OfferStatement> {
    let EventKind::HandoverOffer(offer) = &event.kind else { return None };
    Some(OfferStatement {
        coop: coop.to_owned(),
        offer: event.id,
        giver_party: event.recorder.party.clone(),
        giver_device: event.recorder.device,
        offered_ms: event.recorded_at.timestamp_millis(),
        trip: offer.trip.clone(),
        codes: event.codes.clone(),
    })
}

/// The statements an acceptance or receipt event carries: the offer it accepts and the acceptance
/// itself, with the device that signed each. `None` for other kinds or unmatched abnormal codes.
pub fn acceptance_statements(event: &Event, coop: &str) -> Option<(OfferStatement, AcceptanceStatement)> {
    let (offer, acceptance) = match &event.kind {
        EventKind::HandoverAcceptance(a) => {
            let offer = OfferStatement {
                coop: coop.to_owned(),
                offer: a.offer,
                giver_party: a.giver.party.clone(),
                giver_device: a.giver.device,
                offered_ms: a.offered_at_ms,
                trip: a.trip.clone(),
                codes: event.codes.clone(),
            };
            let acceptance = AcceptanceStatement {
                coop: coop.to_owned(),
                acceptance: event.id,
                offer_digest: offer.digest(),
                receiver_party: event.recorder.party.clone(),
                receiver_device: event.recorder.device,
                accepted_ms: event.recorded_at.timestamp_millis(),
                abnormal: abnormal_positions(&a.abnormal, &event.codes)?,
            };
            (offer, acceptance)
        }
        EventKind::HandoverReceipt(r) => {
            let offer = OfferStatement {
                coop: coop.to_owned(),
                offer: r.offer,
                giver_party: event.recorder.party.clone(),
                giver_device: event.recorder.device,
                offered_ms: r.offered_at_ms,
                trip: r.trip.clone(),
                codes: event.codes.clone(),
            };
            let acceptance = AcceptanceStatement {
                coop: coop.to_owned(),
                acceptance: r.acceptance,
                offer_digest: offer.digest(),
                receiver_party: r.receiver.party.clone(),
                receiver_device: r.receiver.device,
                accepted_ms: r.accepted_at_ms,
                abnormal: abnormal_positions(&r.abnormal, &event.codes)?,
            };
            (offer, acceptance)
        }
        _ => return None,
    };
    Some((offer, acceptance))
}

/// The key `device` registered for `party` in `coop`, or why it cannot sign for them.
fn signer_key(
    device: DeviceId,
    party: &PartyId,
    coop: &str,
    registry: &impl Fn(DeviceId) -> Option<RegisteredDevice>,
) -> Result<[u8; 32], HandoverError> {
    let registered = registry(device).ok_or(HandoverError::UnknownDevice(device))?;
    if registered.coop != coop {
        return Err(HandoverError::WrongCoop { found: registered.coop, expected: coop.to_owned() });
    }
    if registered.party != *party {
        let reason = format!("it is registered for party {}, not {party}", registered.party);
        return Err(HandoverError::not_certified(device, reason));
    }
    registered.public_key.ok_or_else(|| HandoverError::not_certified(device, "it has registered no signing key"))
}

/// Checks every signature a handover event carries against the registered keys of `coop`'s
/// devices; other kinds pass. `registry` looks a device up (any co-op).
pub fn verify_event(
    event: &Event,
    coop: &str,
    registry: impl Fn(DeviceId) -> Option<RegisteredDevice>,
) -> Result<(), HandoverError> {
    if let Some(offer) = offer_statement(event, coop) {
        let EventKind::HandoverOffer(o) = &event.kind else { return Ok(()) };
        let key = signer_key(offer.giver_device, &offer.giver_party, coop, &registry)?;
        if !verify(&key, &offer.message(), &o.signature) {
            return Err(HandoverError::BadSignature { what: "offer", device: offer.giver_device });
        }
        return Ok(());
    }
    let (offer_signature, signature) = match &event.kind {
        EventKind::HandoverAcceptance(a) => (Some(&a.offer_signature), &a.signature),
        EventKind::HandoverReceipt(r) => (None, &r.signature),
        _ => return Ok(()),
    };
    let (offer, acceptance) = acceptance_statements(event, coop)
        .ok_or_else(|| HandoverError::InvalidOffer("an abnormal box is not one of the offered codes".into()))?;
    if let Some(offer_signature) = offer_signature {
        let key = signer_key(offer.giver_device, &offer.giver_party, coop, &registry)?;
        if !verify(&key, &offer.message(), offer_signature) {
            return Err(HandoverError::BadSignature { what: "offer", device: offer.giver_device });
        }
    }
    let key = signer_key(acceptance.receiver_device, &acceptance.receiver_party, coop, &registry)?;
    if !verify(&key, &acceptance.message(), signature) {
        return Err(HandoverError::BadSignature { what: "acceptance", device: acceptance.receiver_device });
    }
    Ok(())
}
