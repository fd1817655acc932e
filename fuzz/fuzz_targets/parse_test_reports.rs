//! A lab's CSV is outside input: reading it must never panic, every problem must name a row of
//! the file (or 0 for a whole report), and every report returned must pass the storage rules.
#![no_main]

use fieldtrace_core::test_report::parse_test_reports_csv;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Half the inputs get a valid header, so the fuzzer reaches the row rules quickly.
    let text = if data.first().is_some_and(|b| b % 2 == 0) {
        format!("报告编号,检测机构,采样日期,签发日期,检测项目,检测结果,单位,下限,上限,标准\n{text}")
    } else {
        text.into_owned()
    };
    let rows = text.lines().count() + 1;
    if let Ok(parsed) = parse_test_reports_csv(&text, "K-2026-0815") {
        assert!(parsed.problems.iter().all(|p| p.row <= rows));
        for report in &parsed.reports {
            assert!(report.problem().is_none(), "{report:?}");
            assert!(!parsed.refused.contains(&report.report_no));
            for result in &report.results {
                let _ = result.within_limits();
            }
        }
    }
});
