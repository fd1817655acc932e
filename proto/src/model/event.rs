//! The immutable event: one thing that happened to some goods, EPCIS-shaped.
//!
//! Events are never edited or deleted. A mistake is fixed by a new `Correction` event that names
//! the event it voids (EPCIS `errorDeclaration`), so every replica can fold the same history.

use super::handover::{HandoverAcceptance, HandoverOffer, HandoverReceipt};
use super::ids::{DeviceId, EventId, LotId, PartyId, PlaceId};
use super::update::Update;
use super::vocabulary::{BizStep, Disposition, Role};
use crate::clock::HlcTimestamp;
use crate::InvalidEvent;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What kind of event this is, with the facts only that kind carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// Goods were seen (e.g. scanned at loading) without a judgement of their condition.
    Observation,
    /// A person judged the goods' condition: the one-tap 正常 / 异常.
    Report,
    /// Items were packed into (`Pack`) or taken out of (`Unpack`) a container.
    Aggregation { parent: String, action: AggregationAction },
    /// The event's codes were consumed to make `outputs` (e.g. sorting a lot into grades).
    Transformation { outputs: Vec<String> },
    /// Custody of the goods passed from one party to another.
    Handover { from: PartyId, to: PartyId },
    /// A farming activity on a plot (fertilizing, spraying, harvest ...).
    FarmRecord(FarmRecord),
    /// Readings of a sensor attached to the goods; the values are in `Event::sensors`.
    SensorReading,
    /// Voids an earlier event, which then no longer counts in any fold.
    Correction { voids: EventId },
    /// Sets fields of a lot, party or trip: last-writer-wins registers (see `model::update`).
    Update(Update),
    /// A step in a trip's life — a unit loaded, the vehicle departing, goods delivered — so the
    /// server can tie every scan to the trip whose manifest it was checked against.
    Trip { trip: String, stage: TripStage },
    /// The giver's device-signed offer of the event's codes to a receiver (shown as a QR).
    HandoverOffer(HandoverOffer),
    /// The receiver's device-signed acceptance of an offer, box by box.
    HandoverAcceptance(HandoverAcceptance),
    /// The giver's copy of the receiver's signed acceptance (scanned from the receipt QR).
    HandoverReceipt(HandoverReceipt),
    /// A logger's readings stayed outside the lot's limits for longer than allowed (appended last:
    /// earlier kinds keep their wire codes). Recorded on the box code, so it is in the custody chain.
    Excursion(Excursion),
}

impl EventKind {
    /// The stable key stored in the `kind` column.
    pub fn key(&self) -> &'static str {
        match self {
            EventKind::Observation => "observation",
            EventKind::Report => "report",
            EventKind::Aggregation { .. } => "aggregation",
            EventKind::Transformation { .. } => "transformation",
            EventKind::Handover { .. } => "handover",
            EventKind::FarmRecord(_) => "farm_record",
            EventKind::SensorReading => "sensor_reading",
            EventKind::Correction { .. } => "correction",
            EventKind::Update(_) => "update",
            EventKind::Trip { .. } => "trip",
            EventKind::HandoverOffer(_) => "handover_offer",
            EventKind::HandoverAcceptance(_) => "handover_acceptance",
            EventKind::HandoverReceipt(_) => "handover_receipt",
            EventKind::Excursion(_) => "excursion",
        }
    }

    /// Whether the event also concerns everything packed inside its codes at the time (see
    /// `docs/aggregation.md`): scanning one box at loading moves the 40 kiwis in it. Packing and
    /// unpacking concern only the units named; corrections and updates concern no goods; a
    /// handover receipt is the giver's copy of an acceptance that already counted.
    pub fn applies_to_contents(&self) -> bool {
        match self {
            EventKind::Observation
            | EventKind::Report
            | EventKind::Transformation { .. }
            | EventKind::Handover { .. }
            | EventKind::FarmRecord(_)
            | EventKind::SensorReading
            | EventKind::Trip { .. }
            | EventKind::HandoverOffer(_)
            | EventKind::HandoverAcceptance(_)
            | EventKind::Excursion(_) => true,
            EventKind::Aggregation { .. }
            | EventKind::Correction { .. }
            | EventKind::Update(_)
            | EventKind::HandoverReceipt(_) => false,
        }
    }

    pub fn voids(&self) -> Option<EventId> {
        match self {
            EventKind::Correction { voids } => Some(*voids),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggregationAction {
    Pack,
    Unpack,
}

/// Which step of a trip a [`EventKind::Trip`] event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum TripStage {
    /// The event's codes were scanned onto the vehicle. `on_manifest` is false for a unit the
    /// manifest does not list (the phone warned; the server sees it was there).
    Load { on_manifest: bool },
    /// The vehicle left. The event's codes are the units scanned on board; `loaded` of `expected`
    /// manifest entries were covered (a box counts for the listed items inside it), `missing`
    /// lists the rest and `off_manifest` the scanned units the manifest does not list.
    Depart { expected: u32, loaded: u32, missing: Vec<String>, off_manifest: Vec<String> },
    /// The event's codes were handed to `recipient` (a person's name as they gave it) at the
    /// destination; photos of the signed note or the goods go in `Event::photos`.
    Deliver { recipient: String },
}

/// Longest trip id and recipient name accepted (characters).
pub const MAX_TRIP_ID_LEN: usize = 256;
pub const MAX_RECIPIENT_LEN: usize = 100;

/// A farming activity. Quantities keep their unit as written, because records come from paper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FarmRecord {
    /// `fertilizing`, `spraying`, `harvest`, `irrigation`, ... (free text key, lower case).
    pub activity: String,
    /// Plot within the farm, as the farm names it.
    pub plot: Option<String>,
    /// Fertilizer or pesticide name.
    pub input: Option<String>,
    pub amount: Option<Quantity>,
    /// For spraying: days that must pass before harvest.
    pub pre_harvest_interval_days: Option<u32>,
    pub grade: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
}

/// Which side of its limits a reading was on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Below the minimum (e.g. chilling injury under 0 °C).
    Below,
    /// Above the maximum (e.g. a kiwi box above 5 °C).
    Above,
}

/// A run of readings outside a lot's limits (see `fieldtrace_core::sensors::detect_excursions`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excursion {
    /// The logger that measured it.
    pub logger: String,
    pub sensor: SensorKind,
    pub bound: Bound,
    /// The limit that was broken, in the sensor's unit (°C or % RH).
    pub threshold: f64,
    /// First and last reading outside the limit.
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    /// The reading furthest beyond the limit.
    pub peak: f64,
}

/// Who did it: the party and the role they acted in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    pub party: PartyId,
    pub role: Role,
}

/// Who recorded it, on which device. Differs from the actor when an assistant records for a
/// neighbour: the farmer is the actor, the assistant the recorder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Recorder {
    pub party: PartyId,
    pub device: DeviceId,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Location {
    pub gps: Option<GeoPoint>,
    pub place: Option<PlaceId>,
}

/// A photo stored content-addressed: the hex SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhotoRef(pub String);

impl PhotoRef {
    /// Whether this is 64 lowercase hex digits: the only form a photo is named by (it becomes a
    /// file name on phones and on the server).
    pub fn is_well_formed(&self) -> bool {
        self.0.len() == 64 && self.0.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    }
}

/// Most photos one event may carry.
pub const MAX_PHOTOS_PER_EVENT: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKind {
    TemperatureCelsius,
    RelativeHumidityPercent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorValue {
    pub kind: SensorKind,
    pub value: f64,
    /// When the sensor took the value, if different from the event's time (logger downloads).
    pub at: Option<DateTime<FixedOffset>>,
}

/// One thing that happened, immutable once recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub kind: EventKind,
    pub step: Option<BizStep>,
    pub disposition: Option<Disposition>,
    /// The codes (items, boxes, pallets) the event concerns, canonical form.
    pub codes: Vec<String>,
    pub lot: Option<LotId>,
    pub actor: Actor,
    pub recorder: Recorder,
    pub location: Option<Location>,
    /// The device's wall clock with its UTC offset: what the person saw on their phone.
    pub recorded_at: DateTime<FixedOffset>,
    /// Causal order across devices; ties broken by `recorder.device`.
    pub hlc: HlcTimestamp,
    pub note: Option<String>,
    pub photos: Vec<PhotoRef>,
    pub sensors: Vec<SensorValue>,
}

impl Event {
    /// The total order every replica uses to fold events: (HLC, device id, event id).
    pub fn cmp_causal(&self, other: &Event) -> Ordering {
        (self.hlc, self.recorder.device, self.id).cmp(&(other.hlc, other.recorder.device, other.id))
    }
}

/// Longest code accepted (characters). GS1 element strings and URLs stay far below this.
pub const MAX_CODE_LEN: usize = 512;
/// Longest note accepted (characters).
pub const MAX_NOTE_LEN: usize = 2_000;
/// Most codes one event may concern (a full pallet of items fits easily).
pub const MAX_CODES: usize = 10_000;

impl Event {
    /// Checks the rules every replica relies on before an event is stored or sent. Events from the
    /// network pass through here too, so nothing malformed reaches a fold.
    pub fn validate(&self) -> Result<(), InvalidEvent> {
        if self.codes.len() > MAX_CODES {
            return Err(InvalidEvent::new("codes", format!("{} codes; at most {MAX_CODES}", self.codes.len())));
        }
        for (i, code) in self.codes.iter().enumerate() {
            if code.is_empty() || code.chars().count() > MAX_CODE_LEN {
                return Err(InvalidEvent::new("codes", format!("code {i} is empty or longer than {MAX_CODE_LEN}")));
            }
        }
        let needs_codes =
            !matches!(self.kind, EventKind::FarmRecord(_) | EventKind::Correction { .. } | EventKind::Update(_));
        if needs_codes && self.codes.is_empty() {
            return Err(InvalidEvent::new("codes", format!("a {} event must name at least one code", self.kind.key())));
        }
        match &self.kind {
            EventKind::Report if self.disposition.is_none() => {
                return Err(InvalidEvent::new("disposition", "a report must say normal or abnormal"));
            }
            EventKind::Correction { voids } if *voids == self.id => {
                return Err(InvalidEvent::new("kind.voids", "an event cannot void itself"));
            }
            EventKind::Aggregation { parent, .. } if parent.is_empty() || parent.chars().count() > MAX_CODE_LEN => {
                return Err(InvalidEvent::new("kind.parent", "an aggregation needs a container code"));
            }
            EventKind::Aggregation { parent, .. } if self.codes.contains(parent) => {
                return Err(InvalidEvent::new("kind.parent", format!("{parent} cannot be packed into itself")));
            }
            EventKind::Trip { trip, stage } => {
                if let Some((field, reason)) = trip_problem(trip, stage) {
                    return Err(InvalidEvent::new(field, reason));
                }
            }
            EventKind::Update(update) => {
                if let Some((field, reason)) = update.problem() {
                    return Err(InvalidEvent::new(field, reason));
                }
            }
            EventKind::Excursion(excursion) => {
                if let Some((field, reason)) = excursion.problem() {
                    return Err(InvalidEvent::new(field, reason));
                }
            }
            _ => {}
        }
        if let Some((field, reason)) = super::handover::problem(&self.kind, &self.codes) {
            return Err(InvalidEvent::new(field, reason));
        }
        if self.note.as_ref().is_some_and(|note| note.chars().count() > MAX_NOTE_LEN) {
            return Err(InvalidEvent::new("note", format!("longer than {MAX_NOTE_LEN} characters")));
        }
        if self.photos.len() > MAX_PHOTOS_PER_EVENT {
            return Err(InvalidEvent::new("photos", format!("at most {MAX_PHOTOS_PER_EVENT} photos per event")));
        }
        if let Some(bad) = self.photos.iter().find(|p| !p.is_well_formed()) {
            let shown: String = bad.0.chars().take(80).collect();
            return Err(InvalidEvent::new("photos", format!("{shown:?} is not a SHA-256 in lowercase hex")));
        }
        if i64::try_from(self.hlc.wall_ms).is_err() {
            return Err(InvalidEvent::new("hlc", "wall time out of range"));
        }
        if let Some(gps) = self.location.as_ref().and_then(|l| l.gps) {
            let valid = (-90.0..=90.0).contains(&gps.lat)
                && (-180.0..=180.0).contains(&gps.lon)
                && gps.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
            if !valid {
                return Err(InvalidEvent::new("location.gps", "latitude, longitude or accuracy out of range"));
            }
        }
        if self.sensors.iter().any(|s| !s.value.is_finite()) {
            return Err(InvalidEvent::new("sensors", "a sensor value is not a finite number"));
        }
        if let EventKind::FarmRecord(record) = &self.kind {
            if record.amount.as_ref().is_some_and(|q| !q.value.is_finite() || q.value < 0.0) {
                return Err(InvalidEvent::new("kind.amount", "quantity must be a finite, non-negative number"));
            }
        }
        Ok(())
    }
}

/// Why a trip event may not be stored, if it may not: `(field path, reason)`.
fn trip_problem(trip: &str, stage: &TripStage) -> Option<(&'static str, String)> {
    if trip.trim().is_empty() || trip.chars().count() > MAX_TRIP_ID_LEN {
        return Some(("kind.trip", format!("the trip id is empty or longer than {MAX_TRIP_ID_LEN} characters")));
    }
    match stage {
        TripStage::Load { .. } => None,
        TripStage::Depart { expected, loaded, missing, off_manifest } => {
            if u64::from(*loaded) + missing.len() as u64 != u64::from(*expected) {
                let reason = format!("loaded {loaded} + missing {} must equal expected {expected}", missing.len());
                return Some(("kind.stage", reason));
            }
            for (field, list) in [("kind.stage.missing", missing), ("kind.stage.off_manifest", off_manifest)] {
                if list.len() > MAX_CODES {
                    return Some((field, format!("{} codes; at most {MAX_CODES}", list.len())));
                }
                if let Some(i) = list.iter().position(|c| c.is_empty() || c.chars().count() > MAX_CODE_LEN) {
                    return Some((field, format!("code {i} is empty or longer than {MAX_CODE_LEN}")));
                }
            }
            None
        }
        TripStage::Deliver { recipient } => {
            let length = recipient.trim().chars().count();
            (length == 0 || recipient.chars().count() > MAX_RECIPIENT_LEN).then(|| {
                ("kind.stage.recipient", format!("the recipient's name is empty or longer than {MAX_RECIPIENT_LEN}"))
            })
        }
    }
}

/// Longest logger id accepted (characters).
pub const MAX_LOGGER_ID_LEN: usize = 256;

impl Excursion {
    /// Why this excursion may not be stored, if it may not: `(field path, reason)`.
    fn problem(&self) -> Option<(&'static str, String)> {
        if self.logger.trim().is_empty() || self.logger.chars().count() > MAX_LOGGER_ID_LEN {
            return Some(("kind.logger", format!("the logger id is empty or longer than {MAX_LOGGER_ID_LEN}")));
        }
        if !self.threshold.is_finite() || !self.peak.is_finite() {
            return Some(("kind.threshold", "threshold and peak must be finite numbers".to_owned()));
        }
        if self.end < self.start {
            return Some(("kind.end", "an excursion cannot end before it starts".to_owned()));
        }
        None
    }
}

impl crate::model::Role {
    /// Whether a person in this role gives or takes custody of goods (handover events).
    pub fn may_hand_over(self) -> bool {
        use crate::model::Role::*;
        matches!(self, Driver | Manager | Assistant)
    }

    /// Whether a person in this role may record an event whose actor is another party: village
    /// assistants record for their neighbours and managers for anyone; farmers and drivers
    /// record only their own acts. The server enforces this on push.
    pub fn may_record_for_others(self) -> bool {
        matches!(self, crate::model::Role::Assistant | crate::model::Role::Manager)
    }

    /// Whether a person in this role may record events of `kind`. The server enforces this on
    /// push; transformations (re-sorting lots into new ones) are a manager's decision.
    pub fn may_record(self, kind: &EventKind) -> bool {
        use crate::model::EntityKind;
        use crate::model::Role::*;
        match kind {
            // Whoever reads a logger (packer, driver, receiver) may record what it measured.
            EventKind::Observation
            | EventKind::Report
            | EventKind::Correction { .. }
            | EventKind::SensorReading
            | EventKind::Excursion(_) => true,
            EventKind::Aggregation { .. } => matches!(self, Farmer | Assistant | Manager),
            EventKind::FarmRecord(_) => matches!(self, Farmer | Assistant | Manager),
            EventKind::Handover { .. }
            | EventKind::HandoverOffer(_)
            | EventKind::HandoverAcceptance(_)
            | EventKind::HandoverReceipt(_) => self.may_hand_over(),
            EventKind::Transformation { .. } => self == Manager,
            EventKind::Trip { .. } => matches!(self, Driver | Manager),
            EventKind::Update(update) => match update.entity {
                EntityKind::Lot | EntityKind::Party => matches!(self, Assistant | Manager),
                EntityKind::Trip => matches!(self, Driver | Manager),
                // Loggers go into boxes wherever boxes are packed or re-packed.
                EntityKind::Logger => true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::report;

    #[test]
    fn trip_and_aggregation_events_are_checked() {
        let base = report("BOX-1", DeviceId::new(), Default::default());
        let with = |kind: EventKind| Event { kind, ..base.clone() };
        let depart = |expected, loaded, missing: &[&str]| {
            with(EventKind::Trip {
                trip: "trip-1".into(),
                stage: TripStage::Depart {
                    expected,
                    loaded,
                    missing: missing.iter().map(|m| (*m).to_owned()).collect(),
                    off_manifest: vec![],
                },
            })
        };
        assert!(depart(3, 2, &["BOX-2"]).validate().is_ok());
        let err = depart(3, 2, &[]).validate().expect_err("counts disagree");
        assert!(err.to_string().contains("kind.stage"), "{err}");
        let deliver = |recipient: &str| {
            with(EventKind::Trip { trip: "trip-1".into(), stage: TripStage::Deliver { recipient: recipient.into() } })
        };
        assert!(deliver("王经理").validate().is_ok());
        assert!(deliver(" ").validate().is_err());
        let load = with(EventKind::Trip { trip: " ".into(), stage: TripStage::Load { on_manifest: true } });
        assert!(load.validate().expect_err("no trip").to_string().contains("kind.trip"));
        let into_itself = with(EventKind::Aggregation { parent: "BOX-1".into(), action: AggregationAction::Pack });
        assert!(into_itself.validate().expect_err("self").to_string().contains("packed into itself"));
        assert!(Role::Driver.may_record(&load.kind) && !Role::Farmer.may_record(&load.kind));
    }
}
