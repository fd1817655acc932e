//! The import report as the assistant reads it: what went in, what did not and why, and which
//! sprayings were too close to a harvest.

use super::ImportReport;
use std::fmt::Write;

pub fn describe(report: &ImportReport) -> String {
    let mut out = String::new();
    let bad = report.rows - report.valid_rows;
    let _ = writeln!(out, "{}: {} rows, {} valid, {} with problems", report.file, report.rows, report.valid_rows, bad);
    for problem in &report.problems {
        let _ = writeln!(out, "  {problem}");
    }
    if report.dry_run {
        let _ = writeln!(out, "dry run: nothing saved or sent (records would be made by {})", report.recorder);
    } else if report.refused_all {
        let _ = writeln!(out, "--all-or-nothing: nothing imported; fix the rows above and import again");
    } else {
        let _ = writeln!(
            out,
            "recorded by {}: {} new, {} already imported earlier",
            report.recorder, report.recorded, report.already_recorded
        );
        let _ = writeln!(
            out,
            "server: {} stored, {} already there, {} refused, {} still waiting",
            report.accepted, report.known, report.refused, report.pending
        );
    }
    if !report.phi_flags.is_empty() {
        let _ = writeln!(out, "pre-harvest interval not over at harvest ({}):", report.phi_flags.len());
        for flag in &report.phi_flags {
            let place = match (&flag.plot, &flag.harvest_lot) {
                (Some(plot), _) => format!("plot {plot}"),
                (None, Some(lot)) => format!("lot {lot}"),
                (None, None) => "its lot".to_owned(),
            };
            let _ = writeln!(
                out,
                "  {} sprayed {} on {} ({} days to wait), harvested {} after {} days",
                flag.farmer,
                flag.pesticide.as_deref().unwrap_or("a pesticide"),
                flag.sprayed_on,
                flag.interval_days,
                place,
                flag.days_between
            );
        }
    }
    out
}
