//! `fieldtrace alerts config`: a co-op's alert settings, stored in the server database (the
//! running server reads them at each delivery, so no restart is needed).

use clap::Subcommand;
use fieldtrace_server::alerts::store::{AlertSettings, AlertStore};
use fieldtrace_server::storage::prelude::*;
use fieldtrace_store_sqlite::SqliteStorage;
use std::path::PathBuf;

/// The environment variable the SMS gateway token may come from (keeps it out of shell history).
pub const SMS_TOKEN_ENV: &str = "FIELDTRACE_SMS_TOKEN";

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Show or change a co-op's alert settings; options not given keep their value.
    Config {
        #[arg(long, default_value = "fieldtrace.db")]
        db: PathBuf,
        #[arg(long)]
        coop: String,
        /// Every alert is POSTed here as JSON.
        #[arg(long)]
        webhook: Option<String>,
        #[arg(long, conflicts_with = "webhook")]
        no_webhook: bool,
        /// SMS gateway: receives POST {"to", "text"} per recipient with a phone number.
        #[arg(long)]
        sms_gateway: Option<String>,
        #[arg(long, conflicts_with = "sms_gateway")]
        no_sms: bool,
        /// Bearer token for the SMS gateway (or set FIELDTRACE_SMS_TOKEN).
        #[arg(long)]
        sms_token: Option<String>,
        /// An excursion alerts when it lasts longer than this many minutes (default 30).
        #[arg(long)]
        excursion_minutes: Option<i64>,
        /// Notifications per recipient per hour before the rest are only listed (default 20).
        #[arg(long)]
        max_per_hour: Option<i64>,
    },
}

fn checked_url(option: &str, text: &str) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("--{option} {text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("--{option} {text:?}: only http:// and https:// URLs are supported"));
    }
    Ok(url.to_string())
}

/// Renders settings for the terminal, the token redacted.
pub fn describe(coop: &str, settings: &AlertSettings) -> String {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "(not configured)".to_owned());
    format!(
        "alerts of co-op {coop}:\n  webhook            {}\n  sms gateway        {}\n  sms token          {}\n  excursion minutes  {}\n  max per hour       {}\n",
        or_none(&settings.webhook_url),
        or_none(&settings.sms_gateway_url),
        if settings.sms_token.is_some() { "(set)" } else { "(none)" },
        settings.excursion_minutes,
        settings.max_per_hour,
    )
}

/// Applies the command; returns what to print.
pub async fn run(command: AlertsCommand) -> Result<String, String> {
    let AlertsCommand::Config {
        db,
        coop,
        webhook,
        no_webhook,
        sms_gateway,
        no_sms,
        sms_token,
        excursion_minutes,
        max_per_hour,
    } = command;
    let storage = SqliteStorage::open(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    if storage.coop_name(&coop).await.map_err(|e| e.to_string())?.is_none() {
        return Err(format!("no co-op {coop:?}: create it first with `fieldtrace coop`"));
    }
    let mut settings = storage.alert_settings(&coop).await.map_err(|e| e.to_string())?;
    if let Some(url) = webhook {
        settings.webhook_url = Some(checked_url("webhook", &url)?);
    }
    if no_webhook {
        settings.webhook_url = None;
    }
    if let Some(url) = sms_gateway {
        settings.sms_gateway_url = Some(checked_url("sms-gateway", &url)?);
    }
    if no_sms {
        settings.sms_gateway_url = None;
        settings.sms_token = None;
    }
    if let Some(token) = sms_token.or_else(|| std::env::var(SMS_TOKEN_ENV).ok()).filter(|t| !t.trim().is_empty()) {
        settings.sms_token = Some(token.trim().to_owned());
    }
    if let Some(minutes) = excursion_minutes {
        if !(0..=7 * 24 * 60).contains(&minutes) {
            return Err(format!("--excursion-minutes {minutes}: expected 0 to 10080 (a week)"));
        }
        settings.excursion_minutes = minutes;
    }
    if let Some(limit) = max_per_hour {
        if !(1..=10_000).contains(&limit) {
            return Err(format!("--max-per-hour {limit}: expected 1 to 10000"));
        }
        settings.max_per_hour = limit;
    }
    storage.put_alert_settings(&coop, settings.clone()).await.map_err(|e| e.to_string())?;
    Ok(describe(&coop, &settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        assert!(checked_url("webhook", "https://hooks.example.cn/ft").is_ok());
        assert!(checked_url("webhook", "ftp://x").is_err_and(|e| e.contains("--webhook")));
        assert!(checked_url("sms-gateway", "not a url").is_err_and(|e| e.contains("--sms-gateway")));
    }

    #[test]
    fn the_token_is_never_printed() {
        let settings = AlertSettings { sms_token: Some("s3cret".into()), ..AlertSettings::default() };
        assert!(!describe("c", &settings).contains("s3cret"));
        assert!(!format!("{settings:?}").contains("s3cret"));
    }
}
