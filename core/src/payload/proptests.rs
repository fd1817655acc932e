use super::digital_link::percent_encode;
use super::*;
use proptest::prelude::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).expect("date")
}

fn gtin_with_check(body: &str) -> String {
    format!("{body}{}", check_digit::gs1_check_digit(body))
}

/// A value of GS1 character set 82.
fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9!\"%&'()*+,./:;<=>?_-]{{1,{max}}}")).expect("regex")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_text(text in any::<String>()) {
        let _ = parse_payload_on(&text, today());
    }

    #[test]
    fn never_panics_on_near_misses(
        prefix in prop::sample::select(vec!["", "]C1", "]d2", "\u{1D}", "(01)", "https://x.y/01/", "http://a/t/", "01"]),
        body in "[0-9A-Za-z\u{1D}()%/?&=#. -]{0,60}",
    ) {
        let _ = parse_payload_on(&format!("{prefix}{body}"), today());
    }

    #[test]
    fn element_string_and_digital_link_keys_agree(
        body in "[0-9]{13}",
        cpv in proptest::option::of(cset82(20)),
        lot in proptest::option::of(cset82(20)),
        serial in proptest::option::of(cset82(20)),
        expiry in proptest::option::of((0u32..100, 1u32..13, 0u32..29)),
    ) {
        let gtin = gtin_with_check(&body);
        let mut element_string = format!("]d201{gtin}");
        let mut link = format!("https://id.example.com/prefix/01/{gtin}");
        for (ai, value) in [("22", &cpv), ("10", &lot), ("21", &serial)] {
            if let Some(value) = value {
                element_string.push_str(&format!("{ai}{value}\u{1D}"));
                link.push_str(&format!("/{ai}/{}", percent_encode(value)));
            }
        }
        if let Some((y, m, d)) = expiry {
            element_string.push_str(&format!("17{y:02}{m:02}{d:02}"));
            link.push_str(&format!("?17={y:02}{m:02}{d:02}"));
        }
        let from_elements = parse_payload_on(&element_string, today()).expect("valid element string");
        let from_link = parse_payload_on(&link, today()).expect("valid digital link");
        prop_assert_eq!(from_elements.code_key(), from_link.code_key());
        prop_assert_eq!(from_elements.elements(), from_link.elements());
        let key = from_link.code_key();
        let again = parse_payload_on(&format!("https://k.example{key}"), today()).expect("key reads back");
        prop_assert_eq!(again.code_key(), key);
    }

    #[test]
    fn trace_codes_round_trip(value in 0..=TraceCode::MAX_VALUE) {
        let code = TraceCode::from_value(value).expect("in range");
        prop_assert_eq!(TraceCode::parse(&code.to_string()), Ok(code));
        prop_assert_eq!(parse_payload_on(&code.to_string().to_lowercase(), today()), Ok(Payload::Trace(code)));
    }

    #[test]
    fn trace_code_typos_are_caught(value in 0..=TraceCode::MAX_VALUE, position in 0..TRACE_CODE_LEN, other in 0usize..32) {
        let code = TraceCode::from_value(value).expect("in range").canonical().into_bytes();
        let mut substituted = code.clone();
        substituted[position] = trace_code::ALPHABET[other];
        if substituted != code {
            prop_assert!(TraceCode::parse(&String::from_utf8_lossy(&substituted)).is_err());
        }
        if position + 1 < TRACE_CODE_LEN && code[position] != code[position + 1] {
            let mut swapped = code.clone();
            swapped.swap(position, position + 1);
            prop_assert!(TraceCode::parse(&String::from_utf8_lossy(&swapped)).is_err());
        }
    }
}
