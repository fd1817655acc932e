//! The persisted read models (issue 16): what the fold computes, kept in tables so a request
//! reads only the rows it shows. [`ReadModelStore`] is the backend's part — look-ups through
//! the indexes written with every push, and applying one projector batch atomically with its
//! checkpoint; what goes in the rows is decided once, backend-agnostic, by the server's
//! projector (`fieldtrace_server::projection`).

use crate::StorageResult;
use fieldtrace_core::fold::{FieldState, UnitState};
use fieldtrace_core::model::{BizStep, EntityKind, EventId};
use std::collections::BTreeMap;
use std::future::Future;

/// One unit's projected state: the fold's [`UnitState`] and the container it is directly in now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitRow {
    pub code: String,
    pub state: UnitState,
    pub parent: Option<String>,
}

/// An entity's registers: field → last writer's value.
pub type Registers = BTreeMap<String, FieldState>;

/// A lot's counters, changed by a projector batch (negative when units left the lot or its step).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LotDelta {
    pub lot: String,
    pub units: i64,
    pub abnormal_units: i64,
    pub steps: BTreeMap<BizStep, i64>,
}

/// A lot's counters as projected: units seen, units with an abnormal report, units per step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LotStats {
    pub lot: String,
    pub units: u64,
    pub abnormal_units: u64,
    pub steps: BTreeMap<BizStep, u64>,
}

/// What one projector run writes, atomically with moving the checkpoint `from_seq → through_seq`.
#[derive(Debug, Clone, Default)]
pub struct ProjectionBatch {
    pub from_seq: i64,
    pub through_seq: i64,
    /// Units recomputed: the new row, or `None` when nothing counts for the code any more.
    pub units: Vec<(String, Option<UnitRow>)>,
    /// Entities recomputed: their registers replace the stored ones wholesale.
    pub registers: Vec<((EntityKind, String), Registers)>,
    pub lots: Vec<LotDelta>,
}

/// How far a co-op's projections are behind its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProjectionProgress {
    /// Every event up to this sequence number is projected.
    pub checkpoint: i64,
    /// The log's last sequence number.
    pub head: i64,
}

/// Everything projected for a co-op, read whole: for `fieldtrace reproject --verify` and tests
/// that compare projections with a full fold, never for requests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProjectionDump {
    pub units: Vec<UnitRow>,
    pub registers: BTreeMap<(EntityKind, String), Registers>,
    pub voided: Vec<EventId>,
    pub lots: Vec<LotStats>,
}

/// The backend's side of the persisted read models. Look-ups return events as stored (wire
/// encoding) in server order, each once.
pub trait ReadModelStore: Send + Sync + 'static {
    fn projection_progress(&self, coop: &str) -> impl Future<Output = StorageResult<ProjectionProgress>> + Send;

    /// Every event that can concern `codes`' histories: those naming the codes, or any container
    /// they were ever packed into (transitively), as a code or as the container of a pack; and
    /// the corrections of those events (see `fieldtrace_core::fold::concerning`).
    fn concerning_events(
        &self,
        coop: &str,
        codes: Vec<String>,
    ) -> impl Future<Output = StorageResult<Vec<Vec<u8>>>> + Send;

    /// Everything ever packed into `codes`, at any depth (not the codes themselves).
    fn descendants_ever(
        &self,
        coop: &str,
        codes: Vec<String>,
    ) -> impl Future<Output = StorageResult<Vec<String>>> + Send;

    /// The stored events with these ids (unknown ids are skipped).
    fn events_by_id(&self, coop: &str, ids: Vec<EventId>) -> impl Future<Output = StorageResult<Vec<Vec<u8>>>> + Send;

    /// The updates naming these entities and the corrections of those updates.
    fn entity_events(
        &self,
        coop: &str,
        entities: Vec<(EntityKind, String)>,
    ) -> impl Future<Output = StorageResult<Vec<Vec<u8>>>> + Send;

    /// The projected rows of `codes` (codes without a row are left out).
    fn unit_rows(&self, coop: &str, codes: Vec<String>) -> impl Future<Output = StorageResult<Vec<UnitRow>>> + Send;

    /// Writes one batch and moves the checkpoint, in one transaction. `ProjectionMoved` if the
    /// checkpoint is no longer `batch.from_seq` (another projector got there first).
    fn apply_projection(&self, coop: &str, batch: ProjectionBatch) -> impl Future<Output = StorageResult<()>> + Send;

    /// Empties the co-op's projections and sets its checkpoint to 0 (the look-up indexes stay).
    fn reset_projection(&self, coop: &str) -> impl Future<Output = StorageResult<()>> + Send;

    /// The lots' counters, one row per lot with units.
    fn lot_stats(&self, coop: &str) -> impl Future<Output = StorageResult<Vec<LotStats>>> + Send;

    /// Units of `lot`, ordered by code, after `after_code`, at most `limit`.
    fn lot_units(
        &self,
        coop: &str,
        lot: &str,
        after_code: Option<String>,
        limit: usize,
    ) -> impl Future<Output = StorageResult<Vec<UnitRow>>> + Send;

    /// The registers of these entities (entities without any are left out).
    fn registers_of(
        &self,
        coop: &str,
        entities: Vec<(EntityKind, String)>,
    ) -> impl Future<Output = StorageResult<BTreeMap<(EntityKind, String), Registers>>> + Send;

    /// The registers of every entity of `kind` (lots, parties …: the co-op's catalog).
    fn registers_of_kind(
        &self,
        coop: &str,
        kind: EntityKind,
    ) -> impl Future<Output = StorageResult<BTreeMap<String, Registers>>> + Send;

    /// Every projected row of the co-op (see [`ProjectionDump`]).
    fn projection_dump(&self, coop: &str) -> impl Future<Output = StorageResult<ProjectionDump>> + Send;
}
