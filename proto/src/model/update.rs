//! The few mutable things — a lot's metadata, a party's name, a trip manifest — as per-field
//! last-writer-wins registers. An edit is an ordinary immutable `Update` event; a field's value is
//! the one set by the latest non-voided update in causal order `(HLC, device id, event id)`. So
//! edits made offline on two phones merge without a dialog, identically on every replica.

use serde::{Deserialize, Serialize};

/// What kind of thing an update edits. Each kind has a fixed set of fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Lot,
    Party,
    Trip,
    /// A temperature/humidity logger packed in a box (appended: keeps the wire codes of the others).
    Logger,
}

impl EntityKind {
    pub const ALL: [EntityKind; 4] = [EntityKind::Lot, EntityKind::Party, EntityKind::Trip, EntityKind::Logger];

    pub fn key(self) -> &'static str {
        match self {
            EntityKind::Lot => "lot",
            EntityKind::Party => "party",
            EntityKind::Trip => "trip",
            EntityKind::Logger => "logger",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.key() == key)
    }

    /// The fields an update of this kind may set. Append only: replicas in the field know them.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            // Thresholds for sensor excursions (see `sensors`): °C and % RH as decimal numbers.
            // `expiry_date` (YYYY-MM-DD) and `sales_regions` (places the lot may be sold in,
            // separated by spaces or commas) feed the server's alerts (docs/alerts.md).
            // `photo` (lot and party): the SHA-256 of a photo published on the consumer trace page;
            // `story`: a few sentences about the farm and farmer for buyers.
            EntityKind::Lot => &[
                "product",
                "variety",
                "farm",
                "plot",
                "harvest_date",
                "grade",
                "temp_min",
                "temp_max",
                "humidity_max",
                "expiry_date",
                "sales_regions",
                "photo",
            ],
            // `phone`: where the server's SMS alerts reach this party (docs/alerts.md).
            EntityKind::Party => &["kind", "name", "region", "phone", "story", "photo"],
            // `units`: the manifest, codes separated by spaces.
            EntityKind::Trip => &["driver", "vehicle", "origin", "destination", "departs", "units"],
            // `box`: the code of the box the logger is packed in; `lot`: that box's lot.
            EntityKind::Logger => &["box", "lot"],
        }
    }
}

impl EntityKind {
    /// Fields with a typed value are checked when recorded, so every replica can materialize them.
    fn value_problem(self, field: &str, value: &str) -> Option<String> {
        match (self, field) {
            (EntityKind::Lot, "harvest_date" | "expiry_date") if value.parse::<chrono::NaiveDate>().is_err() => {
                Some(format!("{field} {value:?} is not a date (YYYY-MM-DD)"))
            }
            (EntityKind::Lot, "temp_min" | "temp_max" | "humidity_max")
                if !value.trim().parse::<f64>().is_ok_and(f64::is_finite) =>
            {
                Some(format!("{field} {value:?} is not a decimal number"))
            }
            (EntityKind::Lot | EntityKind::Party, "photo") if !super::PhotoRef(value.to_owned()).is_well_formed() => {
                Some(format!(
                    "photo {:?} is not a SHA-256 in lowercase hex",
                    value.chars().take(80).collect::<String>()
                ))
            }
            (EntityKind::Party, "kind") if super::PartyKind::from_key(value).is_none() => {
                Some(format!("party kind {value:?} is not one of farm, coop, warehouse, carrier, retailer"))
            }
            _ => None,
        }
    }
}

/// One field set (or cleared, with `None`) by an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    pub field: String,
    pub value: Option<String>,
}

/// The `Update` event's content: which entity, and the fields it sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    pub entity: EntityKind,
    pub id: String,
    pub fields: Vec<FieldValue>,
}

/// Longest register value accepted (characters): a manifest of a few hundred codes fits.
pub const MAX_VALUE_LEN: usize = 64 * 1024;

impl Update {
    pub fn new(entity: EntityKind, id: impl Into<String>) -> Self {
        Self { entity, id: id.into(), fields: Vec::new() }
    }

    /// Adds `field = value` (builder style).
    pub fn set(mut self, field: &str, value: impl Into<String>) -> Self {
        self.fields.push(FieldValue { field: field.to_owned(), value: Some(value.into()) });
        self
    }

    /// Adds `field = (none)`.
    pub fn clear(mut self, field: &str) -> Self {
        self.fields.push(FieldValue { field: field.to_owned(), value: None });
        self
    }

    /// Why this update may not be stored, if it may not: `(field path, reason)`.
    pub(crate) fn problem(&self) -> Option<(&'static str, String)> {
        if self.id.trim().is_empty() || self.id.chars().count() > 256 {
            return Some(("kind.id", "the entity id is empty or longer than 256 characters".to_owned()));
        }
        if self.fields.is_empty() {
            return Some(("kind.fields", "an update must set at least one field".to_owned()));
        }
        let allowed = self.entity.fields();
        for (i, field) in self.fields.iter().enumerate() {
            if !allowed.contains(&field.field.as_str()) {
                let reason =
                    format!("{} has no field {:?}; known: {}", self.entity.key(), field.field, allowed.join(", "));
                return Some(("kind.fields", reason));
            }
            if self.fields[..i].iter().any(|earlier| earlier.field == field.field) {
                return Some(("kind.fields", format!("field {:?} is set twice", field.field)));
            }
            let Some(value) = &field.value else { continue };
            if value.chars().count() > MAX_VALUE_LEN {
                return Some(("kind.fields", format!("value of {:?} is longer than {MAX_VALUE_LEN}", field.field)));
            }
            if let Some(reason) = self.entity.value_problem(&field.field, value) {
                return Some(("kind.fields", reason));
            }
        }
        None
    }
}
