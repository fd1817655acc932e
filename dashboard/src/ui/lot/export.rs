//! The lot's CSV downloads, `timeline.csv` and `custody.csv`: the whole history, read and sent a
//! page at a time (the custody chain carries its holder and its open hand-off from one page to
//! the next), so a lot of any size downloads in bounded memory.

use super::context::LotContext;
use super::custody::{self, Chain};
use super::read::{add_registers, lot_transfers, parties_named, standing, transfer_parties};
use super::timeline;
use super::words;
use super::{display_offset, not_found, LotQuery};
use crate::ui::csv_export::{csv_header, csv_rows, streamed_download};
use crate::ui::{audit, language, SignedIn};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use fieldtrace_core::model::EntityKind;
use fieldtrace_server::projection::history_page;
use fieldtrace_server::storage::{HistoryQuery, Storage, StorageError};
use fieldtrace_server::{ApiError, ReadState};
use std::collections::BTreeMap;
use tokio::sync::mpsc::Sender;

/// Events read per chunk of a download.
const CHUNK_EVENTS: usize = 2_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Timeline,
    Custody,
}

pub async fn timeline_csv<S: Storage>(
    state: State<ReadState<S>>,
    manager: SignedIn,
    headers: HeaderMap,
    lot: Path<String>,
    query: Query<LotQuery>,
) -> Result<Response, ApiError> {
    download(state, manager, headers, lot, query, Table::Timeline).await
}

pub async fn custody_csv<S: Storage>(
    state: State<ReadState<S>>,
    manager: SignedIn,
    headers: HeaderMap,
    lot: Path<String>,
    query: Query<LotQuery>,
) -> Result<Response, ApiError> {
    download(state, manager, headers, lot, query, Table::Custody).await
}

/// File names keep only safe characters of the lot id.
fn file_name(lot: &str, what: &str) -> String {
    let safe: String = lot.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    format!("lot-{safe}-{what}.csv")
}

async fn download<S: Storage>(
    State(state): State<ReadState<S>>,
    SignedIn(manager): SignedIn,
    headers: HeaderMap,
    Path(lot): Path<String>,
    Query(query): Query<LotQuery>,
    table: Table,
) -> Result<Response, ApiError> {
    let (t, _) = language(&state, &headers, query.lang.as_deref());
    let coop = manager.coop.clone();
    state.projected(&coop).await?;
    let storage = state.storage.as_ref();
    let total = storage.lot_history_len(&coop, &lot, None).await?;
    let lot_key = (EntityKind::Lot, lot.clone());
    let registers = storage.registers_of(&coop, vec![lot_key.clone()]).await?;
    if total == 0 && !registers.contains_key(&lot_key) {
        return Err(not_found(&lot));
    }
    let what = if table == Table::Timeline { "timeline" } else { "custody" };
    audit(&state, &coop, &manager.name, "export_csv", &format!("lot {lot} {what}: {total} events")).await?;
    let ctx = LotContext { lot: lot.clone(), registers, units: BTreeMap::new(), offset: display_offset(&state) };
    let (sender, chunks) = tokio::sync::mpsc::channel(4);
    let filename = file_name(&lot, what);
    let lang = t.lang;
    tokio::spawn(async move {
        if let Err(err) = send_chunks(&state, &coop, ctx, table, lang, &sender).await {
            // The body ends with an error: the client sees a failed download, never a short file.
            let _ = sender.send(Err(std::io::Error::other(err.to_string()))).await;
        }
    });
    Ok(streamed_download(&filename, chunks))
}

/// Reads the history a chunk at a time and sends each chunk's CSV lines; stops early when the
/// client has gone.
async fn send_chunks<S: Storage>(
    state: &ReadState<S>,
    coop: &str,
    mut ctx: LotContext,
    table: Table,
    lang: &str,
    sender: &Sender<Result<String, std::io::Error>>,
) -> Result<(), StorageError> {
    let storage = state.storage.as_ref();
    let (w, t) = (words::for_lang(lang), crate::trace_page::words_for(lang));
    let lot = ctx.lot.clone();
    let transfers =
        if table == Table::Custody { lot_transfers(storage, &state.config, coop, &lot).await? } else { Vec::new() };
    // Who the transfers and the lot's farm name, once; each chunk adds the parties of its events.
    let mut entities = transfer_parties(&transfers);
    entities.extend(ctx.lot_field("farm").map(|farm| (EntityKind::Party, farm)));
    add_registers(storage, coop, &mut ctx.registers, entities).await?;
    let header = match table {
        Table::Timeline => csv_header(&timeline::CSV_HEADER),
        Table::Custody => csv_header(&custody::CSV_HEADER),
    };
    if sender.send(Ok(header)).await.is_err() {
        return Ok(());
    }
    let mut chain = Chain::new(&ctx, &transfers);
    let mut after = None;
    loop {
        let query = HistoryQuery { after, limit: CHUNK_EVENTS, ..HistoryQuery::default() };
        let page = history_page(storage, coop, &lot, query).await?;
        let events = standing(&page);
        add_registers(storage, coop, &mut ctx.registers, parties_named(events.iter().copied())).await?;
        ctx.units = page.events.iter().zip(&page.rows).map(|(event, row)| (event.id, row.units)).collect();
        let last = page.rows.len() < CHUNK_EVENTS;
        let lines = match table {
            Table::Timeline => csv_rows(&timeline::csv_cells(&timeline::rows(&ctx, events.iter().copied(), w, t))),
            Table::Custody => {
                chain.feed(&ctx, events.iter().copied(), w, t);
                csv_rows(&custody::csv_cells(&chain.take(last)))
            }
        };
        if !lines.is_empty() && sender.send(Ok(lines)).await.is_err() {
            return Ok(());
        }
        match page.rows.last() {
            Some(row) if !last => after = Some(row.key),
            _ => return Ok(()),
        }
    }
}
