//! An assistant's spreadsheet is outside input: mapping its header and rows must never panic, and
//! every row must come out as exactly one of blank, one valid event, or problems naming its row.
#![no_main]

use chrono::{FixedOffset, NaiveDate};
use fieldtrace_core::import::{Cell, Header, ImportContext, RowMapper, RowOutcome};
use fieldtrace_core::model::{Actor, DeviceId, PartyId, Role};
use libfuzzer_sys::fuzz_target;

fn cells(line: &str) -> Vec<Cell> {
    line.split(',')
        .map(|text| match text.strip_prefix('#').map(str::parse::<f64>) {
            Some(Ok(number)) => Cell::Number(number),
            _ if text.is_empty() => Cell::Empty,
            _ => Cell::Text(text.to_owned()),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let Some(first) = lines.next() else { return };
    // A header the fuzzer may extend: the known columns, then whatever it wrote.
    let header = format!("日期,农户,地块,批次,作业,农药,用量,安全间隔期,数量,等级,{first}");
    let Ok(header) = Header::parse(&cells(header.trim_end_matches(',')), 1) else { return };
    let context = ImportContext {
        coop: "coop".into(),
        recorder: Actor { party: PartyId::new("assistant"), role: Role::Assistant },
        device: DeviceId::new(),
        utc_offset: FixedOffset::east_opt(8 * 3600).expect("offset"),
        latest_date: NaiveDate::from_ymd_opt(2030, 1, 1).expect("date"),
    };
    let mut mapper = RowMapper::new(header, context);
    for (index, line) in lines.enumerate() {
        let row = index + 2;
        match mapper.map_row(row, &cells(line)) {
            RowOutcome::Blank => {}
            RowOutcome::Event(event) => assert!(event.validate().is_ok()),
            RowOutcome::Problems(problems) => {
                assert!(!problems.is_empty());
                assert!(problems.iter().all(|p| p.row == row));
            }
        }
    }
});
