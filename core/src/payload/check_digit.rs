//! The GS1 mod-10 check digit shared by GTIN, SSCC and GLN: one typo in a key must not silently
//! file events under somebody else's product.

use super::error::PayloadError;

/// The check digit for `body` (the digits before it). Weights alternate 3, 1 from the right.
/// `body` must be ASCII digits; callers check that first.
pub fn gs1_check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b.wrapping_sub(b'0')) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// Checks that `digits` is all digits and ends in its correct check digit.
pub(crate) fn verify_gs1(field: &'static str, digits: &str) -> Result<(), PayloadError> {
    if let Some((i, bad)) = digits.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        return Err(PayloadError::InvalidCharacter { field, position: i + 1, found: bad });
    }
    let Some(found) = digits.chars().last() else {
        return Err(PayloadError::MissingValue { ai: field.to_owned() });
    };
    let expected = gs1_check_digit(&digits[..digits.len() - 1]);
    if found != expected {
        return Err(PayloadError::CheckDigit { field, position: digits.len(), found, expected });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_gs1_examples() {
        assert_eq!(gs1_check_digit("0950600013435"), '2');
        assert_eq!(gs1_check_digit("10614141234567890"), '8');
        assert_eq!(gs1_check_digit("950600001300"), '8');
        assert_eq!(gs1_check_digit("9638507"), '4');
        verify_gs1("GTIN", "09506000134352").expect("valid GTIN");
        verify_gs1("SSCC", "106141412345678908").expect("valid SSCC");
    }

    #[test]
    fn wrong_digit_names_position_and_expected_value() {
        let err = verify_gs1("GTIN", "09506000134353").expect_err("bad check digit");
        assert_eq!(err, PayloadError::CheckDigit { field: "GTIN", position: 14, found: '3', expected: '2' });
        assert_eq!(err.to_string(), "GTIN check digit (position 14) is 3, expected 2");
    }
}
