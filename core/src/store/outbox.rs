//! The outbox: local events waiting for the server. A queue that never wedges silently: every
//! failure is counted with its reason and a time for the next attempt, and the status says so.

use super::events::decode_body;
use super::Store;
use crate::error::Result;
use crate::model::{Event, EventId};
use rusqlite::{params, Connection};

pub(super) fn enqueue(conn: &Connection, event_seq: i64, now_ms: u64) -> Result<()> {
    conn.prepare_cached("INSERT INTO outbox (event_seq, enqueued_at_ms) VALUES (?1, ?2)")?
        .execute(params![event_seq, ms(now_ms)])?;
    Ok(())
}

fn ms(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// An event waiting to be pushed, with its delivery record.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub event: Event,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// What the UI shows about the queue: "3 waiting", and why the last push failed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxStatus {
    pub pending: u64,
    /// Entries whose last attempt failed.
    pub failing: u64,
    /// The error key of the most recent failure, if any entry is failing.
    pub last_error: Option<String>,
    /// When the oldest waiting event was recorded (device ms): "waiting since".
    pub oldest_enqueued_ms: Option<i64>,
}

impl Store {
    /// How many local events are waiting for the server.
    pub fn outbox_pending_count(&self) -> Result<u64> {
        self.read(|conn| {
            let count: i64 = conn.prepare_cached("SELECT COUNT(*) FROM outbox")?.query_row([], |row| row.get(0))?;
            Ok(count.unsigned_abs())
        })
    }

    pub fn outbox_status(&self) -> Result<OutboxStatus> {
        self.read(|conn| {
            let (pending, failing, oldest): (i64, i64, Option<i64>) = conn
                .prepare_cached("SELECT COUNT(*), COUNT(last_error), MIN(enqueued_at_ms) FROM outbox")?
                .query_row([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
            let last_error: Option<String> = conn
                .prepare_cached(
                    "SELECT last_error FROM outbox WHERE last_error IS NOT NULL
                     ORDER BY last_attempt_ms DESC, event_seq DESC LIMIT 1",
                )?
                .query_row([], |row| row.get(0))
                .or_else(|err| match err {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })?;
            Ok(OutboxStatus {
                pending: pending.unsigned_abs(),
                failing: failing.unsigned_abs(),
                last_error,
                oldest_enqueued_ms: oldest,
            })
        })
    }

    /// The next events to push, oldest first, skipping those whose retry time has not come. An
    /// entry last tried "in the future" is due at once: the phone's clock was set back since, and
    /// waiting for the old clock to come round again could hold the event for hours.
    pub fn outbox_batch(&self, limit: usize, now_ms: u64) -> Result<Vec<OutboxEntry>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT e.body, o.attempts, o.last_error FROM outbox o JOIN events e ON e.seq = o.event_seq
                 WHERE o.next_attempt_ms <= ?1 OR o.last_attempt_ms > ?1 ORDER BY o.event_seq LIMIT ?2",
            )?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![ms(now_ms), limit], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?, row.get::<_, Option<String>>(2)?))
            })?;
            rows.map(|row| {
                let (body, attempts, last_error) = row?;
                Ok(OutboxEntry { event: decode_body(&body)?, attempts, last_error })
            })
            .collect()
        })
    }

    /// The server has the events (accepted now or already known): they leave the outbox.
    /// Acknowledging an event twice is harmless.
    pub fn outbox_acknowledge(&self, ids: &[EventId]) -> Result<()> {
        self.write(|tx| {
            let mut stmt =
                tx.prepare_cached("DELETE FROM outbox WHERE event_seq = (SELECT seq FROM events WHERE id = ?1)")?;
            for id in ids {
                stmt.execute([id.to_string()])?;
            }
            Ok(())
        })
    }

    /// A push of these events failed with `error_key`; try again at `retry_at_ms`.
    pub fn outbox_failed(&self, ids: &[EventId], error_key: &str, now_ms: u64, retry_at_ms: u64) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, last_attempt_ms = ?3,
                    next_attempt_ms = ?4
                 WHERE event_seq = (SELECT seq FROM events WHERE id = ?1)",
            )?;
            for id in ids {
                stmt.execute(params![id.to_string(), error_key, ms(now_ms), ms(retry_at_ms)])?;
            }
            Ok(())
        })
    }
}
