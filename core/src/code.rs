//! Turning what the scanner read into the code key events are filed under.
//!
//! This is the minimal, strict normalisation every scan needs (trim, reject empty, over-long or
//! garbled input). Parsing payloads into typed identifiers (GS1 Digital Link, element strings,
//! our trace URLs) builds on it.

use crate::error::{Error, Result};
use crate::model::MAX_CODE_LEN;

/// GS1's group separator (FNC1 in element strings): the only control character a label may carry.
const GROUP_SEPARATOR: char = '\u{1D}';

/// The canonical form of a scanned payload: surrounding whitespace removed, content checked.
pub fn canonical_code(raw: &str) -> Result<String> {
    let code = raw.trim();
    if code.is_empty() {
        return Err(Error::EmptyCode);
    }
    let length = code.chars().count();
    if length > MAX_CODE_LEN {
        return Err(Error::CodeTooLong { length, max: MAX_CODE_LEN });
    }
    if let Some((position, bad)) = code.chars().enumerate().find(|(_, c)| c.is_control() && *c != GROUP_SEPARATOR) {
        return Err(Error::InvalidCodeCharacter { position, codepoint: u32::from(bad) });
    }
    Ok(code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_keeps_content() {
        assert_eq!(canonical_code("  FT-7KQ2 \n").expect("valid"), "FT-7KQ2");
        assert_eq!(canonical_code("0109506000134352\u{1D}10AB12").expect("GS allowed"), "0109506000134352\u{1D}10AB12");
        assert_eq!(canonical_code("猕猴桃-001").expect("unicode"), "猕猴桃-001");
    }

    #[test]
    fn rejects_garbage_with_a_reason() {
        assert_eq!(canonical_code(" \t ").expect_err("empty").key(), "code_empty");
        let long = "9".repeat(MAX_CODE_LEN + 1);
        assert!(matches!(canonical_code(&long), Err(Error::CodeTooLong { length, .. }) if length == MAX_CODE_LEN + 1));
        assert!(matches!(canonical_code("AB\u{0}C"), Err(Error::InvalidCodeCharacter { position: 2, codepoint: 0 })));
    }
}
