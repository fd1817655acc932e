//! The alert rules as pure functions of a co-op's events, its folded state and the clock: no I/O,
//! so each rule is unit-tested on hand-built events. `dispatch` feeds them what arrived since the
//! last evaluation; the store de-duplicates on `(kind, subject)`, so a rule may say the same thing
//! twice (a replayed report, the giver's copy of an acceptance) and only the first one counts.

use super::handling::Handling;
use crate::vocabulary_names::reason_name;
use chrono::NaiveDate;
use fieldtrace_core::fold::ReplicaState;
use fieldtrace_core::model::{Disposition, EntityKind, Event, EventKind};
use std::collections::BTreeSet;

// The alert records live with the storage traits (a backend files them); the rules produce them.
pub use fieldtrace_server_store::alerts::{AlertKind, NewAlert, Scan};

/// Days before a lot's `expiry_date` at which a near-expiry alert fires, widest first.
pub const EXPIRY_THRESHOLDS_DAYS: [i64; 3] = [180, 90, 30];

fn register<'a>(state: &'a ReplicaState, entity: EntityKind, id: &str, field: &str) -> Option<&'a str> {
    state.registers.get(&(entity, id.to_owned()))?.get(field)?.value.as_deref().filter(|v| !v.trim().is_empty())
}

/// The parties registered as the co-op itself (`kind = coop`): they hear about excursions,
/// near-expiry and diversion.
pub fn coop_contacts(state: &ReplicaState) -> Vec<String> {
    state
        .registers
        .iter()
        .filter(|((entity, _), fields)| {
            *entity == EntityKind::Party && fields.get("kind").and_then(|f| f.value.as_deref()) == Some("coop")
        })
        .map(|((_, id), _)| id.clone())
        .collect()
}

fn lot_of(state: &ReplicaState, event: &Event, code: &str) -> Option<String> {
    event
        .lot
        .as_ref()
        .map(|lot| lot.as_str().to_owned())
        .or_else(|| state.units.get(code).and_then(|unit| unit.lot.as_ref()).map(|lot| lot.as_str().to_owned()))
}

fn product(state: &ReplicaState, lot: Option<&str>) -> String {
    lot.and_then(|lot| register(state, EntityKind::Lot, lot, "product")).unwrap_or_default().to_owned()
}

/// The codes an abnormal event reports as abnormal: a report's (or observation's) codes, an
/// acceptance's abnormal boxes. Excursions have their own rule; a receipt repeats an acceptance.
pub(crate) fn abnormal_codes(event: &Event) -> Vec<String> {
    match &event.kind {
        EventKind::HandoverAcceptance(acceptance) => acceptance.abnormal.iter().map(|u| u.code.clone()).collect(),
        EventKind::Excursion(_) | EventKind::HandoverReceipt(_) | EventKind::Correction { .. } => Vec::new(),
        _ if matches!(event.disposition, Some(Disposition::Abnormal(_))) => event.codes.clone(),
        _ => Vec::new(),
    }
}

/// The upstream parties of `codes` as of `event`: the lot's farm and every party that handled the
/// goods (acted on them, gave or received them in a handover) earlier in causal order, except the
/// one reporting.
pub fn upstream_parties(
    state: &ReplicaState,
    handling: &Handling<'_>,
    event: &Event,
    codes: &[String],
    lot: Option<&str>,
) -> Vec<String> {
    let related = handling.related_codes(codes);
    let mut parties = BTreeSet::new();
    if let Some(farm) = lot.and_then(|lot| register(state, EntityKind::Lot, lot, "farm")) {
        parties.insert(farm.to_owned());
    }
    for earlier in handling.events_on(&related) {
        if earlier.id == event.id || state.voided.contains(&earlier.id) || earlier.cmp_causal(event).is_ge() {
            continue;
        }
        parties.insert(earlier.actor.party.as_str().to_owned());
        match &earlier.kind {
            EventKind::Handover { from, to } => {
                parties.insert(from.as_str().to_owned());
                parties.insert(to.as_str().to_owned());
            }
            EventKind::HandoverAcceptance(acceptance) => {
                parties.insert(acceptance.giver.party.as_str().to_owned());
            }
            _ => {}
        }
    }
    // The event itself names who gave the goods to the reporter.
    match &event.kind {
        EventKind::HandoverAcceptance(acceptance) => {
            parties.insert(acceptance.giver.party.as_str().to_owned());
        }
        EventKind::Handover { from, .. } => {
            parties.insert(from.as_str().to_owned());
        }
        _ => {}
    }
    parties.remove(event.actor.party.as_str());
    parties.into_iter().collect()
}

fn party_name(state: &ReplicaState, party: &str) -> String {
    register(state, EntityKind::Party, party, "name").unwrap_or(party).to_owned()
}

/// Rule (a): each abnormal box notifies the upstream parties of its lot.
pub fn abnormal_alerts(state: &ReplicaState, all: &[Event], new: &[Event]) -> Vec<NewAlert> {
    let handling = Handling::new(all);
    let mut alerts = Vec::new();
    for event in new.iter().filter(|e| !state.voided.contains(&e.id)) {
        let codes = abnormal_codes(event);
        let reasons = |code: &str| -> (&'static str, &'static str) {
            let reason = match (&event.kind, &event.disposition) {
                (EventKind::HandoverAcceptance(a), _) => a.abnormal.iter().find(|u| u.code == code).map(|u| u.reason),
                (_, Some(Disposition::Abnormal(reason))) => Some(*reason),
                _ => None,
            };
            reason.map_or(("异常", "abnormal"), |r| (reason_name(r, true), reason_name(r, false)))
        };
        for code in codes {
            let (reason_zh, reason_en) = reasons(&code);
            let lot = lot_of(state, event, &code);
            let recipients = upstream_parties(state, &handling, event, std::slice::from_ref(&code), lot.as_deref());
            let reporter = party_name(state, event.actor.party.as_str());
            let lot_text = lot.clone().unwrap_or_else(|| "-".to_owned());
            let product = product(state, lot.as_deref());
            alerts.push(NewAlert {
                kind: AlertKind::Abnormal,
                subject: format!("{lot_text}|{code}"),
                text_zh: format!("{reporter} 报告异常：批次 {lot_text} {product} 箱 {code}（{reason_zh}）"),
                text_en: format!("{reporter} reported abnormal: lot {lot_text} {product}, box {code} ({reason_en})"),
                lot,
                code: Some(code),
                recipients,
            });
        }
    }
    alerts
}

/// Rule (b): an excursion that lasted longer than `min_minutes`.
pub fn excursion_alerts(state: &ReplicaState, new: &[Event], min_minutes: i64) -> Vec<NewAlert> {
    let mut alerts = Vec::new();
    for event in new.iter().filter(|e| !state.voided.contains(&e.id)) {
        let EventKind::Excursion(excursion) = &event.kind else { continue };
        let minutes = (excursion.end - excursion.start).num_minutes();
        if minutes <= min_minutes {
            continue;
        }
        let code = event.codes.first().cloned().unwrap_or_default();
        let lot = lot_of(state, event, &code);
        let (unit, what_zh, what_en) = match excursion.sensor {
            fieldtrace_core::model::SensorKind::TemperatureCelsius => ("°C", "温度", "Temperature"),
            fieldtrace_core::model::SensorKind::RelativeHumidityPercent => ("%RH", "湿度", "Humidity"),
        };
        let lot_text = lot.clone().unwrap_or_else(|| "-".to_owned());
        alerts.push(NewAlert {
            kind: AlertKind::Excursion,
            // A re-read logger re-records a grown excursion with the same start: still one alert.
            subject: format!(
                "{code}|{}|{:?}|{:?}|{}",
                excursion.logger,
                excursion.sensor,
                excursion.bound,
                excursion.start.timestamp()
            ),
            text_zh: format!(
                "{what_zh}超限 {minutes} 分钟：批次 {lot_text} 箱 {code}，峰值 {:.1}{unit}（限值 {:.1}{unit}）",
                excursion.peak, excursion.threshold
            ),
            text_en: format!(
                "{what_en} excursion for {minutes} min: lot {lot_text}, box {code}, peak {:.1}{unit} (limit {:.1}{unit})",
                excursion.peak, excursion.threshold
            ),
            lot,
            code: Some(code),
            recipients: coop_contacts(state),
        });
    }
    alerts
}

/// Rule (c): lots whose `expiry_date` is within a threshold on `today`. Only the tightest
/// threshold reached fires (a lot first seen 20 days before expiry gets the 30-day alert only).
pub fn expiry_alerts(state: &ReplicaState, today: NaiveDate) -> Vec<NewAlert> {
    let mut alerts = Vec::new();
    for ((entity, lot), fields) in &state.registers {
        if *entity != EntityKind::Lot {
            continue;
        }
        let Some(expiry) = fields.get("expiry_date").and_then(|f| f.value.as_deref()) else { continue };
        let Ok(expiry) = expiry.trim().parse::<NaiveDate>() else { continue };
        let days = (expiry - today).num_days();
        let Some(threshold) = EXPIRY_THRESHOLDS_DAYS.iter().copied().filter(|t| days <= *t).min() else { continue };
        let product = product(state, Some(lot));
        alerts.push(NewAlert {
            kind: AlertKind::NearExpiry,
            subject: format!("{lot}|{threshold}"),
            text_zh: format!("临期提醒（{threshold} 天）：批次 {lot} {product} 将于 {expiry} 到期，剩余 {days} 天"),
            text_en: format!("Near expiry ({threshold} days): lot {lot} {product} expires {expiry}, {days} days left"),
            lot: Some(lot.clone()),
            code: None,
            recipients: coop_contacts(state),
        });
    }
    alerts
}

/// A lot's `sales_regions`: names separated by spaces, commas or 、.
pub fn sales_regions(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether `place` (as the geo header gave it) lies in one of `regions`: a region name appears in
/// it (`陕西省西安市` is in `陕西`), ignoring ASCII case.
pub fn place_in_regions(place: &str, regions: &[String]) -> bool {
    let place = place.to_lowercase();
    regions.iter().any(|region| place.contains(&region.to_lowercase()))
}

/// The region (province level) of a place: up to the first 省 or 自治区, else up to the first 市
/// (municipalities: 北京市, 重庆市), else the whole place.
pub fn region_of(place: &str) -> String {
    let place = place.trim();
    for marker in ["省", "自治区", "市"] {
        if let Some(at) = place.find(marker) {
            return place[..at + marker.len()].to_owned();
        }
    }
    place.to_owned()
}

/// Rule (d): a unit looked up outside its lot's sales regions, or in two regions.
pub fn diversion_alerts(state: &ReplicaState, scans: &[Scan]) -> Vec<NewAlert> {
    let mut alerts = Vec::new();
    for scan in scans {
        let Some(place) = scan.place.as_deref() else { continue };
        let lot = state.units.get(&scan.code).and_then(|u| u.lot.as_ref()).map(|l| l.as_str().to_owned());
        let lot_text = lot.clone().unwrap_or_else(|| "-".to_owned());
        let product = product(state, lot.as_deref());
        let regions = lot
            .as_deref()
            .and_then(|lot| register(state, EntityKind::Lot, lot, "sales_regions"))
            .map(sales_regions)
            .unwrap_or_default();
        if !regions.is_empty() && !place_in_regions(place, &regions) {
            let allowed = regions.join("、");
            alerts.push(NewAlert {
                kind: AlertKind::Diversion,
                subject: format!("{}|outside", scan.code),
                text_zh: format!(
                    "疑似窜货：批次 {lot_text} {product} 的 {} 在 {place} 被扫码，销售区域为 {allowed}",
                    scan.code
                ),
                text_en: format!(
                    "Possible diversion: {} of lot {lot_text} {product} scanned in {place}; sales regions {allowed}",
                    scan.code
                ),
                lot: lot.clone(),
                code: Some(scan.code.clone()),
                recipients: coop_contacts(state),
            });
        }
        let here = region_of(place);
        if let Some(other) = scan.earlier_places.iter().find(|p| region_of(p) != here) {
            alerts.push(NewAlert {
                kind: AlertKind::Diversion,
                subject: format!("{}|regions", scan.code),
                text_zh: format!("同一码在两地被扫：{}（批次 {lot_text}）先在 {other}，后在 {place}", scan.code),
                text_en: format!(
                    "Same code in two regions: {} (lot {lot_text}) in {other}, then in {place}",
                    scan.code
                ),
                lot,
                code: Some(scan.code.clone()),
                recipients: coop_contacts(state),
            });
        }
    }
    alerts
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
