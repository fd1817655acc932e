//! Storing a logger's readings as events and recording the excursions they show.
//!
//! One import is one durable transaction: the logger's link to its box (a `Logger` register), the
//! readings not stored before (one `SensorReading` event per box per UTC hour), and each new or
//! grown excursion (an `Excursion` event on the box; a grown one voids the shorter one it
//! replaces). Event ids are derived from the device, logger, box and times, so repeating an
//! import records nothing, and readings already stored — by this device or, after a sync, by
//! another — are never stored again.

use super::excursion::{detect_excursions, DetectOptions};
use super::limits::lot_limits;
use super::logger_csv::{parse_logger_csv, LineError, SensorError};
use super::{Limits, LoggerReading};
use crate::clock::WallClock;
use crate::model::*;
use crate::payload::parse_payload;
use crate::store::Store;
use chrono::{DateTime, Duration, FixedOffset};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};

type Result<T, E = SensorError> = std::result::Result<T, E>;

/// Default minimum duration of an excursion, minutes.
pub const DEFAULT_MIN_EXCURSION_MINUTES: u32 = 30;
/// Most readings in one event: a logger sampling every few seconds still makes modest events.
const MAX_READINGS_PER_EVENT: usize = 360;
/// Reading events carry their logger in the note, `logger <id>`, for people and for de-duplication.
const LOGGER_NOTE_PREFIX: &str = "logger ";

/// What a phone hands over after reading a logger over Bluetooth (the CLI after reading its CSV).
#[derive(Debug, Clone, PartialEq)]
pub struct SensorImport {
    /// The logger's id (its serial number or the id printed on it).
    pub logger: String,
    /// The box's label as scanned (any form `parse_payload` reads) or its code key.
    pub box_label: String,
    /// The box's lot; when `None`, the lot the logger, the box's unit or its events name.
    pub lot: Option<LotId>,
    pub readings: Vec<LoggerReading>,
    /// A run outside the limits must last at least this long to be an excursion.
    pub min_excursion_minutes: u32,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorImportReport {
    /// The box's code key, as events are filed under.
    pub box_code: String,
    pub lot: Option<LotId>,
    /// The limits the readings were judged by; `None` when no lot is known for the box (the
    /// readings are stored; importing again once the lot is known records the excursions).
    pub limits: Option<Limits>,
    /// Readings stored now / already stored before.
    pub readings_new: u64,
    pub readings_known: u64,
    pub reading_events: u64,
    /// Whether the logger's register was changed to this box (and lot).
    pub logger_linked: bool,
    /// Every excursion in this logger's stored readings for the box, new or not.
    pub excursions: Vec<Excursion>,
    pub excursion_events: u64,
    /// CSV lines refused (empty for readings handed over directly).
    pub line_errors: Vec<LineError>,
    /// CSV lines repeating an earlier line's time.
    pub duplicate_lines: u64,
}

/// Reads a logger's CSV export (see `logger_csv`) and imports its good lines.
pub fn import_logger_csv(
    store: &Store,
    actor: &Actor,
    clock: &dyn WallClock,
    csv: &str,
    local_offset: FixedOffset,
    import: SensorImport,
) -> Result<SensorImportReport> {
    let log = parse_logger_csv(csv, local_offset)?;
    let mut readings = import.readings;
    readings.extend(log.readings);
    let mut report = import_readings(store, actor, clock, SensorImport { readings, ..import })?;
    report.line_errors = log.errors;
    report.duplicate_lines = log.duplicates;
    Ok(report)
}

/// Stores readings of one logger in one box and records the excursions they show.
pub fn import_readings(
    store: &Store,
    actor: &Actor,
    clock: &dyn WallClock,
    import: SensorImport,
) -> Result<SensorImportReport> {
    let logger = import.logger.trim().to_owned();
    if logger.is_empty() || logger.chars().count() > MAX_LOGGER_ID_LEN {
        return Err(invalid("logger", format!("the logger id is empty or longer than {MAX_LOGGER_ID_LEN}")));
    }
    if let Some(bad) = import.readings.iter().find(|r| !reading_is_valid(r)) {
        return Err(invalid("readings", format!("the reading at {} has no finite value", bad.at)));
    }
    let box_code = parse_payload(&import.box_label).map_err(crate::Error::from)?.code_key();
    let now = clock.now();
    let context = Context { store, actor, logger: &logger, box_code: &box_code, now };
    let mut events = Vec::new();

    let linked = context.link_logger(import.lot.as_ref())?;
    let lot = match import.lot.clone() {
        Some(lot) => Some(lot),
        None => context.known_lot()?,
    };
    let logger_linked = linked.is_some();
    if let Some(update) = linked {
        events.push(context.event(EventKind::Update(update), Vec::new(), lot.clone(), random_id()));
    }

    let history = store.history(&box_code)?;
    let stored = stored_readings(&history, &logger);
    let known: HashSet<(i64, SensorKind)> =
        stored.iter().flat_map(|r| values(r).map(move |(kind, _)| (r.at.timestamp_millis(), kind))).collect();
    let (fresh, readings_known) = unknown_values(&import.readings, &known);
    for chunk in hourly_chunks(&fresh) {
        let first_ms = chunk[0].at.timestamp_millis();
        let id = derived_id(
            first_ms,
            &["sensor_reading", &store.device_id().to_string(), &logger, &box_code, &first_ms.to_string()],
        );
        let mut event = context.event(EventKind::SensorReading, vec![box_code.clone()], lot.clone(), id);
        event.note = Some(format!("{LOGGER_NOTE_PREFIX}{logger}"));
        event.sensors = chunk
            .iter()
            .flat_map(|r| values(r).map(|(kind, value)| SensorValue { kind, value, at: Some(r.at) }))
            .collect();
        events.push(event);
    }
    let reading_events = events.iter().filter(|e| e.kind == EventKind::SensorReading).count() as u64;

    let limits = match &lot {
        Some(lot) => Some(context.limits(lot)?),
        None => None,
    };
    let mut excursions = Vec::new();
    if let Some(limits) = &limits {
        let mut all = stored;
        all.extend(fresh.iter().cloned());
        let options = DetectOptions {
            min_duration: Duration::minutes(i64::from(import.min_excursion_minutes)),
            ..DetectOptions::default()
        };
        excursions = detect_excursions(&logger, &all, limits, &options);
        events.extend(context.excursion_events(&history, &excursions, lot.as_ref()));
    }

    let recorded = store.record_local_batch(clock.now_ms(), events)?;
    let excursion_events = recorded.events.iter().filter(|e| matches!(e.kind, EventKind::Excursion(_))).count() as u64;
    Ok(SensorImportReport {
        box_code,
        lot,
        limits,
        readings_new: fresh.len() as u64,
        readings_known,
        reading_events,
        logger_linked,
        excursions,
        excursion_events,
        line_errors: Vec::new(),
        duplicate_lines: 0,
    })
}

fn invalid(field: &'static str, reason: String) -> SensorError {
    SensorError::InvalidImport { field, reason }
}

fn reading_is_valid(r: &LoggerReading) -> bool {
    let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
    finite(r.temperature_c) && finite(r.humidity_percent) && (r.temperature_c.is_some() || r.humidity_percent.is_some())
}

fn values(r: &LoggerReading) -> impl Iterator<Item = (SensorKind, f64)> {
    [
        r.temperature_c.map(|v| (SensorKind::TemperatureCelsius, v)),
        r.humidity_percent.map(|v| (SensorKind::RelativeHumidityPercent, v)),
    ]
    .into_iter()
    .flatten()
}

/// The readings of `logger` already stored on the box (not voided), merged per time.
fn stored_readings(history: &[crate::store::HistoryEntry], logger: &str) -> Vec<LoggerReading> {
    let note = format!("{LOGGER_NOTE_PREFIX}{logger}");
    let mut by_time: BTreeMap<DateTime<FixedOffset>, LoggerReading> = BTreeMap::new();
    let events = history.iter().filter(|h| !h.voided && h.event.kind == EventKind::SensorReading);
    for event in events.map(|h| &h.event).filter(|e| e.note.as_deref() == Some(note.as_str())) {
        for value in &event.sensors {
            let at = value.at.unwrap_or(event.recorded_at);
            let reading =
                by_time.entry(at).or_insert(LoggerReading { at, temperature_c: None, humidity_percent: None });
            match value.kind {
                SensorKind::TemperatureCelsius => reading.temperature_c = reading.temperature_c.or(Some(value.value)),
                SensorKind::RelativeHumidityPercent => {
                    reading.humidity_percent = reading.humidity_percent.or(Some(value.value))
                }
            }
        }
    }
    by_time.into_values().collect()
}

/// The values not stored yet (sorted by time, one reading per time), and how many readings were
/// entirely known.
fn unknown_values(readings: &[LoggerReading], known: &HashSet<(i64, SensorKind)>) -> (Vec<LoggerReading>, u64) {
    let mut by_time: BTreeMap<DateTime<FixedOffset>, LoggerReading> = BTreeMap::new();
    let mut known_count = 0;
    for r in readings {
        let ms = r.at.timestamp_millis();
        let fresh = |v: Option<f64>, kind| v.filter(|_| !known.contains(&(ms, kind)));
        let temperature_c = fresh(r.temperature_c, SensorKind::TemperatureCelsius);
        let humidity_percent = fresh(r.humidity_percent, SensorKind::RelativeHumidityPercent);
        if temperature_c.is_none() && humidity_percent.is_none() {
            known_count += 1;
            continue;
        }
        // Two readings at the same instant: the first wins, as in the CSV reader.
        by_time.entry(r.at).or_insert(LoggerReading { at: r.at, temperature_c, humidity_percent });
    }
    (by_time.into_values().collect(), known_count)
}

/// Sorted readings cut at UTC hour boundaries, and within an hour every `MAX_READINGS_PER_EVENT`.
fn hourly_chunks(readings: &[LoggerReading]) -> Vec<&[LoggerReading]> {
    readings
        .chunk_by(|a, b| a.at.timestamp().div_euclid(3600) == b.at.timestamp().div_euclid(3600))
        .flat_map(|hour| hour.chunks(MAX_READINGS_PER_EVENT))
        .collect()
}

/// A UUIDv7-shaped id whose time is `at_ms` and whose other bits are a hash of `parts`: the same
/// import on the same device gives the same ids, and ids still sort roughly by time.
fn derived_id(at_ms: i64, parts: &[&str]) -> EventId {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    let digest = hash.finalize();
    let mut rest = [0u8; 10];
    rest.copy_from_slice(&digest[..10]);
    EventId(uuid::Builder::from_unix_timestamp_millis(u64::try_from(at_ms).unwrap_or(0), &rest).into_uuid())
}

fn random_id() -> EventId {
    EventId::new()
}

struct Context<'a> {
    store: &'a Store,
    actor: &'a Actor,
    logger: &'a str,
    box_code: &'a str,
    now: DateTime<FixedOffset>,
}

impl Context<'_> {
    fn event(&self, kind: EventKind, codes: Vec<String>, lot: Option<LotId>, id: EventId) -> Event {
        Event {
            id,
            kind,
            step: None,
            disposition: None,
            codes,
            lot,
            actor: self.actor.clone(),
            recorder: Recorder { party: self.actor.party.clone(), device: self.store.device_id() },
            location: None,
            recorded_at: self.now,
            hlc: Default::default(),
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }

    /// The update that links the logger to this box (and lot), unless its register says so already.
    fn link_logger(&self, lot: Option<&LotId>) -> Result<Option<Update>> {
        let registers = self.store.registers(EntityKind::Logger, self.logger)?;
        let current = |field: &str| registers.get(field).and_then(|r| r.value.clone());
        let mut update = Update::new(EntityKind::Logger, self.logger);
        if current("box").as_deref() != Some(self.box_code) {
            update = update.set("box", self.box_code);
            // A logger moved to another box no longer belongs to its old box's lot.
            if lot.is_none() && current("lot").is_some() {
                update = update.clear("lot");
            }
        }
        if let Some(lot) = lot.filter(|lot| current("lot").as_deref() != Some(lot.as_str())) {
            update = update.set("lot", lot.as_str());
        }
        Ok(if update.fields.is_empty() { None } else { Some(update) })
    }

    /// The box's lot as this device knows it: the logger's register, the unit, then its events.
    fn known_lot(&self) -> Result<Option<LotId>> {
        let registers = self.store.registers(EntityKind::Logger, self.logger)?;
        let value = |field: &str| registers.get(field).and_then(|r| r.value.clone());
        if value("box").as_deref() == Some(self.box_code) {
            if let Some(lot) = value("lot") {
                return Ok(Some(LotId(lot)));
            }
        }
        if let Some(lot) = self.store.unit(self.box_code)?.and_then(|unit| unit.lot) {
            return Ok(Some(lot));
        }
        Ok(self.store.code_summary(self.box_code)?.lot)
    }

    fn limits(&self, lot: &LotId) -> Result<Limits> {
        let product = self.store.lot(lot)?.map(|l| l.product).unwrap_or_default();
        Ok(lot_limits(&product, &self.store.registers(EntityKind::Lot, lot.as_str())?))
    }

    /// Events for excursions not yet on record: a new one, or a grown one that voids the shorter
    /// record of the same start (the logger was read again while the excursion went on).
    fn excursion_events(
        &self,
        history: &[crate::store::HistoryEntry],
        excursions: &[Excursion],
        lot: Option<&LotId>,
    ) -> Vec<Event> {
        let recorded: Vec<(EventId, &Excursion)> = history
            .iter()
            .filter(|h| !h.voided)
            .filter_map(|h| match &h.event.kind {
                EventKind::Excursion(x) if x.logger == self.logger => Some((h.event.id, x)),
                _ => None,
            })
            .collect();
        let mut events = Vec::new();
        for excursion in excursions {
            if recorded.iter().any(|(_, x)| *x == excursion) {
                continue;
            }
            let start_ms = excursion.start.timestamp_millis();
            let parts = [
                "excursion".to_owned(),
                self.store.device_id().to_string(),
                self.logger.to_owned(),
                self.box_code.to_owned(),
                format!("{:?}/{:?}", excursion.sensor, excursion.bound),
                excursion.threshold.to_bits().to_string(),
                start_ms.to_string(),
                excursion.end.timestamp_millis().to_string(),
            ];
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            let mut event = self.event(
                EventKind::Excursion(excursion.clone()),
                vec![self.box_code.to_owned()],
                lot.cloned(),
                derived_id(start_ms, &parts),
            );
            event.disposition = Some(Disposition::Abnormal(reason_of(excursion)));
            let replaced = recorded.iter().filter(|(_, x)| {
                (x.sensor, x.bound, x.start, x.threshold)
                    == (excursion.sensor, excursion.bound, excursion.start, excursion.threshold)
            });
            for (old, _) in replaced {
                let id = derived_id(start_ms, &["excursion_replaced", &old.to_string(), &event.id.to_string()]);
                events.push(self.event(
                    EventKind::Correction { voids: *old },
                    vec![self.box_code.to_owned()],
                    lot.cloned(),
                    id,
                ));
            }
            events.push(event);
        }
        events
    }
}

/// The abnormal reason shown for an excursion (one icon each on the phone).
fn reason_of(excursion: &Excursion) -> AbnormalReason {
    match (excursion.sensor, excursion.bound) {
        (SensorKind::TemperatureCelsius, Bound::Above) => AbnormalReason::OverTemperature,
        (SensorKind::RelativeHumidityPercent, Bound::Above) => AbnormalReason::Wet,
        // Chilling or freezing injury, and too-dry air, have no icon of their own.
        _ => AbnormalReason::Other,
    }
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
