//! The persisted read models (issue 16): what the fold computes, kept in tables so a request
//! reads only the rows it shows. [`ReadModelStore`] is the backend's part — look-ups through
//! the indexes written with every push, and applying one projector batch atomically with its
//! checkpoint; what goes in the rows is decided once, backend-agnostic, by the server's
//! projector (`fieldtrace_server::projection`).

use crate::{HistoryMark, HistoryQuery, LotHistoryDelta, LotHistoryRow, StorageResult, StoredEventRow};
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

/// One unit's loss history, as the server's loss analytics define it (`fieldtrace_server::
/// analytics`): which stages handled it and whether it was found abnormal there, which drivers
/// held it and whether it was found abnormal while (or right after) they did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnitLossRow {
    pub code: String,
    pub lot: Option<String>,
    /// The first handling day, `YYYY-MM-DD`, on the recording phone's calendar.
    pub first_day: String,
    /// Stage key → found abnormal there.
    pub stages: BTreeMap<String, bool>,
    /// Driver party → found abnormal while or right after they held it.
    pub drivers: BTreeMap<String, bool>,
}

/// What a loss counter counts units by, besides their lot and first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum LossDimension {
    /// Every unit once (key ""): abnormal if found abnormal at any stage.
    #[default]
    Overall,
    /// Per stage key.
    Stage,
    /// Per driver party.
    Driver,
}

impl LossDimension {
    pub const ALL: [LossDimension; 3] = [LossDimension::Overall, LossDimension::Stage, LossDimension::Driver];

    /// Stable key, as stored.
    pub fn key(self) -> &'static str {
        match self {
            LossDimension::Overall => "all",
            LossDimension::Stage => "stage",
            LossDimension::Driver => "driver",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key)
    }
}

/// Units handled and found abnormal, by lot ("" for none), first day, dimension and key. In a
/// projector batch the numbers are the change (negative when units left the counter).
#[derive(Debug, Clone, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct LossCount {
    pub day: String,
    pub lot: String,
    pub dimension: LossDimension,
    pub key: String,
    pub units: i64,
    pub abnormal: i64,
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
    /// Units' loss histories recomputed: the new row, or `None` when the code is no unit (any
    /// more) or nothing handled it.
    pub losses: Vec<(String, Option<UnitLossRow>)>,
    /// Changes of the loss counters.
    pub loss_counts: Vec<LossCount>,
    /// Pieces recounted per (party, day); 0 removes the row.
    pub pieces: Vec<PieceDay>,
    /// Changes of the lots' histories.
    pub lot_history: Vec<LotHistoryDelta>,
}

/// One party's pieces on one day (`YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct PieceDay {
    pub party: String,
    pub day: String,
    pub pieces: u64,
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
    pub losses: Vec<UnitLossRow>,
    pub loss_counts: Vec<LossCount>,
    pub pieces: Vec<PieceDay>,
    /// Every lot's history: (lot, event id) → (units it concerned, filed under the lot).
    pub lot_history: BTreeMap<(String, EventId), (u64, bool)>,
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
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// Everything ever packed into `codes`, at any depth (not the codes themselves).
    fn descendants_ever(
        &self,
        coop: &str,
        codes: Vec<String>,
    ) -> impl Future<Output = StorageResult<Vec<String>>> + Send;

    /// Every code connected to `codes` by packing, in either direction and at any distance: the
    /// containers they were ever in, what was ever packed into those, and so on (`codes`
    /// included). The goods an event on any of them handled.
    fn containment_component(
        &self,
        coop: &str,
        codes: Vec<String>,
    ) -> impl Future<Output = StorageResult<Vec<String>>> + Send;

    /// The stored events with these ids (unknown ids are skipped).
    fn events_by_id(
        &self,
        coop: &str,
        ids: Vec<EventId>,
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// The corrections that void any of these events, in server order.
    fn corrections_of(
        &self,
        coop: &str,
        ids: Vec<EventId>,
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// The events each (party, day) pair's party recorded on that piece day, and their
    /// corrections, in server order.
    fn recorded_on(
        &self,
        coop: &str,
        pairs: Vec<(String, String)>,
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// Projected pieces from `from` to `to` (`YYYY-MM-DD`, inclusive), of `party` or everyone,
    /// ordered by party and day.
    fn piece_days(
        &self,
        coop: &str,
        party: Option<String>,
        from: String,
        to: String,
    ) -> impl Future<Output = StorageResult<Vec<PieceDay>>> + Send;

    /// The updates naming these entities and the corrections of those updates.
    fn entity_events(
        &self,
        coop: &str,
        entities: Vec<(EntityKind, String)>,
    ) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// Part of `lot`'s history (see `lot_history`), in causal order.
    fn lot_history(
        &self,
        coop: &str,
        lot: &str,
        query: HistoryQuery,
    ) -> impl Future<Output = StorageResult<Vec<LotHistoryRow>>> + Send;

    /// How many events `lot`'s history holds (with `mark`, if given).
    fn lot_history_len(
        &self,
        coop: &str,
        lot: &str,
        mark: Option<HistoryMark>,
    ) -> impl Future<Output = StorageResult<u64>> + Send;

    /// The events filed under `lot` (harvest taps, farm records …), in server order.
    fn lot_events(&self, coop: &str, lot: &str) -> impl Future<Output = StorageResult<Vec<StoredEventRow>>> + Send;

    /// The projected rows of `codes` (codes without a row are left out).
    fn unit_rows(&self, coop: &str, codes: Vec<String>) -> impl Future<Output = StorageResult<Vec<UnitRow>>> + Send;

    /// Writes one batch and moves the checkpoint, in one transaction. `ProjectionMoved` if the
    /// checkpoint is no longer `batch.from_seq` (another projector got there first).
    fn apply_projection(&self, coop: &str, batch: ProjectionBatch) -> impl Future<Output = StorageResult<()>> + Send;

    /// Empties the co-op's projections and sets its checkpoint to 0 (the look-up indexes stay).
    fn reset_projection(&self, coop: &str) -> impl Future<Output = StorageResult<()>> + Send;

    /// The stored loss histories of `codes` (codes without one are left out).
    fn unit_losses(
        &self,
        coop: &str,
        codes: Vec<String>,
    ) -> impl Future<Output = StorageResult<Vec<UnitLossRow>>> + Send;

    /// The loss counters of units first handled from `from` to `to` (`YYYY-MM-DD`, inclusive;
    /// `None`: open), in (day, lot, dimension, key) order.
    fn loss_counts(
        &self,
        coop: &str,
        from: Option<String>,
        to: Option<String>,
    ) -> impl Future<Output = StorageResult<Vec<LossCount>>> + Send;

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

    /// Lots whose `expiry_date` register is a date on or before `by` (`YYYY-MM-DD`), with it.
    fn lots_expiring_by(
        &self,
        coop: &str,
        by: &str,
    ) -> impl Future<Output = StorageResult<Vec<(String, String)>>> + Send;

    /// The registers of every entity of `kind` (lots, parties …: the co-op's catalog).
    fn registers_of_kind(
        &self,
        coop: &str,
        kind: EntityKind,
    ) -> impl Future<Output = StorageResult<BTreeMap<String, Registers>>> + Send;

    /// Whether photo `sha256` is published: a lot's or party's `photo` register names it, and no
    /// event other than a register update does (photos of goods, such as bruised fruit, stay
    /// private even if a register names them by mistake).
    fn photo_is_published(&self, coop: &str, sha256: &str) -> impl Future<Output = StorageResult<bool>> + Send;

    /// Every projected row of the co-op (see [`ProjectionDump`]).
    fn projection_dump(&self, coop: &str) -> impl Future<Output = StorageResult<ProjectionDump>> + Send;
}
