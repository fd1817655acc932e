//! Lot membership: which stored events a lot's page and EPCIS export must read. For every unit a
//! batch re-projects that has a lot, the events concerning it — naming it, or a container it was
//! ever packed into (at any depth), or correcting one of those — are filed under the lot. The
//! lot's pages then read its events with one range scan instead of one look-up per unit.
//!
//! Membership only grows: a unit that moves to another lot leaves its events filed under the old
//! one as well. That is harmless — readers fold the members with the lot's projected units and
//! keep only what counts for them — and it keeps the table insert-only, like the look-up indexes.

use crate::storage::StoredEventRow;
use fieldtrace_core::model::{Event, EventId, EventKind};
use std::collections::{BTreeSet, HashMap};

/// `(lot, seq)` for every event of `events` (stored as `rows`, same order) that concerns one of
/// `units` (code, lot).
pub fn lot_members<'a>(
    rows: &[StoredEventRow],
    events: &[Event],
    units: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeSet<(String, i64)> {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut parents: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut corrections: HashMap<EventId, Vec<usize>> = HashMap::new();
    for (at, event) in events.iter().enumerate() {
        for code in &event.codes {
            by_name.entry(code).or_default().push(at);
        }
        match &event.kind {
            EventKind::Aggregation { parent, .. } => {
                by_name.entry(parent).or_default().push(at);
                for child in &event.codes {
                    parents.entry(child).or_default().push(parent);
                }
            }
            EventKind::Correction { voids } => corrections.entry(*voids).or_default().push(at),
            _ => {}
        }
    }
    let mut members = BTreeSet::new();
    for (code, lot) in units {
        let mut names: BTreeSet<&str> = BTreeSet::from([code]);
        let mut pending = vec![code];
        while let Some(name) = pending.pop() {
            for parent in parents.get(name).into_iter().flatten() {
                if names.insert(parent) {
                    pending.push(parent);
                }
            }
        }
        let mut concerning: BTreeSet<usize> =
            names.iter().flat_map(|n| by_name.get(n).into_iter().flatten()).copied().collect();
        let corrected: Vec<usize> =
            concerning.iter().flat_map(|at| corrections.get(&events[*at].id).into_iter().flatten()).copied().collect();
        concerning.extend(corrected);
        members.extend(concerning.into_iter().map(|at| (lot.to_owned(), rows[at].seq)));
    }
    members
}
