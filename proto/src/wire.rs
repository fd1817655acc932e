//! The event wire format, version 1: compact, compressed, and frozen.
//!
//! Phones sync over weak 2G/4G links, so bytes matter: a batch is the postcard encoding of flat
//! wire structs (varints, no field names), deflate-compressed. The wire structs mirror the model
//! but are separate from it on purpose: the model may grow, the wire of version 1 may not — a
//! golden-bytes test guards it. Vocabularies travel as one-byte codes from the frozen tables below.

use crate::model::*;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};

// Model <-> wire structs, apart so each file stays readable; the structs and tables stay here.
mod convert;

/// The wire format version this code speaks; sent in every batch.
pub const WIRE_VERSION: u16 = 1;
/// Content type of a compressed batch on HTTP.
pub const CONTENT_TYPE: &str = "application/x-fieldtrace-events";
/// The most a batch may inflate to: a compressed body cannot turn into a memory bomb.
pub const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

// Frozen code tables: the index is the wire code. Append only.
const STEPS: [BizStep; 9] = [
    BizStep::Harvesting,
    BizStep::Packing,
    BizStep::WarehouseIn,
    BizStep::WarehouseOut,
    BizStep::Loading,
    BizStep::Transfer,
    BizStep::Receiving,
    BizStep::Delivering,
    BizStep::Inspecting,
];
/// The wire code of each abnormal reason (its index). Public because the handover QR codes
/// (`fieldtrace_core::handover`) carry reasons with the same frozen codes; append only.
pub const REASONS: [AbnormalReason; 8] = [
    AbnormalReason::Bruised,
    AbnormalReason::Rotten,
    AbnormalReason::OverTemperature,
    AbnormalReason::Wet,
    AbnormalReason::CrushedPackage,
    AbnormalReason::Missing,
    AbnormalReason::WrongItem,
    AbnormalReason::Other,
];
const ROLES: [Role; 4] = [Role::Farmer, Role::Assistant, Role::Driver, Role::Manager];
const ENTITIES: [EntityKind; 4] = EntityKind::ALL;
const SENSORS: [SensorKind; 2] = [SensorKind::TemperatureCelsius, SensorKind::RelativeHumidityPercent];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("unsupported wire version {found}; this side speaks {WIRE_VERSION}")]
    Version { found: u16 },
    #[error("the batch is not valid deflate data or inflates beyond {MAX_INFLATED_BYTES} bytes")]
    Compression,
    #[error("the batch does not decode: {0}")]
    Malformed(String),
    #[error("event {index}: unknown {what} code {code}")]
    UnknownCode { index: usize, what: &'static str, code: u8 },
    #[error("event {index}: {reason}")]
    InvalidEvent { index: usize, reason: String },
}

impl WireError {
    pub fn key(&self) -> &'static str {
        match self {
            WireError::Version { .. } => "wire_version",
            WireError::Compression => "wire_compression",
            WireError::Malformed(_) => "wire_malformed",
            WireError::UnknownCode { .. } => "wire_unknown_code",
            WireError::InvalidEvent { .. } => "wire_invalid_event",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WireBatch {
    version: u16,
    events: Vec<WireEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WireEvent {
    id: [u8; 16],
    kind: WireKind,
    step: Option<u8>,
    /// 0: normal; 1 + reason code: abnormal.
    disposition: Option<u8>,
    codes: Vec<String>,
    lot: Option<String>,
    actor_party: String,
    actor_role: u8,
    recorder_party: String,
    device: [u8; 16],
    location: Option<WireLocation>,
    hlc_wall: u64,
    hlc_logical: u32,
    /// Device wall time minus `hlc_wall`: usually 0, so one byte instead of six.
    recorded_delta_ms: i64,
    utc_offset_s: i32,
    note: Option<String>,
    photos: Vec<String>,
    sensors: Vec<WireSensor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum WireKind {
    Observation,
    Report,
    Aggregation {
        parent: String,
        pack: bool,
    },
    Transformation {
        outputs: Vec<String>,
    },
    Handover {
        from: String,
        to: String,
    },
    FarmRecord(WireFarmRecord),
    SensorReading,
    Correction {
        voids: [u8; 16],
    },
    /// Appended after version 1 froze: earlier variants keep their postcard indices.
    Update {
        entity: u8,
        id: String,
        fields: Vec<(String, Option<String>)>,
    },
    /// Appended after version 1 froze, like `Update`.
    Trip {
        trip: String,
        stage: WireTripStage,
    },
    /// Custody handover (appended after version 1 froze). Abnormal boxes travel as
    /// `(index into the event's codes, reason code)`.
    HandoverOffer {
        trip: Option<String>,
        signature: Vec<u8>,
    },
    HandoverAcceptance {
        offer: [u8; 16],
        trip: Option<String>,
        giver_party: String,
        giver_device: [u8; 16],
        offered_ms: i64,
        offer_signature: Vec<u8>,
        abnormal: Vec<(u32, u8)>,
        signature: Vec<u8>,
    },
    HandoverReceipt {
        offer: [u8; 16],
        acceptance: [u8; 16],
        trip: Option<String>,
        offered_ms: i64,
        receiver_party: String,
        receiver_device: [u8; 16],
        accepted_ms: i64,
        abnormal: Vec<(u32, u8)>,
        signature: Vec<u8>,
    },
    /// Appended after the handover kinds. Times are (UTC ms, offset s) like sensor values'.
    Excursion {
        logger: String,
        sensor: u8,
        above: bool,
        threshold: f64,
        start: (i64, i32),
        end: (i64, i32),
        peak: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum WireTripStage {
    Load { on_manifest: bool },
    Depart { expected: u32, loaded: u32, missing: Vec<String>, off_manifest: Vec<String> },
    Deliver { recipient: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WireFarmRecord {
    activity: String,
    plot: Option<String>,
    input: Option<String>,
    amount: Option<(f64, String)>,
    pre_harvest_interval_days: Option<u32>,
    grade: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WireLocation {
    gps: Option<(f64, f64, Option<f32>)>,
    place: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WireSensor {
    kind: u8,
    value: f64,
    at: Option<(i64, i32)>,
}

/// Encodes events into one compressed batch.
pub fn encode_events(events: &[Event]) -> Vec<u8> {
    let batch = WireBatch { version: WIRE_VERSION, events: events.iter().map(WireEvent::from).collect() };
    // Encoding plain structs into memory cannot fail; an empty vec would be refused by the peer.
    compress(&postcard::to_stdvec(&batch).unwrap_or_default())
}

/// One event in its uncompressed wire form: what the server stores, so a pull page can be
/// assembled from stored bytes without decoding them (see `batch_from_encoded`).
pub fn encode_event(event: &Event) -> Vec<u8> {
    postcard::to_stdvec(&WireEvent::from(event)).unwrap_or_default()
}

/// Decodes and validates events stored in their `encode_event` form, without the compression
/// round trip a batch takes (the server reads its own rows this way).
pub fn decode_stored_events<'a>(encoded: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<Event>, WireError> {
    encoded
        .into_iter()
        .enumerate()
        .map(|(index, bytes)| {
            let event: WireEvent = postcard::from_bytes(bytes).map_err(|e| WireError::Malformed(e.to_string()))?;
            event.into_event(index)
        })
        .collect()
}

/// A compressed batch made of events already in their `encode_event` form. A postcard batch is
/// the version, the event count as a varint, then the events back to back.
pub fn batch_from_encoded<'a>(encoded: impl ExactSizeIterator<Item = &'a [u8]>) -> Vec<u8> {
    let count = encoded.len();
    let mut raw = postcard::to_stdvec(&(WIRE_VERSION, count)).unwrap_or_default();
    // `(u16, usize)` encodes as version then count varint: exactly the batch header.
    for event in encoded {
        raw.extend_from_slice(event);
    }
    compress(&raw)
}

fn compress(raw: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::with_capacity(raw.len() / 3), Compression::best());
    let compressed = encoder.write_all(raw).and_then(|_| encoder.finish());
    compressed.unwrap_or_default()
}

/// Decodes and validates a compressed batch. Every event is checked as `Event::validate` does, so
/// nothing malformed from the network reaches a store.
pub fn decode_events(bytes: &[u8]) -> Result<Vec<Event>, WireError> {
    let mut raw = Vec::new();
    DeflateDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|_| WireError::Compression)?;
    if raw.len() as u64 > MAX_INFLATED_BYTES {
        return Err(WireError::Compression);
    }
    // The version comes first so a future format is recognised before it is misread.
    let (version, _) = postcard::take_from_bytes::<u16>(&raw).map_err(|e| WireError::Malformed(e.to_string()))?;
    if version != WIRE_VERSION {
        return Err(WireError::Version { found: version });
    }
    let batch: WireBatch = postcard::from_bytes(&raw).map_err(|e| WireError::Malformed(e.to_string()))?;
    batch.events.into_iter().enumerate().map(|(index, event)| event.into_event(index)).collect()
}

#[cfg(test)]
mod tests;
