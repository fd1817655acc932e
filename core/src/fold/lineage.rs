//! A unit's history as the fold sees it: the events that concern it, in causal order — those
//! naming it and those on the containers it was inside **at that moment**, at every depth. A box
//! event recorded after a kiwi was unpacked from the box is not in the kiwi's history; one
//! recorded while it was inside is. Computed in the same pass as the fold (same order, same
//! containment), so every replica tells the same history; it is not part of the digest.
//!
//! What it lists, per watched unit:
//! - every event naming the unit, except updates and corrections (they concern no goods);
//! - events on a container holding the unit whose kind applies to contents (loading, reports,
//!   handovers, sensor readings …), as the fold counts them;
//! - packs and unpacks moving a container that holds the unit (the kiwis went onto the pallet
//!   with their box) — the fold does not count these for the contents, but they are its history;
//! - voided events, flagged, placed by the containment of their moment (EPCIS exports them with
//!   an errorDeclaration; pages leave them out).

use super::Containment;
use crate::model::{Event, EventId, EventKind};
use std::collections::{BTreeMap, BTreeSet};

/// One event in a unit's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitEvent {
    pub event: EventId,
    /// The container named by the event that held the unit then; `None` when the event names
    /// the unit itself.
    pub via: Option<String>,
    /// The event was voided by a correction: it counts for nothing.
    pub voided: bool,
}

/// Collects histories for the watched units while the fold walks the events.
pub(super) struct Lineage<'w> {
    watch: Option<&'w BTreeSet<String>>,
    found: BTreeMap<String, Vec<UnitEvent>>,
}

impl<'w> Lineage<'w> {
    pub(super) fn none() -> Self {
        Self { watch: None, found: BTreeMap::new() }
    }

    pub(super) fn watching(units: &'w BTreeSet<String>) -> Self {
        Self { watch: Some(units), found: BTreeMap::new() }
    }

    pub(super) fn into_map(self) -> BTreeMap<String, Vec<UnitEvent>> {
        self.found
    }

    /// Notes `event` for the watched units it concerns, with containment as it stands after the
    /// event (a pack has just put the named units in their container; their contents move along).
    pub(super) fn note(&mut self, containment: &Containment, event: &Event, voided: bool) {
        let Some(watch) = self.watch.filter(|w| !w.is_empty()) else { return };
        if matches!(event.kind, EventKind::Update(_) | EventKind::Correction { .. }) {
            return;
        }
        let reaches_contents = event.kind.applies_to_contents() || matches!(event.kind, EventKind::Aggregation { .. });
        let named: BTreeSet<&String> = event.codes.iter().collect();
        for code in &named {
            if watch.contains(*code) {
                self.push(code, UnitEvent { event: event.id, via: None, voided });
            }
        }
        if !reaches_contents {
            return;
        }
        // Each unit once, even when the event names both a pallet and a box on it.
        let mut done: BTreeSet<String> = BTreeSet::new();
        for code in &named {
            for inner in containment.descendants(code) {
                if watch.contains(&inner) && !named.contains(&inner) && !done.contains(&inner) {
                    self.push(&inner, UnitEvent { event: event.id, via: Some((*code).clone()), voided });
                    done.insert(inner);
                }
            }
        }
    }

    fn push(&mut self, code: &str, entry: UnitEvent) {
        self.found.entry(code.to_owned()).or_default().push(entry);
    }
}

/// The events that can matter to `unit`'s history: those naming the unit or any container it was
/// ever packed into (transitively), packs and unpacks of those containers, and every correction.
/// Folding only these gives the unit the same history as folding everything (containment of the
/// unit depends on nothing else), so a page about one unit need not refold a co-op's whole log.
pub fn concerning<'a>(events: &'a [Event], unit: &str) -> Vec<&'a Event> {
    let mut codes: BTreeSet<&str> = BTreeSet::from([unit]);
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
            break;
        }
        codes.extend(parents);
    }
    events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::Correction { .. })
                || e.codes.iter().any(|c| codes.contains(c.as_str()))
                || matches!(&e.kind, EventKind::Aggregation { parent, .. } if codes.contains(parent.as_str()))
        })
        .collect()
}
