//! Where `fieldtrace`'s logs go and how they look. The server crates only emit `tracing` spans and
//! events; this, the binary's side, picks the output: `--log-format pretty` (one readable line
//! per event, the default) or `json` (one JSON object per line, for a log shipper), set by flag
//! or by `FIELDTRACE_LOG_FORMAT`, and the levels by `RUST_LOG` (`info`, `fieldtrace_server=debug`…).
//! Lines go to stderr; stdout stays for what a command prints (URLs, reports).

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The environment variable that sets the format when `--log-format` is not given.
pub const FORMAT_ENV: &str = "FIELDTRACE_LOG_FORMAT";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event, with its span's fields (the request id).
    Pretty,
    /// One JSON object per line: `timestamp`, `level`, `target`, the event's fields flattened,
    /// and `span` with the request's fields.
    Json,
}

/// A subscriber writing `format` lines to `writer` for what `directives` (`RUST_LOG` syntax)
/// enables. Separate from [`init`] so tests can capture exactly what the binary would print.
pub fn subscriber<W>(
    format: LogFormat,
    directives: &str,
    writer: W,
) -> Result<Box<dyn Subscriber + Send + Sync>, String>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(directives).map_err(|err| format!("log levels {directives:?}: {err}"))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    Ok(match format {
        LogFormat::Pretty => Box::new(builder.finish()),
        LogFormat::Json => {
            Box::new(builder.json().flatten_event(true).with_current_span(true).with_span_list(false).finish())
        }
    })
}

/// Installs the process's logger on stderr: levels from `RUST_LOG`, else `default_directives`.
pub fn init(format: LogFormat, default_directives: &str) -> Result<(), String> {
    let directives = match std::env::var("RUST_LOG") {
        Ok(value) if !value.trim().is_empty() => value,
        _ => default_directives.to_owned(),
    };
    let subscriber = subscriber(format, &directives, std::io::stderr)?;
    tracing::subscriber::set_global_default(subscriber).map_err(|err| format!("installing the logger: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn captured(format: LogFormat) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(format, "info", move || writer.clone()).expect("subscriber");
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request_id = %"req-42");
            span.in_scope(|| tracing::info!(device = "d-1", accepted = 3, "sync push"));
            tracing::debug!("below the level");
        });
        let bytes = buffer.0.lock().expect("buffer").clone();
        String::from_utf8(bytes).expect("utf-8")
    }

    #[test]
    fn json_lines_carry_the_event_fields_and_the_request_id() {
        let text = captured(LogFormat::Json);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "the debug line is filtered out: {text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).expect("one JSON object per line");
        assert_eq!(line["message"], "sync push");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["accepted"], 3);
        assert_eq!(line["span"]["request_id"], "req-42");
    }

    #[test]
    fn pretty_lines_are_readable_and_carry_the_request_id() {
        let text = captured(LogFormat::Pretty);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains("request_id=req-42") && text.contains("sync push") && text.contains("accepted=3"),
            "{text}"
        );
    }

    #[test]
    fn bad_levels_are_reported() {
        assert!(subscriber(LogFormat::Pretty, "fieldtrace=loudest", std::io::sink).is_err());
    }
}
