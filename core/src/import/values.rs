//! Cell values as people write them on paper and in Excel: dates in several spellings, numbers
//! with their unit attached (`30ml`, `1,500 斤`), day counts (`14天`). Each parser says why not.

use super::Cell;
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Excel's day 0 in the 1900 date system (serials count from here, with its leap-year quirk baked in).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default()
}

/// A number as text without a trailing `.0`: 14.0 → "14", 1.5 → "1.5".
pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A date, with the time of day if the cell carried one.
pub(crate) fn date(cell: &Cell) -> Result<(NaiveDate, Option<NaiveTime>), String> {
    match cell {
        Cell::DateTime(t) => Ok((t.date(), Some(t.time()).filter(|t| *t != NaiveTime::MIN))),
        // An Excel date serial in a cell not formatted as a date (1954-10-03 … 2119-01-07).
        Cell::Number(n) if (20_000.0..80_000.0).contains(n) => {
            let day = excel_epoch() + Duration::days(n.floor() as i64);
            let seconds = ((n - n.floor()) * 86_400.0).round() as u32;
            let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(86_399), 0);
            Ok((day, time.filter(|t| *t != NaiveTime::MIN)))
        }
        Cell::Number(n) => Err(format!("{} is not a date (write YYYY-MM-DD)", number_text(*n))),
        Cell::Empty | Cell::Text(_) => date_text(&cell.text()),
    }
}

fn date_text(text: &str) -> Result<(NaiveDate, Option<NaiveTime>), String> {
    let (day, rest) = match text.split_once([' ', 'T']) {
        Some((day, rest)) => (day, Some(rest.trim())),
        None => (text, None),
    };
    let normalized = day.replace(['/', '.', '年', '月'], "-").replace('日', "");
    let parsed = NaiveDate::parse_from_str(&normalized, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&normalized, "%Y%m%d"))
        .map_err(|_| format!("{text:?} is not a date (write YYYY-MM-DD, e.g. 2026-09-01)"))?;
    let time = rest.filter(|r| !r.is_empty()).map(time_text).transpose()?;
    Ok((parsed, time))
}

/// A time of day: `08:30`, `8:30:15`, an Excel time fraction, or a date-time cell's time.
pub(crate) fn time(cell: &Cell) -> Result<NaiveTime, String> {
    match cell {
        Cell::DateTime(t) => Ok(t.time()),
        Cell::Number(n) if (0.0..1.0).contains(n) => {
            NaiveTime::from_num_seconds_from_midnight_opt((n * 86_400.0).round().min(86_399.0) as u32, 0)
                .ok_or_else(|| format!("{} is not a time of day", number_text(*n)))
        }
        _ => time_text(&cell.text()),
    }
}

fn time_text(text: &str) -> Result<NaiveTime, String> {
    let normalized = text.trim().replace('：', ":");
    NaiveTime::parse_from_str(&normalized, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&normalized, "%H:%M:%S"))
        .map_err(|_| format!("{text:?} is not a time of day (write HH:MM)"))
}

/// A non-negative amount and the unit written after it, if any: `30ml`, `1,500 斤`, `2.5`.
pub(crate) fn amount(cell: &Cell) -> Result<(f64, Option<String>), String> {
    let (value, unit) = match cell {
        Cell::Number(n) => (*n, None),
        _ => {
            let text = cell.text();
            let compact = text.replace([',', '，'], "");
            let split = compact
                .char_indices()
                .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || ((*c == '-' || *c == '+') && *i == 0)))
                .map_or(compact.len(), |(i, _)| i);
            let (number, unit) = compact.split_at(split);
            let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a number"))?;
            let unit = unit.trim();
            (value, Some(unit.to_owned()).filter(|u| !u.is_empty()))
        }
    };
    if !value.is_finite() {
        return Err(format!("{} is not a number", cell.text()));
    }
    if value < 0.0 {
        return Err(format!("{} is negative", cell.text()));
    }
    if unit.as_ref().is_some_and(|u| u.chars().count() > 16) {
        return Err(format!("unit {:?} is longer than 16 characters", unit.unwrap_or_default()));
    }
    Ok((value, unit))
}

/// Longest pre-harvest interval accepted, days.
pub(crate) const MAX_INTERVAL_DAYS: u32 = 365;

/// Whole days: `14`, `14天`, `14 d`, `14 days`.
pub(crate) fn days(cell: &Cell) -> Result<u32, String> {
    let text = cell.text();
    let number = text.trim_end_matches(|c: char| c.is_alphabetic() || c.is_whitespace() || c == '天').trim().to_owned();
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a number of days"))?;
    if value < 0.0 || value.fract() != 0.0 || value > f64::from(MAX_INTERVAL_DAYS) {
        return Err(format!("{text:?} is not a whole number of days from 0 to {MAX_INTERVAL_DAYS}"));
    }
    Ok(value as u32)
}

/// The date-time of a record: its day at `time` (noon when the sheet gives none: a paper record
/// says which day, rarely when).
pub(crate) fn at(day: NaiveDate, time: Option<NaiveTime>) -> NaiveDateTime {
    day.and_time(time.unwrap_or_else(|| NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn dates_in_the_spellings_people_use() {
        let sept1 = NaiveDate::from_ymd_opt(2026, 9, 1).expect("date");
        for spelling in ["2026-09-01", "2026/9/1", "2026.09.01", "2026年9月1日", "20260901", " 2026-9-1 "] {
            assert_eq!(date(&text(spelling)).expect(spelling), (sept1, None), "{spelling}");
        }
        let with_time = date(&text("2026-09-01 07:45")).expect("date-time");
        assert_eq!(with_time, (sept1, NaiveTime::from_hms_opt(7, 45, 0)));
        // Excel serial 46266 is 2026-09-01.
        assert_eq!(date(&Cell::Number(46_266.0)).expect("serial"), (sept1, None));
        for bad in ["2026-13-01", "2026-02-30", "yesterday", "", "9/1/2026"] {
            assert!(date(&text(bad)).is_err(), "{bad}");
        }
        assert!(date(&Cell::Number(14.0)).is_err());
    }

    #[test]
    fn amounts_keep_their_unit_and_refuse_negatives() {
        assert_eq!(amount(&text("30ml")).expect("30ml"), (30.0, Some("ml".into())));
        assert_eq!(amount(&text("1,500 斤")).expect("斤"), (1500.0, Some("斤".into())));
        assert_eq!(amount(&text("2.5")).expect("bare"), (2.5, None));
        assert_eq!(amount(&Cell::Number(40.0)).expect("number"), (40.0, None));
        assert!(amount(&text("-5ml")).expect_err("negative").contains("negative"));
        assert!(amount(&Cell::Number(-1.0)).is_err());
        assert!(amount(&text("some")).is_err());
        assert!(amount(&text("NaN")).is_err());
        assert!(amount(&text("inf kg")).is_err());
    }

    #[test]
    fn days_are_whole_and_bounded() {
        assert_eq!(days(&text("14")).expect("14"), 14);
        assert_eq!(days(&text("14天")).expect("天"), 14);
        assert_eq!(days(&text("7 days")).expect("days"), 7);
        assert_eq!(days(&Cell::Number(21.0)).expect("number"), 21);
        for bad in ["-1", "1.5", "366", "two weeks", ""] {
            assert!(days(&text(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_of_day() {
        assert_eq!(time(&text("8:30")).expect("8:30"), NaiveTime::from_hms_opt(8, 30, 0).expect("t"));
        assert_eq!(time(&text("08：30")).expect("full-width colon"), NaiveTime::from_hms_opt(8, 30, 0).expect("t"));
        assert_eq!(time(&Cell::Number(0.5)).expect("fraction"), NaiveTime::from_hms_opt(12, 0, 0).expect("t"));
        assert!(time(&text("25:00")).is_err());
    }
}
