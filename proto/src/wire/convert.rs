//! Between the model and the version 1 wire structs: vocabularies to their one-byte codes and
//! back, ids to bytes, times to (UTC ms, offset s). Decoding validates every event, so nothing
//! malformed from the network gets out of here.

use super::{
    WireError, WireEvent, WireFarmRecord, WireKind, WireLocation, WireSensor, WireTripStage, ENTITIES, REASONS, ROLES,
    SENSORS, STEPS,
};
use crate::clock::HlcTimestamp;
use crate::model::*;
use chrono::{DateTime, FixedOffset, TimeZone};
use uuid::Uuid;

fn code_of<T: PartialEq>(table: &[T], value: &T) -> u8 {
    // Every vocabulary value is in its table (checked by a test), and tables are far below 256.
    table.iter().position(|v| v == value).map_or(u8::MAX, |i| i as u8)
}

impl From<&Event> for WireEvent {
    fn from(e: &Event) -> Self {
        let kind = match &e.kind {
            EventKind::Observation => WireKind::Observation,
            EventKind::Report => WireKind::Report,
            EventKind::Aggregation { parent, action } => {
                WireKind::Aggregation { parent: parent.clone(), pack: *action == AggregationAction::Pack }
            }
            EventKind::Transformation { outputs } => WireKind::Transformation { outputs: outputs.clone() },
            EventKind::Handover { from, to } => WireKind::Handover { from: from.0.clone(), to: to.0.clone() },
            EventKind::FarmRecord(r) => WireKind::FarmRecord(WireFarmRecord {
                activity: r.activity.clone(),
                plot: r.plot.clone(),
                input: r.input.clone(),
                amount: r.amount.as_ref().map(|q| (q.value, q.unit.clone())),
                pre_harvest_interval_days: r.pre_harvest_interval_days,
                grade: r.grade.clone(),
            }),
            EventKind::SensorReading => WireKind::SensorReading,
            EventKind::Correction { voids } => WireKind::Correction { voids: voids.0.into_bytes() },
            EventKind::Update(u) => WireKind::Update {
                entity: code_of(&ENTITIES, &u.entity),
                id: u.id.clone(),
                fields: u.fields.iter().map(|f| (f.field.clone(), f.value.clone())).collect(),
            },
            EventKind::Trip { trip, stage } => WireKind::Trip {
                trip: trip.clone(),
                stage: match stage {
                    TripStage::Load { on_manifest } => WireTripStage::Load { on_manifest: *on_manifest },
                    TripStage::Depart { expected, loaded, missing, off_manifest } => WireTripStage::Depart {
                        expected: *expected,
                        loaded: *loaded,
                        missing: missing.clone(),
                        off_manifest: off_manifest.clone(),
                    },
                    TripStage::Deliver { recipient } => WireTripStage::Deliver { recipient: recipient.clone() },
                },
            },
            EventKind::HandoverOffer(o) => {
                WireKind::HandoverOffer { trip: o.trip.clone(), signature: o.signature.clone() }
            }
            EventKind::HandoverAcceptance(a) => WireKind::HandoverAcceptance {
                offer: a.offer.0.into_bytes(),
                trip: a.trip.clone(),
                giver_party: a.giver.party.0.clone(),
                giver_device: a.giver.device.0.into_bytes(),
                offered_ms: a.offered_at_ms,
                offer_signature: a.offer_signature.clone(),
                abnormal: abnormal_to_wire(&a.abnormal, &e.codes),
                signature: a.signature.clone(),
            },
            EventKind::HandoverReceipt(r) => WireKind::HandoverReceipt {
                offer: r.offer.0.into_bytes(),
                acceptance: r.acceptance.0.into_bytes(),
                trip: r.trip.clone(),
                offered_ms: r.offered_at_ms,
                receiver_party: r.receiver.party.0.clone(),
                receiver_device: r.receiver.device.0.into_bytes(),
                accepted_ms: r.accepted_at_ms,
                abnormal: abnormal_to_wire(&r.abnormal, &e.codes),
                signature: r.signature.clone(),
            },
            EventKind::Excursion(x) => WireKind::Excursion {
                logger: x.logger.clone(),
                sensor: code_of(&SENSORS, &x.sensor),
                above: x.bound == Bound::Above,
                threshold: x.threshold,
                start: wire_time(&x.start),
                end: wire_time(&x.end),
                peak: x.peak,
            },
        };
        let recorded_ms = e.recorded_at.timestamp_millis();
        WireEvent {
            id: e.id.0.into_bytes(),
            kind,
            step: e.step.map(|s| code_of(&STEPS, &s)),
            disposition: e.disposition.map(|d| match d {
                Disposition::Normal => 0,
                Disposition::Abnormal(r) => 1 + code_of(&REASONS, &r),
            }),
            codes: e.codes.clone(),
            lot: e.lot.as_ref().map(|l| l.0.clone()),
            actor_party: e.actor.party.0.clone(),
            actor_role: code_of(&ROLES, &e.actor.role),
            recorder_party: e.recorder.party.0.clone(),
            device: e.recorder.device.0.into_bytes(),
            location: e.location.as_ref().map(|l| WireLocation {
                gps: l.gps.map(|g| (g.lat, g.lon, g.accuracy_m)),
                place: l.place.as_ref().map(|p| p.0.clone()),
            }),
            hlc_wall: e.hlc.wall_ms,
            hlc_logical: e.hlc.logical,
            recorded_delta_ms: recorded_ms.wrapping_sub(e.hlc.wall_ms as i64),
            utc_offset_s: e.recorded_at.offset().local_minus_utc(),
            note: e.note.clone(),
            photos: e.photos.iter().map(|p| p.0.clone()).collect(),
            sensors: e
                .sensors
                .iter()
                .map(|s| WireSensor {
                    kind: code_of(&SENSORS, &s.kind),
                    value: s.value,
                    at: s.at.as_ref().map(wire_time),
                })
                .collect(),
        }
    }
}

/// Abnormal boxes as indices into the event's codes (validation guarantees each is one of them;
/// an index past the end would be refused when decoded).
fn abnormal_to_wire(abnormal: &[UnitCondition], codes: &[String]) -> Vec<(u32, u8)> {
    abnormal
        .iter()
        .map(|unit| {
            let index = codes.iter().position(|c| *c == unit.code).map_or(u32::MAX, |i| i as u32);
            (index, code_of(&REASONS, &unit.reason))
        })
        .collect()
}

fn abnormal_from_wire(
    abnormal: Vec<(u32, u8)>,
    codes: &[String],
    index: usize,
) -> Result<Vec<UnitCondition>, WireError> {
    abnormal
        .into_iter()
        .map(|(at, reason)| {
            let code = usize::try_from(at).ok().and_then(|at| codes.get(at)).ok_or_else(|| {
                WireError::InvalidEvent { index, reason: format!("abnormal box index {at} is past the codes") }
            })?;
            Ok(UnitCondition { code: code.clone(), reason: lookup(&REASONS, reason, index, "abnormal reason")? })
        })
        .collect()
}

fn wire_time(at: &DateTime<FixedOffset>) -> (i64, i32) {
    (at.timestamp_millis(), at.offset().local_minus_utc())
}

fn lookup<T: Copy>(table: &[T], code: u8, index: usize, what: &'static str) -> Result<T, WireError> {
    table.get(usize::from(code)).copied().ok_or(WireError::UnknownCode { index, what, code })
}

fn time(ms: i64, offset_s: i32, index: usize) -> Result<DateTime<FixedOffset>, WireError> {
    FixedOffset::east_opt(offset_s)
        .and_then(|offset| offset.timestamp_millis_opt(ms).single())
        .ok_or_else(|| WireError::InvalidEvent { index, reason: format!("time {ms} ms at offset {offset_s} s") })
}

impl WireEvent {
    pub(super) fn into_event(self, index: usize) -> Result<Event, WireError> {
        let kind = match self.kind {
            WireKind::Observation => EventKind::Observation,
            WireKind::Report => EventKind::Report,
            WireKind::Aggregation { parent, pack } => EventKind::Aggregation {
                parent,
                action: if pack { AggregationAction::Pack } else { AggregationAction::Unpack },
            },
            WireKind::Transformation { outputs } => EventKind::Transformation { outputs },
            WireKind::Handover { from, to } => EventKind::Handover { from: PartyId(from), to: PartyId(to) },
            WireKind::FarmRecord(r) => EventKind::FarmRecord(FarmRecord {
                activity: r.activity,
                plot: r.plot,
                input: r.input,
                amount: r.amount.map(|(value, unit)| Quantity { value, unit }),
                pre_harvest_interval_days: r.pre_harvest_interval_days,
                grade: r.grade,
            }),
            WireKind::SensorReading => EventKind::SensorReading,
            WireKind::Correction { voids } => EventKind::Correction { voids: EventId(Uuid::from_bytes(voids)) },
            WireKind::Update { entity, id, fields } => EventKind::Update(Update {
                entity: lookup(&ENTITIES, entity, index, "entity kind")?,
                id,
                fields: fields.into_iter().map(|(field, value)| FieldValue { field, value }).collect(),
            }),
            WireKind::Trip { trip, stage } => EventKind::Trip {
                trip,
                stage: match stage {
                    WireTripStage::Load { on_manifest } => TripStage::Load { on_manifest },
                    WireTripStage::Depart { expected, loaded, missing, off_manifest } => {
                        TripStage::Depart { expected, loaded, missing, off_manifest }
                    }
                    WireTripStage::Deliver { recipient } => TripStage::Deliver { recipient },
                },
            },
            WireKind::HandoverOffer { trip, signature } => EventKind::HandoverOffer(HandoverOffer { trip, signature }),
            WireKind::HandoverAcceptance {
                offer,
                trip,
                giver_party,
                giver_device,
                offered_ms,
                offer_signature,
                abnormal,
                signature,
            } => EventKind::HandoverAcceptance(HandoverAcceptance {
                offer: EventId(Uuid::from_bytes(offer)),
                trip,
                giver: Recorder { party: PartyId(giver_party), device: DeviceId(Uuid::from_bytes(giver_device)) },
                offered_at_ms: offered_ms,
                offer_signature,
                abnormal: abnormal_from_wire(abnormal, &self.codes, index)?,
                signature,
            }),
            WireKind::HandoverReceipt {
                offer,
                acceptance,
                trip,
                offered_ms,
                receiver_party,
                receiver_device,
                accepted_ms,
                abnormal,
                signature,
            } => EventKind::HandoverReceipt(HandoverReceipt {
                offer: EventId(Uuid::from_bytes(offer)),
                acceptance: EventId(Uuid::from_bytes(acceptance)),
                trip,
                offered_at_ms: offered_ms,
                receiver: Recorder {
                    party: PartyId(receiver_party),
                    device: DeviceId(Uuid::from_bytes(receiver_device)),
                },
                accepted_at_ms: accepted_ms,
                abnormal: abnormal_from_wire(abnormal, &self.codes, index)?,
                signature,
            }),
            WireKind::Excursion { logger, sensor, above, threshold, start, end, peak } => {
                EventKind::Excursion(Excursion {
                    logger,
                    sensor: lookup(&SENSORS, sensor, index, "sensor kind")?,
                    bound: if above { Bound::Above } else { Bound::Below },
                    threshold,
                    start: time(start.0, start.1, index)?,
                    end: time(end.0, end.1, index)?,
                    peak,
                })
            }
        };
        let disposition = match self.disposition {
            None => None,
            Some(0) => Some(Disposition::Normal),
            Some(code) => Some(Disposition::Abnormal(lookup(&REASONS, code - 1, index, "abnormal reason")?)),
        };
        let sensors = self
            .sensors
            .into_iter()
            .map(|s| {
                Ok(SensorValue {
                    kind: lookup(&SENSORS, s.kind, index, "sensor kind")?,
                    value: s.value,
                    at: s.at.map(|(ms, offset)| time(ms, offset, index)).transpose()?,
                })
            })
            .collect::<Result<_, WireError>>()?;
        let recorded_ms = (self.hlc_wall as i64).wrapping_add(self.recorded_delta_ms);
        let event = Event {
            id: EventId(Uuid::from_bytes(self.id)),
            kind,
            step: self.step.map(|code| lookup(&STEPS, code, index, "business step")).transpose()?,
            disposition,
            codes: self.codes,
            lot: self.lot.map(LotId),
            actor: Actor { party: PartyId(self.actor_party), role: lookup(&ROLES, self.actor_role, index, "role")? },
            recorder: Recorder { party: PartyId(self.recorder_party), device: DeviceId(Uuid::from_bytes(self.device)) },
            location: self.location.map(|l| Location {
                gps: l.gps.map(|(lat, lon, accuracy_m)| GeoPoint { lat, lon, accuracy_m }),
                place: l.place.map(PlaceId),
            }),
            recorded_at: time(recorded_ms, self.utc_offset_s, index)?,
            hlc: HlcTimestamp { wall_ms: self.hlc_wall, logical: self.hlc_logical },
            note: self.note,
            photos: self.photos.into_iter().map(PhotoRef).collect(),
            sensors,
        };
        event.validate().map_err(|err| WireError::InvalidEvent { index, reason: err.to_string() })?;
        Ok(event)
    }
}
