//! The alert tables (migration 007) in SQLite. Filing alerts, their notifications and the advanced
//! cursor is one transaction, so a stop at any moment either re-evaluates or has everything.

use crate::SqliteStorage;
use fieldtrace_server_store::alerts::{
    status, AlertFilter, AlertRow, AlertSettings, AlertStore, AlertToFile, Attempt, CoopCursor, DueNotification,
    Notification, Scan, SMS, WEBHOOK,
};
use fieldtrace_server_store::{StorageResult, StoredEventRow};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

fn settings_row(conn: &Connection, coop: &str) -> StorageResult<AlertSettings> {
    let row = conn
        .query_row(
            "SELECT webhook_url, sms_gateway_url, sms_token, excursion_minutes, max_per_hour FROM alert_settings WHERE coop_id = ?1",
            [coop],
            |row| {
                Ok(AlertSettings {
                    webhook_url: row.get(0)?,
                    sms_gateway_url: row.get(1)?,
                    sms_token: row.get(2)?,
                    excursion_minutes: row.get(3)?,
                    max_per_hour: row.get(4)?,
                })
            },
        )
        .optional()?;
    Ok(row.unwrap_or_default())
}

const ALERT_COLUMNS: &str = "a.id, a.kind, a.subject, a.lot_id, a.code, a.text_zh, a.text_en, a.recipients, a.created_at_ms, a.acked_at_ms, a.acked_by";

fn alert_row(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<AlertRow> {
    let recipients: String = row.get(at + 7)?;
    Ok(AlertRow {
        id: row.get(at)?,
        kind: row.get(at + 1)?,
        subject: row.get(at + 2)?,
        lot: row.get(at + 3)?,
        code: row.get(at + 4)?,
        text_zh: row.get(at + 5)?,
        text_en: row.get(at + 6)?,
        recipients: recipients.split_whitespace().map(str::to_owned).collect(),
        created_at_ms: row.get(at + 8)?,
        acked_at_ms: row.get(at + 9)?,
        acked_by: row.get(at + 10)?,
        notifications: Vec::new(),
    })
}

/// The status a new notification to `address` starts in.
fn initial_status(
    tx: &Connection,
    coop: &str,
    channel: &str,
    address: &str,
    configured: bool,
    limit: i64,
    now_ms: i64,
) -> StorageResult<&'static str> {
    if !configured {
        return Ok(status::NOT_CONFIGURED);
    }
    let sent: i64 = tx.query_row(
        "SELECT count(*) FROM alert_notifications WHERE coop_id = ?1 AND channel = ?2 AND address = ?3
         AND created_at_ms > ?4 AND status IN ('pending', 'delivered', 'failed')",
        params![coop, channel, address, now_ms - 3_600_000],
        |row| row.get(0),
    )?;
    Ok(if sent >= limit { status::RATE_LIMITED } else { status::PENDING })
}

fn file(
    conn: &mut Connection,
    coop: &str,
    alerts: &[AlertToFile],
    event_seq: i64,
    scan_rowid: i64,
    now_ms: i64,
) -> StorageResult<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let settings = settings_row(&tx, coop)?;
    let mut new = 0;
    for AlertToFile { alert, phones } in alerts {
        let inserted = tx.execute(
            "INSERT INTO alerts (coop_id, kind, subject, lot_id, code, text_zh, text_en, recipients, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (coop_id, kind, subject) DO NOTHING",
            params![
                coop,
                alert.kind.key(),
                alert.subject,
                alert.lot,
                alert.code,
                alert.text_zh,
                alert.text_en,
                alert.recipients.join(" "),
                now_ms
            ],
        )?;
        if inserted == 0 {
            continue;
        }
        new += 1;
        let alert_id = tx.last_insert_rowid();
        let mut queue = vec![(WEBHOOK, "coop".to_owned(), WEBHOOK.to_owned(), settings.webhook_url.is_some())];
        for (party, phone) in phones {
            queue.push((SMS, party.clone(), phone.clone(), settings.sms_gateway_url.is_some()));
        }
        for (channel, recipient, address, configured) in queue {
            let status = initial_status(&tx, coop, channel, &address, configured, settings.max_per_hour, now_ms)?;
            let done = (status != status::PENDING).then_some(now_ms);
            tx.execute(
                "INSERT INTO alert_notifications (alert_id, coop_id, channel, recipient, address, status, created_at_ms, next_attempt_ms, done_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
                params![alert_id, coop, channel, recipient, address, status, now_ms, done],
            )?;
        }
    }
    tx.execute(
        "INSERT INTO alert_cursors (coop_id, event_seq, scan_rowid) VALUES (?1, ?2, ?3)
         ON CONFLICT (coop_id) DO UPDATE SET event_seq = max(event_seq, ?2), scan_rowid = max(scan_rowid, ?3)",
        params![coop, event_seq, scan_rowid],
    )?;
    tx.commit()?;
    Ok(new)
}

fn notifications_of(conn: &Connection, alert: i64) -> StorageResult<Vec<Notification>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, channel, recipient, address, status, attempts, last_error, done_at_ms FROM alert_notifications WHERE alert_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([alert], |row| {
        Ok(Notification {
            id: row.get(0)?,
            channel: row.get(1)?,
            recipient: row.get(2)?,
            address: row.get(3)?,
            status: row.get(4)?,
            attempts: row.get(5)?,
            last_error: row.get(6)?,
            done_at_ms: row.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn list(conn: &Connection, coop: &str, filter: &AlertFilter) -> StorageResult<Vec<AlertRow>> {
    // Only the filters asked for, spelled out: `?n IS NULL OR …` terms would make SQLite
    // re-plan the statement on every call and walk every alert of the co-op.
    let mut sql = format!("SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.coop_id = ?1");
    let mut values: Vec<rusqlite::types::Value> = vec![coop.to_owned().into()];
    match filter.acknowledged {
        Some(true) => sql.push_str(" AND a.acked_at_ms IS NOT NULL"),
        Some(false) => sql.push_str(" AND a.acked_at_ms IS NULL"),
        None => {}
    }
    if let Some(kind) = &filter.kind {
        values.push(kind.clone().into());
        sql.push_str(&format!(" AND a.kind = ?{}", values.len()));
    }
    if let Some(before) = filter.before {
        values.push(before.into());
        let n = values.len();
        sql.push_str(&format!(
            " AND (a.created_at_ms, a.id) < (SELECT b.created_at_ms, b.id FROM alerts b WHERE b.id = ?{n})"
        ));
    }
    values.push(i64::try_from(filter.limit).unwrap_or(i64::MAX).into());
    sql.push_str(&format!(" ORDER BY a.created_at_ms DESC, a.id DESC LIMIT ?{}", values.len()));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| alert_row(row, 0))?;
    let mut alerts: Vec<AlertRow> = rows.collect::<Result<_, _>>()?;
    for alert in &mut alerts {
        alert.notifications = notifications_of(conn, alert.id)?;
    }
    Ok(alerts)
}

impl AlertStore for SqliteStorage {
    async fn alert_settings(&self, coop: &str) -> StorageResult<AlertSettings> {
        let coop = coop.to_owned();
        self.run(move |conn| settings_row(conn, &coop)).await
    }

    async fn put_alert_settings(&self, coop: &str, settings: AlertSettings) -> StorageResult<()> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO alert_settings (coop_id, webhook_url, sms_gateway_url, sms_token, excursion_minutes, max_per_hour)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (coop_id) DO UPDATE SET webhook_url = ?2,
                 sms_gateway_url = ?3, sms_token = ?4, excursion_minutes = ?5, max_per_hour = ?6",
                params![coop, settings.webhook_url, settings.sms_gateway_url, settings.sms_token, settings.excursion_minutes, settings.max_per_hour],
            )?;
            Ok(())
        })
        .await
    }

    async fn alert_cursors(&self) -> StorageResult<Vec<CoopCursor>> {
        self.run(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT c.id, coalesce(k.event_seq, 0), coalesce(k.scan_rowid, 0), c.last_seq,
                        (SELECT coalesce(max(rowid), 0) FROM trace_scans s WHERE s.coop_id = c.id)
                 FROM coops c LEFT JOIN alert_cursors k ON k.coop_id = c.id ORDER BY c.id",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok(CoopCursor {
                    coop: row.get(0)?,
                    event_seq: row.get(1)?,
                    scan_rowid: row.get(2)?,
                    last_seq: row.get(3)?,
                    last_scan_rowid: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn events_with_seq(&self, coop: &str) -> StorageResult<Vec<StoredEventRow>> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT seq, received_at_ms, body FROM events WHERE coop_id = ?1 ORDER BY seq")?;
            let rows = stmt.query_map([coop], crate::event_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn scans_after(&self, coop: &str, rowid: i64) -> StorageResult<Vec<(i64, Scan)>> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT rowid, code, place FROM trace_scans WHERE coop_id = ?1 AND rowid > ?2 ORDER BY rowid LIMIT 10000",
            )?;
            let rows: Vec<(i64, String, Option<String>)> = stmt
                .query_map(params![coop, rowid], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect::<Result<_, _>>()?;
            let mut earlier = conn.prepare_cached(
                "SELECT DISTINCT place FROM trace_scans WHERE coop_id = ?1 AND code = ?2 AND rowid < ?3 AND place IS NOT NULL ORDER BY place LIMIT 50",
            )?;
            let mut scans = Vec::with_capacity(rows.len());
            for (rowid, code, place) in rows {
                let earlier_places =
                    earlier.query_map(params![coop, code, rowid], |row| row.get(0))?.collect::<Result<_, _>>()?;
                scans.push((rowid, Scan { code, place, earlier_places }));
            }
            Ok(scans)
        })
        .await
    }

    async fn file_alerts(
        &self,
        coop: &str,
        alerts: Vec<AlertToFile>,
        event_seq: i64,
        scan_rowid: i64,
        now_ms: i64,
    ) -> StorageResult<usize> {
        let coop = coop.to_owned();
        self.run(move |conn| file(conn, &coop, &alerts, event_seq, scan_rowid, now_ms)).await
    }

    async fn due_notifications(&self, now_ms: i64, limit: usize) -> StorageResult<Vec<DueNotification>> {
        self.run(move |conn| {
            let sql = format!(
                "SELECT n.id, n.coop_id, n.channel, n.address, n.attempts, {ALERT_COLUMNS} FROM alert_notifications n
                 JOIN alerts a ON a.id = n.alert_id WHERE n.status = 'pending' AND n.next_attempt_ms <= ?1
                 ORDER BY n.next_attempt_ms, n.id LIMIT ?2"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt.query_map(params![now_ms, limit], |row| {
                Ok(DueNotification {
                    id: row.get(0)?,
                    coop: row.get(1)?,
                    channel: row.get(2)?,
                    address: row.get(3)?,
                    attempts: row.get(4)?,
                    alert: alert_row(row, 5)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn next_notification_ms(&self) -> StorageResult<Option<i64>> {
        self.run(|conn| {
            Ok(conn.query_row(
                "SELECT min(next_attempt_ms) FROM alert_notifications WHERE status = 'pending'",
                [],
                |row| row.get(0),
            )?)
        })
        .await
    }

    async fn pending_notification_count(&self) -> StorageResult<u64> {
        // Read beside the writer: a scrape never queues behind a push.
        self.read(|conn| {
            let count: i64 =
                conn.query_row("SELECT count(*) FROM alert_notifications WHERE status = 'pending'", [], |row| {
                    row.get(0)
                })?;
            Ok(u64::try_from(count).unwrap_or(0))
        })
        .await
    }

    async fn record_attempt(&self, id: i64, attempt: Attempt, now_ms: i64) -> StorageResult<()> {
        self.run(move |conn| {
            let (state, next, error, done) = match attempt {
                Attempt::Delivered => (status::DELIVERED, now_ms, None, Some(now_ms)),
                Attempt::Retry { next_attempt_ms, error } => (status::PENDING, next_attempt_ms, Some(error), None),
                Attempt::Failed { error } => (status::FAILED, now_ms, Some(error), Some(now_ms)),
                Attempt::NotConfigured => (status::NOT_CONFIGURED, now_ms, None, Some(now_ms)),
            };
            let counts = if state == status::NOT_CONFIGURED { 0 } else { 1 };
            conn.execute(
                "UPDATE alert_notifications SET status = ?2, attempts = attempts + ?3, next_attempt_ms = ?4,
                 last_error = coalesce(?5, last_error), done_at_ms = ?6 WHERE id = ?1",
                params![id, state, counts, next, error, done],
            )?;
            Ok(())
        })
        .await
    }

    async fn alerts(&self, coop: &str, filter: AlertFilter) -> StorageResult<Vec<AlertRow>> {
        let coop = coop.to_owned();
        self.read(move |conn| list(conn, &coop, &filter)).await
    }

    async fn acknowledge_alert(&self, coop: &str, id: i64, by: &str, now_ms: i64) -> StorageResult<bool> {
        let (coop, by) = (coop.to_owned(), by.to_owned());
        self.run(move |conn| {
            let changed = conn.execute(
                "UPDATE alerts SET acked_at_ms = ?3, acked_by = ?4 WHERE id = ?1 AND coop_id = ?2 AND acked_at_ms IS NULL",
                params![id, coop, now_ms, by],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn open_alert_count(&self, coop: &str) -> StorageResult<u64> {
        let coop = coop.to_owned();
        // On a read connection, through the open alerts' own index (every page shows the badge).
        self.read(move |conn| {
            let n: i64 = conn.query_row(
                "SELECT count(*) FROM alerts WHERE coop_id = ?1 AND acked_at_ms IS NULL",
                [coop],
                |row| row.get(0),
            )?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}
