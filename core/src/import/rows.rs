//! One row → one event: a farm record made for the farmer (actor) by the assistant (recorder), or
//! a lot's metadata as an `Update`. Ids are derived from the row's normalized content.

use super::columns::{documented, Field, Header};
use super::{values, Cell, Problem};
use crate::farm::Activity;
use crate::model::{
    Actor, BizStep, DeviceId, EntityKind, Event, EventId, EventKind, FarmRecord, LotId, PartyId, Quantity, Recorder,
    Role, Update,
};
use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Who imports, and how to read dates.
#[derive(Debug, Clone)]
pub struct ImportContext {
    /// The co-op the assistant belongs to (part of every derived id).
    pub coop: String,
    /// The assistant (or manager) importing: the recorder of every event.
    pub recorder: Actor,
    pub device: DeviceId,
    /// The co-op's UTC offset: dates in the sheet are its calendar days.
    pub utc_offset: FixedOffset,
    /// Dates after this day are refused as typing mistakes.
    pub latest_date: NaiveDate,
}

/// What one row came to.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    /// Nothing in it: skipped without a word.
    Blank,
    Event(Box<Event>),
    Problems(Vec<Problem>),
}

/// What a row says, normalized: the input to the derived id, so two spellings of the same
/// record (`2026/9/1` and `2026-09-01`, `喷药` and `spraying`) are the same record.
#[derive(Debug, Default, Serialize)]
struct Record {
    date: NaiveDate,
    time: Option<NaiveTime>,
    farmer: String,
    /// An activity key, or `lot` for a lot row.
    activity: String,
    plot: Option<String>,
    lot: Option<String>,
    input: Option<String>,
    amount: Option<(f64, String)>,
    phi: Option<u32>,
    grade: Option<String>,
    product: Option<String>,
    variety: Option<String>,
    note: Option<String>,
}

const LOT_ROW: &str = "lot";
/// Longest text accepted in a name-like cell (ids, plot, pesticide, grade...).
const MAX_TEXT: usize = 256;

/// Maps rows under one header; remembers identical rows so each copy gets its own id.
pub struct RowMapper {
    header: Header,
    context: ImportContext,
    seen: HashMap<[u8; 32], u32>,
}

impl RowMapper {
    pub fn new(header: Header, context: ImportContext) -> Self {
        Self { header, context, seen: HashMap::new() }
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Maps the row numbered `row` (1-based, as the sheet shows it).
    pub fn map_row(&mut self, row: usize, cells: &[Cell]) -> RowOutcome {
        if cells.iter().all(Cell::is_blank) {
            return RowOutcome::Blank;
        }
        let mut reader = RowReader { header: &self.header, row, cells, problems: Vec::new() };
        let record = reader.record(&self.context);
        let mut problems = reader.problems;
        let Some(record) = record.filter(|_| problems.is_empty()) else {
            return RowOutcome::Problems(problems);
        };
        match self.event(&record) {
            Ok(event) => RowOutcome::Event(Box::new(event)),
            Err(reason) => {
                problems.push(Problem { row, column: None, reason });
                RowOutcome::Problems(problems)
            }
        }
    }

    fn event(&mut self, record: &Record) -> Result<Event, String> {
        let ctx = &self.context;
        let canonical = serde_json::to_vec(record).map_err(|e| format!("cannot normalize the row: {e}"))?;
        let content = Sha256::digest(&canonical);
        let copy = self.seen.entry(content.into()).or_insert(0);
        let id = derived_id(&ctx.coop, &ctx.recorder.party, &content, *copy);
        *copy += 1;

        let farmer = PartyId::new(record.farmer.clone());
        let local = values::at(record.date, record.time);
        let recorded_at = ctx
            .utc_offset
            .from_local_datetime(&local)
            .single()
            .ok_or_else(|| format!("{local} does not exist in UTC offset {}", ctx.utc_offset))?;
        let (kind, actor) = if record.activity == LOT_ROW {
            let mut update = Update::new(EntityKind::Lot, record.lot.clone().unwrap_or_default())
                .set("farm", farmer.0.clone())
                .set("harvest_date", record.date.to_string());
            for (field, value) in [
                ("product", &record.product),
                ("variety", &record.variety),
                ("plot", &record.plot),
                ("grade", &record.grade),
            ] {
                if let Some(value) = value {
                    update = update.set(field, value.clone());
                }
            }
            // Entering a lot is the assistant's own act; the farmer is the lot's farm.
            (EventKind::Update(update), ctx.recorder.clone())
        } else {
            let record_kind = EventKind::FarmRecord(FarmRecord {
                activity: record.activity.clone(),
                plot: record.plot.clone(),
                input: record.input.clone(),
                amount: record.amount.clone().map(|(value, unit)| Quantity { value, unit }),
                pre_harvest_interval_days: record.phi,
                grade: record.grade.clone(),
            });
            let actor = if farmer == ctx.recorder.party {
                ctx.recorder.clone()
            } else {
                Actor { party: farmer, role: Role::Farmer }
            };
            (record_kind, actor)
        };
        let role = ctx.recorder.role;
        if !role.may_record(&kind) {
            return Err(format!("a {} may not record {}", role.key(), row_kind(record)));
        }
        if actor.party != ctx.recorder.party && !role.may_record_for_others() {
            return Err(format!("a {} may record only their own work, not {}'s", role.key(), actor.party));
        }
        let event = Event {
            id,
            step: (record.activity == Activity::Harvest.key()).then_some(BizStep::Harvesting),
            disposition: None,
            codes: Vec::new(),
            lot: record.lot.clone().map(LotId),
            actor,
            recorder: Recorder { party: ctx.recorder.party.clone(), device: ctx.device },
            location: None,
            recorded_at,
            hlc: Default::default(),
            note: record.note.clone(),
            photos: Vec::new(),
            sensors: Vec::new(),
            kind,
        };
        event.validate().map_err(|e| e.to_string())?;
        Ok(event)
    }
}

fn row_kind(record: &Record) -> String {
    if record.activity == LOT_ROW {
        "lots".to_owned()
    } else {
        format!("{} records", record.activity)
    }
}

/// A UUID (version 8, RFC 9562 custom) from SHA-256 over the co-op, the recorder, the row's
/// normalized content and which identical copy in the file it is.
fn derived_id(coop: &str, recorder: &PartyId, content: &[u8], copy: u32) -> EventId {
    let mut hash = Sha256::new();
    hash.update(b"fieldtrace-import/v1\0");
    hash.update(coop.as_bytes());
    hash.update(b"\0");
    hash.update(recorder.0.as_bytes());
    hash.update(b"\0");
    hash.update(content);
    hash.update(copy.to_le_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    EventId(uuid::Builder::from_custom_bytes(bytes).into_uuid())
}

/// Reads one row's cells into a `Record`, collecting every problem rather than stopping at one.
struct RowReader<'a> {
    header: &'a Header,
    row: usize,
    cells: &'a [Cell],
    problems: Vec<Problem>,
}

impl RowReader<'_> {
    fn problem(&mut self, field: Field, reason: String) {
        let column = self.index(field).map(|i| self.header.column(i));
        self.problems.push(Problem { row: self.row, column, reason });
    }

    fn index(&self, field: Field) -> Option<usize> {
        self.header.fields.iter().position(|f| *f == Some(field))
    }

    fn cell(&self, field: Field) -> Option<&Cell> {
        self.index(field).and_then(|i| self.cells.get(i)).filter(|c| !c.is_blank())
    }

    fn text(&mut self, field: Field) -> Option<String> {
        let text = self.cell(field)?.text();
        if text.chars().count() > MAX_TEXT || text.chars().any(char::is_control) {
            self.problem(field, format!("longer than {MAX_TEXT} characters or has control characters"));
            return None;
        }
        Some(text)
    }

    fn parsed<T>(&mut self, field: Field, parse: impl FnOnce(&Cell) -> Result<T, String>) -> Option<T> {
        let result = parse(self.cell(field)?);
        result.map_err(|reason| self.problem(field, reason)).ok()
    }

    fn required(&mut self, field: Field, what: &str) {
        if self.cell(field).is_none() {
            let reason = format!("{what} needs a {}", documented(field));
            self.problem(field, reason);
        }
    }

    fn not_for(&mut self, field: Field, what: &str) {
        if self.cell(field).is_some() {
            let reason = format!("{what} has no {}; leave it empty", documented(field));
            self.problem(field, reason);
        }
    }

    fn record(&mut self, context: &ImportContext) -> Option<Record> {
        // Columns without a header must be empty: a value there would be silently lost.
        for (index, cell) in self.cells.iter().enumerate() {
            if !cell.is_blank() && self.header.fields.get(index).copied().flatten().is_none() {
                let column = Some(self.header.column(index));
                self.problems.push(Problem { row: self.row, column, reason: "a value under no header".into() });
            }
        }
        let activity = if self.header.has(Field::Activity) {
            match self.cell(Field::Activity).map(Cell::text) {
                None => {
                    self.problem(Field::Activity, "no activity (e.g. 施肥, 打药, 采收, 批次)".into());
                    None
                }
                Some(text) if matches!(text.trim().to_lowercase().as_str(), "批次" | "建批" | "lot") => {
                    Some(LOT_ROW.to_owned())
                }
                Some(text) => match Activity::from_text(&text) {
                    Some(activity) => Some(activity.key().to_owned()),
                    None => {
                        let reason = format!("unknown activity {text:?}; known: {}", known_activities());
                        self.problem(Field::Activity, reason);
                        None
                    }
                },
            }
        } else {
            Some(LOT_ROW.to_owned())
        };
        let date = match self.cell(Field::Date) {
            None => {
                self.problem(Field::Date, "no date".into());
                None
            }
            Some(_) => self.parsed(Field::Date, values::date),
        };
        if let Some((day, _)) = date.filter(|(day, _)| *day > context.latest_date) {
            self.problem(Field::Date, format!("{day} is in the future"));
        }
        let time = self.parsed(Field::Time, values::time).or(date.and_then(|(_, time)| time));
        let farmer = self.text(Field::Farmer);
        if farmer.is_none() {
            self.required(Field::Farmer, "every row");
        }
        let mut record = Record {
            date: date.map(|(day, _)| day).unwrap_or_default(),
            time,
            farmer: farmer.unwrap_or_default(),
            activity: activity.clone().unwrap_or_default(),
            plot: self.text(Field::Plot),
            lot: self.text(Field::Lot),
            input: self.text(Field::Input),
            phi: self.parsed(Field::Phi, values::days),
            grade: self.text(Field::Grade),
            product: self.text(Field::Product),
            variety: self.text(Field::Variety),
            note: self.text(Field::Note),
            amount: None,
        };
        let activity = activity?;
        self.check_columns_for(&activity, &mut record);
        Some(record)
    }

    /// Which columns each kind of row needs or must leave empty, and the amount with its unit.
    fn check_columns_for(&mut self, activity: &str, record: &mut Record) {
        let what = if activity == LOT_ROW { "a lot row".to_owned() } else { format!("a {activity} row") };
        let (amount_field, required, forbidden): (Option<Field>, &[Field], &[Field]) =
            match Activity::from_key(activity) {
                None => (None, &[Field::Lot], &[Field::Input, Field::Dose, Field::Quantity, Field::Phi]),
                Some(Activity::Spraying) => {
                    (Some(Field::Dose), &[Field::Input, Field::Dose, Field::Phi], &[Field::Quantity])
                }
                Some(Activity::Harvest) => {
                    (Some(Field::Quantity), &[Field::Quantity], &[Field::Dose, Field::Phi, Field::Input])
                }
                Some(_) => (Some(Field::Dose), &[], &[Field::Quantity, Field::Phi]),
            };
        for field in required {
            self.required(*field, &what);
        }
        for field in forbidden {
            self.not_for(*field, &what);
        }
        if activity != LOT_ROW {
            // Product and variety belong to the lot: set them on a lot row.
            self.not_for(Field::Product, &what);
            self.not_for(Field::Variety, &what);
        }
        let Some(field) = amount_field else { return };
        let Some((value, unit)) = self.parsed(field, values::amount) else { return };
        let hint = self.index(field).and_then(|i| self.header.unit_hints[i].clone());
        match unit.or_else(|| self.text(Field::Unit)).or(hint) {
            Some(unit) => record.amount = Some((value, unit)),
            None => self.problem(field, "no unit: write it after the number (30ml) or fill 单位/unit".into()),
        }
    }
}

fn known_activities() -> String {
    let mut names: Vec<String> = Activity::ALL.into_iter().map(|a| format!("{}/{}", a.aliases()[0], a.key())).collect();
    names.push("批次/lot".into());
    names.join(", ")
}
