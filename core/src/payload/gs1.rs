//! GS1 identifiers as the rest of the app sees them: which key a label carries, its qualifiers,
//! and its data attributes, whatever barcode syntax carried them.

use super::check_digit::verify_gs1;
use super::digital_link::{percent_encode, GTIN_LENGTHS};
use super::error::PayloadError;
use super::value::{AiValue, Decimal, Element};
use chrono::NaiveDate;
use std::fmt;

/// A Global Trade Item Number, checked and always held as 14 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin(String);

impl Gtin {
    /// Reads a GTIN-8, -12, -13 or -14 and checks its check digit; shorter forms are padded
    /// with leading zeros, as GS1 does, so an EAN-13 and its GTIN-14 form are the same GTIN.
    pub fn parse(digits: &str) -> Result<Self, PayloadError> {
        let length = digits.chars().count();
        if !matches!(length, 8 | 12 | 13 | 14) {
            return Err(PayloadError::WrongLength { field: "GTIN", found: length, expected: GTIN_LENGTHS });
        }
        verify_gs1("GTIN", digits)?;
        Ok(Gtin(format!("{digits:0>14}")))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a plain product code was printed (by its number of digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductFormat {
    Ean8,
    UpcA,
    Ean13,
    Gtin14,
}

impl ProductFormat {
    pub(crate) fn from_len(len: usize) -> Self {
        match len {
            8 => ProductFormat::Ean8,
            12 => ProductFormat::UpcA,
            13 => ProductFormat::Ean13,
            _ => ProductFormat::Gtin14,
        }
    }
}

/// Which GS1 syntax the data came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gs1Syntax {
    DigitalLink,
    /// GS1-128, GS1 DataMatrix, GS1 QR or DataBar element string (raw or bracketed).
    ElementString,
}

/// The identifier a GS1 label carries: the primary key with its key qualifiers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Gs1Key {
    /// A trade item; with a serial it is one item, with a lot one batch, else the product.
    Gtin { gtin: Gtin, cpv: Option<String>, lot: Option<String>, serial: Option<String> },
    /// A logistic unit (pallet, case), 18 digits.
    Sscc(String),
    /// A physical location, 13 digits, with an optional extension naming a spot within it.
    Gln { gln: String, extension: Option<String> },
}

impl Gs1Key {
    /// The GS1 Digital Link canonical path without host, values percent-encoded.
    pub fn canonical_path(&self) -> String {
        let mut path = String::new();
        let mut push = |ai: &str, value: &str| {
            path.push('/');
            path.push_str(ai);
            path.push('/');
            path.push_str(&percent_encode(value));
        };
        match self {
            Gs1Key::Gtin { gtin, cpv, lot, serial } => {
                push("01", gtin.as_str());
                for (ai, value) in [("22", cpv), ("10", lot), ("21", serial)] {
                    if let Some(value) = value {
                        push(ai, value);
                    }
                }
            }
            Gs1Key::Sscc(sscc) => push("00", sscc),
            Gs1Key::Gln { gln, extension } => {
                push("414", gln);
                if let Some(extension) = extension {
                    push("254", extension);
                }
            }
        }
        path
    }
}

/// A GS1 label read: its key and every element it carried, in the order read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gs1Payload {
    pub syntax: Gs1Syntax,
    pub key: Gs1Key,
    /// Every element, the key and its qualifiers included.
    pub elements: Vec<Element>,
}

impl Gs1Payload {
    /// Picks the key from the elements. An SSCC names the physical unit, so it wins over a GTIN
    /// on the same label (a pallet that is also a trade item); a GTIN wins over a GLN.
    pub(crate) fn from_elements(syntax: Gs1Syntax, elements: Vec<Element>) -> Result<Self, PayloadError> {
        let text = |ai: &str| elements.iter().find(|e| e.ai == ai).map(|e| e.raw.clone());
        let key = if let Some(sscc) = text("00") {
            Gs1Key::Sscc(sscc)
        } else if let Some(gtin) = text("01") {
            Gs1Key::Gtin { gtin: Gtin::parse(&gtin)?, cpv: text("22"), lot: text("10"), serial: text("21") }
        } else if let Some(gln) = text("414") {
            Gs1Key::Gln { gln, extension: text("254") }
        } else {
            return Err(PayloadError::NoPrimaryKey);
        };
        Ok(Gs1Payload { syntax, key, elements })
    }

    /// The element for an AI, e.g. `"17"` or `"3103"`.
    pub fn get(&self, ai: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.ai == ai)
    }

    /// Expiry date (17), day 00 already resolved to the month's last day.
    pub fn expiry(&self) -> Option<NaiveDate> {
        self.date("17")
    }

    /// Best-before date (15).
    pub fn best_before(&self) -> Option<NaiveDate> {
        self.date("15")
    }

    /// Production date (11).
    pub fn production_date(&self) -> Option<NaiveDate> {
        self.date("11")
    }

    /// Batch or lot (10).
    pub fn lot(&self) -> Option<&str> {
        self.get("10").map(|e| e.raw.as_str())
    }

    /// Serial number (21).
    pub fn serial(&self) -> Option<&str> {
        self.get("21").map(|e| e.raw.as_str())
    }

    /// Net weight in kilograms (310n).
    pub fn net_weight_kg(&self) -> Option<Decimal> {
        self.elements.iter().find(|e| e.ai.starts_with("310")).and_then(|e| match e.value {
            AiValue::Measure { value, .. } => Some(value),
            _ => None,
        })
    }

    fn date(&self, ai: &str) -> Option<NaiveDate> {
        match self.get(ai)?.value {
            AiValue::Date(date) => Some(date),
            _ => None,
        }
    }
}
