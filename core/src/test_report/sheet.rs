//! A lab's results as CSV, one analyte per row, Chinese or English headers. Report-level columns
//! (report number, lab, dates) repeat on every row of a report. A report with any bad row is
//! refused whole — half a lab report would mislead a buyer — and every problem names its row and
//! column; the other reports come through.

use super::{number, AnalyteResult, Measured, TestReport};
use chrono::NaiveDate;
use serde::Serialize;

/// A problem with one cell (or the header: row 1), named as the file names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("row {row}, column {column}: {message}")]
pub struct RowProblem {
    /// 1-based, the header being row 1 (as a spreadsheet shows it).
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// What a file held: the reports every row of which was good, and the problems.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ParsedReports {
    pub reports: Vec<TestReport>,
    pub problems: Vec<RowProblem>,
    /// Report numbers left out because some row of theirs had a problem.
    pub refused: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Column {
    ReportNo,
    Lab,
    Sampled,
    Issued,
    Analyte,
    Value,
    Unit,
    Min,
    Max,
    Standard,
}

const NAMES: &[(Column, &[&str])] = &[
    (Column::ReportNo, &["报告编号", "报告号", "report no", "report number", "report"]),
    (Column::Lab, &["检测机构", "检测单位", "lab", "laboratory"]),
    (Column::Sampled, &["采样日期", "抽样日期", "sampled", "sampled on", "sampling date"]),
    (Column::Issued, &["签发日期", "报告日期", "issued", "issued on", "issue date"]),
    (Column::Analyte, &["检测项目", "项目", "analyte", "item", "test"]),
    (Column::Value, &["检测结果", "结果", "检测值", "value", "result"]),
    (Column::Unit, &["单位", "unit"]),
    (Column::Min, &["下限", "最小值", "min", "limit min", "lower limit"]),
    (Column::Max, &["上限", "限量", "最大残留限量", "最大值", "max", "limit max", "upper limit", "mrl"]),
    (Column::Standard, &["标准", "判定标准", "依据", "standard"]),
];

const REQUIRED: [Column; 6] =
    [Column::ReportNo, Column::Lab, Column::Sampled, Column::Issued, Column::Analyte, Column::Value];

fn column_of(header: &str) -> Option<Column> {
    let key = header.trim().trim_start_matches('\u{FEFF}').to_lowercase().replace(['_', '-'], " ");
    NAMES.iter().find(|(_, names)| names.contains(&key.as_str())).map(|(column, _)| *column)
}

/// Reads `text` (a CSV file already decoded to text) as reports on `lot`. `Err` is a file-level
/// problem (no header, a required column missing, a column twice): nothing is usable.
pub fn parse_test_reports_csv(text: &str, lot: &str) -> Result<ParsedReports, RowProblem> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header_problem = |column: &str, message: String| RowProblem { row: 1, column: column.to_owned(), message };
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(err)) => return Err(header_problem("", format!("the header cannot be read: {err}"))),
        None => return Err(header_problem("", "the file is empty".to_owned())),
    };
    let mut columns: Vec<(Column, usize, String)> = Vec::new();
    for (index, name) in header.iter().enumerate() {
        let Some(column) = column_of(name) else { continue };
        if columns.iter().any(|(c, _, _)| *c == column) {
            return Err(header_problem(name, "this column appears twice".to_owned()));
        }
        columns.push((column, index, name.to_owned()));
    }
    if let Some(missing) = REQUIRED.iter().find(|r| !columns.iter().any(|(c, _, _)| c == *r)) {
        let names = NAMES.iter().find(|(c, _)| c == missing).map_or(&[][..], |(_, n)| *n);
        return Err(header_problem(names[0], format!("required column missing (one of: {})", names.join(", "))));
    }
    let mut parsed = ParsedReports::default();
    let mut bad: Vec<String> = Vec::new();
    for (index, record) in records.enumerate() {
        let row = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                parsed.problems.push(RowProblem { row, column: String::new(), message: format!("unreadable: {err}") });
                continue;
            }
        };
        if record.iter().all(|cell| cell.is_empty()) {
            continue;
        }
        let mut cells = Cells { row, columns: &columns, record: &record, problems: Vec::new() };
        let report_no = cells.text(Column::ReportNo);
        let result = cells.result();
        let head = (cells.text(Column::Lab), cells.date(Column::Sampled), cells.date(Column::Issued));
        let mut problems = cells.problems;
        if let (Some(result), (lab, Some(sampled_on), Some(issued_on)), false) =
            (result, head, report_no.is_empty() || !problems.is_empty())
        {
            match parsed.reports.iter_mut().find(|r| r.report_no == report_no) {
                Some(report) => {
                    let differs = [
                        (Column::Lab, report.lab != lab),
                        (Column::Sampled, report.sampled_on != sampled_on),
                        (Column::Issued, report.issued_on != issued_on),
                    ];
                    for (column, _) in differs.iter().filter(|(_, d)| *d) {
                        problems.push(RowProblem {
                            row,
                            column: name_of(&columns, *column),
                            message: format!("differs from the earlier rows of report {report_no:?}"),
                        });
                    }
                    if problems.is_empty() {
                        report.results.push(result);
                    }
                }
                None => parsed.reports.push(TestReport {
                    report_no: report_no.clone(),
                    lot: lot.to_owned(),
                    lab,
                    sampled_on,
                    issued_on,
                    results: vec![result],
                }),
            }
        }
        if !problems.is_empty() && !report_no.is_empty() && !bad.contains(&report_no) {
            bad.push(report_no);
        }
        parsed.problems.extend(problems);
    }
    // Whole-report rules (dates in order, no analyte twice, sizes) on the assembled reports.
    for report in &parsed.reports {
        if let Some((field, message)) = report.problem() {
            if !bad.contains(&report.report_no) {
                bad.push(report.report_no.clone());
            }
            let column = name_of(&columns, if field == "issued_on" { Column::Issued } else { Column::Analyte });
            parsed.problems.push(RowProblem {
                row: 0,
                column,
                message: format!("report {:?}: {field} {message}", report.report_no),
            });
        }
    }
    parsed.reports.retain(|report| !bad.contains(&report.report_no));
    parsed.refused = bad;
    Ok(parsed)
}

fn name_of(columns: &[(Column, usize, String)], column: Column) -> String {
    columns.iter().find(|(c, _, _)| *c == column).map_or_else(String::new, |(_, _, name)| name.clone())
}

struct Cells<'a> {
    row: usize,
    columns: &'a [(Column, usize, String)],
    record: &'a ::csv::StringRecord,
    problems: Vec<RowProblem>,
}

impl Cells<'_> {
    fn raw(&self, column: Column) -> &str {
        self.columns
            .iter()
            .find(|(c, _, _)| *c == column)
            .and_then(|(_, index, _)| self.record.get(*index))
            .unwrap_or("")
    }

    fn problem(&mut self, column: Column, message: String) {
        self.problems.push(RowProblem { row: self.row, column: name_of(self.columns, column), message });
    }

    /// A required text cell.
    fn text(&mut self, column: Column) -> String {
        let value = self.raw(column).to_owned();
        if value.is_empty() {
            self.problem(column, "is empty".to_owned());
        }
        value
    }

    fn date(&mut self, column: Column) -> Option<NaiveDate> {
        let raw = self.raw(column).replace(['/', '.'], "-");
        match NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                let shown: String = self.raw(column).chars().take(40).collect();
                self.problem(column, format!("{shown:?} is not a date (YYYY-MM-DD)"));
                None
            }
        }
    }

    fn limit(&mut self, column: Column) -> Option<f64> {
        let raw = self.raw(column).trim_start_matches(['≤', '≥', '<', '>', '=']).trim().to_owned();
        if raw.is_empty() || raw == "-" || raw == "—" {
            return None;
        }
        number(&raw).map_err(|message| self.problem(column, message)).ok()
    }

    fn result(&mut self) -> Option<AnalyteResult> {
        let analyte = self.text(Column::Analyte);
        let value =
            Measured::parse(self.raw(Column::Value)).map_err(|message| self.problem(Column::Value, message)).ok();
        let (min, max) = (self.limit(Column::Min), self.limit(Column::Max));
        let standard = Some(self.raw(Column::Standard).to_owned()).filter(|s| !s.is_empty());
        let result =
            AnalyteResult { analyte, value: value?, unit: self.raw(Column::Unit).to_owned(), min, max, standard };
        if let Some((field, message)) = result.problem(0, &[]) {
            let column = match field.rsplit('.').next() {
                Some("unit") => Column::Unit,
                Some("standard") => Column::Standard,
                Some("min") => Column::Min,
                Some("max") => Column::Max,
                Some("value") => Column::Value,
                _ => Column::Analyte,
            };
            self.problem(column, message);
            return None;
        }
        Some(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH: &str = "\u{FEFF}报告编号,检测机构,采样日期,签发日期,检测项目,检测结果,单位,上限,下限,标准
SX-2026-0915,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,多菌灵,0.02,mg/kg,0.5,,GB 2763-2021
SX-2026-0915,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,毒死蜱,未检出,mg/kg,0.05,,GB 2763-2021
SX-2026-0915,陕西省农产品质量安全检测中心,2026-09-12,2026-09-15,可溶性固形物,16.2,%,,15,GB/T 40743
";

    #[test]
    fn a_chinese_lab_sheet_becomes_one_report() {
        let parsed = parse_test_reports_csv(ZH, "K-2026-0815").expect("parsed");
        assert_eq!(parsed.problems, vec![]);
        let [report] = parsed.reports.as_slice() else { panic!("{parsed:?}") };
        assert_eq!(report.lot, "K-2026-0815");
        assert_eq!(report.results.len(), 3);
        assert_eq!(report.results[0].max, Some(0.5));
        assert_eq!(report.results[1].value, Measured::NotDetected);
        assert_eq!(report.results[2].min, Some(15.0));
        assert!(report.results.iter().all(|r| r.within_limits() == Some(true)));
    }

    #[test]
    fn english_headers_and_bad_rows_named_by_row_and_column() {
        let text = "Report No,Lab,Sampled On,Issued On,Analyte,Value,Unit,Limit Max
R-1,Lab A,2026-09-01,2026-09-03,carbendazim,0.02,mg/kg,0.5
R-2,Lab A,2026-09-01,2026-09-03,carbendazim,lots,mg/kg,0.5
R-2,Lab A,2026-09-01,2026-13-03,imidacloprid,0.1,mg/kg,1
R-3,Lab B,2026-09-01,2026-09-03,firmness,7.5,kg/cm²,
R-3,Lab C,2026-09-01,2026-09-03,brix,15,%,
";
        let parsed = parse_test_reports_csv(text, "L").expect("parsed");
        let named: Vec<(usize, &str)> = parsed.problems.iter().map(|p| (p.row, p.column.as_str())).collect();
        assert_eq!(named, [(3, "Value"), (4, "Issued On"), (6, "Lab")]);
        assert_eq!(parsed.reports.iter().map(|r| r.report_no.as_str()).collect::<Vec<_>>(), ["R-1"]);
        assert_eq!(parsed.refused, ["R-2", "R-3"]);
    }

    #[test]
    fn a_missing_column_is_a_file_problem() {
        let problem =
            parse_test_reports_csv("报告编号,检测机构,采样日期,签发日期,检测项目\n", "L").expect_err("missing");
        assert_eq!((problem.row, problem.column.as_str()), (1, "检测结果"));
        assert!(parse_test_reports_csv("", "L").is_err());
    }
}
