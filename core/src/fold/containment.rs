//! Which unit is inside which container, as pack and unpack events leave it (see
//! `docs/aggregation.md`). Pure rules, applied in causal order by the fold and by the store's
//! rebuild, so a phone's "what is in this box" and every replica's digest agree.
//!
//! - A unit is in at most one container: packing it into another takes it out of the first.
//! - No cycles: packing a container into itself or into something inside it is ignored (the
//!   session refuses it up front; two phones offline can still make such a pair, and every
//!   replica then ignores the same, causally later, pack).
//! - Unpacking takes a unit out only of the container named; a stale unpack (the unit was
//!   repacked elsewhere meanwhile) changes nothing.

use crate::model::AggregationAction;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Containment {
    parent_of: BTreeMap<String, String>,
    children: BTreeMap<String, BTreeSet<String>>,
}

impl Containment {
    /// The container `code` is directly inside, if any.
    pub fn parent(&self, code: &str) -> Option<&str> {
        self.parent_of.get(code).map(String::as_str)
    }

    /// Whether `code` is `container` or lies inside it at any depth.
    pub fn is_within(&self, code: &str, container: &str) -> bool {
        let mut current = code;
        // Depth is bounded by the number of packed units, since no cycle can be built.
        for _ in 0..=self.parent_of.len() {
            if current == container {
                return true;
            }
            match self.parent_of.get(current) {
                Some(parent) => current = parent,
                None => return false,
            }
        }
        false
    }

    /// Everything inside `container`, at every depth (not the container itself).
    pub fn descendants(&self, container: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut pending = vec![container];
        while let Some(next) = pending.pop() {
            for child in self.children.get(next).into_iter().flatten() {
                if found.insert(child.clone()) {
                    pending.push(child);
                }
            }
        }
        found
    }

    /// Applies one pack or unpack of `codes` into/out of `parent`.
    pub fn apply(&mut self, parent: &str, action: AggregationAction, codes: &[String]) {
        for code in codes {
            match action {
                AggregationAction::Pack => {
                    if self.is_within(parent, code) {
                        continue; // `code` is `parent` or holds it: packing would close a cycle.
                    }
                    self.detach(code);
                    self.parent_of.insert(code.clone(), parent.to_owned());
                    self.children.entry(parent.to_owned()).or_default().insert(code.clone());
                }
                AggregationAction::Unpack => {
                    if self.parent(code) == Some(parent) {
                        self.detach(code);
                    }
                }
            }
        }
    }

    fn detach(&mut self, code: &str) {
        if let Some(old) = self.parent_of.remove(code) {
            if let Some(siblings) = self.children.get_mut(&old) {
                siblings.remove(code);
                if siblings.is_empty() {
                    self.children.remove(&old);
                }
            }
        }
    }

    /// Every `(unit, container)` pair, ordered by unit.
    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.parent_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AggregationAction::{Pack, Unpack};

    fn codes(list: &[&str]) -> Vec<String> {
        list.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn nesting_repacking_and_unpacking() {
        let mut c = Containment::default();
        c.apply("box-1", Pack, &codes(&["kiwi-1", "kiwi-2"]));
        c.apply("pallet-1", Pack, &codes(&["box-1"]));
        assert_eq!(c.descendants("pallet-1"), ["box-1", "kiwi-1", "kiwi-2"].map(String::from).into());
        assert!(c.is_within("kiwi-1", "pallet-1"));
        // Repacking moves the kiwi out of its first box.
        c.apply("box-2", Pack, &codes(&["kiwi-1"]));
        assert_eq!(c.parent("kiwi-1"), Some("box-2"));
        assert_eq!(c.descendants("box-1"), ["kiwi-2"].map(String::from).into());
        // A stale unpack from the old box changes nothing; the right one does.
        c.apply("box-1", Unpack, &codes(&["kiwi-1"]));
        assert_eq!(c.parent("kiwi-1"), Some("box-2"));
        c.apply("box-2", Unpack, &codes(&["kiwi-1"]));
        assert_eq!(c.parent("kiwi-1"), None);
        assert!(c.descendants("box-2").is_empty());
    }

    #[test]
    fn a_pack_that_would_close_a_cycle_is_ignored() {
        let mut c = Containment::default();
        c.apply("pallet-1", Pack, &codes(&["box-1"]));
        c.apply("box-1", Pack, &codes(&["kiwi-1"]));
        c.apply("kiwi-1", Pack, &codes(&["pallet-1"]));
        c.apply("box-1", Pack, &codes(&["box-1", "kiwi-2"]));
        assert_eq!(c.parent("pallet-1"), None);
        assert_eq!(c.parent("box-1"), Some("pallet-1"));
        assert_eq!(c.parent("kiwi-2"), Some("box-1"), "the other codes of the event still count");
    }
}
