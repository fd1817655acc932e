//! CSV downloads of the dashboard's tables: RFC 4180, a UTF-8 BOM so spreadsheet programs on
//! Chinese Windows read it, formula-looking cells defused (see [`csv_cell`]).

use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

/// The table as CSV text.
pub fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = csv_header(header);
    out.push_str(&csv_rows(rows));
    out
}

/// The first line of a CSV download (after the BOM).
pub fn csv_header(header: &[&str]) -> String {
    format!("\u{feff}{}\r\n", header.join(","))
}

/// CSV lines for `rows`, to follow [`csv_header`] (downloads streamed a chunk at a time).
pub fn csv_rows(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A download named `filename` whose body arrives in chunks from `chunks` (a failure ends the
/// body early, which the client sees as a broken download rather than a short file).
pub fn streamed_download(
    filename: &str,
    chunks: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
) -> Response {
    let stream =
        futures_util::stream::unfold(
            chunks,
            |mut chunks| async move { chunks.recv().await.map(|chunk| (chunk, chunks)) },
        );
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// A download of `body` named `filename` (ASCII, no quotes).
pub fn download(filename: &str, body: String) -> Response {
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}

/// A loss ratio as a CSV/HTML cell: percent with one decimal, empty when nothing was handled.
pub fn percent(ratio: &crate::analytics::Ratio) -> String {
    ratio.percent().map_or_else(String::new, |p| format!("{p:.1}"))
}

/// Quotes a cell when needed, and defuses text a spreadsheet would run as a formula.
pub(crate) fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if text.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("猕猴桃"), "猕猴桃");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }
}
