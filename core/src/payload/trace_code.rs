//! Our own short trace code, printed on labels that carry no GS1 key and typed by hand when a
//! label is torn. Eleven Crockford Base32 symbols: ten carry a 50-bit number, the last is a check
//! symbol, so a mistyped code is refused instead of filing events under somebody else's box.
//!
//! Format: `7KQ2-M9XD-4TW` for people (groups of 4, 4, 3), `7KQ2M9XD4TW` canonical (upper case,
//! no separators). Reading is forgiving: any case, hyphens or spaces anywhere, and I/L read as 1,
//! O as 0 — the confusions Crockford's alphabet was designed around (it has no I, L, O or U).
//!
//! Check symbol: a weighted sum over GF(32), `Σ α^(10−i) · symbolᵢ` with α a primitive element.
//! Crockford's own mod-37 check needs five extra symbols (`* ~ $ = U`) that are awkward to print,
//! read aloud and type on a phone; the GF(32) sum stays inside the 32-symbol alphabet and still
//! catches every single substitution (weights are non-zero), every adjacent transposition
//! (neighbouring weights differ) and a swap of the check symbol with the last data symbol (that
//! weight is not 1). `tests.rs` checks all three exhaustively.

use super::error::{Expected, PayloadError};
use std::fmt;

pub(crate) const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_SYMBOLS: usize = 10;
/// Symbols in a code, check symbol included.
pub const TRACE_CODE_LEN: usize = DATA_SYMBOLS + 1;
const FIELD: &str = "trace code";

/// A validated trace code. Two codes are equal when they carry the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceCode(u64);

impl TraceCode {
    /// The largest number a code carries (50 bits).
    pub const MAX_VALUE: u64 = (1 << (5 * DATA_SYMBOLS)) - 1;

    /// The code for `value` (a sequence number or random number chosen by whoever issues codes).
    pub fn from_value(value: u64) -> Result<Self, PayloadError> {
        if value > Self::MAX_VALUE {
            return Err(PayloadError::TraceCodeValue { value, max: Self::MAX_VALUE });
        }
        Ok(TraceCode(value))
    }

    /// A code from random bytes (e.g. from the OS random source): the low 50 bits are used, so
    /// codes cannot be guessed from one another. The core takes the bytes rather than drawing
    /// them so it needs no random-number dependency.
    pub fn from_random_bytes(bytes: [u8; 8]) -> Self {
        TraceCode(u64::from_le_bytes(bytes) & Self::MAX_VALUE)
    }

    pub fn value(self) -> u64 {
        self.0
    }

    /// Upper case, no separators, check symbol included: the form in URLs and code keys.
    pub fn canonical(self) -> String {
        self.symbols().iter().map(|&s| char::from(ALPHABET[usize::from(s)])).collect()
    }

    /// Reads a code as printed or typed: case-insensitive, hyphens and spaces ignored, I/L → 1, O → 0.
    /// Positions in errors count code symbols (separators not counted), from 1.
    pub fn parse(text: &str) -> Result<Self, PayloadError> {
        let mut symbols = Vec::with_capacity(TRACE_CODE_LEN);
        for c in text.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let Some(symbol) = symbol_of(c) else {
                return Err(PayloadError::InvalidCharacter { field: FIELD, position: symbols.len() + 1, found: c });
            };
            symbols.push(symbol);
        }
        if symbols.len() != TRACE_CODE_LEN {
            return Err(PayloadError::WrongLength {
                field: FIELD,
                found: symbols.len(),
                expected: Expected::Exactly(TRACE_CODE_LEN),
            });
        }
        let value = symbols[..DATA_SYMBOLS].iter().fold(0u64, |acc, &s| (acc << 5) | u64::from(s));
        let code = TraceCode(value);
        let expected = code.symbols()[DATA_SYMBOLS];
        let found = symbols[DATA_SYMBOLS];
        if found != expected {
            return Err(PayloadError::CheckDigit {
                field: FIELD,
                position: TRACE_CODE_LEN,
                found: char::from(ALPHABET[usize::from(found)]),
                expected: char::from(ALPHABET[usize::from(expected)]),
            });
        }
        Ok(code)
    }

    fn symbols(self) -> [u8; TRACE_CODE_LEN] {
        let mut symbols = [0u8; TRACE_CODE_LEN];
        for (i, symbol) in symbols[..DATA_SYMBOLS].iter_mut().enumerate() {
            *symbol = ((self.0 >> (5 * (DATA_SYMBOLS - 1 - i))) & 31) as u8;
        }
        symbols[DATA_SYMBOLS] = check_symbol(&symbols[..DATA_SYMBOLS]);
        symbols
    }
}

/// Grouped for people: `7KQ2-M9XD-4TW`.
impl fmt::Display for TraceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.canonical();
        write!(f, "{}-{}-{}", &code[..4], &code[4..8], &code[8..])
    }
}

/// The value of a symbol as read, with Crockford's aliases; `None` for anything else (including U).
pub(crate) fn symbol_of(c: char) -> Option<u8> {
    let upper = match c.to_ascii_uppercase() {
        'I' | 'L' => '1',
        'O' => '0',
        other => other,
    };
    ALPHABET.iter().position(|&a| char::from(a) == upper).and_then(|i| u8::try_from(i).ok())
}

/// `Σ α^(n−i) · dᵢ` over GF(32) built on x⁵ + x² + 1, α = x: the last data symbol has weight α.
fn check_symbol(data: &[u8]) -> u8 {
    let mut sum = 0u8;
    let mut weight = ALPHA;
    for &symbol in data.iter().rev() {
        sum ^= gf32_mul(weight, symbol);
        weight = gf32_mul(weight, ALPHA);
    }
    sum
}

const ALPHA: u8 = 0b00010;

/// Multiplication in GF(2⁵) modulo the primitive polynomial x⁵ + x² + 1.
fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0b10_0000 != 0 {
            a ^= 0b10_0101;
        }
    }
    product & 31
}
