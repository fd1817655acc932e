//! Box loggers: readings read over Bluetooth, or a logger app's CSV export, stored as events on
//! the box with the excursions they show. Parsing, limits and detection are the core's
//! (`fieldtrace_core::sensors`, `docs/sensors.md`); this only converts.

use crate::error::FieldTraceError;
use crate::field_trace::{lock, FieldTrace};
use chrono::{DateTime, FixedOffset};
use fieldtrace_core::clock::SystemClock;
use fieldtrace_core::model::{self as model, LotId};
use fieldtrace_core::sensors as core;

/// One reading: time (UTC ms), temperature in °C and/or relative humidity in %.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct LoggerReading {
    pub at_ms: i64,
    pub temperature_c: Option<f64>,
    pub humidity_percent: Option<f64>,
}

/// A lot's limits; absent means no limit on that side.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct SensorLimits {
    pub temp_min_c: Option<f64>,
    pub temp_max_c: Option<f64>,
    pub humidity_max_percent: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SensorKind {
    TemperatureCelsius,
    RelativeHumidityPercent,
}

/// Which limit was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LimitSide {
    Below,
    Above,
}

/// A run of readings outside a limit, long enough to matter.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Excursion {
    pub logger: String,
    pub sensor: SensorKind,
    pub side: LimitSide,
    /// The limit broken, in the sensor's unit (°C or % RH).
    pub threshold: f64,
    /// First and last reading outside the limit (UTC ms).
    pub start_ms: i64,
    pub end_ms: i64,
    /// The reading furthest beyond the limit.
    pub peak: f64,
}

/// A CSV line that could not be read; the other lines still count.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LogLineError {
    /// Line number in the file, from 1.
    pub line: u64,
    /// The column as the file names it, or `line` for the whole line.
    pub field: String,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SensorImportReport {
    /// The box's code key, as events are filed under.
    pub box_code: String,
    pub lot_id: Option<String>,
    /// The limits the readings were judged by; absent when the box's lot is unknown (readings
    /// are kept; importing again once it is known records the excursions).
    pub limits: Option<SensorLimits>,
    pub readings_new: u64,
    pub readings_known: u64,
    pub reading_events: u64,
    /// Whether the logger's link was changed to this box (and lot).
    pub logger_linked: bool,
    /// Every excursion in this logger's stored readings for the box, new or not.
    pub excursions: Vec<Excursion>,
    pub excursion_events: u64,
    pub line_errors: Vec<LogLineError>,
    /// CSV lines repeating an earlier line's time (the first is kept).
    pub duplicate_lines: u64,
}

impl From<model::Excursion> for Excursion {
    fn from(excursion: model::Excursion) -> Self {
        Self {
            logger: excursion.logger,
            sensor: match excursion.sensor {
                model::SensorKind::TemperatureCelsius => SensorKind::TemperatureCelsius,
                model::SensorKind::RelativeHumidityPercent => SensorKind::RelativeHumidityPercent,
            },
            side: match excursion.bound {
                model::Bound::Below => LimitSide::Below,
                model::Bound::Above => LimitSide::Above,
            },
            threshold: excursion.threshold,
            start_ms: excursion.start.timestamp_millis(),
            end_ms: excursion.end.timestamp_millis(),
            peak: excursion.peak,
        }
    }
}

impl From<core::SensorImportReport> for SensorImportReport {
    fn from(report: core::SensorImportReport) -> Self {
        Self {
            box_code: report.box_code,
            lot_id: report.lot.map(|lot| lot.0),
            limits: report.limits.map(|l| SensorLimits {
                temp_min_c: l.temp_min_c,
                temp_max_c: l.temp_max_c,
                humidity_max_percent: l.humidity_max_percent,
            }),
            readings_new: report.readings_new,
            readings_known: report.readings_known,
            reading_events: report.reading_events,
            logger_linked: report.logger_linked,
            excursions: report.excursions.into_iter().map(Excursion::from).collect(),
            excursion_events: report.excursion_events,
            line_errors: report
                .line_errors
                .into_iter()
                .map(|e| LogLineError { line: e.line, field: e.field, reason: e.reason })
                .collect(),
            duplicate_lines: report.duplicate_lines,
        }
    }
}

fn offset(minutes: i32) -> Result<FixedOffset, FieldTraceError> {
    minutes.checked_mul(60).and_then(FixedOffset::east_opt).ok_or_else(|| {
        FieldTraceError::invalid_input("utc_offset_invalid", format!("{minutes} minutes is not a UTC offset"))
    })
}

fn readings(readings: Vec<LoggerReading>, offset: FixedOffset) -> Result<Vec<core::LoggerReading>, FieldTraceError> {
    readings
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let at = DateTime::from_timestamp_millis(r.at_ms).ok_or_else(|| {
                FieldTraceError::invalid_input(
                    "sensor_import_invalid",
                    format!("reading {}: time {} ms is out of range", i + 1, r.at_ms),
                )
            })?;
            Ok(core::LoggerReading {
                at: at.with_timezone(&offset),
                temperature_c: r.temperature_c,
                humidity_percent: r.humidity_percent,
            })
        })
        .collect()
}

fn request(
    logger: String,
    box_label: String,
    lot_id: Option<String>,
    readings: Vec<core::LoggerReading>,
    min_excursion_minutes: Option<u32>,
) -> core::SensorImport {
    core::SensorImport {
        logger,
        box_label,
        lot: lot_id.map(LotId::new),
        readings,
        min_excursion_minutes: min_excursion_minutes.unwrap_or(core::DEFAULT_MIN_EXCURSION_MINUTES),
    }
}

#[uniffi::export]
impl FieldTrace {
    /// Stores readings a logger in box `box_label` (as scanned) handed over by Bluetooth, and
    /// records the excursions they show. `lot_id` absent: the lot the logger or box is known under.
    /// `utc_offset_minutes` is the offset the readings' times are kept in (China: 480).
    /// `min_excursion_minutes` absent: 30.
    pub fn import_logger_readings(
        &self,
        logger: String,
        box_label: String,
        lot_id: Option<String>,
        readings: Vec<LoggerReading>,
        utc_offset_minutes: i32,
        min_excursion_minutes: Option<u32>,
    ) -> Result<SensorImportReport, FieldTraceError> {
        let readings = self::readings(readings, offset(utc_offset_minutes)?)?;
        let user = lock(&self.session).user().clone();
        let import = request(logger, box_label, lot_id, readings, min_excursion_minutes);
        Ok(core::import_readings(&self.store, &user, &SystemClock, import)?.into())
    }

    /// Reads a logger app's CSV export (times without an offset are at `utc_offset_minutes`) and
    /// imports its good lines; bad lines come back in `line_errors`.
    pub fn import_logger_csv(
        &self,
        logger: String,
        box_label: String,
        lot_id: Option<String>,
        csv_text: String,
        utc_offset_minutes: i32,
        min_excursion_minutes: Option<u32>,
    ) -> Result<SensorImportReport, FieldTraceError> {
        let offset = offset(utc_offset_minutes)?;
        let user = lock(&self.session).user().clone();
        let import = request(logger, box_label, lot_id, Vec::new(), min_excursion_minutes);
        Ok(core::import_logger_csv(&self.store, &user, &SystemClock, &csv_text, offset, import)?.into())
    }
}
