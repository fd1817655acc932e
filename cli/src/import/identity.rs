//! Who the importer is to the server. Enrollment tokens are one-time, but a file must be
//! importable again (a fix, a retry after a lost connection), so the first import redeems the
//! token like a phone does and keeps the device credential in a state file: a FieldTrace device
//! database (`fieldtrace_core::Store`) with its own device id, clock and outbox. Later imports
//! reuse it; records not yet confirmed by the server wait in its outbox and go with the next run.

use super::ImportError;
use fieldtrace_core::sync::{Enrollment, EnrollmentOffer, SyncClient};
use std::path::{Path, PathBuf};

/// `~/.fieldtrace/import-state.db`, or `./fieldtrace-import-state.db` without a home folder.
pub fn default_state_path() -> PathBuf {
    match std::env::var_os("HOME").filter(|home| !home.is_empty()) {
        Some(home) => PathBuf::from(home).join(".fieldtrace").join("import-state.db"),
        None => PathBuf::from("fieldtrace-import-state.db"),
    }
}

/// What `--token` may be: the token alone, or the enrollment QR text `fieldtrace token` prints
/// (which names the server too).
pub fn offer(server: Option<&str>, token: &str) -> Result<EnrollmentOffer, ImportError> {
    let token = token.trim();
    let offer = if token.starts_with("fieldtrace://") {
        let offer = EnrollmentOffer::parse(token).map_err(|e| ImportError::Enroll(e.to_string()))?;
        match server {
            Some(server) if !same_server(offer.server.as_str(), server) => {
                return Err(ImportError::Enroll(format!("the token is for server {}, not {server}", offer.server)));
            }
            _ => offer,
        }
    } else {
        let server = server.ok_or_else(|| ImportError::Enroll("--server is needed with a bare token".into()))?;
        EnrollmentOffer::new(server, token).map_err(|e| ImportError::Enroll(e.to_string()))?
    };
    Ok(offer)
}

fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The enrollment the state file holds, redeeming `token` first if it holds none.
pub async fn ensure_enrolled(
    client: &SyncClient,
    state: &Path,
    server: Option<&str>,
    token: Option<&str>,
) -> Result<Enrollment, ImportError> {
    if let Some(enrolled) = client.enrollment().map_err(|e| ImportError::State(e.to_string()))? {
        if let Some(server) = server.filter(|s| !same_server(enrolled.server.as_str(), s)) {
            return Err(ImportError::Enroll(format!(
                "the state file {} is enrolled with {}, not {server}; use another --state for another server",
                state.display(),
                enrolled.server
            )));
        }
        return Ok(enrolled);
    }
    let token = token.ok_or_else(|| {
        ImportError::Enroll(format!(
            "{} holds no enrollment yet: pass --token (from `fieldtrace token --role assistant`)",
            state.display()
        ))
    })?;
    let offer = offer(server, token)?;
    client.enroll(&offer.to_qr_text()).await.map_err(|e| ImportError::Enroll(e.to_string()))
}
