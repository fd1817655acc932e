//! Spreadsheet files → rows of cells, each with the row number the assistant sees in Excel.
//! CSV may come from Chinese Excel in GB18030 (not UTF-8) and with `;` or tab separators.

use super::ImportError;
use calamine::{Data, Reader, Xlsx};
use fieldtrace_core::import::Cell;
use std::path::Path;

/// Largest file read: far above any real record book, far below the machine's memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// A sheet's rows with their 1-based row numbers; blank rows may be among them.
#[derive(Debug, Default)]
pub struct Table {
    pub rows: Vec<(usize, Vec<Cell>)>,
}

pub fn read_table(path: &Path) -> Result<Table, ImportError> {
    let file = path.display().to_string();
    let unreadable = |reason: String| ImportError::Unreadable { file: file.clone(), reason };
    let size = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(unreadable(format!("{size} bytes; at most {MAX_FILE_BYTES}")));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase);
    match extension.as_deref() {
        Some("csv") | Some("txt") => csv_table(&bytes).map_err(unreadable),
        Some("xlsx") | Some("xlsm") => xlsx_table(bytes).map_err(unreadable),
        _ => Err(unreadable("not a .csv or .xlsx file (save the sheet as one of these)".into())),
    }
}

/// UTF-8 (with or without BOM), else GB18030 — what Excel writes for "CSV" on a Chinese Windows.
fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// The separator the header line uses most: `,`, `;` or tab.
fn separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    [b',', b';', b'\t'].into_iter().max_by_key(|sep| header.bytes().filter(|b| b == sep).count()).unwrap_or(b',')
}

pub fn csv_table(bytes: &[u8]) -> Result<Table, String> {
    let text = decode_text(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(&text))
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(table),
            Ok(true) => {
                let line = record.position().map_or(table.rows.len() + 1, |p| line_of(&text, p));
                let cells =
                    record.iter().map(|v| if v.trim().is_empty() { Cell::Empty } else { Cell::Text(v.to_owned()) });
                table.rows.push((line, cells.collect()));
            }
            Err(err) => {
                let line = err.position().map_or(String::new(), |p| format!("row {}: ", p.line()));
                return Err(format!("{line}not readable as CSV: {err}"));
            }
        }
    }
}

/// The line a record starts on. The reader reports the position before the empty lines it
/// skipped ahead of the record; the assistant needs the line the record is on.
fn line_of(text: &str, position: &csv::Position) -> usize {
    let rest = text.as_bytes().get(position.byte() as usize..).unwrap_or_default();
    let skipped = rest.iter().take_while(|b| matches!(b, b'\n' | b'\r')).filter(|b| **b == b'\n').count();
    position.line() as usize + skipped
}

pub fn xlsx_table(bytes: Vec<u8>) -> Result<Table, String> {
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not readable as an Excel workbook: {e}"))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheet")?
        .map_err(|e| format!("the first sheet is not readable: {e}"))?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut table = Table::default();
    for (index, row) in range.rows().enumerate() {
        // Keep sheet columns: a range starting at column C still reports C as C.
        let mut cells = vec![Cell::Empty; first_column as usize];
        cells.extend(row.iter().map(cell));
        table.rows.push((first_row as usize + index + 1, cells));
    }
    Ok(table)
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text) => Cell::Text(text.clone()),
        Data::Int(n) => Cell::Number(*n as f64),
        Data::Float(n) => Cell::Number(*n),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(t) => t.as_datetime().map_or(Cell::Number(t.as_f64()), Cell::DateTime),
        // `#N/A`, `#VALUE!`: kept as text, so the row's check names the cell.
        Data::Error(e) => Cell::Text(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb18030_csv_with_semicolons_and_quoted_newlines() {
        let text = "日期;农户;备注\n2026-09-01;farmer-li;\"两行\n备注\"\n\n2026-09-02;farmer-wang;\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        let table = csv_table(&gbk).expect("csv");
        assert_eq!(table.rows[0].1, [Cell::Text("日期".into()), Cell::Text("农户".into()), Cell::Text("备注".into())]);
        let numbers: Vec<usize> = table.rows.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, [1, 2, 5], "the row after a two-line cell is row 5 in the file");
        assert_eq!(table.rows[1].1[2], Cell::Text("两行\n备注".into()));
    }

    #[test]
    fn utf8_bom_is_dropped() {
        let table = csv_table("\u{feff}date,farmer\n2026-09-01,farmer-li\n".as_bytes()).expect("csv");
        assert_eq!(table.rows[0].1[0], Cell::Text("date".into()));
    }

    #[test]
    fn not_a_workbook_is_an_error_not_a_panic() {
        assert!(xlsx_table(b"PK\x03\x04 nonsense".to_vec()).is_err());
        assert!(xlsx_table(Vec::new()).is_err());
    }
}
