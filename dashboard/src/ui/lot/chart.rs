//! The temperature chart: an inline SVG drawn on the server (no JavaScript), one line per logger
//! box, the lot's limits as a green band, each excursion as a red span with its peak. It carries
//! a `<title>` and a `<desc>` that say in words what it shows, for screen readers; the drawing is
//! 480 units wide with 18-unit text, so its labels stay about 12 px tall on a 360-pixel phone.

use chrono::{DateTime, FixedOffset};
use std::fmt::Write;

pub const WIDTH: f64 = 480.0;
pub const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 38.0;
const COLOURS: [&str; 4] = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00"];

/// One logger's readings: `(UTC ms, °C)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(i64, f64)>,
}

/// An excursion to mark: first and last reading outside the limit, and the worst value.
#[derive(Debug, Clone, PartialEq)]
pub struct ExcursionMark {
    pub start_ms: i64,
    pub end_ms: i64,
    pub peak: f64,
}

/// Words the chart needs (title and description already filled in by the caller).
pub struct ChartText<'a> {
    pub title: &'a str,
    pub desc: &'a str,
    pub excursion: &'a str,
}

/// Maps time and temperature to drawing coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub t0: i64,
    pub t1: i64,
    /// Whole degrees at the bottom and top of the plot.
    pub lo: f64,
    pub hi: f64,
}

impl Scale {
    /// Covers every point, every mark and the band, with a degree of room, on whole degrees.
    pub fn fit(series: &[Series], marks: &[ExcursionMark], band: (Option<f64>, Option<f64>)) -> Option<Self> {
        let points = series.iter().flat_map(|s| s.points.iter());
        let times = points.clone().map(|p| p.0).chain(marks.iter().flat_map(|m| [m.start_ms, m.end_ms]));
        let (t0, t1) = (times.clone().min()?, times.max()?);
        let values = points.map(|p| p.1).chain(marks.iter().map(|m| m.peak)).chain(band.0).chain(band.1);
        let lo = values.clone().fold(f64::INFINITY, f64::min);
        let hi = values.fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() || !hi.is_finite() {
            return None;
        }
        // A single instant still gets a visible width.
        let t1 = if t1 == t0 { t0 + 60_000 } else { t1 };
        Some(Self { t0, t1, lo: (lo - 1.0).floor(), hi: (hi + 1.0).ceil() })
    }

    pub fn x(&self, ms: i64) -> f64 {
        LEFT + (ms - self.t0) as f64 / (self.t1 - self.t0) as f64 * (WIDTH - LEFT - RIGHT)
    }

    pub fn y(&self, celsius: f64) -> f64 {
        TOP + (self.hi - celsius) / (self.hi - self.lo) * (HEIGHT - TOP - BOTTOM)
    }

    /// Whole-degree ticks, at most 7.
    pub fn y_ticks(&self) -> Vec<f64> {
        let span = self.hi - self.lo;
        let step = [1.0, 2.0, 5.0, 10.0, 20.0].into_iter().find(|s| span / s <= 6.0).unwrap_or(50.0);
        let mut ticks = Vec::new();
        let mut v = (self.lo / step).ceil() * step;
        while v <= self.hi + 1e-9 {
            // `+ 0.0` turns -0 into 0, which would otherwise print as "-0°".
            ticks.push(v + 0.0);
            v += step;
        }
        ticks
    }
}

/// Escapes text for SVG/HTML content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn clock(ms: i64, offset: FixedOffset, with_date: bool) -> String {
    let Some(at) = DateTime::from_timestamp_millis(ms) else { return String::new() };
    at.with_timezone(&offset).format(if with_date { "%m-%d %H:%M" } else { "%H:%M" }).to_string()
}

/// The chart, or `None` when there is nothing to draw.
pub fn temperature_svg(
    series: &[Series],
    band: (Option<f64>, Option<f64>),
    marks: &[ExcursionMark],
    offset: FixedOffset,
    text: &ChartText<'_>,
) -> Option<String> {
    if series.iter().all(|s| s.points.is_empty()) {
        return None;
    }
    let scale = Scale::fit(series, marks, band)?;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg" font-size="18"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(text.title),
        escape(text.desc)
    );
    let (left, right, bottom) = (LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM);
    // The allowed band.
    if band.0.is_some() || band.1.is_some() {
        let top_y = band.1.map_or(TOP, |max| scale.y(max));
        let bottom_y = band.0.map_or(bottom, |min| scale.y(min));
        let _ = write!(
            svg,
            r##"<rect class="band" x="{left:.1}" y="{top_y:.1}" width="{:.1}" height="{:.1}" fill="#c8e6c9" opacity="0.6"/>"##,
            right - left,
            (bottom_y - top_y).max(0.0)
        );
        for limit in [band.0, band.1].into_iter().flatten() {
            let y = scale.y(limit);
            let _ = write!(
                svg,
                r##"<line class="limit" x1="{left:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#2e7d32" stroke-dasharray="6 4"/>"##
            );
        }
    }
    // Axes and ticks.
    let _ = write!(
        svg,
        r##"<g stroke="#99a" fill="none"><line x1="{left:.1}" y1="{TOP:.1}" x2="{left:.1}" y2="{bottom:.1}"/><line x1="{left:.1}" y1="{bottom:.1}" x2="{right:.1}" y2="{bottom:.1}"/></g>"##
    );
    for tick in scale.y_ticks() {
        let y = scale.y(tick);
        let _ = write!(
            svg,
            r##"<line x1="{:.1}" y1="{y:.1}" x2="{right:.1}" y2="{y:.1}" stroke="#e3e8e0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#445">{tick}°</text>"##,
            left,
            left - 4.0,
            y + 6.0
        );
    }
    let with_date = scale.t1 - scale.t0 > 20 * 3_600_000;
    for i in 0..=3 {
        let ms = scale.t0 + (scale.t1 - scale.t0) * i / 3;
        let anchor = match i {
            0 => "start",
            3 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" fill="#445">{}</text>"##,
            scale.x(ms),
            HEIGHT - 10.0,
            clock(ms, offset, with_date)
        );
    }
    // Excursions under the lines, so the readings stay visible.
    for mark in marks {
        let (x0, x1) = (scale.x(mark.start_ms), scale.x(mark.end_ms));
        let peak_y = scale.y(mark.peak);
        let label = format!(
            "{} {}–{} {:.1} °C",
            text.excursion,
            clock(mark.start_ms, offset, false),
            clock(mark.end_ms, offset, false),
            mark.peak
        );
        let _ = write!(
            svg,
            r##"<g class="excursion" data-peak="{:.1}"><title>{}</title><rect x="{x0:.1}" y="{TOP:.1}" width="{:.1}" height="{:.1}" fill="#e53935" opacity="0.18"/><circle cx="{:.1}" cy="{peak_y:.1}" r="5" fill="#c62828"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#c62828" font-weight="700">▲ {:.1}°</text></g>"##,
            mark.peak,
            escape(&label),
            (x1 - x0).max(3.0),
            bottom - TOP,
            (x0 + x1) / 2.0,
            ((x0 + x1) / 2.0).clamp(left + 24.0, right - 24.0),
            (peak_y - 9.0).max(14.0),
            mark.peak
        );
    }
    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let points: Vec<String> =
            s.points.iter().map(|(ms, c)| format!("{:.1},{:.1}", scale.x(*ms), scale.y(*c))).collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round" points="{}"><title>{}</title></polyline>"#,
            points.join(" "),
            escape(&s.label)
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("offset")
    }

    fn text() -> ChartText<'static> {
        ChartText { title: "温度 <K-1>", desc: "两个读数", excursion: "超限" }
    }

    #[test]
    fn the_scale_covers_points_band_and_marks_on_whole_degrees() {
        let series = [Series { label: "LG-1".into(), points: vec![(0, 2.4), (2 * H, 6.2)] }];
        let marks = [ExcursionMark { start_ms: H, end_ms: 3 * H, peak: 7.3 }];
        let scale = Scale::fit(&series, &marks, (Some(0.0), Some(5.0))).expect("scale");
        assert_eq!(scale, Scale { t0: 0, t1: 3 * H, lo: -1.0, hi: 9.0 });
        assert!((scale.x(0) - LEFT).abs() < 1e-9);
        assert!((scale.x(3 * H) - (WIDTH - RIGHT)).abs() < 1e-9);
        assert!((scale.y(9.0) - TOP).abs() < 1e-9);
        assert!((scale.y(-1.0) - (HEIGHT - BOTTOM)).abs() < 1e-9);
        // Halfway in time and temperature is halfway on the drawing.
        assert!((scale.x(3 * H / 2) - (LEFT + (WIDTH - LEFT - RIGHT) / 2.0)).abs() < 1e-9);
        assert!((scale.y(4.0) - (TOP + (HEIGHT - TOP - BOTTOM) / 2.0)).abs() < 1e-9);
        assert_eq!(scale.y_ticks(), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
    }

    #[test]
    fn excursions_are_marked_where_they_happened_with_their_peak() {
        let series = [Series { label: "LG-1 · box".into(), points: (0..12).map(|i| (i * H / 4, 3.0)).collect() }];
        let marks = [ExcursionMark { start_ms: H, end_ms: H + 45 * 60_000, peak: 7.5 }];
        let svg = temperature_svg(&series, (Some(0.0), Some(5.0)), &marks, cst(), &text()).expect("svg");
        assert_eq!(svg.matches(r#"class="excursion""#).count(), 1);
        let scale = Scale::fit(&series, &marks, (Some(0.0), Some(5.0))).expect("scale");
        assert!(svg.contains(&format!(r#"<rect x="{:.1}" y="{TOP:.1}""#, scale.x(H))), "{svg}");
        assert!(svg.contains("▲ 7.5°"));
        // 08:00 + 1 h in China time, in the mark's title.
        assert!(svg.contains("超限 09:00–09:45 7.5 °C"), "{svg}");
        assert!(svg.contains(r#"class="band""#) && svg.matches(r#"class="limit""#).count() == 2);
        assert!(svg.contains("<title id=\"chart-title\">温度 &lt;K-1&gt;</title>"), "text is escaped");
        assert!(svg.contains(r#"role="img""#) && svg.contains("<desc id=\"chart-desc\">两个读数</desc>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains(">0°</text>") && !svg.contains("-0°"), "the zero tick reads 0°: {svg}");
    }

    #[test]
    fn no_readings_no_chart_and_no_limits_no_band() {
        assert_eq!(temperature_svg(&[], (Some(0.0), Some(5.0)), &[], cst(), &text()), None);
        let empty = [Series { label: "LG-1".into(), points: Vec::new() }];
        assert_eq!(temperature_svg(&empty, (None, None), &[], cst(), &text()), None);
        let one = [Series { label: "LG-1".into(), points: vec![(5 * H, 4.0)] }];
        let svg = temperature_svg(&one, (None, None), &[], cst(), &text()).expect("one reading draws");
        assert!(!svg.contains("class=\"band\"") && !svg.contains("class=\"excursion\""));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}
