//! A co-op's whole log and its fold, for offline tools and tests only: the demo's summary,
//! convergence checks ("all replicas converged" is a digest comparison with the phones' fold).
//! Nothing on a request path reads these — requests read the persisted read models
//! (`crate::projection`), whatever the log's length.

use crate::storage::{Storage, StorageError};
use fieldtrace_core::fold::{fold, ReplicaState};
use fieldtrace_core::model::Event;
use fieldtrace_core::sync::wire;

/// Events decoded per store round trip.
const PAGE: usize = 5_000;

/// Every event of `coop`, in server order, decoded from the store.
pub async fn coop_events<S: Storage>(storage: &S, coop: &str) -> Result<Vec<Event>, StorageError> {
    Ok(events_after(storage, coop, 0).await?.0)
}

/// The co-op's folded state, from the store.
pub async fn coop_state<S: Storage>(storage: &S, coop: &str) -> Result<ReplicaState, StorageError> {
    Ok(fold(&coop_events(storage, coop).await?))
}

/// Events of `coop` with sequence numbers above `after`, and the last sequence number read.
async fn events_after<S: Storage>(storage: &S, coop: &str, after: i64) -> Result<(Vec<Event>, i64), StorageError> {
    let mut events = Vec::new();
    let mut after = after;
    loop {
        let page = storage.pull(coop, after, PAGE).await?;
        let batch = wire::batch_from_encoded(page.encoded.iter().map(Vec::as_slice));
        // Stored bytes were validated on the way in; failing to read them back is corruption.
        let decoded = wire::decode_events(&batch)
            .map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))?;
        events.extend(decoded);
        after = page.next_after;
        if !page.has_more {
            return Ok((events, after));
        }
    }
}
