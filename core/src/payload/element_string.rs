//! GS1 element strings as a scanner decodes GS1-128, GS1 DataMatrix, GS1 QR and DataBar: AIs
//! run together, fixed-length ones back to back, variable-length ones ended by a group separator
//! (FNC1, transmitted as GS) or the end of the text. Also the human-readable `(01)…(21)…` form.

use super::ai_table::{ai_length_hint, lookup_prefix, predefined_length};
use super::error::PayloadError;
use super::value::{decode, Element};
use chrono::NaiveDate;

/// FNC1 as transmitted by scanners: the ASCII group separator.
pub(crate) const GS: char = '\u{1D}';

/// Parses a raw element string. `offset` is the number of characters before `text` in what was
/// scanned (a symbology identifier), so positions in errors point into the scanned text.
pub(crate) fn parse_raw(text: &str, offset: usize, today: NaiveDate) -> Result<Vec<Element>, PayloadError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut elements = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1 == GS {
            // A leading FNC1, or a separator after a fixed-length AI that did not need one.
            i += 1;
            continue;
        }
        let position = offset + i + 1;
        let rest = &text[chars[i].0..];
        let Some((ai, def)) = lookup_prefix(rest) else {
            return Err(unknown_ai(rest, position));
        };
        let data_start = i + ai.chars().count();
        let data_end = match predefined_length(ai) {
            Some(len) => {
                let available = chars[data_start..].iter().take_while(|(_, c)| *c != GS).count();
                if available < len {
                    return Err(PayloadError::Truncated { field: def.title, position, needed: len, available });
                }
                data_start + len
            }
            None => chars[data_start..].iter().position(|(_, c)| *c == GS).map_or(chars.len(), |n| data_start + n),
        };
        let raw = &text[byte_at(&chars, text, data_start)..byte_at(&chars, text, data_end)];
        push_element(&mut elements, decode(def, ai, raw, today)?)?;
        i = data_end;
    }
    if elements.is_empty() {
        return Err(PayloadError::NoPrimaryKey);
    }
    Ok(elements)
}

/// Parses the human-readable form `(01)09506000134352(10)ABC`, as printed under a barcode and
/// sometimes typed in. `text` must start with `(`.
pub(crate) fn parse_bracketed(text: &str, today: NaiveDate) -> Result<Vec<Element>, PayloadError> {
    let mut elements = Vec::new();
    let mut at = 0; // byte offset of the next `(`
    while at < text.len() {
        let position = text[..at].chars().count() + 1;
        let Some(after_paren) = text[at..].strip_prefix('(') else {
            return Err(unknown_ai(&text[at..], position));
        };
        let ai_len = after_paren.find(')').unwrap_or(after_paren.len());
        let ai = &after_paren[..ai_len];
        let Some((matched, def)) = lookup_prefix(ai).filter(|(matched, _)| matched.len() == ai.len()) else {
            return Err(unknown_ai(ai, position));
        };
        let value_and_more = after_paren.get(ai_len + 1..).unwrap_or("");
        let value_len = next_bracketed_ai(value_and_more).unwrap_or(value_and_more.len());
        let raw = value_and_more[..value_len].trim_matches(' ');
        push_element(&mut elements, decode(def, matched, raw, today)?)?;
        at = text.len() - value_and_more.len() + value_len;
    }
    Ok(elements)
}

/// Whether `text` starts like the bracketed form: `(` + a known AI + `)`.
pub(crate) fn looks_bracketed(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('(') else { return false };
    let Some(end) = inner.find(')') else { return false };
    lookup_prefix(&inner[..end]).is_some_and(|(ai, _)| ai.len() == end)
}

/// Byte offset of the start of the next `(digits)` group in a bracketed value, if any.
fn next_bracketed_ai(value: &str) -> Option<usize> {
    value.match_indices('(').map(|(i, _)| i).find(|&i| {
        let after = &value[i + 1..];
        after.find(')').is_some_and(|end| (2..=4).contains(&end) && after[..end].bytes().all(|b| b.is_ascii_digit()))
    })
}

fn byte_at(chars: &[(usize, char)], text: &str, index: usize) -> usize {
    chars.get(index).map_or(text.len(), |(b, _)| *b)
}

fn unknown_ai(rest: &str, position: usize) -> PayloadError {
    let hint = ai_length_hint(rest.get(..2).unwrap_or(rest));
    let ai: String = rest.chars().take_while(|c| c.is_ascii_digit()).take(hint).collect();
    let ai = if ai.is_empty() { rest.chars().take(hint).collect() } else { ai };
    PayloadError::UnknownAi { ai, position }
}

/// Adds an element; the same AI twice is accepted only with the same value (labels that repeat
/// a barcode), never with two different ones.
pub(crate) fn push_element(elements: &mut Vec<Element>, element: Element) -> Result<(), PayloadError> {
    match elements.iter().find(|e| e.ai == element.ai) {
        Some(existing) if existing.raw == element.raw => Ok(()),
        Some(_) => Err(PayloadError::ConflictingAi { ai: element.ai }),
        None => {
            elements.push(element);
            Ok(())
        }
    }
}
