//! Excursion detection: a pure function from readings and limits to the runs outside the limits
//! that lasted long enough to matter. No I/O, so it is tested on its own and gives the same
//! answer on every device for the same readings.

use super::LoggerReading;
use crate::model::{Bound, Excursion, SensorKind};
use chrono::Duration;

/// A lot's limits; `None` means "no limit on that side".
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    pub temp_min_c: Option<f64>,
    pub temp_max_c: Option<f64>,
    pub humidity_max_percent: Option<f64>,
}

impl Limits {
    pub fn is_empty(&self) -> bool {
        self.temp_min_c.is_none() && self.temp_max_c.is_none() && self.humidity_max_percent.is_none()
    }
}

/// How readings become excursions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectOptions {
    /// A run outside the limits counts when its first and last reading are at least this far
    /// apart: a door opened for a minute is not an excursion.
    pub min_duration: Duration,
    /// Two readings further apart than this do not make one run (the logger was off or its
    /// memory was cleared): nobody knows what happened between them.
    pub max_gap: Duration,
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self { min_duration: Duration::minutes(30), max_gap: Duration::minutes(30) }
    }
}

/// The excursions in `readings` (any order) against `limits`, ordered by start, then sensor and
/// side. In range is inclusive: 5.0 °C is within a 0–5 °C limit.
pub fn detect_excursions(
    logger: &str,
    readings: &[LoggerReading],
    limits: &Limits,
    options: &DetectOptions,
) -> Vec<Excursion> {
    let mut sorted: Vec<&LoggerReading> = readings.iter().collect();
    sorted.sort_by_key(|r| r.at);
    let checks = [
        (SensorKind::TemperatureCelsius, Bound::Below, limits.temp_min_c),
        (SensorKind::TemperatureCelsius, Bound::Above, limits.temp_max_c),
        (SensorKind::RelativeHumidityPercent, Bound::Above, limits.humidity_max_percent),
    ];
    let mut found = Vec::new();
    for (sensor, bound, threshold) in checks {
        let Some(threshold) = threshold else { continue };
        let values = sorted.iter().filter_map(|r| Some((r.at, value_of(r, sensor)?)));
        let check = Check { logger, sensor, bound, threshold, options };
        check.runs(values, &mut found);
    }
    found.sort_by(|a, b| {
        (a.start, sensor_rank(a.sensor), a.bound == Bound::Above).cmp(&(
            b.start,
            sensor_rank(b.sensor),
            b.bound == Bound::Above,
        ))
    });
    found
}

fn sensor_rank(sensor: SensorKind) -> u8 {
    match sensor {
        SensorKind::TemperatureCelsius => 0,
        SensorKind::RelativeHumidityPercent => 1,
    }
}

fn value_of(reading: &LoggerReading, sensor: SensorKind) -> Option<f64> {
    match sensor {
        SensorKind::TemperatureCelsius => reading.temperature_c,
        SensorKind::RelativeHumidityPercent => reading.humidity_percent,
    }
}

struct Check<'a> {
    logger: &'a str,
    sensor: SensorKind,
    bound: Bound,
    threshold: f64,
    options: &'a DetectOptions,
}

type At = chrono::DateTime<chrono::FixedOffset>;

/// A run in progress: first and last reading outside the limit, and the worst value.
struct Run {
    start: At,
    end: At,
    peak: f64,
}

impl Check<'_> {
    fn outside(&self, value: f64) -> bool {
        match self.bound {
            Bound::Above => value > self.threshold,
            Bound::Below => value < self.threshold,
        }
    }

    fn worse(&self, a: f64, b: f64) -> f64 {
        match self.bound {
            Bound::Above => a.max(b),
            Bound::Below => a.min(b),
        }
    }

    fn runs(&self, values: impl Iterator<Item = (At, f64)>, found: &mut Vec<Excursion>) {
        let mut run: Option<Run> = None;
        let mut previous: Option<At> = None;
        for (at, value) in values {
            let gap = previous.is_some_and(|p| at - p > self.options.max_gap);
            previous = Some(at);
            if gap {
                self.close(run.take(), found);
            }
            if !self.outside(value) {
                self.close(run.take(), found);
                continue;
            }
            run = Some(match run {
                Some(r) => Run { end: at, peak: self.worse(r.peak, value), ..r },
                None => Run { start: at, end: at, peak: value },
            });
        }
        self.close(run, found);
    }

    fn close(&self, run: Option<Run>, found: &mut Vec<Excursion>) {
        let Some(run) = run else { return };
        if run.end - run.start < self.options.min_duration {
            return;
        }
        found.push(Excursion {
            logger: self.logger.to_owned(),
            sensor: self.sensor,
            bound: self.bound,
            threshold: self.threshold,
            start: run.start,
            end: run.end,
            peak: run.peak,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensors::logger_csv::parse_logger_csv;
    use chrono::{DateTime, FixedOffset};

    fn china() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("offset")
    }

    fn t0() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-23T00:00:00+08:00").expect("time")
    }

    /// Temperatures every 5 minutes from t0.
    fn every_5_min(temps: &[f64]) -> Vec<LoggerReading> {
        temps
            .iter()
            .enumerate()
            .map(|(i, t)| LoggerReading {
                at: t0() + Duration::minutes(5 * i as i64),
                temperature_c: Some(*t),
                humidity_percent: None,
            })
            .collect()
    }

    fn kiwi() -> Limits {
        Limits { temp_min_c: Some(0.0), temp_max_c: Some(5.0), humidity_max_percent: None }
    }

    #[test]
    fn a_run_of_at_least_the_minimum_duration_is_an_excursion() {
        // 6.0 from minute 10 to minute 40 (7 readings, 30 minutes), peak 7.5.
        let readings = every_5_min(&[4.0, 4.5, 6.0, 6.5, 7.5, 7.0, 6.0, 5.5, 6.0, 4.0, 3.0]);
        let found = detect_excursions("LG-1", &readings, &kiwi(), &DetectOptions::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let x = &found[0];
        assert_eq!((x.sensor, x.bound, x.threshold, x.peak), (SensorKind::TemperatureCelsius, Bound::Above, 5.0, 7.5));
        assert_eq!((x.start, x.end), (t0() + Duration::minutes(10), t0() + Duration::minutes(40)));
        assert_eq!(x.logger, "LG-1");
    }

    #[test]
    fn one_reading_short_of_the_minimum_is_not_an_excursion() {
        // Outside from minute 10 to minute 35: 25 minutes < 30.
        let readings = every_5_min(&[4.0, 4.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 4.0]);
        assert!(detect_excursions("L", &readings, &kiwi(), &DetectOptions::default()).is_empty());
        let single_spike = every_5_min(&[4.0, 4.0, 25.0, 4.0, 4.0]);
        assert!(detect_excursions("L", &single_spike, &kiwi(), &DetectOptions::default()).is_empty());
        // With no minimum the spike is reported, start = end.
        let eager = DetectOptions { min_duration: Duration::zero(), ..DetectOptions::default() };
        let found = detect_excursions("L", &single_spike, &kiwi(), &eager);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].start, found[0].peak), (found[0].end, 25.0));
    }

    #[test]
    fn the_limits_themselves_are_in_range() {
        let at_limits = every_5_min(&[5.0; 20]);
        assert!(detect_excursions("L", &at_limits, &kiwi(), &DetectOptions::default()).is_empty());
        let at_min = every_5_min(&[0.0; 20]);
        assert!(detect_excursions("L", &at_min, &kiwi(), &DetectOptions::default()).is_empty());
        let just_above = every_5_min(&[5.01; 20]);
        assert_eq!(detect_excursions("L", &just_above, &kiwi(), &DetectOptions::default()).len(), 1);
    }

    #[test]
    fn below_the_minimum_reports_the_lowest_value() {
        let readings = every_5_min(&[1.0, -0.5, -2.0, -1.0, -0.5, -0.5, -0.3, -0.1, 0.5]);
        let found = detect_excursions("L", &readings, &kiwi(), &DetectOptions::default());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].bound, found[0].peak, found[0].threshold), (Bound::Below, -2.0, 0.0));
    }

    #[test]
    fn a_gap_in_the_readings_splits_a_run() {
        // 20 minutes outside, a 2-hour hole, 20 minutes outside: neither half reaches 30 minutes.
        let mut readings = every_5_min(&[7.0, 7.0, 7.0, 7.0, 7.0]);
        let later: Vec<LoggerReading> = every_5_min(&[7.0, 7.0, 7.0, 7.0, 7.0])
            .into_iter()
            .map(|r| LoggerReading { at: r.at + Duration::hours(2) + Duration::minutes(20), ..r })
            .collect();
        readings.extend(later);
        assert!(detect_excursions("L", &readings, &kiwi(), &DetectOptions::default()).is_empty());
        // Allowing long gaps joins them into one run of 2 h 40 min.
        let tolerant = DetectOptions { max_gap: Duration::hours(3), ..DetectOptions::default() };
        let found = detect_excursions("L", &readings, &kiwi(), &tolerant);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].end - found[0].start, Duration::minutes(160));
    }

    #[test]
    fn readings_in_any_order_give_the_same_excursions_and_humidity_is_checked_on_its_own() {
        let mut readings = every_5_min(&[3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]);
        for (i, r) in readings.iter_mut().enumerate() {
            r.humidity_percent = Some(if (1..=7).contains(&i) { 99.0 } else { 90.0 });
        }
        let limits = Limits { humidity_max_percent: Some(95.0), ..kiwi() };
        let forward = detect_excursions("L", &readings, &limits, &DetectOptions::default());
        readings.reverse();
        assert_eq!(detect_excursions("L", &readings, &limits, &DetectOptions::default()), forward);
        assert_eq!(forward.len(), 1);
        assert_eq!((forward[0].sensor, forward[0].peak), (SensorKind::RelativeHumidityPercent, 99.0));
    }

    #[test]
    fn fahrenheit_files_are_judged_in_celsius() {
        // 41 °F = 5 °C (in range), 44.6 °F = 7 °C (above a kiwi's 5 °C), 33.8 °F = 1 °C.
        let mut csv = String::from("Time,Temperature(°F)\n");
        for (i, f) in [41.0, 44.6, 44.6, 44.6, 44.6, 44.6, 44.6, 44.6, 33.8].iter().enumerate() {
            csv.push_str(&format!("2026-11-23 00:{:02}:00,{f}\n", i * 5));
        }
        let log = parse_logger_csv(&csv, china()).expect("parses");
        assert!(log.errors.is_empty(), "{:?}", log.errors);
        let found = detect_excursions("L", &log.readings, &kiwi(), &DetectOptions::default());
        assert_eq!(found.len(), 1);
        assert!((found[0].peak - 7.0).abs() < 1e-9, "peak {}", found[0].peak);
        assert_eq!(found[0].end - found[0].start, Duration::minutes(30));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Temperatures at increasing times, 1 to 50 minutes apart, around a kiwi's 0–5 °C.
        fn readings() -> impl Strategy<Value = Vec<LoggerReading>> {
            prop::collection::vec((1i64..50, -3.0f64..9.0), 0..120).prop_map(|steps| {
                let mut at = t0();
                steps
                    .into_iter()
                    .map(|(gap, t)| {
                        at += Duration::minutes(gap);
                        LoggerReading { at, temperature_c: Some((t * 2.0).round() / 2.0), humidity_percent: None }
                    })
                    .collect()
            })
        }

        proptest! {
            #[test]
            fn excursions_are_maximal_runs_outside_and_ignore_input_order(
                sorted in readings(),
                shuffled_seed in any::<u64>(),
            ) {
                let options = DetectOptions::default();
                let found = detect_excursions("L", &sorted, &kiwi(), &options);
                let mut shuffled = sorted.clone();
                let n = shuffled.len().max(1) as u64;
                for i in 0..shuffled.len() {
                    let j = ((shuffled_seed.wrapping_mul(i as u64 + 7)) % n) as usize;
                    shuffled.swap(i, j);
                }
                prop_assert_eq!(&detect_excursions("L", &shuffled, &kiwi(), &options), &found);
                for x in &found {
                    prop_assert!(x.end - x.start >= options.min_duration);
                    let limit = if x.bound == Bound::Above { 5.0 } else { 0.0 };
                    let outside = |t: f64| if x.bound == Bound::Above { t > limit } else { t < limit };
                    let inside: Vec<&LoggerReading> =
                        sorted.iter().filter(|r| r.at >= x.start && r.at <= x.end).collect();
                    let temps: Vec<f64> = inside.iter().filter_map(|r| r.temperature_c).collect();
                    prop_assert!(temps.iter().all(|t| outside(*t)), "{:?} in {:?}", temps, x);
                    let worst = temps.iter().copied().fold(temps[0], |a, b| if outside(b) && (b - limit).abs() > (a - limit).abs() { b } else { a });
                    prop_assert_eq!(x.peak, worst);
                    prop_assert!(inside.windows(2).all(|w| w[1].at - w[0].at <= options.max_gap));
                    // Maximal: the readings just before and after are back in range or too far away.
                    let before = sorted.iter().rev().find(|r| r.at < x.start);
                    let after = sorted.iter().find(|r| r.at > x.end);
                    for (neighbour, edge) in [(before, x.start), (after, x.end)] {
                        if let Some(r) = neighbour {
                            let near = (r.at - edge).abs() <= options.max_gap;
                            prop_assert!(!(near && r.temperature_c.is_some_and(outside)), "{:?} extends {:?}", r, x);
                        }
                    }
                }
            }
        }
    }
}
