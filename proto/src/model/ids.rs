//! Typed identifiers, so an event id can never be passed where a device id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new UUIDv7: unique without coordination, and roughly time-ordered.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses the hyphenated text form used in the store and on the wire.
            pub fn parse(text: &str) -> Option<Self> {
                Uuid::parse_str(text).ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Globally unique event identifier: the set of events is a grow-only set keyed by this id,
    /// so a duplicate delivery is recognised without coordination.
    EventId
);
uuid_id!(
    /// Identity of one installation of the app; also the tiebreak of the hybrid logical clock.
    DeviceId
);

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// A party (farm, co-op, warehouse, carrier, retailer, or a person acting for one), issued by
    /// the co-op's server; stable across devices.
    PartyId
);
text_id!(
    /// A lot (batch) of produce, e.g. one farm's kiwis of one plot harvested on one day.
    LotId
);
text_id!(
    /// A place that is not a GPS fix: a warehouse door, a packing shed, a collection point.
    PlaceId
);
