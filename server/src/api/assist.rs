//! What the village assistants' work needs from the server: `GET /v1/piece-counts` (paid per
//! record) and `GET /v1/phi-flags` (sprayings whose pre-harvest interval was not over at harvest).
//! Both follow the core's pure rules (`fieldtrace_core::pieces`, `fieldtrace_core::farm`), so the
//! server says exactly what the phones say: piece counts as the projector keeps them per day, the
//! flags over the farm records and the harvests of the lots they name.

use super::auth::AuthedDevice;
use crate::projection::phi_inputs;
use crate::storage::Storage;
use crate::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use fieldtrace_core::farm::{phi_flags, PhiFlag};
use fieldtrace_core::model::{LotId, PartyId, Role};
use fieldtrace_core::pieces::{DayPieces, Month, PieceCounts};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct PieceQuery {
    /// Whose pieces; the caller's own party when absent.
    party: Option<String>,
    /// `YYYY-MM`.
    month: String,
}

/// A manager may see anyone's pieces; everyone else only their own.
pub async fn piece_counts_of<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Query(query): Query<PieceQuery>,
) -> Result<Json<PieceCounts>, ApiError> {
    let month = Month::parse(&query.month)
        .ok_or_else(|| ApiError::bad_request("month_invalid", format!("month {:?} is not YYYY-MM", query.month)))?;
    let party = query.party.map_or_else(|| device.party.clone(), PartyId);
    if party != device.party && device.role != Role::Manager {
        return Err(ApiError::Forbidden {
            key: "piece_counts_not_own",
            message: format!("a {} may see only their own piece counts", device.role.key()),
        });
    }
    // The projected counts of the month: the same rule (`fieldtrace_core::pieces`), kept per day.
    state.projected(&device.coop).await?;
    let (from, to) = month.day_key_range();
    let days = state.storage.piece_days(&device.coop, Some(party.0.clone()), from, to).await?;
    Ok(Json(PieceCounts {
        party: party.0,
        month: month.to_string(),
        total: days.iter().map(|d| d.pieces).sum(),
        days: days.into_iter().map(|d| DayPieces { date: d.day, pieces: d.pieces }).collect(),
    }))
}

#[derive(Debug, Deserialize)]
pub struct PhiQuery {
    /// Only the flags that concern this lot (the spraying's or the harvest's).
    lot: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PhiFlags {
    pub flags: Vec<PhiFlag>,
}

/// Every enrolled device of the co-op may read them: it holds the same events after a pull.
pub async fn phi_flags_of<S: Storage>(
    State(state): State<AppState<S>>,
    AuthedDevice(device): AuthedDevice,
    Query(query): Query<PhiQuery>,
) -> Result<Json<PhiFlags>, ApiError> {
    let events = phi_inputs(state.storage.as_ref(), &device.coop).await?;
    let lot = query.lot.map(LotId);
    let flags = phi_flags(events.iter())
        .into_iter()
        .filter(|flag| lot.is_none() || flag.lot == lot || flag.harvest_lot == lot)
        .collect();
    Ok(Json(PhiFlags { flags }))
}
