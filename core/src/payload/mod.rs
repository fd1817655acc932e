//! Understanding what a barcode says: a GS1 Digital Link, a GS1 element string, our own trace
//! URL or code, a plain EAN/UPC — or something else. The same physical label must give the same
//! [`Payload::code_key`] however it was encoded, because that key is what events are filed under.
//!
//! A text that clearly tries to be one of these forms but is malformed (a wrong check digit, a
//! Digital Link path with a bad GTIN) is an error, never "unrecognized": filing a mistyped code
//! as an unknown one would silently split a box's history in two.

mod ai_table;
mod check_digit;
mod digital_link;
mod element_string;
mod error;
mod gs1;
mod trace_code;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use check_digit::gs1_check_digit;
pub use digital_link::percent_encode;
pub use error::{Expected, PayloadError};
pub use gs1::{Gs1Key, Gs1Payload, Gs1Syntax, Gtin, ProductFormat};
pub use trace_code::{TraceCode, TRACE_CODE_LEN};
pub use value::{AiValue, Decimal, Element};

use crate::model::MAX_CODE_LEN;
use chrono::NaiveDate;
use element_string::GS;

/// Longest text accepted from a scanner (characters). Real payloads are far shorter.
pub const MAX_PAYLOAD_LEN: usize = 4096;

/// What a scanned label identifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A GS1 key with its qualifiers and data attributes, from a Digital Link or an element string.
    Gs1(Gs1Payload),
    /// A plain EAN-13, UPC-A, EAN-8 or GTIN-14 product code.
    Product { gtin: Gtin, format: ProductFormat },
    /// Our trace code, bare or in a `https://<host>/t/<code>` link.
    Trace(TraceCode),
    /// Anything else (a web link, a word, a farm's own numbering), trimmed.
    Unrecognized(String),
}

impl Payload {
    /// The key events are filed under. GS1 keys use the Digital Link canonical path without host
    /// (`/01/{gtin14}[/22/…][/10/…][/21/…]`, `/00/{sscc}`, `/414/{gln}[/254/…]`), data attributes
    /// such as expiry excluded; trace codes are `t/{CODE}`; anything else is its trimmed text.
    pub fn code_key(&self) -> String {
        match self {
            Payload::Gs1(gs1) => gs1.key.canonical_path(),
            Payload::Product { gtin, .. } => format!("/01/{gtin}"),
            Payload::Trace(code) => format!("t/{}", code.canonical()),
            Payload::Unrecognized(text) => text.clone(),
        }
    }

    /// The GS1 elements read (empty unless [`Payload::Gs1`]).
    pub fn elements(&self) -> &[Element] {
        match self {
            Payload::Gs1(gs1) => &gs1.elements,
            _ => &[],
        }
    }
}

/// Parses what a scanner read, with today's date anchoring two-digit years.
pub fn parse_payload(text: &str) -> Result<Payload, PayloadError> {
    parse_payload_on(text, chrono::Local::now().date_naive())
}

/// [`parse_payload`] with an explicit "today" for the GS1 century rule (tests, server replays).
pub fn parse_payload_on(text: &str, today: NaiveDate) -> Result<Payload, PayloadError> {
    if text.chars().nth(MAX_PAYLOAD_LEN).is_some() {
        return Err(PayloadError::TooLong { length: text.chars().count(), max: MAX_PAYLOAD_LEN });
    }
    let text = text.trim_matches(|c: char| c.is_whitespace() && c != GS);
    if text.is_empty() {
        return Err(PayloadError::Empty);
    }
    if let Some((symbology, rest)) = split_symbology(text) {
        if matches!(symbology, "C1" | "e0" | "d2" | "Q3" | "J1") {
            return gs1_payload(Gs1Syntax::ElementString, element_string::parse_raw(rest, 3, today)?);
        }
        // A non-GS1 symbology (plain QR, Code 128, EAN…): what follows is read like any text.
        return parse_unmarked(rest, today);
    }
    parse_unmarked(text, today)
}

/// Splits an AIM symbology identifier (`]` + letter + digit) off the front of the text.
fn split_symbology(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(']')?;
    let id = rest.get(..2)?;
    let mut chars = id.chars();
    let valid =
        chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.next().is_some_and(|c| c.is_ascii_digit());
    valid.then(|| (id, &rest[2..]))
}

fn parse_unmarked(text: &str, today: NaiveDate) -> Result<Payload, PayloadError> {
    if text.is_empty() {
        return Err(PayloadError::Empty);
    }
    if text.starts_with(GS) || starts_with_gs1_key(text) {
        return gs1_payload(Gs1Syntax::ElementString, element_string::parse_raw(text, 0, today)?);
    }
    if let Some((i, c)) = text.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(PayloadError::ControlCharacter { position: i + 1, codepoint: u32::from(c) });
    }
    if element_string::looks_bracketed(text) {
        return gs1_payload(Gs1Syntax::ElementString, element_string::parse_bracketed(text, today)?);
    }
    if let Some(url) = digital_link::split_url(text) {
        let segments = digital_link::segments(&url, text)?;
        if let [t, code] = segments.as_slice() {
            if t == "t" {
                return Ok(Payload::Trace(TraceCode::parse(code)?));
            }
        }
        if let Some(elements) = digital_link::parse(&url, text, today)? {
            return gs1_payload(Gs1Syntax::DigitalLink, elements);
        }
    } else if text.bytes().all(|b| b.is_ascii_digit()) && matches!(text.len(), 8 | 12 | 13 | 14) {
        let gtin = Gtin::parse(text)?;
        return Ok(Payload::Product { gtin, format: ProductFormat::from_len(text.len()) });
    } else if looks_like_trace_code(text) {
        return Ok(Payload::Trace(TraceCode::parse(text)?));
    }
    let length = text.chars().count();
    if length > MAX_CODE_LEN {
        return Err(PayloadError::TooLong { length, max: MAX_CODE_LEN });
    }
    Ok(Payload::Unrecognized(text.to_owned()))
}

/// An element string whose scanner dropped the symbology identifier and leading FNC1 still
/// starts with (01) + 14 digits or (00) + 18 digits and something after: no other text does.
fn starts_with_gs1_key(text: &str) -> bool {
    let digits = |n: usize| text.len() > n && text.as_bytes()[..n].iter().all(u8::is_ascii_digit);
    (text.starts_with("01") && digits(16)) || (text.starts_with("00") && digits(20))
}

/// A bare trace code as printed: eleven code symbols, optionally split by one hyphen or space
/// after the 4th and 8th. (Manual entry calls [`TraceCode::parse`], which takes any separators.)
fn looks_like_trace_code(text: &str) -> bool {
    let mut symbols = 0;
    let mut previous_was_separator = false;
    for c in text.chars() {
        if matches!(c, '-' | ' ') {
            if previous_was_separator || !matches!(symbols, 4 | 8) {
                return false;
            }
            previous_was_separator = true;
        } else if trace_code::symbol_of(c).is_some() {
            symbols += 1;
            previous_was_separator = false;
        } else {
            return false;
        }
    }
    symbols == TRACE_CODE_LEN && !previous_was_separator
}

fn gs1_payload(syntax: Gs1Syntax, elements: Vec<Element>) -> Result<Payload, PayloadError> {
    Ok(Payload::Gs1(Gs1Payload::from_elements(syntax, elements)?))
}
