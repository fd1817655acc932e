//! Sync between phones and the co-op's server: the wire format both sides speak.
//!
//! Events are a grow-only set (merge is union, duplicates are harmless), so sync is just moving
//! events: push the outbox, pull by cursor. See `docs/sync.md`.

pub mod wire;
