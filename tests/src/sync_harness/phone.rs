//! A simulated phone: a real SQLite file, a one-tap session and the real sync client.

use fieldtrace_core::clock::{ManualClock, WallClock};
use fieldtrace_core::fold::ReplicaState;
use fieldtrace_core::handover::HandoverSession;
use fieldtrace_core::model::{Actor, PartyId, Role};
use fieldtrace_core::sync::{SyncClient, SyncConfig, SyncError, SyncReport};
use fieldtrace_core::{Receipt, Session, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub struct Phone {
    pub client: SyncClient,
    pub session: Session,
    /// The handover screens of the same user on the same store and clock.
    pub handover: HandoverSession,
    pub clock: Arc<ManualClock>,
}

/// Short backoff: tests exercise retries without waiting seconds for each.
pub fn test_sync_config() -> SyncConfig {
    SyncConfig {
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(50),
        request_timeout: Duration::from_secs(20),
        ..SyncConfig::default()
    }
}

impl Phone {
    /// A phone whose clock reads `clock_offset` away from true time (clock skew).
    pub fn open(db: &Path, party: &str, role: Role, clock_offset: chrono::Duration) -> Self {
        let store = Arc::new(Store::open(db).expect("open phone database"));
        let now = chrono::Utc::now().fixed_offset() + clock_offset;
        let clock =
            Arc::new(ManualClock::new(now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))));
        let actor = Actor { party: PartyId::new(party), role };
        let session = Session::new(store.clone(), actor.clone(), clock.clone() as Arc<dyn WallClock>);
        let handover = HandoverSession::new(store.clone(), actor, clock.clone() as Arc<dyn WallClock>);
        let client = SyncClient::with_clock(store, test_sync_config(), clock.clone() as Arc<dyn WallClock>)
            .expect("sync client");
        Self { client, session, handover, clock }
    }

    pub fn store(&self) -> &Arc<Store> {
        self.client.store()
    }

    /// Scans `code` and taps 正常; moves the phone's clock on a little, as real taps are apart.
    pub fn tap_normal(&mut self, code: &str) -> Receipt {
        self.clock.advance_ms(2_500);
        self.session.scan(code).expect("scan");
        self.session.report_normal().expect("report")
    }

    pub fn state(&self) -> ReplicaState {
        self.store().state().expect("state")
    }
}

/// Every phone pushes at once (as when a village gets signal); the reports in the phones' order.
pub async fn push_all(phones: &[Arc<Phone>]) -> Result<Vec<SyncReport>, SyncError> {
    let tasks: Vec<_> = phones
        .iter()
        .map(|phone| {
            let phone = phone.clone();
            tokio::spawn(async move { phone.client.push_now().await })
        })
        .collect();
    let mut reports = Vec::with_capacity(tasks.len());
    for task in tasks {
        reports.push(task.await.map_err(|e| SyncError::Protocol(format!("push task: {e}")))??);
    }
    Ok(reports)
}
