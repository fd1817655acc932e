//! The things events talk about: lots, trace units and parties. The phone keeps a cache of those
//! it knows so a scan can say "kiwi, lot K-0815, Li's orchard" with no network.

use super::ids::{LotId, PartyId};
use super::vocabulary::keyed_enum;
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

keyed_enum!(
    /// How goods are packed: an item (one fruit, one bag), a box, or a pallet of boxes.
    UnitLevel {
        Item = "item",
        Box = "box",
        Pallet = "pallet",
    }
);

/// Something with a code on it: an item, a box or a pallet. `parent` is the container it was
/// last packed into (box ↔ item aggregation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceUnit {
    pub code: String,
    pub level: UnitLevel,
    pub lot: Option<LotId>,
    pub parent: Option<String>,
}

keyed_enum!(
    /// What a party is in the chain.
    PartyKind {
        Farm = "farm",
        Coop = "coop",
        Warehouse = "warehouse",
        Carrier = "carrier",
        Retailer = "retailer",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub id: PartyId,
    pub kind: PartyKind,
    pub name: String,
    /// Administrative region (county code or name); used later for diversion checks.
    pub region: Option<String>,
}
