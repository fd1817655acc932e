//! A co-op's read model on the server: the same deterministic fold the phones compute
//! (`fieldtrace_core::fold`), so "all replicas converged" is a digest comparison.

use crate::storage::{Storage, StorageError};
use fieldtrace_core::fold::{fold, ReplicaState};
use fieldtrace_core::model::Event;
use fieldtrace_core::sync::wire;

/// Every event of `coop`, in server order.
pub async fn coop_events<S: Storage>(storage: &S, coop: &str) -> Result<Vec<Event>, StorageError> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = storage.pull(coop, after, 5_000).await?;
        let batch = wire::batch_from_encoded(page.encoded.iter().map(Vec::as_slice));
        // Stored bytes were validated on the way in; failing to read them back is corruption.
        let decoded = wire::decode_events(&batch)
            .map_err(|e| StorageError::Backend(format!("stored event does not decode: {e}")))?;
        events.extend(decoded);
        after = page.next_after;
        if !page.has_more {
            return Ok(events);
        }
    }
}

pub async fn coop_state<S: Storage>(storage: &S, coop: &str) -> Result<ReplicaState, StorageError> {
    Ok(fold(&coop_events(storage, coop).await?))
}
