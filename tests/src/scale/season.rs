//! A co-op's harvest season as events, day by day, deterministic from a seed, so the benchmark
//! measures the same co-op on every run and at every size. Each day: the villages' lots are named
//! (`Update` on the lot), farmers tap every crate they pick (`Report`, harvesting, ~5 % abnormal,
//! some recorded by the village assistant, a few undone and re-tapped), the assistant packs crates
//! into SSCC boxes, checks them into the village store and stacks boxes onto pallets with a
//! logger; next morning a driver takes each village's pallets (`Update` on the trip with its
//! manifest, handover from the assistant, loading, departure, delivery), hands them to the cold
//! store, reads the loggers on arrival (hourly `SensorReading`s, a rare `Excursion`) and the cold
//! store checks each pallet in (see `trips`). The first day also names every party. After the
//! season, cold-store spot checks pad the log to exactly the asked number of events.
//!
//! Nothing here is tuned to the server: the mix follows how the co-op works (docs/aggregation.md,
//! handover.md, sensors.md), and sizes change only how many crates are picked per day.

mod trips;

use super::cast::*;
use fieldtrace_core::model::*;
use std::collections::BTreeMap;

/// The lot the lot page and the EPCIS export are measured on: village 0's crates of the 35 % of
/// the season's days around its peak.
pub const BIG_LOT: &str = "K26-BIG-XUXIANG";
const UNITS_PER_BOX: usize = 10;
const BOXES_PER_PALLET: usize = 8;
/// Unit codes kept for the trace-page measurements, spread evenly over the season's crates.
const SAMPLE_CODES: u64 = 1_000;
const REASONS: [AbnormalReason; 4] =
    [AbnormalReason::Bruised, AbnormalReason::Bruised, AbnormalReason::Rotten, AbnormalReason::Other];

/// What the season holds, for the measurements and the report. Crates count only when stored;
/// boxes, pallets and trips as made (the last of them may be cut off at the target size).
#[derive(Debug, Default, Clone)]
pub struct SeasonInfo {
    pub units: u64,
    pub boxes: u64,
    pub pallets: u64,
    pub trips: u64,
    pub abnormal_taps: u64,
    pub big_lot_units: u64,
    pub big_lot_events: u64,
    /// Crates tapped normal exactly once (so no alert names them yet), evenly spread over the
    /// season, with the day they were picked: trace pages look them up, and one of them is
    /// reported abnormal downstream to time the alert.
    pub sample_codes: Vec<(u64, String)>,
    /// Every lot, in the order they were named.
    pub lots: Vec<String>,
    /// The first unit number no crate of the season has: fresh codes for the measured phones.
    pub next_unit: u64,
    /// Events per kind key.
    pub kinds: BTreeMap<&'static str, u64>,
}

/// An abnormal finding of the season, for filing the alerts a server running all season would
/// have filed (the rules themselves are too slow to replay over a whole season; see `history`).
#[derive(Debug, Clone)]
pub struct Finding {
    pub event: Event,
    /// The parties the rule would notify, as far as the generator knows them.
    pub recipients: Vec<String>,
}

/// One village's day of goods on their way: the lot, its pallets and their loggers.
struct Shipment {
    village: usize,
    day: u64,
    pallets: Vec<String>,
    /// `(logger id, box it rides in)`, one per pallet.
    loggers: Vec<(String, String)>,
    lot: String,
}

pub struct Season {
    rng: Rng,
    cast: Cast,
    clocks: Vec<fieldtrace_core::clock::HybridClock>,
    target: u64,
    emitted: u64,
    units_total: u64,
    sample_every: u64,
    days: u64,
    big_days: std::ops::Range<u64>,
    weights: Vec<f64>,
    day: u64,
    next_box: u64,
    next_pallet: u64,
    shipments: Vec<Shipment>,
    out: Vec<Event>,
    findings: Vec<Finding>,
    pub info: SeasonInfo,
}

impl Season {
    /// A season of `days` harvest days and exactly `target` events (`u64::MAX`: no padding, for
    /// the probes of [`units_for`]), with about `units_total` harvested crates.
    pub fn new(seed: u64, target: u64, units_total: u64, days: u64) -> Self {
        let days = days.max(1);
        let mut rng = Rng::new(seed);
        let cast = Cast::new(&mut rng);
        let clocks = cast.clocks();
        // More picking at the height of the season than at its ends.
        let weights: Vec<f64> =
            (0..days).map(|d| 0.4 + (std::f64::consts::PI * (d as f64 + 0.5) / days as f64).sin()).collect();
        let sum: f64 = weights.iter().sum();
        let weights = weights.into_iter().map(|w| w / sum).collect();
        Self {
            rng,
            cast,
            clocks,
            target,
            emitted: 0,
            units_total,
            sample_every: (units_total / SAMPLE_CODES).max(1),
            days,
            big_days: days * 30 / 100..(days * 65 / 100).max(days * 30 / 100 + 1),
            weights,
            day: 0,
            next_box: 0,
            next_pallet: 0,
            shipments: Vec::new(),
            out: Vec::new(),
            findings: Vec::new(),
            info: SeasonInfo::default(),
        }
    }

    pub fn members(&self) -> &[Member] {
        &self.cast.members
    }

    /// Events of the next day (or, after the season, of the padding to `target`); `None` once
    /// `target` events were made.
    pub fn next_day(&mut self) -> Option<Vec<Event>> {
        if self.full() {
            return None;
        }
        let day = self.day;
        self.day += 1;
        for shipment in std::mem::take(&mut self.shipments) {
            self.trip(shipment);
        }
        if day == 0 {
            self.name_parties();
        }
        if day < self.days {
            self.harvest_day(day);
        } else if self.target != u64::MAX {
            self.inspections(day);
        }
        Some(std::mem::take(&mut self.out))
    }

    /// The abnormal findings among the events returned so far (taken: each is returned once).
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// The season's day `day` at `hours` past midnight, in Unix milliseconds.
    pub fn at(day: u64, hours: u64) -> u64 {
        SEASON_START_MS + day * DAY_MS + hours * HOUR_MS
    }

    fn full(&self) -> bool {
        self.emitted >= self.target
    }

    /// Emits `event` unless the season already has `target` events; returns whether it did.
    fn push(&mut self, event: Event) -> bool {
        if self.full() {
            return false;
        }
        self.emitted += 1;
        *self.info.kinds.entry(event.kind.key()).or_default() += 1;
        if event.lot.as_ref().is_some_and(|lot| lot.as_str() == BIG_LOT) {
            self.info.big_lot_events += 1;
        }
        self.out.push(event);
        true
    }

    /// Emits an abnormal `event` and remembers it as a finding that notifies `recipients`;
    /// returns whether it was emitted.
    fn push_finding(&mut self, event: Event, recipients: Vec<String>) -> bool {
        let finding = Finding { event: event.clone(), recipients };
        let emitted = self.push(event);
        if emitted {
            self.findings.push(finding);
        }
        emitted
    }

    /// An event recorded by member `recorder` at `at`, acting for `actor` (default: themselves).
    fn event(&mut self, recorder: usize, actor: Option<Actor>, at: u64, kind: EventKind, codes: Vec<String>) -> Event {
        let member = &self.cast.members[recorder];
        let actor = actor.unwrap_or_else(|| Actor { party: member.party.clone(), role: member.role });
        let recorder_id = Recorder { party: member.party.clone(), device: member.device };
        let hlc = self.clocks[recorder].tick(at);
        Event {
            id: self.rng.event_id(at),
            kind,
            step: None,
            disposition: None,
            codes,
            lot: None,
            actor,
            recorder: recorder_id,
            location: None,
            recorded_at: local_time(at),
            hlc,
            note: None,
            photos: Vec::new(),
            sensors: Vec::new(),
        }
    }

    /// A report at `step` on `codes` of `lot` with disposition `disposition`.
    #[allow(clippy::too_many_arguments)]
    fn report(
        &mut self,
        recorder: usize,
        actor: Option<Actor>,
        at: u64,
        step: BizStep,
        codes: Vec<String>,
        lot: &str,
        disposition: Disposition,
    ) -> Event {
        let mut event = self.event(recorder, actor, at, EventKind::Report, codes);
        event.step = Some(step);
        event.lot = Some(LotId::new(lot));
        event.disposition = Some(disposition);
        event
    }

    fn update(&mut self, recorder: usize, at: u64, update: Update) {
        let event = self.event(recorder, None, at, EventKind::Update(update), Vec::new());
        self.push(event);
    }

    fn name_parties(&mut self) {
        let at = Self::at(0, 6);
        let parties: Vec<(String, &str, String, &str)> = [
            (COOP_PARTY.to_owned(), "coop", COOP_NAME.to_owned(), "610124"),
            (COLD_STORE.to_owned(), "warehouse", "西安朱雀冷库".to_owned(), "610113"),
            (MANAGER.to_owned(), "coop", "陈经理".to_owned(), "610124"),
        ]
        .into_iter()
        .chain((0..VILLAGES).map(|v| (farm_party(v), "farm", format!("{}村猕猴桃园", VILLAGE_NAMES[v]), "610124")))
        .chain((0..VILLAGES).map(|v| (assistant_party(v), "coop", format!("{}村协管员", VILLAGE_NAMES[v]), "610124")))
        .chain((0..DRIVERS).map(|d| (driver_party(d), "carrier", format!("{d}号车冷链"), "610100")))
        .chain((0..VILLAGES * FARMERS_PER_VILLAGE).map(|f| {
            let (v, j) = (f / FARMERS_PER_VILLAGE, f % FARMERS_PER_VILLAGE);
            (farmer_party(v, j), "farm", format!("{}村{j}号农户", VILLAGE_NAMES[v]), "610124")
        }))
        .collect();
        for (n, (id, kind, name, region)) in parties.into_iter().enumerate() {
            let mut update =
                Update::new(EntityKind::Party, id).set("kind", kind).set("name", name).set("region", region);
            if kind == "farm" && n % 7 == 0 {
                update = update.set("story", "秦岭北麓的老果园，三代人种猕猴桃，施有机肥，人工授粉。");
            }
            self.update(Cast::manager(), at + n as u64 * 1_000, update);
        }
    }

    fn lot_of(&self, day: u64, village: usize) -> String {
        if village == 0 && self.big_days.contains(&day) {
            return BIG_LOT.to_owned();
        }
        let date = local_time(Self::at(day, 0)).format("%m%d");
        format!("K26-{date}-V{village:02}")
    }

    /// Each village's lot of the day; a lot is named (its register written) the first day it is
    /// picked into.
    fn name_lots(&mut self, day: u64) -> Vec<String> {
        let date = local_time(Self::at(day, 0)).date_naive();
        let mut lots = Vec::with_capacity(VILLAGES);
        for v in 0..VILLAGES {
            let lot = self.lot_of(day, v);
            lots.push(lot.clone());
            if self.info.lots.contains(&lot) {
                continue;
            }
            let variety = if lot == BIG_LOT { VARIETIES[0] } else { VARIETIES[v % VARIETIES.len()] };
            let mut update = Update::new(EntityKind::Lot, lot.clone())
                .set("product", "猕猴桃")
                .set("variety", variety)
                .set("farm", farm_party(v))
                .set("harvest_date", date.to_string())
                .set("grade", if v % 3 == 2 { "B" } else { "A" })
                .set("temp_min", "0")
                .set("temp_max", "5");
            if self.rng.chance(0.1) {
                update = update.set("expiry_date", (date + chrono::Days::new(150)).to_string());
            }
            self.update(Cast::assistant(v), Self::at(day, 7) + v as u64 * 60_000, update);
            self.info.lots.push(lot);
        }
        lots
    }

    fn harvest_day(&mut self, day: u64) {
        let lots = self.name_lots(day);
        let units = (self.units_total as f64 * self.weights[day as usize]).round().max(1.0) as u64;
        let mut crates: Vec<Vec<String>> = vec![Vec::new(); VILLAGES];
        for i in 0..units {
            let at = Self::at(day, 8) + i * (8 * HOUR_MS) / units + self.rng.below(20_000);
            let v = self.rng.below(VILLAGES as u64) as usize;
            let code = self.harvest_tap(day, v, &lots[v], at);
            crates[v].push(code);
        }
        for (v, units) in crates.into_iter().enumerate() {
            if !units.is_empty() {
                self.pack_village(day, v, &lots[v], units);
            }
        }
    }

    /// A farmer of village `v` picks a crate and taps it (sometimes the assistant records it for
    /// them); returns the crate's code.
    fn harvest_tap(&mut self, day: u64, v: usize, lot: &str, at: u64) -> String {
        let farmer = Cast::farmer(v, self.rng.below(FARMERS_PER_VILLAGE as u64) as usize);
        let n = self.info.next_unit;
        self.info.next_unit += 1;
        let code = unit_code(n);
        let recorder = if self.rng.chance(0.08) { Cast::assistant(v) } else { farmer };
        let member = &self.cast.members[farmer];
        let actor = Actor { party: member.party.clone(), role: member.role };
        let mut disposition = if self.rng.chance(0.05) {
            Disposition::Abnormal(REASONS[self.rng.below(REASONS.len() as u64) as usize])
        } else {
            Disposition::Normal
        };
        let mut tap =
            self.report(recorder, Some(actor.clone()), at, BizStep::Harvesting, vec![code.clone()], lot, disposition);
        let jitter = (self.rng.below(2_000) as f64 - 1_000.0) / 100_000.0;
        let gps = GeoPoint { lat: 34.06 + v as f64 * 0.01 + jitter, lon: 108.2 + jitter, accuracy_m: Some(8.0) };
        tap.location = Some(Location { gps: Some(gps), place: None });
        if disposition != Disposition::Normal && self.rng.chance(0.2) {
            tap.note = Some("果面有伤，单独放".to_owned());
        }
        let tap_id = tap.id;
        let mut events = vec![tap];
        let retapped = self.rng.chance(0.003);
        if retapped {
            // Wrong button: undone within the minute and tapped again with the other answer.
            let mut undo = self.event(
                recorder,
                Some(actor.clone()),
                at + 20_000,
                EventKind::Correction { voids: tap_id },
                vec![code.clone()],
            );
            undo.step = Some(BizStep::Harvesting);
            undo.lot = Some(LotId::new(lot));
            events.push(undo);
            disposition = match disposition {
                Disposition::Normal => Disposition::Abnormal(AbnormalReason::Bruised),
                _ => Disposition::Normal,
            };
            let again = self.report(
                recorder,
                Some(actor),
                at + 30_000,
                BizStep::Harvesting,
                vec![code.clone()],
                lot,
                disposition,
            );
            events.push(again);
        }
        let last = events.len() - 1;
        let mut emitted = true;
        for (i, event) in events.into_iter().enumerate() {
            emitted &= if i == last && disposition != Disposition::Normal {
                self.push_finding(event, vec![farm_party(v)])
            } else {
                self.push(event)
            };
        }
        // Once the season is full, crates are still packed (their events dropped too) but not
        // counted: the counts describe what was stored.
        if !emitted {
            return code;
        }
        if disposition != Disposition::Normal {
            self.info.abnormal_taps += 1;
        }
        self.info.units += 1;
        if lot == BIG_LOT {
            self.info.big_lot_units += 1;
        }
        if n % self.sample_every == self.sample_every / 2 && disposition == Disposition::Normal && !retapped {
            self.info.sample_codes.push((day, code.clone()));
        }
        code
    }

    /// Boxes of ten crates (checked into the village store), pallets of eight boxes with a logger.
    fn pack_village(&mut self, day: u64, v: usize, lot: &str, units: Vec<String>) {
        let assistant = Cast::assistant(v);
        let mut at = Self::at(day, 16) + v as u64 * 120_000;
        let mut boxes = Vec::new();
        for chunk in units.chunks(UNITS_PER_BOX) {
            let code = sscc_code(0, self.next_box);
            self.next_box += 1;
            self.info.boxes += 1;
            let kind = EventKind::Aggregation { parent: code.clone(), action: AggregationAction::Pack };
            let mut pack = self.event(assistant, None, at, kind, chunk.to_vec());
            pack.step = Some(BizStep::Packing);
            pack.lot = Some(LotId::new(lot));
            self.push(pack);
            let crushed = self.rng.chance(0.01);
            let disposition =
                if crushed { Disposition::Abnormal(AbnormalReason::CrushedPackage) } else { Disposition::Normal };
            let check =
                self.report(assistant, None, at + 5_000, BizStep::WarehouseIn, vec![code.clone()], lot, disposition);
            if crushed {
                self.push_finding(check, vec![farm_party(v)]);
            } else {
                self.push(check);
            }
            boxes.push(code);
            at += 15_000;
        }
        let mut at = Self::at(day, 18) + v as u64 * 120_000;
        let (mut pallets, mut loggers) = (Vec::new(), Vec::new());
        for chunk in boxes.chunks(BOXES_PER_PALLET) {
            let serial = self.next_pallet;
            let code = sscc_code(1, serial);
            self.next_pallet += 1;
            self.info.pallets += 1;
            let kind = EventKind::Aggregation { parent: code.clone(), action: AggregationAction::Pack };
            let mut stack = self.event(assistant, None, at, kind, chunk.to_vec());
            stack.step = Some(BizStep::Packing);
            stack.lot = Some(LotId::new(lot));
            self.push(stack);
            // The pallet's logger rides in its first box (docs/sensors.md: loggers travel in boxes).
            let logger = format!("LG-{serial:07}");
            let link = Update::new(EntityKind::Logger, logger.clone()).set("box", chunk[0].clone()).set("lot", lot);
            self.update(assistant, at + 10_000, link);
            loggers.push((logger, chunk[0].clone()));
            pallets.push(code);
            at += 60_000;
        }
        self.shipments.push(Shipment { village: v, day, pallets, loggers, lot: lot.to_owned() });
    }
}

/// Harvest days for a season of `target` events: the whole 100 days from 100,000 events on,
/// fewer for the small sizes used while developing (each village-day costs ~20 events).
pub fn season_days(target: u64) -> u64 {
    (target / 1_000).clamp(4, SEASON_DAYS)
}

/// How many crates a season of `target` events has. Events grow with crates almost but not quite
/// linearly (a village-day's pallets are rounded up, so below 80 crates a village-day a pallet's
/// dozen events are a fixed cost, above it a per-crate one), so a line through small probes
/// misses; instead a few proportional steps on full-size probe seasons, generated but not stored,
/// find the crate count (each step shrinks the error by the fixed share, a few per cent).
pub fn units_for(seed: u64, target: u64) -> u64 {
    let days = season_days(target);
    let count = |units: u64| {
        let mut probe = Season::new(seed, u64::MAX, units, days);
        let mut events = 0u64;
        // Day `days` carries the last day's trips.
        while probe.day <= days {
            events += probe.next_day().map_or(0, |day| day.len() as u64);
        }
        events.max(1)
    };
    // About 1.4 events per crate at full size: a tap, a box's share, a pallet's share.
    let mut units = (target as f64 / 1.4).max(days as f64);
    for _ in 0..3 {
        units = (units * target as f64 / count(units as u64) as f64).max(days as f64);
    }
    // About 1 % left for the spot checks that pad the log to exactly `target`.
    (units * 0.99).max(days as f64) as u64
}

#[cfg(test)]
mod tests;
