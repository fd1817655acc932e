//! A farmer's phone for the push and alert measurements: a real phone database, the one-tap
//! session and the real sync client, so a timed push is what a phone does — read its outbox,
//! send one `POST /v1/events` in the wire format, mark the events sent. Unlike the test
//! harness's phone, every step returns an error instead of panicking, and the client does not
//! retry, so a failed request fails the benchmark instead of being timed with its back-off.

use fieldtrace_core::clock::{SystemClock, WallClock};
use fieldtrace_core::model::{AbnormalReason, Actor, PartyId, Role};
use fieldtrace_core::sync::{EnrollmentOffer, SyncClient, SyncConfig};
use fieldtrace_core::{Session, Store};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct BenchPhone {
    client: SyncClient,
    session: Session,
}

impl BenchPhone {
    /// Opens a phone database at `db` for `party` and enrolls it with `token` at `server`.
    pub async fn enroll(db: &Path, party: &str, role: Role, server: &str, token: &str) -> Result<Self, String> {
        let store = Arc::new(Store::open(db).map_err(|e| format!("phone database {}: {e}", db.display()))?);
        let clock: Arc<dyn WallClock> = Arc::new(SystemClock);
        let session = Session::new(store.clone(), Actor { party: PartyId::new(party), role }, clock.clone());
        let config = SyncConfig { max_attempts: 1, request_timeout: Duration::from_secs(600), ..SyncConfig::default() };
        let client = SyncClient::with_clock(store, config, clock).map_err(|e| format!("sync client: {e}"))?;
        let offer = EnrollmentOffer::new(server, token).map_err(|e| format!("enrollment offer: {e}"))?;
        client.enroll(&offer.to_qr_text()).await.map_err(|e| format!("enrolling the phone: {e}"))?;
        Ok(Self { client, session })
    }

    /// Scans `code` and taps 正常 (nothing is sent yet).
    pub fn tap_normal(&mut self, code: &str) -> Result<(), String> {
        self.session.scan(code).map_err(|e| format!("scanning {code}: {e}"))?;
        self.session.report_normal().map_err(|e| format!("tapping {code}: {e}"))?;
        Ok(())
    }

    /// Scans `code` and reports it 异常 (bruised).
    pub fn tap_abnormal(&mut self, code: &str) -> Result<(), String> {
        self.session.scan(code).map_err(|e| format!("scanning {code}: {e}"))?;
        self.session
            .report_abnormal(AbnormalReason::Bruised, None, None)
            .map_err(|e| format!("reporting {code} abnormal: {e}"))?;
        Ok(())
    }

    /// Pushes everything waiting; returns how long it took. Fails unless the server accepted
    /// exactly `expected` new events.
    pub async fn push(&self, expected: u64) -> Result<Duration, String> {
        let started = Instant::now();
        let report = self.client.push_now().await.map_err(|e| format!("POST /v1/events: {e}"))?;
        let elapsed = started.elapsed();
        if report.accepted != expected || report.refused != 0 || report.pending != 0 {
            return Err(format!(
                "POST /v1/events: {} accepted, {} known, {} refused, {} still pending; {expected} were to be accepted",
                report.accepted, report.known, report.refused, report.pending
            ));
        }
        Ok(elapsed)
    }
}
