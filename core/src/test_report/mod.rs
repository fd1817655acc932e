//! Laboratory test reports on a lot (pesticide residues against GB 2763 limits, sugar content,
//! firmness): what the consumer trace page shows with each value marked within or outside its
//! limits. Pure data and rules; the server stores reports (`fieldtrace reports import`,
//! `POST /v1/test-reports`) and [`parse_test_reports_csv`] reads a lab's spreadsheet.
//! See `docs/test-reports.md`.

mod sheet;

pub use self::sheet::{parse_test_reports_csv, ParsedReports, RowProblem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest report number, lab name, analyte, unit and standard (characters).
pub const MAX_REPORT_NO: usize = 64;
pub const MAX_TEXT: usize = 200;
pub const MAX_UNIT: usize = 20;
/// Most analytes on one report (a full multi-residue screen is ~150).
pub const MAX_RESULTS: usize = 300;

/// One lab report on one lot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestReport {
    pub report_no: String,
    pub lot: String,
    pub lab: String,
    pub sampled_on: NaiveDate,
    pub issued_on: NaiveDate,
    pub results: Vec<AnalyteResult>,
}

/// One measured value and the limits it is judged against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalyteResult {
    pub analyte: String,
    pub value: Measured,
    pub unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The standard the limit comes from, e.g. `GB 2763-2021`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<String>,
}

/// A lab's result: a number, "not detected", or "below" a detection limit (`<0.01`).
/// Written as text in files and JSON: `0.02`, `ND` / `未检出`, `<0.01`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Measured {
    Value(f64),
    NotDetected,
    Below(f64),
}

impl Measured {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let lower = text.to_lowercase();
        if matches!(lower.as_str(), "nd" | "n.d." | "未检出" | "未检测到" | "not detected") {
            return Ok(Measured::NotDetected);
        }
        if let Some(rest) = text.strip_prefix('<').or_else(|| text.strip_prefix('＜')) {
            return number(rest).map(Measured::Below);
        }
        number(text).map(Measured::Value)
    }
}

/// A finite decimal number (`0.02`, `12.5`; not `NaN`, `inf`).
pub(crate) fn number(text: &str) -> Result<f64, String> {
    let text = text.trim();
    text.parse::<f64>()
        .ok()
        .filter(|n| {
            n.is_finite() && text.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        })
        .ok_or_else(|| format!("{:?} is not a number", text.chars().take(40).collect::<String>()))
}

impl fmt::Display for Measured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Measured::Value(v) => write!(f, "{v}"),
            Measured::NotDetected => f.write_str("ND"),
            Measured::Below(v) => write!(f, "<{v}"),
        }
    }
}

impl TryFrom<String> for Measured {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Measured::parse(&text)
    }
}

impl From<Measured> for String {
    fn from(m: Measured) -> String {
        m.to_string()
    }
}

impl AnalyteResult {
    /// Whether the value is within its limits: `None` when the result has no limit to judge by.
    /// "Not detected" meets any maximum and no minimum; "below x" meets a maximum ≥ x.
    pub fn within_limits(&self) -> Option<bool> {
        if self.min.is_none() && self.max.is_none() {
            return None;
        }
        let meets_max = |upper: f64| self.max.is_none_or(|max| upper <= max);
        Some(match self.value {
            Measured::Value(v) => meets_max(v) && self.min.is_none_or(|min| v >= min),
            Measured::NotDetected => self.min.is_none(),
            Measured::Below(v) => meets_max(v) && self.min.is_none(),
        })
    }
}

impl TestReport {
    /// Why this report may not be stored, if it may not: `(field path, reason)`.
    pub fn problem(&self) -> Option<(String, String)> {
        let text = |field: &str, value: &str, max: usize| -> Option<(String, String)> {
            if value.trim().is_empty() {
                Some((field.to_owned(), "is empty".to_owned()))
            } else if value.chars().count() > max {
                Some((field.to_owned(), format!("is longer than {max} characters")))
            } else {
                None
            }
        };
        text("report_no", &self.report_no, MAX_REPORT_NO)
            .or_else(|| text("lot", &self.lot, 256))
            .or_else(|| text("lab", &self.lab, MAX_TEXT))
            .or_else(|| {
                (self.issued_on < self.sampled_on).then(|| {
                    (
                        "issued_on".to_owned(),
                        format!("{} is before the sampling date {}", self.issued_on, self.sampled_on),
                    )
                })
            })
            .or_else(|| {
                self.results.is_empty().then(|| ("results".to_owned(), "a report lists at least one result".to_owned()))
            })
            .or_else(|| {
                (self.results.len() > MAX_RESULTS)
                    .then(|| ("results".to_owned(), format!("more than {MAX_RESULTS} results on one report")))
            })
            .or_else(|| self.results.iter().enumerate().find_map(|(i, r)| r.problem(i, &self.results[..i])))
    }
}

impl AnalyteResult {
    fn problem(&self, index: usize, earlier: &[AnalyteResult]) -> Option<(String, String)> {
        let at = |field: &str| format!("results[{index}].{field}");
        let text = |field: &str, value: &str, max: usize, required: bool| -> Option<(String, String)> {
            if required && value.trim().is_empty() {
                Some((at(field), "is empty".to_owned()))
            } else if value.chars().count() > max {
                Some((at(field), format!("is longer than {max} characters")))
            } else {
                None
            }
        };
        let finite = |field: &str, v: Option<f64>| {
            v.filter(|v| !v.is_finite()).map(|_| (at(field), "is not a finite number".to_owned()))
        };
        let value = match self.value {
            Measured::Value(v) | Measured::Below(v) => Some(v),
            Measured::NotDetected => None,
        };
        text("analyte", &self.analyte, MAX_TEXT, true)
            .or_else(|| text("unit", &self.unit, MAX_UNIT, false))
            .or_else(|| text("standard", self.standard.as_deref().unwrap_or(""), MAX_TEXT, false))
            .or_else(|| finite("value", value))
            .or_else(|| finite("min", self.min))
            .or_else(|| finite("max", self.max))
            .or_else(|| match (self.min, self.max) {
                (Some(min), Some(max)) if min > max => {
                    Some((at("min"), format!("the minimum {min} is above the maximum {max}")))
                }
                _ => None,
            })
            .or_else(|| {
                earlier
                    .iter()
                    .any(|e| e.analyte.trim() == self.analyte.trim())
                    .then(|| (at("analyte"), format!("{:?} is listed twice", self.analyte.trim())))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(value: &str, min: Option<f64>, max: Option<f64>) -> AnalyteResult {
        AnalyteResult {
            analyte: "多菌灵".into(),
            value: Measured::parse(value).expect("value"),
            unit: "mg/kg".into(),
            min,
            max,
            standard: None,
        }
    }

    #[test]
    fn values_are_judged_against_their_limits() {
        assert_eq!(result("0.02", None, Some(0.5)).within_limits(), Some(true));
        assert_eq!(result("0.5", None, Some(0.5)).within_limits(), Some(true), "the limit itself is within");
        assert_eq!(result("0.8", None, Some(0.5)).within_limits(), Some(false));
        assert_eq!(result("14.2", Some(15.0), None).within_limits(), Some(false), "Brix below its minimum");
        assert_eq!(result("16", Some(15.0), Some(20.0)).within_limits(), Some(true));
        assert_eq!(result("未检出", None, Some(0.05)).within_limits(), Some(true));
        assert_eq!(result("ND", Some(1.0), None).within_limits(), Some(false));
        assert_eq!(result("<0.01", None, Some(0.05)).within_limits(), Some(true));
        assert_eq!(result("<0.1", None, Some(0.05)).within_limits(), Some(false), "cannot show it is below 0.05");
        assert_eq!(result("3", None, None).within_limits(), None);
    }

    #[test]
    fn measured_text_round_trips_and_refuses_junk() {
        for text in ["0.02", "ND", "<0.01", "12.5"] {
            assert_eq!(Measured::parse(text).expect(text).to_string(), text);
        }
        for junk in ["", "abc", "NaN", "inf", "<", "0.0.1", "1,5"] {
            assert!(Measured::parse(junk).is_err(), "{junk:?}");
        }
    }

    #[test]
    fn report_problems_name_the_field() {
        let mut report = TestReport {
            report_no: "R1".into(),
            lot: "K-2026-0815".into(),
            lab: "陕西省农产品质量安全检测中心".into(),
            sampled_on: NaiveDate::from_ymd_opt(2026, 9, 12).expect("date"),
            issued_on: NaiveDate::from_ymd_opt(2026, 9, 15).expect("date"),
            results: vec![result("0.02", None, Some(0.5))],
        };
        assert_eq!(report.problem(), None);
        report.results.push(result("0.03", Some(1.0), Some(0.5)));
        assert_eq!(report.problem().map(|p| p.0), Some("results[1].min".to_owned()));
        report.results[1].min = None;
        assert_eq!(report.problem().map(|p| p.0), Some("results[1].analyte".to_owned()), "listed twice");
        report.results.pop();
        report.issued_on = NaiveDate::from_ymd_opt(2026, 9, 1).expect("date");
        assert_eq!(report.problem().map(|p| p.0), Some("issued_on".to_owned()));
    }
}
