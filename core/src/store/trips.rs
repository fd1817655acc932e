//! Trip events by trip: the loading screen is rebuilt from them (after a restart, or when another
//! phone's scans of the same trip sync in), and delivery finds what departed.

use super::events::decode_body;
use super::{HistoryEntry, Store};
use crate::error::Result;
use crate::model::{Event, EventKind};
use rusqlite::{params, Connection};

pub(super) fn on_insert(conn: &Connection, event: &Event, seq: i64) -> Result<()> {
    if let EventKind::Trip { trip, .. } = &event.kind {
        conn.prepare_cached("INSERT INTO trip_events (event_seq, trip) VALUES (?1, ?2)")?
            .execute(params![seq, trip])?;
    }
    Ok(())
}

impl Store {
    /// Every load, departure and delivery recorded for `trip`, oldest first in causal order, with
    /// voided ones marked.
    pub fn trip_events(&self, trip: &str) -> Result<Vec<HistoryEntry>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT e.body, EXISTS (SELECT 1 FROM events c WHERE c.voids = e.id)
                 FROM trip_events t JOIN events e ON e.seq = t.event_seq
                 WHERE t.trip = ?1 ORDER BY e.hlc_wall, e.hlc_logical, e.device_id, e.id",
            )?;
            let rows = stmt.query_map([trip], |row| Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?)))?;
            rows.map(|row| {
                let (body, voided) = row?;
                Ok(HistoryEntry { event: decode_body(&body)?, voided, via: None })
            })
            .collect()
        })
    }
}
