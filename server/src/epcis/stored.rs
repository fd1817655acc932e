//! A stored lot's EPCIS export, read from the lot's history (`projection::history`) a page at a
//! time: the HTTP API answers one page per request, as EPCIS 2.0's query interface does
//! (`perPage`, `nextPageToken`, a `Link: rel="next"` header), and `fieldtrace export epcis`
//! writes one document for the whole lot page by page. Neither holds more than a page in memory.

use super::{document, event_list, head, ExportOptions};
use crate::projection::history_page;
use crate::storage::{CausalKey, HistoryQuery, Storage, StorageError};
use fieldtrace_core::model::EntityKind;
use serde_json::Value;
use std::io::Write;

/// Events per page when the client does not say.
pub const PER_PAGE_DEFAULT: usize = 1_000;
/// The most events one page may hold.
pub const PER_PAGE_MAX: usize = 10_000;

/// One page of a lot's export.
pub struct StoredPage {
    /// A complete EPCIS document with this page's events.
    pub document: Value,
    /// Where the next page starts; `None` on the last.
    pub next: Option<CausalKey>,
}

/// The page of `lot`'s export after `after` (from the start when `None`), at most `per_page`
/// events of its history (voided ones followed by their error declarations). The caller brings
/// the projection up to date first.
pub async fn stored_lot_page<S: Storage>(
    storage: &S,
    coop: &str,
    lot: &str,
    options: &ExportOptions,
    created: &str,
    after: Option<CausalKey>,
    per_page: usize,
) -> Result<StoredPage, StorageError> {
    let key = (EntityKind::Lot, lot.to_owned());
    let registers = storage.registers_of(coop, vec![key.clone()]).await?;
    let query = HistoryQuery { after, limit: per_page.saturating_add(1), ..HistoryQuery::default() };
    let mut page = history_page(storage, coop, lot, query).await?;
    let next = (page.rows.len() > per_page).then(|| {
        page.truncate(per_page);
        page.rows.last().map(|row| row.key)
    });
    let list = event_list(&page.events, &page.corrections(), options);
    Ok(StoredPage { document: document(lot, registers.get(&key), created, list), next: next.flatten() })
}

/// Writes `lot`'s whole export to `out` as one document, page by page; returns the number of
/// EPCIS events written (error declarations included).
pub async fn write_stored_lot<S: Storage>(
    storage: &S,
    coop: &str,
    lot: &str,
    options: &ExportOptions,
    created: &str,
    out: &mut impl Write,
) -> Result<usize, String> {
    let key = (EntityKind::Lot, lot.to_owned());
    let registers = storage.registers_of(coop, vec![key.clone()]).await.map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| format!("writing the export: {e}");
    let json = |e: serde_json::Error| format!("writing the export: {e}");
    out.write_all(b"{").map_err(io)?;
    for (field, value) in head(lot, registers.get(&key), created) {
        serde_json::to_writer(&mut *out, &field).map_err(json)?;
        out.write_all(b":").map_err(io)?;
        serde_json::to_writer(&mut *out, &value).map_err(json)?;
        out.write_all(b",\n").map_err(io)?;
    }
    out.write_all(b"\"epcisBody\":{\"eventList\":[").map_err(io)?;
    let (mut written, mut after) = (0usize, None);
    loop {
        let query = HistoryQuery { after, limit: PER_PAGE_DEFAULT, ..HistoryQuery::default() };
        let page = history_page(storage, coop, lot, query).await.map_err(|e| e.to_string())?;
        for event in event_list(&page.events, &page.corrections(), options) {
            out.write_all(if written == 0 { b"\n" } else { b",\n" }).map_err(io)?;
            serde_json::to_writer(&mut *out, &event).map_err(json)?;
            written += 1;
        }
        match page.rows.last() {
            Some(row) if page.rows.len() == PER_PAGE_DEFAULT => after = Some(row.key),
            _ => break,
        }
    }
    out.write_all(b"\n]}}\n").map_err(io)?;
    Ok(written)
}
