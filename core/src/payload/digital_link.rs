//! GS1 Digital Link URIs (`https://any.host/optional/prefix/01/{gtin}/10/{lot}?17=261231`): the
//! QR codes on consumer packs. The host is anyone's; what identifies the thing is the path from
//! the primary key on, and the query string carries data attributes.

use super::ai_table::lookup_exact;
use super::element_string::push_element;
use super::error::{Expected, PayloadError};
use super::value::{decode, Element};
use super::Gtin;
use chrono::NaiveDate;

/// Primary keys we resolve, with the key qualifiers GS1 allows after each, in the order allowed.
const PRIMARY_KEYS: &[(&str, &[&str])] = &[("01", &["22", "10", "21"]), ("00", &[]), ("414", &["254"])];

/// A URL split at its parts; `path_start` is the byte offset of the path in the scanned text.
pub(crate) struct Url<'a> {
    pub path: &'a str,
    pub path_start: usize,
    pub query: &'a str,
    pub query_start: usize,
}

/// Splits `text` if it is an http(s) URL; `None` for anything else.
pub(crate) fn split_url(text: &str) -> Option<Url<'_>> {
    let scheme_len = ["https://", "http://"]
        .iter()
        .find(|s| text.get(..s.len()).is_some_and(|head| head.eq_ignore_ascii_case(s)))?
        .len();
    let without_fragment = text.split('#').next().unwrap_or(text);
    let path_start = without_fragment[scheme_len..].find(['/', '?']).map_or(without_fragment.len(), |i| i + scheme_len);
    let (path, query) = without_fragment[path_start..].split_once('?').unwrap_or((&without_fragment[path_start..], ""));
    Some(Url { path, path_start, query, query_start: path_start + path.len() + 1 })
}

/// The path segments of a URL, percent-decoded, without empty first and last segments.
pub(crate) fn segments(url: &Url<'_>, text: &str) -> Result<Vec<String>, PayloadError> {
    let mut offset = url.path_start;
    let mut out = Vec::new();
    for raw in url.path.split('/') {
        out.push(percent_decode(raw, text, offset)?);
        offset += raw.len() + 1;
    }
    if out.first().is_some_and(String::is_empty) {
        out.remove(0);
    }
    if out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    Ok(out)
}

/// Parses a Digital Link; `Ok(None)` when the path holds no primary key followed by digits, so
/// the URL is some other link. The returned elements start with the primary key.
pub(crate) fn parse(url: &Url<'_>, text: &str, today: NaiveDate) -> Result<Option<Vec<Element>>, PayloadError> {
    let segments = segments(url, text)?;
    let found = segments.windows(2).enumerate().find_map(|(i, pair)| {
        let (key, qualifiers) = PRIMARY_KEYS.iter().find(|(key, _)| *key == pair[0])?;
        let is_number = !pair[1].is_empty() && pair[1].bytes().all(|b| b.is_ascii_digit());
        is_number.then_some((i, *key, *qualifiers))
    });
    let Some((start, key, qualifiers)) = found else {
        return Ok(None);
    };
    let mut elements = vec![key_element(key, &segments[start + 1], today)?];

    let mut last: Option<usize> = None;
    let mut rest = segments[start + 2..].iter();
    while let Some(qualifier) = rest.next() {
        let Some(rank) = qualifiers.iter().position(|q| q == qualifier) else {
            return Err(PayloadError::QualifierNotAllowed { key, qualifier: qualifier.clone() });
        };
        if let Some(previous) = last.filter(|&previous| previous >= rank) {
            if previous == rank {
                return Err(PayloadError::ConflictingAi { ai: qualifier.clone() });
            }
            return Err(PayloadError::QualifierOrder {
                qualifier: qualifiers[rank],
                after: qualifiers[previous].into(),
            });
        }
        last = Some(rank);
        let value = rest.next().ok_or_else(|| PayloadError::MissingValue { ai: qualifier.clone() })?;
        elements.push(decode_ai(qualifier, value, today)?);
    }

    let mut offset = url.query_start;
    for param in url.query.split(['&', ';']) {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        let name_decoded = percent_decode(name, text, offset)?;
        let value_decoded = percent_decode(value, text, offset + name.len() + 1)?;
        offset += param.len() + 1;
        if name_decoded.is_empty() || !name_decoded.bytes().all(|b| b.is_ascii_digit()) {
            continue; // linkType, context and other non-GS1 parameters are for the resolver
        }
        if let Some((other, _)) = PRIMARY_KEYS.iter().find(|(k, _)| *k == name_decoded) {
            return Err(PayloadError::MultiplePrimaryKeys { first: key.into(), second: (*other).into() });
        }
        if qualifiers.contains(&name_decoded.as_str()) {
            return Err(PayloadError::QualifierInQuery { qualifier: name_decoded });
        }
        let Some(def) = lookup_exact(&name_decoded) else {
            let position = text.get(..offset - param.len() - 1).map_or(0, |head| head.chars().count()) + 1;
            return Err(PayloadError::UnknownAi { ai: name_decoded, position });
        };
        push_element(&mut elements, decode(def, &name_decoded, &value_decoded, today)?)?;
    }
    Ok(Some(elements))
}

/// The primary key element. A GTIN may be written as GTIN-8, -12, -13 or -14; it is kept as 14 digits.
fn key_element(key: &str, value: &str, today: NaiveDate) -> Result<Element, PayloadError> {
    if key == "01" {
        let gtin = Gtin::parse(value)?;
        return decode_ai(key, gtin.as_str(), today);
    }
    decode_ai(key, value, today)
}

fn decode_ai(ai: &str, value: &str, today: NaiveDate) -> Result<Element, PayloadError> {
    // Only called with primary keys and qualifiers, which are all in the table (tested below).
    let def = lookup_exact(ai).ok_or_else(|| PayloadError::UnknownAi { ai: ai.to_owned(), position: 1 })?;
    decode(def, ai, value, today)
}

/// Decodes `%XX` escapes (UTF-8). `+` stays a plus: it is a valid character in GS1 values.
fn percent_decode(raw: &str, text: &str, offset: usize) -> Result<String, PayloadError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                return Err(percent_error(text, offset + i));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| percent_error(text, offset))
}

fn percent_error(text: &str, byte: usize) -> PayloadError {
    PayloadError::PercentEncoding { position: text.get(..byte).map_or(0, |head| head.chars().count()) + 1 }
}

/// Percent-encodes a value for a canonical path: everything but RFC 3986 unreserved characters,
/// so `/` in a serial cannot be read as a path separator.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The length a GTIN may have in a Digital Link path or as a plain product code.
pub(crate) const GTIN_LENGTHS: Expected = Expected::OneOf(&[8, 12, 13, 14]);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payload::ai_table::TABLE;

    #[test]
    fn every_primary_key_and_qualifier_is_in_the_table() {
        for (key, qualifiers) in PRIMARY_KEYS {
            assert!(TABLE.iter().any(|d| d.ai == *key));
            assert!(qualifiers.iter().all(|q| TABLE.iter().any(|d| d.ai == *q)));
        }
        assert_eq!(percent_encode("A/B c%"), "A%2FB%20c%25");
    }
}
