//! Which events concern a set of units: their own, and those on every container they were packed
//! into (a box scanned at loading moved its kiwis; a pallet handed over moved its boxes).
//! Shared by the EPCIS export and the consumer trace page.

use fieldtrace_core::model::{Event, EventKind};
use std::collections::BTreeSet;

/// `codes` plus every container any of them was packed into, and their containers, found by
/// following `Aggregation` events to a fixed point.
pub fn with_containers<'a>(events: &'a [Event], mut codes: BTreeSet<&'a str>) -> BTreeSet<&'a str> {
    loop {
        let parents: Vec<&str> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Aggregation { parent, .. } if e.codes.iter().any(|c| codes.contains(c.as_str())) => {
                    Some(parent.as_str())
                }
                _ => None,
            })
            .filter(|parent| !codes.contains(parent))
            .collect();
        if parents.is_empty() {
            return codes;
        }
        codes.extend(parents);
    }
}

/// Whether `event` names one of `codes`, as a unit or as the container it packs into.
pub fn touches(event: &Event, codes: &BTreeSet<&str>) -> bool {
    event.codes.iter().any(|c| codes.contains(c.as_str()))
        || matches!(&event.kind, EventKind::Aggregation { parent, .. } if codes.contains(parent.as_str()))
}
