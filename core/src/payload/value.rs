//! Typed values of GS1 data attributes, decoded once here so the apps never re-parse a date or
//! guess where a weight's decimal point goes.

use super::ai_table::{is_cset82, AiDef, Format};
use super::check_digit::verify_gs1;
use super::error::{Expected, PayloadError};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use std::fmt;

/// One GS1 element: an application identifier and its value, e.g. `(17) 261231`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The AI as written, e.g. `"17"` or `"3103"`.
    pub ai: String,
    /// GS1's data title, e.g. `"USE BY OR EXPIRY"`.
    pub title: &'static str,
    /// The value exactly as encoded (after percent-decoding in a Digital Link; a GTIN is always 14 digits).
    pub raw: String,
    pub value: AiValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AiValue {
    /// An identifier or code, kept as text (lot, serial, GTIN, country code…).
    Text(String),
    /// A date; a YYMMDD with day 00 is resolved to the last day of its month.
    Date(NaiveDate),
    /// A date with hour and minute (AI 7003).
    DateTime(NaiveDateTime),
    /// A period such as a harvest (AI 7007); `end` is absent for a single day.
    DateRange { start: NaiveDate, end: Option<NaiveDate> },
    /// A quantity with its unit, e.g. net weight 1.89 kg from `(3102)000189`.
    Measure { value: Decimal, unit: &'static str },
    /// A count of items (AIs 30, 37).
    Count(u64),
}

/// An exact decimal: `digits / 10^scale`. Weights stay exact for pricing and reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub digits: u64,
    pub scale: u8,
}

impl Decimal {
    pub fn to_f64(self) -> f64 {
        self.digits as f64 / 10f64.powi(i32::from(self.scale))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let divisor = 10u64.pow(u32::from(self.scale));
        if self.scale == 0 {
            return write!(f, "{}", self.digits);
        }
        write!(f, "{}.{:0width$}", self.digits / divisor, self.digits % divisor, width = usize::from(self.scale))
    }
}

/// Checks `raw` against the AI's format and decodes it. `ai` is the AI as written (it carries
/// the decimal count of a measure); `today` anchors the GS1 century rule for two-digit years.
pub(crate) fn decode(def: &'static AiDef, ai: &str, raw: &str, today: NaiveDate) -> Result<Element, PayloadError> {
    let field = def.title;
    if raw.is_empty() {
        return Err(PayloadError::MissingValue { ai: ai.to_owned() });
    }
    let length = raw.chars().count();
    let value = match def.format {
        Format::Text(max) => {
            check_length(field, length, 1, max, Expected::UpTo(max))?;
            if let Some((i, found)) = raw.chars().enumerate().find(|(_, c)| !is_cset82(*c)) {
                return Err(PayloadError::InvalidCharacter { field, position: i + 1, found });
            }
            AiValue::Text(raw.to_owned())
        }
        Format::Digits { len, check } => {
            digits(field, raw)?;
            check_length(field, length, len, len, Expected::Exactly(len))?;
            if let Some(key) = check {
                verify_gs1(key, raw)?;
            }
            AiValue::Text(raw.to_owned())
        }
        Format::DigitsUpTo(max) => {
            digits(field, raw)?;
            check_length(field, length, 1, max, Expected::UpTo(max))?;
            AiValue::Text(raw.to_owned())
        }
        Format::Count(max) => {
            digits(field, raw)?;
            check_length(field, length, 1, max, Expected::UpTo(max))?;
            AiValue::Count(raw.parse().map_err(|_| PayloadError::MissingValue { ai: ai.to_owned() })?)
        }
        Format::DateOrMonth | Format::Date => {
            digits(field, raw)?;
            check_length(field, length, 6, 6, Expected::Exactly(6))?;
            AiValue::Date(yymmdd(field, raw, def.format == Format::DateOrMonth, today)?)
        }
        Format::DateTime => {
            digits(field, raw)?;
            check_length(field, length, 10, 10, Expected::Exactly(10))?;
            let date = yymmdd(field, &raw[..6], false, today)?;
            let time = NaiveTime::from_hms_opt(number(&raw[6..8]), number(&raw[8..10]), 0)
                .ok_or_else(|| invalid_date(field, raw))?;
            AiValue::DateTime(date.and_time(time))
        }
        Format::DateRange => {
            digits(field, raw)?;
            if length != 6 && length != 12 {
                return Err(PayloadError::WrongLength { field, found: length, expected: Expected::OneOf(&[6, 12]) });
            }
            let start = yymmdd(field, &raw[..6], false, today)?;
            let end = if length == 12 { Some(yymmdd(field, &raw[6..], false, today)?) } else { None };
            if end.is_some_and(|end| end < start) {
                return Err(invalid_date(field, raw));
            }
            AiValue::DateRange { start, end }
        }
        Format::Measure(unit) => {
            digits(field, raw)?;
            check_length(field, length, 6, 6, Expected::Exactly(6))?;
            let scale = ai.bytes().last().map_or(0, |b| b.wrapping_sub(b'0'));
            AiValue::Measure { value: Decimal { digits: u64::from(number(raw)), scale }, unit }
        }
    };
    Ok(Element { ai: ai.to_owned(), title: def.title, raw: raw.to_owned(), value })
}

fn check_length(
    field: &'static str,
    found: usize,
    min: usize,
    max: usize,
    expected: Expected,
) -> Result<(), PayloadError> {
    if found < min || found > max {
        return Err(PayloadError::WrongLength { field, found, expected });
    }
    Ok(())
}

fn digits(field: &'static str, raw: &str) -> Result<(), PayloadError> {
    match raw.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, found)) => Err(PayloadError::InvalidCharacter { field, position: i + 1, found }),
        None => Ok(()),
    }
}

/// Value of a short, already validated run of ASCII digits.
fn number(digits: &str) -> u32 {
    digits.bytes().fold(0u32, |acc, b| acc.saturating_mul(10).saturating_add(u32::from(b.wrapping_sub(b'0'))))
}

fn invalid_date(field: &'static str, raw: &str) -> PayloadError {
    PayloadError::InvalidDate { field, value: raw.to_owned() }
}

/// A GS1 YYMMDD date (six validated digits). With `day_zero_is_month_end`, day 00 means the last
/// day of the month, as GS1 prescribes for production, packaging, best-before, sell-by and expiry dates.
pub(crate) fn yymmdd(
    field: &'static str,
    raw: &str,
    day_zero_is_month_end: bool,
    today: NaiveDate,
) -> Result<NaiveDate, PayloadError> {
    let year = full_year(number(&raw[..2]), today.year());
    let (month, day) = (number(&raw[2..4]), number(&raw[4..6]));
    if day == 0 && day_zero_is_month_end {
        return last_day_of_month(year, month).ok_or_else(|| invalid_date(field, raw));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| invalid_date(field, raw))
}

/// GS1 General Specifications §7.12: a two-digit year is placed within 49 years before and
/// 50 years after the current year. With D = YY − (current year mod 100): D in 51..=99 means the
/// previous century, D in −99..=−50 the next one, anything else this century.
pub(crate) fn full_year(yy: u32, current_year: i32) -> i32 {
    let yy = i32::try_from(yy).unwrap_or(0);
    let century = current_year - current_year.rem_euclid(100);
    match yy - current_year.rem_euclid(100) {
        51..=99 => century - 100 + yy,
        -99..=-50 => century + 100 + yy,
        _ => century + yy,
    }
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    if !(1..=12).contains(&month) {
        return None;
    }
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}
