//! Reading the CSV exports of cheap Bluetooth temperature/humidity loggers.
//!
//! Their apps write whatever they like, so the reader is liberal (the accepted forms are listed in
//! `docs/sensors.md`): a preamble before the header, English or Chinese column names, `,` `;` or
//! tab separators, quoted cells, decimal commas, °C or °F marked in the header,
//! units after values, and timestamps with or without a UTC offset. A bad line becomes a
//! [`LineError`] naming the line and field, and the good lines are still read.

use super::LoggerReading;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

/// Lines searched for the header row (the app's preamble: device name, serial, export time ...).
const HEADER_SEARCH_LINES: usize = 30;
/// Plausible values; anything outside is a misread cell, not a measurement.
const TEMPERATURE_RANGE_C: (f64, f64) = (-60.0, 100.0);
const HUMIDITY_RANGE: (f64, f64) = (0.0, 100.0);

/// Why a logger file or import was refused as a whole (the sensors module's one error type).
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    #[error("no header row with a time column and a temperature or humidity column in the first {searched} lines")]
    NoHeader { searched: usize },
    #[error("header (line {line}): {reason}")]
    BadHeader { line: usize, reason: String },
    #[error("sensor import: {field}: {reason}")]
    InvalidImport { field: &'static str, reason: String },
    /// The box label did not read, or the store failed.
    #[error(transparent)]
    Core(#[from] crate::Error),
}

impl SensorError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            SensorError::NoHeader { .. } => "sensor_log_no_header",
            SensorError::BadHeader { .. } => "sensor_log_bad_header",
            SensorError::InvalidImport { .. } => "sensor_import_invalid",
            SensorError::Core(inner) => inner.key(),
        }
    }
}

/// One line that could not be read; the other lines still count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line number in the file, from 1.
    pub line: u64,
    /// The column as the file names it (`时间`, `Temperature(°F)` ...), or `line` for the whole line.
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, {}: {}", self.line, self.field, self.reason)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemperatureUnit {
    Celsius,
    Fahrenheit,
}

/// What a file gave: readings in time order (converted to °C), and every line that was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedLog {
    pub readings: Vec<LoggerReading>,
    pub errors: Vec<LineError>,
    /// Lines repeating an earlier line's timestamp (exports overlap); the first one is kept.
    pub duplicates: u64,
    /// The temperature unit the header declared.
    pub unit: TemperatureUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    DateTime,
    Date,
    Time,
    Temperature,
    Humidity,
    Ignored,
}

struct Header {
    line: usize,
    separator: char,
    names: Vec<String>,
    columns: Vec<Column>,
    unit: TemperatureUnit,
}

/// Reads a logger export. Timestamps without an offset are taken in `local_offset` (the logger's
/// clock is set by the phone that configured it: China is UTC+8 all year).
pub fn parse_logger_csv(text: &str, local_offset: FixedOffset) -> Result<ParsedLog, SensorError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let header = find_header(&lines)?;
    let mut readings: Vec<LoggerReading> = Vec::new();
    let mut errors = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(header.line + 1) {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        match read_line(&header, line, local_offset) {
            Ok(reading) => readings.push(reading),
            Err((field, reason)) => errors.push(LineError { line: index as u64 + 1, field, reason }),
        }
    }
    // Stable sort keeps file order among equal times, so the first of duplicates survives.
    readings.sort_by_key(|r| r.at);
    let before = readings.len();
    readings.dedup_by_key(|r| r.at);
    Ok(ParsedLog { duplicates: (before - readings.len()) as u64, readings, errors, unit: header.unit })
}

fn find_header(lines: &[&str]) -> Result<Header, SensorError> {
    for (index, line) in lines.iter().enumerate().take(HEADER_SEARCH_LINES) {
        let separator = [',', ';', '\t'].into_iter().max_by_key(|sep| split_cells(line, *sep).len()).unwrap_or(',');
        let names: Vec<String> = split_cells(line, separator).into_iter().map(|c| c.trim().to_owned()).collect();
        let columns: Vec<Column> = names.iter().map(|name| classify(name)).collect();
        let has_time = columns.iter().any(|c| matches!(c, Column::DateTime | Column::Date | Column::Time));
        let has_value = columns.iter().any(|c| matches!(c, Column::Temperature | Column::Humidity));
        if !(has_time && has_value) {
            continue;
        }
        let bad = |reason: String| SensorError::BadHeader { line: index + 1, reason };
        for kind in [Column::DateTime, Column::Date, Column::Time, Column::Temperature, Column::Humidity] {
            if columns.iter().filter(|c| **c == kind).count() > 1 {
                return Err(bad(format!("more than one {kind:?} column in {names:?}")));
            }
        }
        let units: Vec<TemperatureUnit> = names
            .iter()
            .zip(&columns)
            .filter(|(_, c)| **c == Column::Temperature)
            .map(|(name, _)| unit_of(name))
            .collect();
        return Ok(Header {
            line: index,
            separator,
            names,
            columns,
            unit: units.first().copied().unwrap_or(TemperatureUnit::Celsius),
        });
    }
    Err(SensorError::NoHeader { searched: HEADER_SEARCH_LINES.min(lines.len()) })
}

fn classify(name: &str) -> Column {
    let name = name.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| name.contains(n));
    if has(&["humid", "湿度"]) || name == "rh" || name.starts_with("rh(") || name.starts_with("rh ") || has(&["%rh"])
    {
        Column::Humidity
    } else if has(&["temp", "温度"]) {
        Column::Temperature
    } else if has(&["timestamp", "日期时间"]) || (has(&["date", "日期"]) && has(&["time", "时间"])) {
        Column::DateTime
    } else if has(&["date", "日期"]) {
        Column::Date
    } else if has(&["time", "时间"]) {
        Column::Time
    } else {
        Column::Ignored
    }
}

fn unit_of(name: &str) -> TemperatureUnit {
    let name = name.to_lowercase();
    let fahrenheit = ["°f", "℉", "(f)", "[f]", "fahrenheit", "华氏"].iter().any(|m| name.contains(m));
    if fahrenheit {
        TemperatureUnit::Fahrenheit
    } else {
        TemperatureUnit::Celsius
    }
}

/// Splits one line at `separator`, honouring double quotes (`""` inside quotes is a quote).
fn split_cells(line: &str, separator: char) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == separator && !quoted => cells.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

type Refusal = (String, String);

fn read_line(header: &Header, line: &str, local_offset: FixedOffset) -> Result<LoggerReading, Refusal> {
    let cells = split_cells(line, header.separator);
    let cell = |kind: Column| -> Option<(&str, &str)> {
        let index = header.columns.iter().position(|c| *c == kind)?;
        Some((header.names[index].as_str(), cells.get(index).map_or("", |c| c.trim())))
    };
    let whole_line = || "line".to_owned();
    let at = match (cell(Column::DateTime), cell(Column::Date), cell(Column::Time)) {
        (Some((name, value)), _, _) => parse_timestamp(value, local_offset).map_err(|r| (name.to_owned(), r))?,
        (None, Some((date_name, date)), Some((time_name, time))) => {
            parse_timestamp(&format!("{date} {time}"), local_offset)
                .map_err(|r| (format!("{date_name} + {time_name}"), r))?
        }
        (None, Some((name, value)), None) | (None, None, Some((name, value))) => {
            parse_timestamp(value, local_offset).map_err(|r| (name.to_owned(), r))?
        }
        (None, None, None) => return Err((whole_line(), "no time column".to_owned())),
    };
    let temperature_c = match cell(Column::Temperature) {
        Some((name, value)) => number(value)
            .map(|v| v.map(|v| if header.unit == TemperatureUnit::Fahrenheit { (v - 32.0) * 5.0 / 9.0 } else { v }))
            .and_then(|v| within(v, TEMPERATURE_RANGE_C, "°C"))
            .map_err(|r| (name.to_owned(), r))?,
        None => None,
    };
    let humidity_percent = match cell(Column::Humidity) {
        Some((name, value)) => {
            number(value).and_then(|v| within(v, HUMIDITY_RANGE, "% RH")).map_err(|r| (name.to_owned(), r))?
        }
        None => None,
    };
    if temperature_c.is_none() && humidity_percent.is_none() {
        return Err((whole_line(), "neither a temperature nor a humidity value".to_owned()));
    }
    Ok(LoggerReading { at, temperature_c, humidity_percent })
}

/// A cell's number: empty is "no value"; a unit after the number (`4.5°C`, `85%RH`) is dropped;
/// a decimal comma (`4,5`: `;`-separated or quoted cells) reads as a point.
fn number(cell: &str) -> Result<Option<f64>, String> {
    let unit_chars = |c: char| c.is_whitespace() || "°℃℉%CcFfRrHh".contains(c);
    let trimmed = cell.trim_end_matches(unit_chars).trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let normalized = if trimmed.matches(',').count() == 1 && !trimmed.contains('.') {
        trimmed.replace(',', ".")
    } else {
        trimmed.to_owned()
    };
    match normalized.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(Some(value)),
        _ => Err(format!("{cell:?} is not a number")),
    }
}

fn within(value: Option<f64>, (min, max): (f64, f64), unit: &str) -> Result<Option<f64>, String> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(format!("{v:.1} {unit} is outside the plausible {min}..{max}")),
        other => Ok(other),
    }
}

/// Reads a timestamp in one of the forms listed in `docs/sensors.md`; without an offset it is
/// local time at `local_offset`.
pub fn parse_timestamp(text: &str, local_offset: FixedOffset) -> Result<DateTime<FixedOffset>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty timestamp".to_owned());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) && matches!(text.len(), 10 | 13) {
        let value: i64 = text.parse().map_err(|_| format!("{text:?} is not a Unix time"))?;
        let ms = if text.len() == 10 { value * 1000 } else { value };
        return FixedOffset::east_opt(0)
            .and_then(|utc| utc.timestamp_millis_opt(ms).single())
            .ok_or_else(|| format!("{text:?} is not a Unix time"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at);
    }
    let (local, offset) = split_offset(text)?;
    // `2026年11月23日 8:05`, `2026/11/23T08:05`, `2026.11.23 08:05:00.5` → `2026-11-23 08:05...`;
    // only the date part's dots are separators (the time's dot starts fractional seconds).
    let local = local.replace(['年', '月'], "-").replace('日', " ");
    let (date, time) = local.split_once([' ', 'T']).unwrap_or((&local, ""));
    let normalized = format!("{} {}", date.replace(['/', '.'], "-"), time.trim());
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&normalized, format).ok())
        .ok_or_else(|| {
            format!("{text:?} is not a timestamp (expected year first, e.g. 2026-11-23 08:05:00 or 2026/11/23 8:05)")
        })?;
    offset
        .unwrap_or(local_offset)
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| format!("{text:?} is not a valid local time"))
}

/// Splits a trailing UTC offset (`Z`, `UTC`, `GMT`, `+08:00`, `+0800`, `+08`, `UTC+8`) from the time.
fn split_offset(text: &str) -> Result<(&str, Option<FixedOffset>), String> {
    let utc = FixedOffset::east_opt(0);
    for suffix in ["UTC", "GMT", "Z", "z"] {
        if let Some(rest) = text.strip_suffix(suffix) {
            return Ok((rest.trim_end(), utc));
        }
    }
    // The sign of an offset comes after the time of day (`HH:MM`), never inside the date.
    let Some(time_colon) = text.find(':') else { return Ok((text, None)) };
    let Some(sign_at) = text[time_colon..].rfind(['+', '-']).map(|i| i + time_colon) else {
        return Ok((text, None));
    };
    let (local, offset_text) = text.split_at(sign_at);
    let local = local.trim_end().trim_end_matches("UTC").trim_end_matches("GMT").trim_end();
    let sign = if offset_text.starts_with('-') { -1 } else { 1 };
    let digits: String = offset_text[1..].chars().filter(|c| *c != ':').collect();
    let bad = || format!("{offset_text:?} is not a UTC offset (+08:00, +0800, +08)");
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (hours, minutes) = if digits.len() <= 2 { (&digits[..], "0") } else { digits.split_at(digits.len() - 2) };
    let seconds =
        sign * (hours.parse::<i32>().map_err(|_| bad())? * 3600 + minutes.parse::<i32>().map_err(|_| bad())? * 60);
    Ok((local, Some(FixedOffset::east_opt(seconds).ok_or_else(bad)?)))
}

#[cfg(test)]
#[path = "logger_csv_tests.rs"]
mod tests;
