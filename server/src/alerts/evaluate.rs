//! Evaluating the rules on what arrived, incrementally: the events since the co-op's alert
//! cursor (a bounded page at a time), the trace scans since its scan cursor, and the lots whose
//! expiry date the date index says is near. What the rules need to know about the goods involved
//! is read through the look-up indexes and the persisted read models — the events concerning the
//! packing component of each abnormal code, the units named, the registers of the lots and
//! parties involved — never by folding the co-op's log (issue 16). The rules themselves
//! (`rules`) are the same pure functions, given a state that is exact for everything they read.

use super::rules::{self, Scan};
use super::store::AlertToFile;
use crate::projection::{decode_pulled, decode_rows, Projector};
use crate::storage::{Registers, Storage, StorageError};
use crate::ServerConfig;
use chrono::{Days, FixedOffset, NaiveDate, Offset, TimeZone};
use fieldtrace_core::fold::{fold, ReplicaState};
use fieldtrace_core::model::{Disposition, EntityKind, Event, EventKind};
use std::collections::{BTreeMap, BTreeSet};

/// Events evaluated per round: bounds memory after a large import, each round moves the cursor.
const ROUND_EVENTS: usize = 2_000;

/// Evaluates the rules for every co-op with new events or scans (all co-ops' near-expiry lots
/// when `check_expiry`) and files what they find. Returns how many alerts were new.
pub async fn evaluate<S: Storage>(
    storage: &S,
    config: &ServerConfig,
    projector: &Projector,
    check_expiry: bool,
) -> Result<usize, StorageError> {
    let now_ms = config.clock.now_ms();
    let offset = FixedOffset::east_opt(config.display_offset_s).unwrap_or_else(|| chrono::Utc.fix());
    let today = offset.timestamp_millis_opt(now_ms).single().map(|t| t.date_naive()).unwrap_or_default();
    let mut filed = 0;
    for cursor in storage.alert_cursors().await? {
        let new_events = cursor.last_seq > cursor.event_seq;
        let new_scans = cursor.last_scan_rowid > cursor.scan_rowid;
        if !(new_events || new_scans || check_expiry) {
            continue;
        }
        // Registers (lot names, expiry dates, phones) must include what the same pushes set.
        projector.catch_up(storage, &cursor.coop).await?;
        let scanned = if new_scans { storage.scans_after(&cursor.coop, cursor.scan_rowid).await? } else { Vec::new() };
        let scan_rowid = scanned.last().map_or(cursor.scan_rowid, |(rowid, _)| *rowid);
        let mut scans: Vec<Scan> = scanned.into_iter().map(|(_, scan)| scan).collect();
        let mut expiring = if check_expiry { expiring_lots(storage, &cursor.coop, today).await? } else { Vec::new() };
        let mut after = cursor.event_seq;
        loop {
            let (fresh, next_after, more) = if after < cursor.last_seq {
                let page = storage.pull(&cursor.coop, after, ROUND_EVENTS).await?;
                let events = decode_pulled(&page.encoded)?;
                (events, page.next_after, page.has_more)
            } else {
                (Vec::new(), after, false)
            };
            let round = Round { fresh, scans: std::mem::take(&mut scans), expiring: std::mem::take(&mut expiring) };
            let to_file =
                if round.can_fire() { round.evaluate(storage, &cursor.coop, today).await? } else { Vec::new() };
            filed += storage.file_alerts(&cursor.coop, to_file, next_after, scan_rowid, now_ms).await?;
            after = next_after;
            if !more {
                break;
            }
        }
    }
    Ok(filed)
}

/// Lots whose expiry date is within the widest threshold of `today` (or past), by the date index.
async fn expiring_lots<S: Storage>(storage: &S, coop: &str, today: NaiveDate) -> Result<Vec<String>, StorageError> {
    let widest = rules::EXPIRY_THRESHOLDS_DAYS.iter().copied().max().unwrap_or(0);
    let by = today.checked_add_days(Days::new(u64::try_from(widest).unwrap_or(0))).unwrap_or(today);
    let lots = storage.lots_expiring_by(coop, &by.format("%Y-%m-%d").to_string()).await?;
    Ok(lots.into_iter().filter(|(_, date)| date.trim().parse::<NaiveDate>().is_ok()).map(|(lot, _)| lot).collect())
}

/// One round's input: a page of new events, the new scans, the lots to check for expiry.
struct Round {
    fresh: Vec<Event>,
    scans: Vec<Scan>,
    expiring: Vec<String>,
}

impl Round {
    /// Most pushes are normal taps: when nothing in the round can fire a rule, nothing is read.
    fn can_fire(&self) -> bool {
        !self.scans.is_empty() || !self.expiring.is_empty() || self.fresh.iter().any(may_fire)
    }

    async fn evaluate<S: Storage>(
        self,
        storage: &S,
        coop: &str,
        today: NaiveDate,
    ) -> Result<Vec<AlertToFile>, StorageError> {
        let (state, related) = self.context(storage, coop).await?;
        let mut found = rules::abnormal_alerts(&state, &related, &self.fresh);
        let settings = storage.alert_settings(coop).await?;
        found.extend(rules::excursion_alerts(&state, &self.fresh, settings.excursion_minutes));
        found.extend(rules::expiry_alerts(&state, today));
        found.extend(rules::diversion_alerts(&state, &self.scans));
        let phone = |party: &str| {
            let fields = state.registers.get(&(EntityKind::Party, party.to_owned()))?;
            fields.get("phone")?.value.clone().filter(|phone| !phone.trim().is_empty())
        };
        Ok(found
            .into_iter()
            .map(|alert| {
                let phones = alert.recipients.iter().filter_map(|p| phone(p).map(|n| (p.clone(), n))).collect();
                AlertToFile { alert, phones }
            })
            .collect())
    }

    /// A state exact for what the rules read this round, and the events it was folded from:
    /// every event concerning the packing component of the abnormal codes (who handled those
    /// goods earlier), the excursions' and scans' codes (their lots), with the projected
    /// registers of every party (names, phones, the co-op's contacts) and of the lots involved.
    async fn context<S: Storage>(&self, storage: &S, coop: &str) -> Result<(ReplicaState, Vec<Event>), StorageError> {
        let abnormal: Vec<String> = self.fresh.iter().flat_map(rules::abnormal_codes).collect();
        let mut codes: BTreeSet<String> = if abnormal.is_empty() {
            BTreeSet::new()
        } else {
            storage.containment_component(coop, abnormal).await?.into_iter().collect()
        };
        for event in &self.fresh {
            if matches!(event.kind, EventKind::Excursion(_)) {
                codes.extend(event.codes.iter().cloned());
            }
        }
        codes.extend(self.scans.iter().map(|scan| scan.code.clone()));
        let related = if codes.is_empty() {
            Vec::new()
        } else {
            decode_rows(&storage.concerning_events(coop, codes.into_iter().collect()).await?)?
        };
        let mut state = fold(&related);
        let mut lots: BTreeSet<String> = self.expiring.iter().cloned().collect();
        lots.extend(self.fresh.iter().filter_map(|event| event.lot.as_ref().map(|lot| lot.as_str().to_owned())));
        lots.extend(self.fresh.iter().filter_map(|event| match &event.kind {
            EventKind::Update(update) if update.entity == EntityKind::Lot => Some(update.id.clone()),
            _ => None,
        }));
        lots.extend(state.units.values().filter_map(|unit| unit.lot.as_ref().map(|lot| lot.as_str().to_owned())));
        let mut registers: BTreeMap<(EntityKind, String), Registers> =
            storage.registers_of(coop, lots.into_iter().map(|lot| (EntityKind::Lot, lot)).collect()).await?;
        let parties = storage.registers_of_kind(coop, EntityKind::Party).await?;
        registers.extend(parties.into_iter().map(|(id, fields)| ((EntityKind::Party, id), fields)));
        state.registers = registers;
        Ok((state, related))
    }
}

/// Whether an event can fire a rule on arrival: abnormal goods, an excursion, or a lot's register
/// (its expiry date) changing.
fn may_fire(event: &Event) -> bool {
    matches!(event.disposition, Some(Disposition::Abnormal(_)))
        || matches!(&event.kind, EventKind::HandoverAcceptance(a) if !a.abnormal.is_empty())
        || matches!(&event.kind, EventKind::Excursion(_))
        || matches!(&event.kind, EventKind::Update(u) if u.entity == EntityKind::Lot)
}
