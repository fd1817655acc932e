//! Custody transfers: the server pairs each handover offer with the acceptance that references
//! it. An acceptance carries the giver's signed offer, so a transfer is known from whichever phone
//! syncs first; an offer nobody accepted within `unpaired_after_ms` of its arrival is flagged.
//! Signatures were checked on push, so everything read here is genuine.

use crate::storage::{Storage, StorageError};
use fieldtrace_core::model::{AbnormalReason, Event, EventId, EventKind, UnitCondition};
use fieldtrace_core::sync::wire;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The kind keys of the events custody transfers are made of.
pub const HANDOVER_KINDS: &[&str] = &["handover_offer", "handover_acceptance", "handover_receipt"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferStatus {
    /// Offer and acceptance both synced.
    Paired,
    /// The receiver synced its acceptance (with the giver's signed offer); the giver has not yet.
    AcceptanceOnly,
    /// Offered, not accepted yet, within the allowed time.
    Pending,
    /// Offered and not accepted within `unpaired_after_ms`: custody is unaccounted for.
    Unpaired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub party: String,
    pub device: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbnormalUnit {
    pub code: String,
    pub reason: String,
}

/// One custody transfer (or an offer still waiting for its receiver).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub offer: String,
    pub status: TransferStatus,
    pub trip: Option<String>,
    pub giver: Holder,
    pub receiver: Option<Holder>,
    pub acceptance: Option<String>,
    /// Device times of the offer and the acceptance, UTC ms.
    pub offered_at_ms: i64,
    pub accepted_at_ms: Option<i64>,
    /// Server time the giver's offer event arrived (the unpaired deadline counts from here).
    pub offer_received_at_ms: Option<i64>,
    pub offered_count: u32,
    pub received_count: Option<u32>,
    pub missing: Vec<String>,
    /// Boxes received in abnormal condition (missing ones are in `missing`).
    pub abnormal: Vec<AbnormalUnit>,
    /// The giver filed the receiver's receipt: both sides hold proof.
    pub receipt_filed: bool,
    /// More than one device accepted this offer: a dispute for the manager.
    pub disputed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CustodyFilter {
    pub trip: Option<String>,
    /// A code key (`t/…`, `/00/…`): transfers that include this box.
    pub code: Option<String>,
}

struct Offer {
    event: Event,
    received_at_ms: i64,
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn decode(encoded: &[u8]) -> Result<Event, StorageError> {
    let batch = wire::batch_from_encoded(std::iter::once(encoded));
    let mut events = wire::decode_events(&batch)
        .map_err(|e| StorageError::Backend(format!("stored handover event does not decode: {e}")))?;
    events.pop().ok_or_else(|| StorageError::Backend("stored handover event is empty".into()))
}

/// The co-op's custody transfers in the order their offers reached the server, filtered.
pub async fn transfers<S: Storage>(
    storage: &S,
    coop: &str,
    filter: &CustodyFilter,
    now_ms: i64,
    unpaired_after_ms: i64,
) -> Result<Vec<Transfer>, StorageError> {
    let mut events = Vec::new();
    for row in storage.events_of_kinds(coop, HANDOVER_KINDS).await? {
        events.push((decode(&row.encoded)?, row.received_at_ms));
    }
    Ok(transfers_from(events, filter, now_ms, unpaired_after_ms))
}

/// The custody transfers among `events` (each with the server time it arrived, in server
/// order; other kinds are skipped), in the order their offers reached the server, filtered.
pub fn transfers_from(
    events: impl IntoIterator<Item = (Event, i64)>,
    filter: &CustodyFilter,
    now_ms: i64,
    unpaired_after_ms: i64,
) -> Vec<Transfer> {
    let mut offers: HashMap<EventId, Offer> = HashMap::new();
    let mut acceptances: BTreeMap<EventId, Vec<Event>> = BTreeMap::new();
    let mut receipts: HashSet<EventId> = HashSet::new();
    let mut order: Vec<EventId> = Vec::new();
    for (event, received_at_ms) in events {
        let offer_id = match &event.kind {
            EventKind::HandoverOffer(_) => event.id,
            EventKind::HandoverAcceptance(a) => a.offer,
            EventKind::HandoverReceipt(r) => {
                receipts.insert(r.acceptance);
                continue;
            }
            _ => continue,
        };
        if !order.contains(&offer_id) {
            order.push(offer_id);
        }
        match event.kind {
            EventKind::HandoverOffer(_) => {
                offers.insert(offer_id, Offer { event, received_at_ms });
            }
            _ => acceptances.entry(offer_id).or_default().push(event),
        }
    }
    let mut out = Vec::new();
    for offer_id in order {
        let offer = offers.get(&offer_id);
        let accepted = acceptances.get(&offer_id).map(Vec::as_slice).unwrap_or_default();
        let disputed = accepted.len() > 1;
        if accepted.is_empty() {
            let Some(offer) = offer else { continue };
            let EventKind::HandoverOffer(kind) = &offer.event.kind else { continue };
            let overdue = now_ms.saturating_sub(offer.received_at_ms) >= unpaired_after_ms;
            out.push(Transfer {
                offer: offer_id.to_string(),
                status: if overdue { TransferStatus::Unpaired } else { TransferStatus::Pending },
                trip: kind.trip.clone(),
                giver: Holder {
                    party: offer.event.recorder.party.0.clone(),
                    device: offer.event.recorder.device.to_string(),
                },
                receiver: None,
                acceptance: None,
                offered_at_ms: offer.event.recorded_at.timestamp_millis(),
                accepted_at_ms: None,
                offer_received_at_ms: Some(offer.received_at_ms),
                offered_count: count(offer.event.codes.len()),
                received_count: None,
                missing: Vec::new(),
                abnormal: Vec::new(),
                receipt_filed: false,
                disputed,
            });
            continue;
        }
        for acceptance in accepted {
            let EventKind::HandoverAcceptance(a) = &acceptance.kind else { continue };
            let (missing, abnormal): (Vec<&UnitCondition>, Vec<&UnitCondition>) =
                a.abnormal.iter().partition(|u| u.reason == AbnormalReason::Missing);
            out.push(Transfer {
                offer: offer_id.to_string(),
                status: if offer.is_some() { TransferStatus::Paired } else { TransferStatus::AcceptanceOnly },
                trip: a.trip.clone(),
                giver: Holder { party: a.giver.party.0.clone(), device: a.giver.device.to_string() },
                receiver: Some(Holder {
                    party: acceptance.recorder.party.0.clone(),
                    device: acceptance.recorder.device.to_string(),
                }),
                acceptance: Some(acceptance.id.to_string()),
                offered_at_ms: a.offered_at_ms,
                accepted_at_ms: Some(acceptance.recorded_at.timestamp_millis()),
                offer_received_at_ms: offer.map(|o| o.received_at_ms),
                offered_count: count(acceptance.codes.len()),
                received_count: Some(count(acceptance.codes.len() - missing.len())),
                missing: missing.into_iter().map(|u| u.code.clone()).collect(),
                abnormal: abnormal
                    .into_iter()
                    .map(|u| AbnormalUnit { code: u.code.clone(), reason: u.reason.key().to_owned() })
                    .collect(),
                receipt_filed: receipts.contains(&acceptance.id),
                disputed,
            });
        }
    }
    let codes_of = |offer: &str| -> Vec<String> {
        let id = EventId::parse(offer);
        let from_offer = id.and_then(|id| offers.get(&id)).map(|o| o.event.codes.clone());
        from_offer
            .or_else(|| id.and_then(|id| acceptances.get(&id)?.first().map(|a| a.codes.clone())))
            .unwrap_or_default()
    };
    out.retain(|t| {
        filter.trip.as_ref().is_none_or(|trip| t.trip.as_ref() == Some(trip))
            && filter.code.as_ref().is_none_or(|code| codes_of(&t.offer).contains(code))
    });
    out
}
