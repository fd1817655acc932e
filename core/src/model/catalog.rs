//! The things events talk about: lots, trace units and parties. The phone keeps a cache of those
//! it knows so a scan can say "kiwi, lot K-0815, Li's orchard" with no network.

use super::ids::{LotId, PartyId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A lot (batch): one product from one farm/plot, harvested together, of one grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub id: LotId,
    /// Product name as shown to people, e.g. "猕猴桃".
    pub product: String,
    pub variety: Option<String>,
    pub farm: PartyId,
    pub plot: Option<String>,
    pub harvest_date: Option<NaiveDate>,
    pub grade: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLevel {
    Item,
    Box,
    Pallet,
}

impl UnitLevel {
    pub fn key(self) -> &'static str {
        match self {
            UnitLevel::Item => "item",
            UnitLevel::Box => "box",
            UnitLevel::Pallet => "pallet",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "item" => Some(UnitLevel::Item),
            "box" => Some(UnitLevel::Box),
            "pallet" => Some(UnitLevel::Pallet),
            _ => None,
        }
    }
}

/// Something with a code on it: an item, a box or a pallet. `parent` is the container it was
/// last packed into (box ↔ item aggregation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceUnit {
    pub code: String,
    pub level: UnitLevel,
    pub lot: Option<LotId>,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Farm,
    Coop,
    Warehouse,
    Carrier,
    Retailer,
}

impl PartyKind {
    pub fn key(self) -> &'static str {
        match self {
            PartyKind::Farm => "farm",
            PartyKind::Coop => "coop",
            PartyKind::Warehouse => "warehouse",
            PartyKind::Carrier => "carrier",
            PartyKind::Retailer => "retailer",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "farm" => Some(PartyKind::Farm),
            "coop" => Some(PartyKind::Coop),
            "warehouse" => Some(PartyKind::Warehouse),
            "carrier" => Some(PartyKind::Carrier),
            "retailer" => Some(PartyKind::Retailer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: PartyId,
    pub kind: PartyKind,
    pub name: String,
    /// Administrative region (county code or name); used later for diversion checks.
    pub region: Option<String>,
}
