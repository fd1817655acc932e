//! The custody chain: every hand-off of the lot's goods in causal order — harvest, warehouse in
//! and out, loading, departure, delivery, receiving, and the signed handovers paired by
//! `fieldtrace_server::custody` (offer with acceptance; unaccepted offers flagged). Consecutive events of the
//! same step by the same party are one hand-off (a driver scanning 24 boxes is one loading).

use super::context::{show_code, LotContext};
use super::sections::PhotoView;
use super::words::LotWords;
use crate::trace_page::Words;
use fieldtrace_core::model::{AbnormalReason, BizStep, Disposition, Event, EventKind, TripStage};
use fieldtrace_server::custody::{Transfer, TransferStatus};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq)]
pub struct CustodyRow {
    pub what: String,
    pub giver: String,
    pub receiver: String,
    /// First and last time of the hand-off (equal for a single event).
    pub from: String,
    pub to: String,
    /// The lot's units that changed hands.
    pub units: u64,
    /// Boxes (codes named by the events): offered → received for handovers.
    pub boxes: String,
    /// `code: reason` of goods found abnormal at this hand-off.
    pub abnormal: Vec<String>,
    /// The hand-off's status in words (departure counts, handover pairing).
    pub flag: Option<String>,
    /// Something for the manager to look at: an offer nobody accepted (yet), a dispute, a
    /// departure with boxes missing.
    pub problem: bool,
    pub handover: bool,
    pub trip: Option<String>,
    /// Photos taken at the hand-off (a signed delivery note).
    pub photos: Vec<PhotoView>,
}

struct Draft {
    row: CustodyRow,
    /// Units that changed hands, summed over the hand-off's events (a unit scanned twice in one
    /// hand-off counts twice).
    units: u64,
    codes: BTreeSet<String>,
    /// Consecutive events with the same step, receiver and trip are one hand-off.
    key: (String, String, Option<String>),
}

fn reason_text(t: &Words, key: &str) -> String {
    AbnormalReason::from_key(key).map_or_else(|| key.to_owned(), |r| t.reason(r).to_owned())
}

/// Builds the chain from the lot's history fed in causal order, a page at a time: the page
/// shows one window of it, the CSV export all of it. It carries who holds the goods from one
/// event to the next, so a window starts from the holder its earlier events left.
pub struct Chain<'t> {
    by_offer: BTreeMap<&'t str, Vec<&'t Transfer>>,
    holder: String,
    offers_done: BTreeSet<String>,
    rows: Vec<Draft>,
}

impl<'t> Chain<'t> {
    /// `transfers` are the lot's custody transfers (handover offers paired with acceptances).
    pub fn new(ctx: &LotContext, transfers: &'t [Transfer]) -> Self {
        let by_offer = transfers.iter().fold(BTreeMap::new(), |mut map: BTreeMap<&str, Vec<&Transfer>>, transfer| {
            map.entry(transfer.offer.as_str()).or_default().push(transfer);
            map
        });
        let holder = ctx.lot_field("farm").map(|farm| ctx.party_name(&farm)).unwrap_or_default();
        Self { by_offer, holder, offers_done: BTreeSet::new(), rows: Vec::new() }
    }

    /// Takes the hand-offs finished so far, keeping the last (the next event may extend it)
    /// unless `all`.
    pub fn take(&mut self, all: bool) -> Vec<CustodyRow> {
        let keep = usize::from(!all).min(self.rows.len());
        let done: Vec<Draft> = self.rows.drain(..self.rows.len() - keep).collect();
        done.into_iter()
            .map(|mut d| {
                d.row.units = d.units;
                if !d.row.handover {
                    d.row.boxes = d.codes.len().to_string();
                }
                d.row
            })
            .collect()
    }

    /// Adds `events` (the next part of the history, voided events left out).
    pub fn feed<'e>(&mut self, ctx: &LotContext, events: impl IntoIterator<Item = &'e Event>, w: &LotWords, t: &Words) {
        for event in events {
            self.feed_one(ctx, event, w, t);
        }
    }

    fn feed_one(&mut self, ctx: &LotContext, event: &Event, w: &LotWords, t: &Words) {
        let farm = ctx.lot_field("farm").map(|farm| ctx.party_name(&farm)).unwrap_or_default();
        let actor = ctx.party_name(&event.actor.party.0);
        let offer_id = match &event.kind {
            EventKind::HandoverOffer(_) => Some(event.id.to_string()),
            EventKind::HandoverAcceptance(a) => Some(a.offer.to_string()),
            _ => None,
        };
        if let Some(offer) = offer_id {
            if !self.offers_done.insert(offer.clone()) {
                return;
            }
            for transfer in self.by_offer.get(offer.as_str()).into_iter().flatten() {
                let row = handover_row(ctx, transfer, w, t);
                self.holder.clone_from(&row.receiver);
                let units = ctx.units_of(event);
                let key = (offer.clone(), String::new(), None);
                self.rows.push(Draft { units, codes: BTreeSet::new(), key, row });
            }
            return;
        }
        let holder = self.holder.clone();
        let (what, giver, receiver, trip) = match (&event.kind, event.step) {
            (EventKind::Trip { trip, stage: TripStage::Load { .. } }, _) => {
                (w.trip_loaded.to_owned(), holder, actor, Some(trip.clone()))
            }
            (EventKind::Trip { trip, stage: TripStage::Depart { .. } }, _) => {
                (w.trip_departed.to_owned(), actor.clone(), actor, Some(trip.clone()))
            }
            (EventKind::Trip { trip, stage: TripStage::Deliver { recipient } }, _) => {
                (w.trip_delivered.to_owned(), actor, recipient.clone(), Some(trip.clone()))
            }
            (EventKind::Handover { from, to }, _) => {
                (w.handover.to_owned(), ctx.party_name(&from.0), ctx.party_name(&to.0), None)
            }
            (EventKind::Report | EventKind::Observation, Some(BizStep::Harvesting)) => {
                (t.step(BizStep::Harvesting).to_owned(), farm, actor, None)
            }
            (
                EventKind::Report | EventKind::Observation,
                Some(
                    step @ (BizStep::WarehouseIn
                    | BizStep::WarehouseOut
                    | BizStep::Loading
                    | BizStep::Receiving
                    | BizStep::Delivering),
                ),
            ) => (t.step(step).to_owned(), holder, actor, None),
            _ => return,
        };
        self.holder.clone_from(&receiver);
        let abnormal: Vec<String> = match event.disposition {
            Some(Disposition::Abnormal(reason)) => {
                event.codes.iter().map(|code| format!("{}: {}", show_code(code), t.reason(reason))).collect()
            }
            _ => Vec::new(),
        };
        let units = ctx.units_of(event);
        let key = (what.clone(), receiver.clone(), trip.clone());
        let when = ctx.time(&event.recorded_at);
        let flag = match &event.kind {
            EventKind::Trip { stage: TripStage::Depart { expected, loaded, missing, .. }, .. } => Some(format!(
                "{loaded}/{expected}{}",
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" · {} {}", w.missing, missing.iter().map(|c| show_code(c)).collect::<Vec<_>>().join(", "))
                }
            )),
            _ => None,
        };
        if let Some(last) = self.rows.last_mut().filter(|d| d.key == key && flag.is_none() && d.row.flag.is_none()) {
            last.row.to = when;
            last.units += units;
            last.codes.extend(event.codes.iter().cloned());
            last.row.abnormal.extend(abnormal);
            last.row.photos.extend(photos_of(event));
            return;
        }
        let row = CustodyRow {
            what,
            giver,
            receiver,
            from: when.clone(),
            to: when,
            units: 0,
            boxes: String::new(),
            abnormal,
            problem: matches!(&event.kind, EventKind::Trip { stage: TripStage::Depart { missing, .. }, .. } if !missing.is_empty()),
            flag,
            handover: false,
            trip,
            photos: photos_of(event),
        };
        self.rows.push(Draft { row, units, codes: event.codes.iter().cloned().collect(), key });
    }
}

fn handover_row(ctx: &LotContext, transfer: &Transfer, w: &LotWords, t: &Words) -> CustodyRow {
    let offered = ctx.time_ms(transfer.offered_at_ms);
    let accepted = transfer.accepted_at_ms.map(|ms| ctx.time_ms(ms));
    let mut abnormal: Vec<String> =
        transfer.abnormal.iter().map(|u| format!("{}: {}", show_code(&u.code), reason_text(t, &u.reason))).collect();
    abnormal.extend(transfer.missing.iter().map(|code| format!("{}: {}", show_code(code), w.missing)));
    let mut flags: Vec<&str> = Vec::new();
    match transfer.status {
        TransferStatus::Paired => {}
        TransferStatus::AcceptanceOnly => flags.push(w.acceptance_only),
        TransferStatus::Pending => flags.push(w.pending),
        TransferStatus::Unpaired => flags.push(w.unpaired),
    }
    if transfer.disputed {
        flags.push(w.disputed);
    }
    if transfer.status == TransferStatus::Paired && transfer.receipt_filed {
        flags.push(w.receipt_filed);
    }
    let boxes = match transfer.received_count {
        Some(received) => format!("{} → {received}", transfer.offered_count),
        None => transfer.offered_count.to_string(),
    };
    CustodyRow {
        what: w.handover.to_owned(),
        giver: ctx.party_name(&transfer.giver.party),
        receiver: transfer.receiver.as_ref().map(|r| ctx.party_name(&r.party)).unwrap_or_else(|| "?".to_owned()),
        from: offered,
        to: accepted.unwrap_or_default(),
        units: 0,
        boxes,
        abnormal,
        flag: (!flags.is_empty()).then(|| flags.join(" · ")),
        problem: transfer.status != TransferStatus::Paired || transfer.disputed || !transfer.missing.is_empty(),
        handover: true,
        trip: transfer.trip.clone(),
        photos: Vec::new(),
    }
}

fn photos_of(event: &Event) -> Vec<PhotoView> {
    event
        .photos
        .iter()
        .filter(|p| p.is_well_formed())
        .map(|p| PhotoView { sha256: p.0.clone(), ready: false })
        .collect()
}

/// The chain's CSV columns.
pub const CSV_HEADER: [&str; 10] =
    ["step", "from", "to", "first", "last", "units", "boxes", "abnormal", "flag", "trip"];

/// The chain as CSV (formula-injection safe).
#[cfg(test)]
pub fn csv(rows: &[CustodyRow]) -> String {
    crate::ui::csv_export::csv(&CSV_HEADER, &csv_cells(rows))
}

/// The cells of `rows`, in [`CSV_HEADER`]'s order.
pub fn csv_cells(rows: &[CustodyRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            vec![
                row.what.clone(),
                row.giver.clone(),
                row.receiver.clone(),
                row.from.clone(),
                row.to.clone(),
                row.units.to_string(),
                row.boxes.clone(),
                row.abnormal.join("; "),
                row.flag.clone().unwrap_or_default(),
                row.trip.clone().unwrap_or_default(),
            ]
        })
        .collect()
}
