//! Packing and unpacking: scan a box (or pallet), scan what goes in or comes out. One event per
//! call, durable when it returns, undoable like a report. The rules (one container at a time, no
//! cycles) are in `docs/aggregation.md`; here they are checked up front so the person scanning
//! gets a clear refusal instead of a pack every replica would ignore.

use super::flow_error::{FlowError, FlowResult};
use super::Session;
use crate::model::{AggregationAction, BizStep, Event, EventId, EventKind};
use crate::payload::parse_payload;
use crate::Error;

/// A unit that left one container for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedUnit {
    pub code: String,
    pub from: String,
}

/// What a pack or unpack did, for the shell to show ("箱 X: 40 件").
#[derive(Debug, Clone, PartialEq)]
pub struct PackReceipt {
    /// `None` when every unit scanned was already where it was asked to be: nothing recorded.
    pub event_id: Option<EventId>,
    pub container: String,
    /// The units packed or unpacked by this call.
    pub units: Vec<String>,
    /// For a pack: units taken out of another container by it.
    pub moved_from: Vec<MovedUnit>,
    /// Units in the container now, at every depth.
    pub contents: u64,
    /// Device time (UTC ms) until which `undo` is accepted.
    pub undo_until_ms: Option<i64>,
}

/// What a container holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerContents {
    pub container: String,
    /// Directly inside (a pallet's boxes), sorted.
    pub direct: Vec<String>,
    /// At every depth (the boxes and their items), sorted.
    pub all: Vec<String>,
}

/// The code keys of scanned payloads, first occurrence kept.
pub(super) fn code_keys(raw: &[String]) -> FlowResult<Vec<String>> {
    let mut codes: Vec<String> = Vec::with_capacity(raw.len());
    for payload in raw {
        let code = parse_payload(payload)?.code_key();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

impl Session {
    /// Packs the scanned units into the scanned container. A unit in another container leaves
    /// it (`moved_from`); a unit already in this one is skipped. Refused, with nothing recorded,
    /// if a unit is the container or holds it.
    pub fn pack(&mut self, container: &str, units: &[String]) -> FlowResult<PackReceipt> {
        let container = parse_payload(container)?.code_key();
        let units = code_keys(units)?;
        if units.is_empty() {
            return Err(FlowError::NoUnits(container));
        }
        let holders = self.store.containers_of(&container)?;
        if let Some(item) = units.iter().find(|u| **u == container || holders.contains(u)) {
            return Err(FlowError::ContainmentCycle { container, item: item.clone() });
        }
        let mut to_pack = Vec::new();
        let mut moved_from = Vec::new();
        for unit in units {
            match self.store.container_of(&unit)? {
                Some(current) if current == container => continue,
                Some(from) => moved_from.push(MovedUnit { code: unit.clone(), from }),
                None => {}
            }
            to_pack.push(unit);
        }
        self.record_aggregation(container, AggregationAction::Pack, to_pack, moved_from)
    }

    /// Takes the scanned units out of the scanned container. Refused, with nothing recorded, if
    /// one of them is not directly in it.
    pub fn unpack(&mut self, container: &str, units: &[String]) -> FlowResult<PackReceipt> {
        let container = parse_payload(container)?.code_key();
        let units = code_keys(units)?;
        if units.is_empty() {
            return Err(FlowError::NoUnits(container));
        }
        for unit in &units {
            let actually_in = self.store.container_of(unit)?;
            if actually_in.as_deref() != Some(container.as_str()) {
                return Err(FlowError::NotInContainer { container, item: unit.clone(), actually_in });
            }
        }
        self.record_aggregation(container, AggregationAction::Unpack, units, Vec::new())
    }

    /// Empties the scanned container: everything directly inside comes out (a box unpacked from
    /// a pallet keeps its own contents).
    pub fn unpack_all(&mut self, container: &str) -> FlowResult<PackReceipt> {
        let container = parse_payload(container)?.code_key();
        let units = self.store.contents(&container)?;
        if units.is_empty() {
            return Err(FlowError::ContainerEmpty(container));
        }
        self.record_aggregation(container, AggregationAction::Unpack, units, Vec::new())
    }

    /// What the scanned container holds now.
    pub fn contents(&self, container: &str) -> FlowResult<ContainerContents> {
        let container = parse_payload(container)?.code_key();
        Ok(ContainerContents {
            direct: self.store.contents(&container)?,
            all: self.store.contents_deep(&container)?,
            container,
        })
    }

    fn record_aggregation(
        &mut self,
        container: String,
        action: AggregationAction,
        units: Vec<String>,
        moved_from: Vec<MovedUnit>,
    ) -> FlowResult<PackReceipt> {
        let kind = EventKind::Aggregation { parent: container.clone(), action };
        if !self.user.role.may_record(&kind) {
            return Err(Error::RoleForbidden { role: self.user.role.key(), kind: kind.key() }.into());
        }
        let mut event_id = None;
        let mut undo_until_ms = None;
        if !units.is_empty() {
            let mut template = self.new_event(kind, units.clone(), self.clock.now());
            // Unpacking does not move goods along the chain, so it leaves their step alone.
            template.step = (action == AggregationAction::Pack).then_some(BizStep::Packing);
            let event = self.store.record_local(self.clock.now_ms(), |hlc| Event { hlc, ..template })?;
            event_id = Some(event.id);
            undo_until_ms = Some(event.recorded_at.timestamp_millis() + super::UNDO_WINDOW_MS);
        }
        let contents = self.store.contents_deep(&container)?.len() as u64;
        Ok(PackReceipt { event_id, container, units, moved_from, contents, undo_until_ms })
    }
}
