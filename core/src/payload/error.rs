//! Why a scanned payload was refused. One enum so the apps localize every case from a stable key;
//! each variant carries the field and position the user needs to find the mistake on the label.
//!
//! Positions are 1-based, counted in characters as a person counts them: within the named field
//! for check digits, within the scanned text for everything else.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the scanned text is empty")]
    Empty,
    #[error("the scanned text is {length} characters long; at most {max} are accepted")]
    TooLong { length: usize, max: usize },
    #[error("the scanned text has a control character (U+{codepoint:04X}) at position {position}")]
    ControlCharacter { position: usize, codepoint: u32 },
    #[error("{field} check digit (position {position}) is {found}, expected {expected}")]
    CheckDigit { field: &'static str, position: usize, found: char, expected: char },
    #[error("{field} is {found} characters long; expected {expected}")]
    WrongLength { field: &'static str, found: usize, expected: Expected },
    #[error("{field} has an invalid character {found:?} at position {position}")]
    InvalidCharacter { field: &'static str, position: usize, found: char },
    #[error("unknown GS1 application identifier ({ai}) at position {position}")]
    UnknownAi { ai: String, position: usize },
    #[error("{field} at position {position} is cut off: {needed} characters needed, {available} left")]
    Truncated { field: &'static str, position: usize, needed: usize, available: usize },
    #[error("{field} is not a valid date: {value}")]
    InvalidDate { field: &'static str, value: String },
    #[error("({ai}) appears twice with different values")]
    ConflictingAi { ai: String },
    #[error("the GS1 data has no identifier: a GTIN (01), SSCC (00) or GLN (414) is needed")]
    NoPrimaryKey,
    #[error("the GS1 data has two identifiers, ({first}) and ({second}); a label names one thing")]
    MultiplePrimaryKeys { first: String, second: String },
    #[error("in a GS1 Digital Link, ({qualifier}) must come before ({after}) in the path")]
    QualifierOrder { qualifier: &'static str, after: String },
    #[error("in a GS1 Digital Link, ({qualifier}) is not a path qualifier of ({key})")]
    QualifierNotAllowed { key: &'static str, qualifier: String },
    #[error("in a GS1 Digital Link, ({qualifier}) belongs in the path, not the query string")]
    QualifierInQuery { qualifier: String },
    #[error("({ai}) has no value")]
    MissingValue { ai: String },
    #[error("bad percent-encoding at position {position}")]
    PercentEncoding { position: usize },
    #[error("the trace code value {value} is too large; at most {max} fits in a code")]
    TraceCodeValue { value: u64, max: u64 },
}

/// The length a field should have, shown in [`PayloadError::WrongLength`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Exactly(usize),
    UpTo(usize),
    /// One of a few fixed lengths, e.g. a GTIN of 8, 12, 13 or 14 digits.
    OneOf(&'static [usize]),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Exactly(n) => write!(f, "{n}"),
            Expected::UpTo(n) => write!(f, "1 to {n}"),
            Expected::OneOf(lengths) => {
                let list: Vec<String> = lengths.iter().map(usize::to_string).collect();
                write!(f, "{}", list.join(", "))
            }
        }
    }
}

impl PayloadError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            PayloadError::Empty => "payload_empty",
            PayloadError::TooLong { .. } => "payload_too_long",
            PayloadError::ControlCharacter { .. } => "payload_control_character",
            PayloadError::CheckDigit { .. } => "payload_check_digit",
            PayloadError::WrongLength { .. } => "payload_wrong_length",
            PayloadError::InvalidCharacter { .. } => "payload_invalid_character",
            PayloadError::UnknownAi { .. } => "payload_unknown_ai",
            PayloadError::Truncated { .. } => "payload_truncated",
            PayloadError::InvalidDate { .. } => "payload_invalid_date",
            PayloadError::ConflictingAi { .. } => "payload_conflicting_ai",
            PayloadError::NoPrimaryKey => "payload_no_primary_key",
            PayloadError::MultiplePrimaryKeys { .. } => "payload_multiple_primary_keys",
            PayloadError::QualifierOrder { .. } => "payload_dl_qualifier_order",
            PayloadError::QualifierNotAllowed { .. } => "payload_dl_qualifier_not_allowed",
            PayloadError::QualifierInQuery { .. } => "payload_dl_qualifier_in_query",
            PayloadError::MissingValue { .. } => "payload_missing_value",
            PayloadError::PercentEncoding { .. } => "payload_percent_encoding",
            PayloadError::TraceCodeValue { .. } => "trace_code_value_too_large",
        }
    }
}
