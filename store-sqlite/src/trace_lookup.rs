//! The consumer trace page's look-ups: which co-op holds a code, and how often it was looked up.

use crate::SqliteStorage;
use fieldtrace_server_store::{ScanHistory, StorageResult, TraceLookup};
use rusqlite::{params, TransactionBehavior};

impl TraceLookup for SqliteStorage {
    async fn coops_with_code(&self, code: &str) -> StorageResult<Vec<String>> {
        let code = code.to_owned();
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT DISTINCT coop_id FROM event_codes WHERE code = ?1 ORDER BY coop_id")?;
            let coops = stmt.query_map([code], |row| row.get(0))?.collect::<Result<_, _>>()?;
            Ok(coops)
        })
        .await
    }

    async fn record_trace_scan(
        &self,
        coop: &str,
        code: &str,
        at_ms: i64,
        place: Option<String>,
    ) -> StorageResult<ScanHistory> {
        let (coop, code) = (coop.to_owned(), code.to_owned());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO trace_scans (code, coop_id, at_ms, place) VALUES (?1, ?2, ?3, ?4)",
                params![code, coop, at_ms, place],
            )?;
            let (count, first_at_ms): (i64, i64) = tx.query_row(
                "SELECT count(*), min(at_ms) FROM trace_scans WHERE code = ?1 AND coop_id = ?2",
                params![code, coop],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let places = {
                let mut stmt = tx.prepare_cached(
                    "SELECT place, count(*) AS n FROM trace_scans WHERE code = ?1 AND coop_id = ?2 AND place IS NOT NULL
                     GROUP BY place ORDER BY n DESC, place LIMIT 20",
                )?;
                let rows = stmt.query_map(params![code, coop], |row| Ok((row.get(0)?, row.get::<_, i64>(1)?)))?;
                rows.map(|r| r.map(|(place, n)| (place, u64::try_from(n).unwrap_or(0)))).collect::<Result<_, _>>()?
            };
            tx.commit()?;
            Ok(ScanHistory { count: u64::try_from(count).unwrap_or(0), first_at_ms, places })
        })
        .await
    }
}
