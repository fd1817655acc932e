//! The loss-over-time chart as inline SVG, drawn on the server (no JavaScript): one bar per
//! period, with the seed figures as shaded reference bands — 15–25 % loss before
//! traceability, 6–8 % after — so a co-op sees at a glance where it stands.

use super::insight_words::InsightWords;
use crate::analytics::PeriodLoss;
use std::fmt::Write as _;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 34.0;

/// The chart; `periods` in order. Text is escaped; everything else is numbers.
pub fn svg(periods: &[PeriodLoss], words: &InsightWords) -> String {
    let rates: Vec<Option<f64>> = periods.iter().map(|p| p.loss.percent()).collect();
    let highest = rates.iter().flatten().copied().fold(0.0_f64, f64::max);
    // At least 30 % so both reference bands are always in view; round up to a multiple of 10.
    let top = (highest.max(30.0) / 10.0).ceil() * 10.0;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |percent: f64| TOP + plot_h * (1.0 - percent / top);
    let mut out = format!(
        "<svg id=\"loss-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-label=\"{}\" font-size=\"13\" font-family=\"sans-serif\">",
        escape(words.chart_title)
    );
    // Grid and y labels every 10 %.
    let mut tick = 0.0;
    while tick <= top {
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e3e8e0\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#556\">{tick}%</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(tick) + 4.0,
            y = y(tick),
        );
        tick += 10.0;
    }
    let bands = [
        (15.0, 25.0, "#c62828", words.seed_before, "seed-before"),
        (6.0, 8.0, "#2f6b3a", words.seed_after, "seed-after"),
    ];
    for (low, high, fill, _, class) in bands {
        let _ = write!(
            out,
            "<rect class=\"{class}\" x=\"{LEFT}\" width=\"{plot_w}\" y=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\" \
             fill-opacity=\"0.14\"/>",
            y(high),
            y(low) - y(high),
        );
    }
    let n = periods.len().max(1) as f64;
    let slot = plot_w / n;
    let bar = (slot * 0.7).min(48.0);
    // Label about eight periods so dates never overlap.
    let label_every = periods.len().div_ceil(8).max(1);
    for (i, (period, rate)) in periods.iter().zip(&rates).enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        if let Some(rate) = rate {
            let _ = write!(
                out,
                "<rect class=\"bar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"#4a7bb7\">\
                 <title>{} · {rate:.1}% ({}/{})</title></rect>",
                y(*rate),
                y(0.0) - y(*rate),
                period.start,
                period.loss.abnormal,
                period.loss.units
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#556\">{}</text>",
                x + bar / 2.0,
                HEIGHT - BOTTOM + 16.0,
                period.start.format("%m-%d")
            );
        }
    }
    // Band labels last, with a white halo, so no bar hides them.
    for (_, high, fill, label, class) in bands {
        let _ = write!(
            out,
            "<text class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{fill}\" stroke=\"#fff\" \
             stroke-width=\"3\" paint-order=\"stroke\" font-weight=\"600\">{}</text>",
            WIDTH - RIGHT - 4.0,
            y(high) - 3.0,
            escape(label)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#556\"/>",
        WIDTH - RIGHT,
        y(0.0),
        y(0.0)
    );
    out.push_str("</svg>");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::Ratio;
    use chrono::NaiveDate;

    #[test]
    fn bars_match_the_rates_and_both_seed_bands_are_drawn() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
        let periods = [
            PeriodLoss { start: day(2), loss: Ratio { units: 10, abnormal: 2 } },
            PeriodLoss { start: day(9), loss: Ratio { units: 0, abnormal: 0 } },
            PeriodLoss { start: day(16), loss: Ratio { units: 4, abnormal: 2 } },
        ];
        let svg = svg(&periods, &super::super::insight_words::EN);
        assert_eq!(svg.matches("class=\"bar\"").count(), 2, "no bar for an empty week");
        assert!(svg.contains("2026-11-02 · 20.0% (2/10)"));
        assert!(svg.contains("2026-11-16 · 50.0% (2/4)"));
        assert_eq!(svg.matches("class=\"seed-before\"").count(), 2, "band and label");
        assert_eq!(svg.matches("class=\"seed-after\"").count(), 2, "band and label");
        // 50 % is the highest: the axis goes to 50 %.
        assert!(svg.contains(">50%<") && !svg.contains(">60%<"));
    }
}
