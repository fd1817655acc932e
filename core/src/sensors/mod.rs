//! Temperature/humidity loggers packed in boxes: reading their exports, judging the readings
//! against the lot's limits, and recording readings and excursions as events on the box, so a
//! warm truck shows in the box's custody chain. Formats and rules: `docs/sensors.md`.
//!
//! - [`parse_logger_csv`]: a logger app's CSV export → readings, with an error per bad line.
//! - [`detect_excursions`]: pure: readings + limits → runs outside the limits long enough to matter.
//! - [`lot_limits`] / [`typical_limits`]: a lot's limits from its registers or its product.
//! - [`import_readings`] / [`import_logger_csv`]: what a phone (or the CLI) calls to store them.

mod excursion;
mod import;
mod limits;
mod logger_csv;

pub use excursion::{detect_excursions, DetectOptions, Limits};
pub use import::{import_logger_csv, import_readings, SensorImport, SensorImportReport, DEFAULT_MIN_EXCURSION_MINUTES};
pub use limits::{lot_limits, typical_limits, TYPICAL_LIMITS};
pub use logger_csv::{parse_logger_csv, parse_timestamp, LineError, ParsedLog, SensorError, TemperatureUnit};

use chrono::{DateTime, FixedOffset};

/// One reading of a logger: temperature in °C and/or relative humidity in %, at the logger's time.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggerReading {
    pub at: DateTime<FixedOffset>,
    pub temperature_c: Option<f64>,
    pub humidity_percent: Option<f64>,
}
