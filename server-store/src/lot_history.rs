//! A lot's history as a persisted read model: every event that is part of it — filed under the
//! lot, or in the history of one of the lot's units as the fold tells it (`fieldtrace_core::fold::
//! fold_with_lineage`) — in causal order, with how many of the lot's units it concerned. The lot
//! page, its CSV exports and the EPCIS export read it a page at a time, so a lot of any size costs
//! what one page shows. The projector (`fieldtrace_server::projection::history`) keeps it exact.

use crate::StoredEventRow;

/// Where an event sits in causal order: its hybrid logical clock reading, then its server
/// sequence number (which only breaks exact clock ties between devices, deterministically).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct CausalKey {
    pub wall_ms: i64,
    pub logical: i64,
    pub seq: i64,
}

impl CausalKey {
    /// The key as a page token: `wall_ms.logical.seq`.
    pub fn token(&self) -> String {
        format!("{}.{}.{}", self.wall_ms, self.logical, self.seq)
    }

    /// Reads a token made by [`CausalKey::token`]; `None` for anything else.
    pub fn from_token(token: &str) -> Option<Self> {
        let mut parts = token.split('.').map(|part| part.parse::<i64>().ok());
        let key = CausalKey { wall_ms: parts.next()??, logical: parts.next()??, seq: parts.next()?? };
        parts.next().is_none().then_some(key)
    }
}

/// The lot page's sections an event belongs to besides the timeline (bits of [`Marks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HistoryMark {
    /// An abnormal judgement of the goods (a report, a scan, a handover check).
    Abnormal,
    /// Logger readings and excursions: the temperature chart.
    Chart,
    /// Farming activities on the lot's plot.
    Farming,
    /// Signed handover offers, acceptances and receipts: paired into custody transfers.
    Handover,
}

impl HistoryMark {
    pub fn bit(self) -> u8 {
        match self {
            HistoryMark::Abnormal => 1,
            HistoryMark::Chart => 2,
            HistoryMark::Farming => 4,
            HistoryMark::Handover => 8,
        }
    }
}

/// A set of [`HistoryMark`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Marks(pub u8);

impl Marks {
    pub fn with(self, mark: HistoryMark) -> Self {
        Marks(self.0 | mark.bit())
    }

    pub fn has(self, mark: HistoryMark) -> bool {
        self.0 & mark.bit() != 0
    }
}

/// One event's change in one lot's history, from one projector batch.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LotHistoryDelta {
    pub lot: String,
    pub key: CausalKey,
    pub marks: Marks,
    /// Change of the number of the lot's units whose history holds the event.
    pub units: i64,
    /// The event is filed under the lot (set once, when the event itself is projected).
    pub filed: bool,
}

/// One event of a lot's history, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotHistoryRow {
    pub key: CausalKey,
    pub event: StoredEventRow,
    /// How many of the lot's units the event concerned (0 for lot-level records).
    pub units: u64,
    pub marks: Marks,
}

/// Which part of a lot's history to read. Rows always come back in causal order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryQuery {
    /// Only events with this mark.
    pub mark: Option<HistoryMark>,
    /// Only events after this key.
    pub after: Option<CausalKey>,
    /// Only events before this key.
    pub before: Option<CausalKey>,
    /// Skip this many first (oldest, or newest with `newest_first`).
    pub offset: usize,
    pub limit: usize,
    /// Take the newest `limit` events instead of the oldest (still returned oldest first).
    pub newest_first: bool,
}
