//! The domain model. Pure data and rules: no I/O, so the store, the sync client and the server can
//! all depend on it.

mod catalog;
mod event;
mod handover;
mod ids;
mod update;
mod vocabulary;

/// What `Event::validate` refuses an event with.
pub use crate::InvalidEvent;
pub use catalog::{Lot, Party, PartyKind, TraceUnit, UnitLevel};
pub use event::{
    Actor, AggregationAction, Bound, Event, EventKind, Excursion, FarmRecord, GeoPoint, Location, PhotoRef, Quantity,
    Recorder, SensorKind, SensorValue, TripStage, MAX_CODES, MAX_CODE_LEN, MAX_LOGGER_ID_LEN, MAX_NOTE_LEN,
    MAX_PHOTOS_PER_EVENT, MAX_RECIPIENT_LEN, MAX_TRIP_ID_LEN,
};
pub use handover::{
    signers as handover_signers, HandoverAcceptance, HandoverOffer, HandoverReceipt, UnitCondition, MAX_TRIP_LEN,
    SIGNATURE_LEN,
};
pub use ids::{DeviceId, EventId, LotId, PartyId, PlaceId};
pub use update::{EntityKind, FieldValue, Update, MAX_VALUE_LEN};
pub use vocabulary::{AbnormalReason, BizStep, Disposition, Role};
