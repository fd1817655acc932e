//! Batch import of farming records and lots from an assistant's spreadsheet (CSV or XLSX), mapped
//! row by row to events. Pure: the caller reads the file into [`Cell`]s (the `fieldtrace import`
//! command does CSV and XLSX; a phone could hand over a table it read), this module maps headers
//! (Chinese or English, see `docs/import.md`), checks every value and builds the events.
//!
//! Every problem names its row and column, so an assistant can fix the sheet. Event ids are derived
//! from the co-op, the assistant and the row's normalized content, so importing the same file again
//! yields the same events and the server answers `known` instead of storing duplicates.

mod columns;
mod rows;
mod values;

pub use columns::{Field, Header};
pub use rows::{ImportContext, RowMapper, RowOutcome};

use chrono::NaiveDateTime;
use std::fmt;

/// One spreadsheet cell, as the reader found it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell the spreadsheet itself typed as a date (XLSX).
    DateTime(NaiveDateTime),
}

impl Cell {
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            Cell::Number(_) | Cell::DateTime(_) => false,
        }
    }

    /// The cell as a person would read it (for messages and free-text fields).
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.trim().to_owned(),
            Cell::Number(n) => values::number_text(*n),
            Cell::DateTime(t) => t.format("%Y-%m-%d %H:%M").to_string(),
        }
    }
}

/// A column as the sheet shows it: its letter and its header text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRef {
    /// 0-based index (A = 0).
    pub index: usize,
    pub header: String,
}

impl fmt::Display for ColumnRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}", column_letter(self.index))?;
        if !self.header.is_empty() {
            write!(f, " ({})", self.header)?;
        }
        Ok(())
    }
}

/// Spreadsheet column letters: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Why a row (or the header) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based row number as the spreadsheet shows it.
    pub row: usize,
    pub column: Option<ColumnRef>,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(column) = &self.column {
            write!(f, ", {column}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

#[cfg(test)]
mod tests;
