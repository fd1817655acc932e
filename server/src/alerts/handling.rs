//! Who handled some goods: an index over a round's related events, built once per round, so each
//! abnormal report finds its goods' packing component and the events on it in time proportional
//! to that component (a scan of every related event per report made a round quadratic).

use fieldtrace_core::model::{Event, EventKind};
use std::collections::{BTreeSet, HashMap};

pub struct Handling<'a> {
    all: &'a [Event],
    /// Code → the codes one aggregation event ties it to (its container, or what went into it,
    /// and the other codes packed with it).
    packed_with: HashMap<&'a str, Vec<&'a str>>,
    /// Code → the events naming it, as a code or as the container of a pack or unpack.
    naming: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Handling<'a> {
    pub fn new(all: &'a [Event]) -> Self {
        let mut packed_with: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut naming: HashMap<&str, Vec<usize>> = HashMap::new();
        for (at, event) in all.iter().enumerate() {
            let parent = match &event.kind {
                EventKind::Aggregation { parent, .. } => Some(parent.as_str()),
                _ => None,
            };
            let named: BTreeSet<&str> = event.codes.iter().map(String::as_str).chain(parent).collect();
            for code in &named {
                naming.entry(code).or_default().push(at);
            }
            if parent.is_some() {
                for code in &named {
                    packed_with.entry(code).or_default().extend(named.iter().copied());
                }
            }
        }
        Self { all, packed_with, naming }
    }

    /// Every code related to `codes` by packing: the containers they were ever in and what was
    /// ever packed into them, at any distance. An event on any of these handled the goods.
    pub fn related_codes(&self, codes: &[String]) -> BTreeSet<&'a str> {
        let mut related: BTreeSet<&str> = BTreeSet::new();
        let mut pending: Vec<&str> = Vec::new();
        for code in codes {
            // Codes of the report that no stored event names still count (as themselves).
            let known = self.naming.get_key_value(code.as_str()).map(|(k, _)| *k);
            if let Some(code) = known {
                if related.insert(code) {
                    pending.push(code);
                }
            }
        }
        while let Some(code) = pending.pop() {
            for next in self.packed_with.get(code).into_iter().flatten() {
                if related.insert(next) {
                    pending.push(next);
                }
            }
        }
        related
    }

    /// The events naming any of `codes`, each once, in the order of `all`.
    pub fn events_on(&self, codes: &BTreeSet<&'a str>) -> Vec<&'a Event> {
        let at: BTreeSet<usize> =
            codes.iter().flat_map(|code| self.naming.get(code).into_iter().flatten()).copied().collect();
        at.into_iter().map(|i| &self.all[i]).collect()
    }
}
