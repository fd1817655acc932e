//! The logger CSV reader on arbitrary text: it may refuse a file or a line, never panic, and every
//! reading it returns is finite, in time order and within the plausible ranges.
#![no_main]

use chrono::FixedOffset;
use fieldtrace_core::sensors::parse_logger_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(offset) = FixedOffset::east_opt(8 * 3600) else { return };
    if let Ok(log) = parse_logger_csv(text, offset) {
        assert!(log.readings.windows(2).all(|w| w[0].at < w[1].at));
        for r in &log.readings {
            assert!(r.temperature_c.is_none_or(|t| t.is_finite() && (-60.0..=100.0).contains(&t)));
            assert!(r.humidity_percent.is_none_or(|h| h.is_finite() && (0.0..=100.0).contains(&h)));
        }
    }
});
