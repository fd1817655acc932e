//! `fieldtrace serve`'s settings, from four places in this order: a command-line flag, then its
//! `FIELDTRACE_*` environment variable (clap reads both), then the TOML file named by `--config`
//! (or `FIELDTRACE_CONFIG`), then the built-in default. A box's settings live in one file under
//! version control; a container or a systemd drop-in overrides one of them with an environment
//! variable; an operator trying something passes a flag. `docs/fieldtrace.example.toml` is the
//! documented example; unknown keys and bad values are refused with the file and the key named.

use serde::Deserialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_DB: &str = "fieldtrace.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_UNPAIRED_AFTER: &str = "6h";
pub const DEFAULT_SHUTDOWN_GRACE: &str = "30s";

/// The settings as given: each flag (or its environment variable, which clap reads), and the
/// same keys in a settings file (durations as `90m`, `6h`, `2d`). `None` where not given.
#[derive(Debug, Default, Clone, PartialEq, Eq, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GivenSettings {
    /// A TOML settings file (keys as the flags, with underscores).
    #[arg(long, env = "FIELDTRACE_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// The server database [default: fieldtrace.db].
    #[arg(long, env = "FIELDTRACE_DB")]
    pub db: Option<PathBuf>,
    /// [default: 127.0.0.1:8080]
    #[arg(long, env = "FIELDTRACE_LISTEN")]
    pub listen: Option<String>,
    /// The address buyers reach this server at (trace links in exports); default: the
    /// Host each request came in on.
    #[arg(long, env = "FIELDTRACE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Request header in which the front proxy passes the client's city, shown on trace
    /// pages as where a code was looked up (e.g. X-Client-City).
    #[arg(long, env = "FIELDTRACE_GEO_HEADER")]
    pub geo_header: Option<String>,
    /// Flag a handover offer as unpaired when no acceptance arrived this long after the offer
    /// did: a number with s, m, h or d (`90m`, `6h`, `2d`) [default: 6h].
    #[arg(long, env = "FIELDTRACE_UNPAIRED_AFTER")]
    pub unpaired_after: Option<String>,
    /// On Ctrl-C or SIGTERM, how long requests in flight may still run before the server
    /// exits without them (`30s`, `2m`); keep it below systemd's TimeoutStopSec [default: 30s].
    #[arg(long, env = "FIELDTRACE_SHUTDOWN_GRACE")]
    pub shutdown_grace: Option<String>,
    /// Serve Prometheus metrics at http://ADDR/metrics, without authentication: use a
    /// loopback or private address (e.g. 127.0.0.1:9464). Default: no metrics listener.
    #[arg(long, env = "FIELDTRACE_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
}

impl GivenSettings {
    /// Reads and checks the settings file `path`; the error names the file, and toml's message
    /// names the key, line and column.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The settings `serve` runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeSettings {
    pub db: PathBuf,
    pub listen: String,
    pub public_url: Option<String>,
    pub geo_header: Option<String>,
    pub unpaired_after_ms: i64,
    pub shutdown_grace_ms: i64,
    pub metrics_listen: Option<String>,
}

impl GivenSettings {
    /// Fills what was not given from the settings file, then the defaults.
    pub fn resolve(self) -> Result<ServeSettings, String> {
        let file = match &self.config {
            Some(path) => GivenSettings::read(path)?,
            None => GivenSettings::default(),
        };
        let from = |key: &str| match &self.config {
            Some(path) => format!("{} ({key})", path.display()),
            None => key.to_owned(),
        };
        let duration = |given: Option<String>, in_file: Option<String>, default: &str, key: &str| match (given, in_file)
        {
            (Some(text), _) => parse_duration_ms(&text).map_err(|e| format!("--{}: {e}", key.replace('_', "-"))),
            (None, Some(text)) => parse_duration_ms(&text).map_err(|e| format!("{}: {e}", from(key))),
            (None, None) => parse_duration_ms(default),
        };
        Ok(ServeSettings {
            db: self.db.or(file.db).unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
            listen: self.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            public_url: self.public_url.or(file.public_url),
            geo_header: self.geo_header.or(file.geo_header),
            unpaired_after_ms: duration(
                self.unpaired_after,
                file.unpaired_after,
                DEFAULT_UNPAIRED_AFTER,
                "unpaired_after",
            )?,
            shutdown_grace_ms: duration(
                self.shutdown_grace,
                file.shutdown_grace,
                DEFAULT_SHUTDOWN_GRACE,
                "shutdown_grace",
            )?,
            metrics_listen: self.metrics_listen.or(file.metrics_listen),
        })
    }
}

/// `90m`, `6h`, `2d`, `45s` → milliseconds.
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| format!("{text:?}: expected a number then s, m, h or d"))?;
    let unit_ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        other => return Err(format!("{text:?}: unknown unit {other:?}; use s, m, h or d")),
    };
    number.checked_mul(unit_ms).filter(|ms| *ms > 0).ok_or_else(|| format!("{text:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("fieldtrace.toml");
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let (_dir, path) = file("db = \"/srv/ft.db\"\nlisten = \"0.0.0.0:80\"\nunpaired_after = \"2d\"\n");
        let given = GivenSettings { config: Some(path), listen: Some("127.0.0.1:9000".into()), ..Default::default() };
        let settings = given.resolve().expect("settings");
        assert_eq!(settings.db, PathBuf::from("/srv/ft.db"), "from the file");
        assert_eq!(settings.listen, "127.0.0.1:9000", "the flag wins");
        assert_eq!(settings.unpaired_after_ms, 2 * 86_400_000);
        assert_eq!(settings.shutdown_grace_ms, 30_000, "the default");
        assert_eq!(settings.metrics_listen, None);
    }

    #[test]
    fn without_a_file_the_defaults_hold() {
        let settings = GivenSettings::default().resolve().expect("settings");
        assert_eq!((settings.db, settings.listen), (PathBuf::from(DEFAULT_DB), DEFAULT_LISTEN.to_owned()));
        assert_eq!(settings.unpaired_after_ms, 6 * 3_600_000);
    }

    #[test]
    fn unknown_keys_bad_values_and_missing_files_are_named() {
        let (_dir, path) = file("listen = \"127.0.0.1:1\"\nlisten_addr = \"x\"\n");
        let err = GivenSettings { config: Some(path.clone()), ..Default::default() }.resolve().expect_err("unknown");
        assert!(err.contains("fieldtrace.toml") && err.contains("listen_addr"), "{err}");
        let (_dir, path) = file("shutdown_grace = \"soon\"\n");
        let err = GivenSettings { config: Some(path), ..Default::default() }.resolve().expect_err("bad value");
        assert!(err.contains("fieldtrace.toml (shutdown_grace)") && err.contains("soon"), "{err}");
        let (_dir, path) = file("listen = 8080\n");
        let err = GivenSettings { config: Some(path), ..Default::default() }.resolve().expect_err("wrong type");
        assert!(err.contains("listen"), "{err}");
        let missing = PathBuf::from("/nonexistent/fieldtrace.toml");
        let err = GivenSettings { config: Some(missing), ..Default::default() }.resolve().expect_err("missing");
        assert!(err.starts_with("/nonexistent/fieldtrace.toml"), "{err}");
        let err =
            GivenSettings { unpaired_after: Some("6x".into()), ..Default::default() }.resolve().expect_err("flag");
        assert!(err.starts_with("--unpaired-after"), "{err}");
    }

    #[test]
    fn durations_read_units_and_refuse_nonsense() {
        assert_eq!(parse_duration_ms("6h"), Ok(6 * 3_600_000));
        assert_eq!(parse_duration_ms("90m"), Ok(90 * 60_000));
        assert_eq!(parse_duration_ms("2d"), Ok(2 * 86_400_000));
        assert_eq!(parse_duration_ms("45s"), Ok(45_000));
        for bad in ["", "6", "h", "6 h", "6w", "-1h", "0h", "99999999999999999d"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_documented_example_is_valid() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/fieldtrace.example.toml");
        let settings = GivenSettings::read(&example).expect("the example parses");
        assert!(settings.db.is_some() && settings.listen.is_some(), "{settings:?}");
        let given = GivenSettings { config: Some(example), ..Default::default() };
        given.resolve().expect("and resolves");
    }
}
