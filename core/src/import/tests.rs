//! Rows to events: both header languages, every kind of bad row, stable derived ids.

use super::*;
use crate::model::{Actor, DeviceId, EntityKind, Event, EventKind, PartyId, Role};
use chrono::{FixedOffset, NaiveDate};

fn context() -> ImportContext {
    ImportContext {
        coop: "coop-zz".into(),
        recorder: Actor { party: PartyId::new("assistant-wang"), role: Role::Assistant },
        device: DeviceId::new(),
        utc_offset: FixedOffset::east_opt(8 * 3600).expect("UTC+8"),
        latest_date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
    }
}

fn row(cells: &[&str]) -> Vec<Cell> {
    cells.iter().map(|c| if c.is_empty() { Cell::Empty } else { Cell::Text((*c).to_owned()) }).collect()
}

fn mapper(header: &[&str], context: ImportContext) -> RowMapper {
    RowMapper::new(Header::parse(&row(header), 1).expect("header"), context)
}

const ZH: [&str; 10] = ["日期", "农户", "地块", "批次", "作业", "农药", "用量", "安全间隔期(天)", "数量", "等级"];
const EN: [&str; 10] = ["date", "farmer", "plot", "lot", "activity", "pesticide", "dose", "PHI", "quantity", "grade"];

fn event(outcome: RowOutcome) -> Event {
    match outcome {
        RowOutcome::Event(event) => *event,
        other => panic!("expected an event, got {other:?}"),
    }
}

fn problems(outcome: RowOutcome) -> Vec<String> {
    match outcome {
        RowOutcome::Problems(problems) => problems.iter().map(ToString::to_string).collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn a_chinese_spraying_row_becomes_a_farm_record_for_the_farmer_by_the_assistant() {
    let ctx = context();
    let mut rows = mapper(&ZH, ctx.clone());
    let spray =
        event(rows.map_row(2, &row(&["2026/9/1", "farmer-li", "A1", "", "喷药", "吡虫啉", "30ml", "14", "", ""])));
    let EventKind::FarmRecord(record) = &spray.kind else { panic!("not a farm record: {:?}", spray.kind) };
    assert_eq!(record.activity, "spraying");
    assert_eq!((record.plot.as_deref(), record.input.as_deref()), (Some("A1"), Some("吡虫啉")));
    assert_eq!(record.amount.as_ref().map(|q| (q.value, q.unit.as_str())), Some((30.0, "ml")));
    assert_eq!(record.pre_harvest_interval_days, Some(14));
    assert_eq!(spray.actor, Actor { party: PartyId::new("farmer-li"), role: Role::Farmer });
    assert_eq!((spray.recorder.party.as_str(), spray.recorder.device), ("assistant-wang", ctx.device));
    assert_eq!(spray.recorded_at.to_rfc3339(), "2026-09-01T12:00:00+08:00");

    let harvest =
        event(rows.map_row(3, &row(&["2026-09-20", "farmer-li", "A1", "LOT-7", "采收", "", "", "", "500 斤", "一级"])));
    let EventKind::FarmRecord(record) = &harvest.kind else { panic!("not a farm record") };
    assert_eq!((record.activity.as_str(), record.grade.as_deref()), ("harvest", Some("一级")));
    assert_eq!(record.amount.as_ref().map(|q| q.unit.as_str()), Some("斤"));
    assert_eq!(harvest.lot.as_ref().map(|l| l.as_str()), Some("LOT-7"));
    assert_eq!(harvest.step, Some(crate::model::BizStep::Harvesting));
}

#[test]
fn english_headers_and_values_give_the_same_ids_as_chinese_ones() {
    let mut zh = mapper(&ZH, context());
    let mut en = mapper(&EN, context());
    let a =
        event(zh.map_row(2, &row(&["2026年9月1日", "farmer-li", "A1", "", "打药", "吡虫啉", "30ml", "14天", "", ""])));
    let b =
        event(en.map_row(9, &row(&["2026-09-01", "farmer-li", "A1", "", "Spraying", "吡虫啉", "30 ml", "14", "", ""])));
    assert_eq!(a.id, b.id, "same record, different spelling and row");
    assert_eq!(a.id.0.get_version_num(), 8);
    let mut other_assistant = context();
    other_assistant.recorder.party = PartyId::new("assistant-zhao");
    let mut zhao = mapper(&ZH, other_assistant);
    let c =
        event(zhao.map_row(2, &row(&["2026-09-01", "farmer-li", "A1", "", "打药", "吡虫啉", "30ml", "14", "", ""])));
    assert_ne!(a.id, c.id, "another assistant's record is another event");
}

#[test]
fn identical_rows_in_one_file_are_distinct_events_and_stable_across_runs() {
    let line = row(&["2026-09-01", "farmer-li", "A1", "", "施肥", "尿素", "20kg", "", "", ""]);
    let ids = |mut rows: RowMapper| [event(rows.map_row(2, &line)).id, event(rows.map_row(3, &line)).id];
    let first = ids(mapper(&ZH, context()));
    let again = ids(mapper(&ZH, context()));
    assert_ne!(first[0], first[1]);
    assert_eq!(first, again);
}

#[test]
fn bad_rows_name_their_row_column_and_reason() {
    let mut rows = mapper(&ZH, context());
    let cases: [(&[&str], &str); 8] = [
        (
            &["2026-02-30", "farmer-li", "A1", "", "施肥", "", "", "", "", ""],
            "row 2, column A (日期): \"2026-02-30\" is not a date",
        ),
        (
            &["2026-09-01", "farmer-li", "A1", "", "跳舞", "", "", "", "", ""],
            "row 2, column E (作业): unknown activity \"跳舞\"",
        ),
        (
            &["2026-09-01", "farmer-li", "A1", "", "打药", "吡虫啉", "-5ml", "14", "", ""],
            "row 2, column G (用量): -5ml is negative",
        ),
        (
            &["2026-09-01", "", "A1", "", "施肥", "", "", "", "", ""],
            "row 2, column B (农户): every row needs a 农户/farmer",
        ),
        (
            &["2026-09-01", "farmer-li", "A1", "", "打药", "", "30ml", "", "", ""],
            "row 2, column F (农药): a spraying row needs a 农药/pesticide",
        ),
        (
            &["2026-09-01", "farmer-li", "A1", "", "采收", "", "", "", "", ""],
            "row 2, column I (数量): a harvest row needs a 数量/quantity",
        ),
        (&["2026-09-01", "farmer-li", "A1", "", "施肥", "", "20", "", "", ""], "row 2, column G (用量): no unit"),
        (
            &["2027-01-01", "farmer-li", "A1", "", "施肥", "", "", "", "", ""],
            "row 2, column A (日期): 2027-01-01 is in the future",
        ),
    ];
    for (cells, expected) in cases {
        let found = problems(rows.map_row(2, &row(cells)));
        assert!(found.iter().any(|p| p.starts_with(expected)), "{expected}\n  got {found:?}");
    }
    // Several problems in one row are all reported.
    let many = problems(rows.map_row(5, &row(&["someday", "", "A1", "", "采收", "敌敌畏", "", "", "", ""])));
    assert_eq!(many.len(), 4, "{many:?}");
    assert_eq!(rows.map_row(6, &row(&["", " ", "", "", "", "", "", "", "", ""])), RowOutcome::Blank);
}

#[test]
fn lot_rows_set_the_lots_registers_and_a_sheet_without_activity_is_a_lot_list() {
    let mut rows = mapper(&["批次", "日期", "农户", "产品", "品种", "地块", "等级"], context());
    let lot = event(rows.map_row(2, &row(&["LOT-7", "2026-09-20", "farmer-li", "猕猴桃", "徐香", "A1", "一级"])));
    let EventKind::Update(update) = &lot.kind else { panic!("not an update") };
    assert_eq!((update.entity, update.id.as_str()), (EntityKind::Lot, "LOT-7"));
    let fields: Vec<_> = update.fields.iter().map(|f| (f.field.as_str(), f.value.as_deref().unwrap_or(""))).collect();
    assert_eq!(
        fields,
        [
            ("farm", "farmer-li"),
            ("harvest_date", "2026-09-20"),
            ("product", "猕猴桃"),
            ("variety", "徐香"),
            ("plot", "A1"),
            ("grade", "一级")
        ]
    );
    assert_eq!(lot.actor.party.as_str(), "assistant-wang", "entering a lot is the assistant's act");
    let missing = problems(rows.map_row(3, &row(&["", "2026-09-20", "farmer-li", "", "", "", ""])));
    assert!(missing[0].starts_with("row 3, column A (批次): a lot row needs a 批次/lot"), "{missing:?}");
}

#[test]
fn a_farmer_may_not_import_for_others_nor_lots() {
    let mut farmer = context();
    farmer.recorder = Actor { party: PartyId::new("farmer-li"), role: Role::Farmer };
    let mut rows = mapper(&ZH, farmer);
    let own = rows.map_row(2, &row(&["2026-09-01", "farmer-li", "A1", "", "施肥", "", "", "", "", ""]));
    assert!(matches!(own, RowOutcome::Event(_)), "{own:?}");
    let other = problems(rows.map_row(3, &row(&["2026-09-01", "farmer-wang", "A1", "", "施肥", "", "", "", "", ""])));
    assert!(other[0].contains("a farmer may record only their own work"), "{other:?}");
    let lot = problems(rows.map_row(4, &row(&["2026-09-01", "farmer-li", "A1", "LOT-1", "批次", "", "", "", "", ""])));
    assert!(lot[0].contains("a farmer may not record lots"), "{lot:?}");
}

#[test]
fn typed_cells_from_a_spreadsheet_read_like_text() {
    let mut rows = mapper(&["日期", "农户", "作业", "用量(kg)", "时间"], context());
    let date = NaiveDate::from_ymd_opt(2026, 9, 1).expect("date").and_hms_opt(0, 0, 0).expect("time");
    let cells = [
        Cell::DateTime(date),
        Cell::Text("farmer-li".into()),
        Cell::Text("施肥".into()),
        Cell::Number(25.0),
        Cell::Text("7:30".into()),
    ];
    let event = event(rows.map_row(2, &cells));
    let EventKind::FarmRecord(record) = &event.kind else { panic!("not a farm record") };
    assert_eq!(record.amount.as_ref().map(|q| (q.value, q.unit.as_str())), Some((25.0, "kg")));
    assert_eq!(event.recorded_at.to_rfc3339(), "2026-09-01T07:30:00+08:00");
    let stray = problems(rows.map_row(
        3,
        &[
            Cell::DateTime(date),
            Cell::Text("farmer-li".into()),
            Cell::Text("施肥".into()),
            Cell::Empty,
            Cell::Empty,
            Cell::Text("?".into()),
        ],
    ));
    assert_eq!(stray, ["row 3, column F: a value under no header"]);
}

#[test]
fn column_letters() {
    assert_eq!([0, 25, 26, 27, 701, 702].map(column_letter), ["A", "Z", "AA", "AB", "ZZ", "AAA"]);
}
