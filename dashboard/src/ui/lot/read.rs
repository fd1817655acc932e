//! Reading a lot's page from its projected history (`fieldtrace_server::projection::history`):
//! one window of the timeline and the custody chain, the newest abnormal reports and readings,
//! the farming records and the handovers — each through its own index, so a lot of any size costs
//! what one page shows.

use super::context::LotContext;
use fieldtrace_core::model::{BizStep, EntityKind, Event, EventKind};
use fieldtrace_server::custody::{transfers_from, CustodyFilter, Transfer};
use fieldtrace_server::projection::{history_page, HistoryPage};
use fieldtrace_server::storage::{CausalKey, HistoryMark, HistoryQuery, Registers, Storage, StorageError};
use fieldtrace_server::ServerConfig;
use std::collections::{BTreeMap, BTreeSet};

/// Timeline rows per page: a season's big lot has tens of thousands of events (the CSV exports
/// have them all).
pub const TIMELINE_PAGE: usize = 200;
/// The newest abnormal reports shown (the timeline and its CSV have every one).
pub const ABNORMAL_SHOWN: usize = 100;
/// The newest logger events (uploads of readings, excursions) the chart draws. Each upload carries
/// a trip's readings (often dozens), and the drawing is 480 units wide: more would only stack
/// points on the same pixels while every request read and decoded them.
pub const CHART_EVENTS: usize = 200;
/// Events read before a window to learn who held the goods when it starts.
const SEED_EVENTS: usize = 50;

/// Which window of a lot's history to show: the newest, or the one just before or after a
/// window's edge (keyset pages: no count and no offset, so any window of any lot costs the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    #[default]
    Newest,
    Before(CausalKey),
    After(CausalKey),
}

/// One page of a lot as stored.
pub struct LotRead {
    pub lot: String,
    pub window: HistoryPage,
    /// Where the windows beside this one start, if there are any.
    pub earlier: Option<CausalKey>,
    pub later: Option<CausalKey>,
    /// The events just before the window (who holds the goods when it starts).
    pub seed: HistoryPage,
    pub abnormal: HistoryPage,
    pub abnormal_total: u64,
    pub chart: HistoryPage,
    pub farming: HistoryPage,
    /// The lot's handover offers, acceptances and receipts, paired.
    pub transfers: Vec<Transfer>,
    /// What the lot's sprayings are judged against: the co-op's farm records (harvests of the
    /// same plot, in any lot) and the lot's first harvests after each spraying.
    pub judged_against: Vec<Event>,
    pub ctx: LotContext,
}

/// Reads `lot`'s page with timeline window `asked`; `None` when the co-op never named the lot
/// nor recorded anything of it. The caller brings the projection up to date first.
pub async fn read<S: Storage>(
    storage: &S,
    config: &ServerConfig,
    coop: &str,
    lot: &str,
    asked: Window,
    offset: chrono::FixedOffset,
) -> Result<Option<LotRead>, StorageError> {
    let lot_key = (EntityKind::Lot, lot.to_owned());
    let lot_registers = storage.registers_of(coop, vec![lot_key.clone()]).await?;
    // Earlier windows are known from the seed read below; a later one from one row more.
    let (mut window, later_exists) = match asked {
        Window::Newest | Window::Before(_) => {
            let before = if let Window::Before(key) = asked { Some(key) } else { None };
            let query = HistoryQuery { before, limit: TIMELINE_PAGE, newest_first: true, ..HistoryQuery::default() };
            (history_page(storage, coop, lot, query).await?, asked != Window::Newest)
        }
        Window::After(after) => {
            let query = HistoryQuery { after: Some(after), limit: TIMELINE_PAGE + 1, ..HistoryQuery::default() };
            let mut window = history_page(storage, coop, lot, query).await?;
            let more = window.rows.len() > TIMELINE_PAGE;
            window.truncate(TIMELINE_PAGE);
            (window, more)
        }
    };
    if window.rows.is_empty() && asked == Window::Newest && !lot_registers.contains_key(&lot_key) {
        return Ok(None);
    }
    let mut later_exists = later_exists;
    if window.rows.is_empty() && asked != Window::Newest {
        // A stale link past an edge: show the newest window instead.
        let query = HistoryQuery { limit: TIMELINE_PAGE, newest_first: true, ..HistoryQuery::default() };
        window = history_page(storage, coop, lot, query).await?;
        later_exists = false;
    }
    let seed = match window.rows.first() {
        Some(first) => {
            let query = HistoryQuery {
                before: Some(first.key),
                limit: SEED_EVENTS,
                newest_first: true,
                ..HistoryQuery::default()
            };
            history_page(storage, coop, lot, query).await?
        }
        None => HistoryPage::default(),
    };
    let newest = |mark, limit| HistoryQuery { mark: Some(mark), limit, newest_first: true, ..HistoryQuery::default() };
    let abnormal = history_page(storage, coop, lot, newest(HistoryMark::Abnormal, ABNORMAL_SHOWN)).await?;
    // Counted only when there are more than shown (a count reads every abnormal row of the lot).
    let abnormal_total = if abnormal.rows.len() < ABNORMAL_SHOWN {
        abnormal.rows.len() as u64
    } else {
        storage.lot_history_len(coop, lot, Some(HistoryMark::Abnormal)).await?
    };
    let chart = history_page(storage, coop, lot, newest(HistoryMark::Chart, CHART_EVENTS)).await?;
    let farming = history_page(storage, coop, lot, newest(HistoryMark::Farming, usize::MAX >> 1)).await?;
    let transfers = lot_transfers(storage, config, coop, lot).await?;
    let mut judged_against = fieldtrace_server::projection::farm_records(storage, coop).await?;
    judged_against.extend(first_harvests_after_sprayings(storage, coop, lot, &farming.events).await?);

    let mut ctx = LotContext { lot: lot.to_owned(), registers: lot_registers, units: BTreeMap::new(), offset };
    for part in [&window, &seed, &abnormal, &chart, &farming] {
        for (event, row) in part.events.iter().zip(&part.rows) {
            ctx.units.insert(event.id, row.units);
        }
    }
    let shown = [&window, &seed, &abnormal, &chart, &farming].into_iter().flat_map(|part| part.events.iter());
    let mut entities = parties_named(shown);
    entities.extend(transfer_parties(&transfers));
    if let Some(farm) = ctx.lot_field("farm") {
        entities.insert((EntityKind::Party, farm));
    }
    add_registers(storage, coop, &mut ctx.registers, entities).await?;
    let earlier = window.rows.first().map(|row| row.key).filter(|_| !seed.rows.is_empty());
    let later = window.rows.last().map(|row| row.key).filter(|_| later_exists);
    Ok(Some(LotRead {
        lot: lot.to_owned(),
        window,
        earlier,
        later,
        seed,
        abnormal,
        abnormal_total,
        chart,
        farming,
        transfers,
        judged_against,
        ctx,
    }))
}

/// The lot's custody transfers: its handover offers, acceptances and receipts (through the
/// handover index), paired in the order they reached the server, as the co-op's custody page
/// pairs them.
pub async fn lot_transfers<S: Storage>(
    storage: &S,
    config: &ServerConfig,
    coop: &str,
    lot: &str,
) -> Result<Vec<Transfer>, StorageError> {
    let query = HistoryQuery { mark: Some(HistoryMark::Handover), limit: usize::MAX >> 1, ..HistoryQuery::default() };
    let handovers = history_page(storage, coop, lot, query).await?;
    let received = handovers.rows.iter().map(|row| row.event.received_at_ms);
    let mut arrived: Vec<(Event, i64)> = handovers.events.into_iter().zip(received).collect();
    arrived.sort_by_key(|(_, at)| *at);
    Ok(transfers_from(arrived, &CustodyFilter::default(), config.clock.now_ms(), config.unpaired_after_ms))
}

/// The parties `transfers` name (giver and receiver).
pub fn transfer_parties(transfers: &[Transfer]) -> BTreeSet<(EntityKind, String)> {
    let mut parties = BTreeSet::new();
    for transfer in transfers {
        parties.extend(transfer.receiver.iter().map(|r| (EntityKind::Party, r.party.clone())));
        parties.insert((EntityKind::Party, transfer.giver.party.clone()));
    }
    parties
}

/// Harvest pages read after a spraying.
const HARVEST_SCAN: usize = 500;
const DAY_MS: i64 = 24 * 3_600_000;

/// For each spraying among `farm_records` with a pre-harvest interval, the lot's harvests from
/// the day before it up to the first one on or after its day (the pre-harvest-interval rule
/// flags the first harvest inside the interval), read in causal order and stopping there or at
/// the interval's end: a few pages, however many harvests the lot has.
async fn first_harvests_after_sprayings<S: Storage>(
    storage: &S,
    coop: &str,
    lot: &str,
    farm_records: &[Event],
) -> Result<Vec<Event>, StorageError> {
    let mut harvests = Vec::new();
    for spraying in farm_records {
        let EventKind::FarmRecord(record) = &spraying.kind else { continue };
        let Some(days) = record.pre_harvest_interval_days.filter(|days| *days > 0) else { continue };
        let sprayed_ms = spraying.recorded_at.timestamp_millis();
        let end_ms = sprayed_ms.saturating_add(i64::from(days).saturating_add(1).saturating_mul(DAY_MS));
        let mut after = Some(CausalKey { wall_ms: sprayed_ms - DAY_MS, logical: -1, seq: -1 });
        while let Some(from) = after.take() {
            let query = HistoryQuery { after: Some(from), limit: HARVEST_SCAN, ..HistoryQuery::default() };
            let page = history_page(storage, coop, lot, query).await?;
            let mut found = false;
            for event in standing(&page).into_iter().filter(|e| e.step == Some(BizStep::Harvesting)) {
                found |= event.recorded_at.date_naive() >= spraying.recorded_at.date_naive();
                harvests.push(event.clone());
            }
            let last = page.rows.last().map(|row| row.key);
            if !found && page.rows.len() == HARVEST_SCAN {
                after = last.filter(|key| key.wall_ms <= end_ms);
            }
        }
    }
    Ok(harvests)
}

/// The parties `events` name (actor, recorder, handover giver and taker).
pub fn parties_named<'e>(events: impl IntoIterator<Item = &'e Event>) -> BTreeSet<(EntityKind, String)> {
    let mut parties = BTreeSet::new();
    for event in events {
        parties.extend([&event.actor.party, &event.recorder.party].map(|p| (EntityKind::Party, p.0.clone())));
        if let EventKind::Handover { from, to } = &event.kind {
            parties.extend([from, to].map(|p| (EntityKind::Party, p.0.clone())));
        }
    }
    parties
}

/// Reads the registers of `entities` not in `registers` yet.
pub async fn add_registers<S: Storage>(
    storage: &S,
    coop: &str,
    registers: &mut BTreeMap<(EntityKind, String), Registers>,
    entities: BTreeSet<(EntityKind, String)>,
) -> Result<(), StorageError> {
    let missing: Vec<_> = entities.into_iter().filter(|entity| !registers.contains_key(entity)).collect();
    if !missing.is_empty() {
        registers.extend(storage.registers_of(coop, missing).await?);
    }
    Ok(())
}

/// The events of `page` that still count (voided ones left out), in causal order.
pub fn standing(page: &HistoryPage) -> Vec<&Event> {
    let voided = page.corrections();
    page.events.iter().filter(|event| !voided.contains_key(&event.id)).collect()
}
