use super::*;
use chrono::NaiveDateTime;

const GTIN: &str = "09506000134352";
const SSCC: &str = "106141412345678908";
const GLN: &str = "9506000013008";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 15).expect("date")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn parse(text: &str) -> Result<Payload, PayloadError> {
    parse_payload_on(text, today())
}

fn gs1(text: &str) -> Gs1Payload {
    match parse(text) {
        Ok(Payload::Gs1(gs1)) => gs1,
        other => panic!("{text:?} should be GS1, got {other:?}"),
    }
}

fn key(text: &str) -> String {
    parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}")).code_key()
}

fn err(text: &str) -> PayloadError {
    parse(text).expect_err(text)
}

// --- element strings ---

#[test]
fn element_string_with_symbology_and_separators() {
    let read = gs1("]d2\u{1D}0109506000134352\u{1D}10AB-12\u{1D}17260200\u{1D}21S1");
    assert_eq!(read.syntax, Gs1Syntax::ElementString);
    assert_eq!(read.lot(), Some("AB-12"));
    assert_eq!(read.serial(), Some("S1"));
    assert_eq!(read.expiry(), Some(date(2026, 2, 28)), "day 00 is the month's last day");
    assert_eq!(read.key.canonical_path(), "/01/09506000134352/10/AB-12/21/S1");
    for prefix in ["]C1", "]e0", "]Q3", "]J1", "\u{1D}", ""] {
        assert_eq!(key(&format!("{prefix}0109506000134352\u{1D}10AB-12")), "/01/09506000134352/10/AB-12");
    }
}

#[test]
fn variable_length_ai_ends_at_separator_or_end() {
    let at_end = gs1("]C10109506000134352");
    assert_eq!(at_end.key.canonical_path(), "/01/09506000134352");
    let read = gs1("]C1010950600013435210LOT7\u{1D}3103001250");
    assert_eq!(read.lot(), Some("LOT7"));
    assert_eq!(read.net_weight_kg().map(|w| w.to_string()), Some("1.250".to_owned()));
    let read = gs1("]C101095060001343523103001250\u{1D}\u{1D}10LOT7\u{1D}");
    assert_eq!(read.lot(), Some("LOT7"), "superfluous and trailing separators are tolerated");
}

#[test]
fn fixed_length_ais_need_no_separator_but_others_do() {
    let read = gs1("]C10109506000134352172612311526020011250101");
    assert_eq!(read.expiry(), Some(date(2026, 12, 31)));
    assert_eq!(read.best_before(), Some(date(2026, 2, 28)));
    assert_eq!(read.production_date(), Some(date(2025, 1, 1)));
    // 422 is fixed-length (3 digits) but not predefined, so it runs to the end or a GS.
    let read = gs1("]C10109506000134352422156\u{1D}10A");
    assert_eq!(read.get("422").map(|e| e.raw.as_str()), Some("156"));
    assert!(matches!(err("]C101095060001343524221561"), PayloadError::WrongLength { field: "ORIGIN", found: 4, .. }));
}

#[test]
fn day_zero_and_leap_years() {
    assert_eq!(gs1("(01)09506000134352(17)260200").expiry(), Some(date(2026, 2, 28)));
    assert_eq!(gs1("(01)09506000134352(17)280200").expiry(), Some(date(2028, 2, 29)));
    assert_eq!(gs1("(01)09506000134352(17)261200").expiry(), Some(date(2026, 12, 31)));
    assert!(matches!(err("(01)09506000134352(17)261301"), PayloadError::InvalidDate { field: "USE BY OR EXPIRY", .. }));
    assert!(matches!(err("(01)09506000134352(17)270229"), PayloadError::InvalidDate { .. }));
    // Day 00 is only for dates GS1 allows it in: not the first freeze date.
    assert!(matches!(err("(01)09506000134352(7006)260200"), PayloadError::InvalidDate { .. }));
}

#[test]
fn century_rule() {
    use super::value::full_year;
    assert_eq!(full_year(26, 2026), 2026);
    assert_eq!(full_year(76, 2026), 2076, "50 years ahead stays in this century");
    assert_eq!(full_year(77, 2026), 1977, "51 ahead means 49 back");
    assert_eq!(full_year(99, 2026), 1999);
    assert_eq!(full_year(30, 2080), 2130, "50 behind means 50 ahead");
    assert_eq!(full_year(31, 2080), 2031);
    assert_eq!(full_year(0, 2099), 2100);
    let later = parse_payload_on("(01)09506000134352(17)310100", date(2085, 6, 1)).expect("valid");
    assert_eq!(later.elements()[1].value, AiValue::Date(date(2131, 1, 31)));
}

#[test]
fn typed_attributes() {
    let not_in_table = "(01)09506000134352(3922)1250";
    assert_eq!(err(not_in_table), PayloadError::UnknownAi { ai: "3922".into(), position: 19 });
    let read = gs1("(01)09506000134352(7003)2612312359(7007)250901250915(30)12(422)156(3201)000105");
    let by_ai = |ai: &str| read.get(ai).map(|e| e.value.clone());
    let expected_time = NaiveDateTime::parse_from_str("2026-12-31 23:59", "%Y-%m-%d %H:%M").expect("time");
    assert_eq!(by_ai("7003"), Some(AiValue::DateTime(expected_time)));
    assert_eq!(by_ai("7007"), Some(AiValue::DateRange { start: date(2025, 9, 1), end: Some(date(2025, 9, 15)) }));
    assert_eq!(by_ai("30"), Some(AiValue::Count(12)));
    assert_eq!(by_ai("422"), Some(AiValue::Text("156".into())));
    assert_eq!(by_ai("3201"), Some(AiValue::Measure { value: Decimal { digits: 105, scale: 1 }, unit: "lb" }));
    assert_eq!(Decimal { digits: 105, scale: 1 }.to_f64(), 10.5);
}

#[test]
fn sscc_and_gln_keys() {
    let pallet = gs1("]C100106141412345678908020950600013435237120");
    assert_eq!(pallet.key, Gs1Key::Sscc(SSCC.into()));
    assert_eq!(pallet.get("37").map(|e| e.value.clone()), Some(AiValue::Count(120)));
    assert_eq!(pallet.key.canonical_path(), format!("/00/{SSCC}"));
    assert_eq!(key(&format!("(414){GLN}(254)A1")), format!("/414/{GLN}/254/A1"));
    assert_eq!(err("(02)09506000134352(37)12"), PayloadError::NoPrimaryKey);
}

#[test]
fn element_string_errors_say_where() {
    assert_eq!(
        err("]C10109506000134353"),
        PayloadError::CheckDigit { field: "GTIN", position: 14, found: '3', expected: '2' }
    );
    assert_eq!(
        err("]C100106141412345678900\u{1D}10ABC"),
        PayloadError::CheckDigit { field: "SSCC", position: 18, found: '0', expected: '8' }
    );
    assert_eq!(
        err("]C101095060001343"),
        PayloadError::Truncated { field: "GTIN", position: 4, needed: 14, available: 12 }
    );
    assert_eq!(err("]C101095060001343527777ABC"), PayloadError::UnknownAi { ai: "7777".into(), position: 20 });
    assert_eq!(err("(01)09506000134352(777)X"), PayloadError::UnknownAi { ai: "777".into(), position: 19 });
    assert_eq!(err("0109506000134352\u{1D}10ABC\u{1D}10ABD"), PayloadError::ConflictingAi { ai: "10".into() });
    gs1("0109506000134352\u{1D}10ABC\u{1D}10ABC"); // a repeated identical element is harmless
    assert!(matches!(
        err("]C1010950600013435210A\u{7}B"),
        PayloadError::InvalidCharacter { field: "BATCH/LOT", position: 2, .. }
    ));
    assert!(matches!(err("]C1010950600013435210猕猴桃"), PayloadError::InvalidCharacter { found: '猕', .. }));
    assert!(matches!(err("]C1010950600013435210"), PayloadError::MissingValue { .. }));
    assert!(matches!(err("]C1010950600013435210ABCDEFGHIJKLMNOPQRSTU"), PayloadError::WrongLength { found: 21, .. }));
}

// --- GS1 Digital Link ---

#[test]
fn digital_link_with_qualifiers_and_attributes() {
    let link = "https://id.gs1.org/01/09506000134352/10/AB%2F12/21/S%201?17=261231&3103=000189&linkType=gs1%3Apip#x";
    assert!(matches!(err(link), PayloadError::InvalidCharacter { field: "SERIAL", found: ' ', .. }));
    let link = "HTTPS://id.gs1.org/01/09506000134352/22/2A/10/AB%2F12/21/S1?17=261231&3103=000189&linkType=gs1%3Apip#x";
    let read = gs1(link);
    assert_eq!(read.syntax, Gs1Syntax::DigitalLink);
    assert_eq!(read.lot(), Some("AB/12"));
    assert_eq!(read.expiry(), Some(date(2026, 12, 31)));
    assert_eq!(read.net_weight_kg(), Some(Decimal { digits: 189, scale: 3 }));
    assert_eq!(read.key.canonical_path(), "/01/09506000134352/22/2A/10/AB%2F12/21/S1");
}

#[test]
fn digital_link_path_prefix_short_gtins_and_other_keys() {
    assert_eq!(key("http://id.example.com/some/prefix/01/09506000134352/"), "/01/09506000134352");
    assert_eq!(key("https://example.cn/01/4006381333931"), "/01/04006381333931");
    assert_eq!(key("https://example.cn/01/96385074?17=261231&utm=1"), "/01/00000096385074");
    assert_eq!(key(&format!("https://example.com/00/{SSCC}?02={GTIN}&37=10")), format!("/00/{SSCC}"));
    assert_eq!(key(&format!("https://example.com/414/{GLN}/254/Field%2f7")), format!("/414/{GLN}/254/Field%2F7"));
}

#[test]
fn digital_link_errors() {
    assert_eq!(
        err("https://example.com/01/09506000134353"),
        PayloadError::CheckDigit { field: "GTIN", position: 14, found: '3', expected: '2' }
    );
    assert!(matches!(err("https://example.com/01/950600013435"), PayloadError::CheckDigit { position: 12, .. }));
    assert!(matches!(
        err("https://example.com/01/123456789"),
        PayloadError::WrongLength { field: "GTIN", found: 9, .. }
    ));
    assert_eq!(
        err("https://example.com/01/09506000134352/21/S1/10/L1"),
        PayloadError::QualifierOrder { qualifier: "10", after: "21".into() }
    );
    assert_eq!(
        err("https://example.com/01/09506000134352/17/261231"),
        PayloadError::QualifierNotAllowed { key: "01", qualifier: "17".into() }
    );
    assert_eq!(
        err("https://example.com/01/09506000134352?21=S1"),
        PayloadError::QualifierInQuery { qualifier: "21".into() }
    );
    assert!(matches!(
        err(&format!("https://example.com/01/{GTIN}?00={SSCC}")),
        PayloadError::MultiplePrimaryKeys { .. }
    ));
    assert_eq!(err("https://example.com/01/09506000134352/10"), PayloadError::MissingValue { ai: "10".into() });
    assert_eq!(
        err("https://e.com/01/09506000134352?9999=1"),
        PayloadError::UnknownAi { ai: "9999".into(), position: 33 }
    );
    assert_eq!(err("https://e.com/01/09506000134352/10/A%2"), PayloadError::PercentEncoding { position: 37 });
    assert!(matches!(err("https://e.com/01/09506000134352/10/%FF"), PayloadError::PercentEncoding { .. }));
    assert_eq!(
        err("https://e.com/01/09506000134352?17=261231&17=261230"),
        PayloadError::ConflictingAi { ai: "17".into() }
    );
}

#[test]
fn element_string_and_digital_link_give_the_same_key() {
    let same = [
        "(01)09506000134352(21)ABC",
        "]d2010950600013435221ABC",
        "https://x.y/01/09506000134352/21/ABC?17=261231",
        "https://x.y/01/9506000134352/21/ABC",
    ];
    for text in same {
        assert_eq!(key(text), "/01/09506000134352/21/ABC", "{text}");
    }
    assert_eq!(key("9506000134352"), key("https://x.y/01/09506000134352?17=261231&3103=000189"));
}

// --- plain product codes ---

#[test]
fn plain_product_codes() {
    let cases = [
        ("4006381333931", ProductFormat::Ean13, "04006381333931"),
        ("036000291452", ProductFormat::UpcA, "00036000291452"),
        ("96385074", ProductFormat::Ean8, "00000096385074"),
        (GTIN, ProductFormat::Gtin14, GTIN),
        ("]E04006381333931", ProductFormat::Ean13, "04006381333931"),
    ];
    for (text, format, gtin14) in cases {
        let Ok(Payload::Product { gtin, format: read }) = parse(text) else { panic!("{text} is a product code") };
        assert_eq!((gtin.as_str(), read), (gtin14, format));
        assert_eq!(key(text), format!("/01/{gtin14}"));
    }
    assert_eq!(
        err("4006381333932"),
        PayloadError::CheckDigit { field: "GTIN", position: 13, found: '2', expected: '1' }
    );
    assert_eq!(err("96385075"), PayloadError::CheckDigit { field: "GTIN", position: 8, found: '5', expected: '4' });
}

// --- anything else ---

#[test]
fn other_text_is_unrecognized_and_trimmed() {
    for (text, expected) in [
        ("  https://example.com/about?x=1 \n", "https://example.com/about?x=1"),
        ("https://example.com/2026/01/blog", "https://example.com/2026/01/blog"),
        ("KIWI-0001", "KIWI-0001"),
        ("猕猴桃-001", "猕猴桃-001"),
        ("(555) 123-4567", "(555) 123-4567"),
        ("]Q1hello", "hello"),
        ("12345", "12345"),
    ] {
        assert_eq!(parse(text), Ok(Payload::Unrecognized(expected.into())), "{text:?}");
        assert_eq!(key(text), expected);
    }
}

#[test]
fn hostile_input_is_refused_with_a_reason() {
    assert_eq!(err(" \t\r\n"), PayloadError::Empty);
    assert_eq!(err("]Q1"), PayloadError::Empty);
    assert_eq!(err("AB\u{0}C"), PayloadError::ControlCharacter { position: 3, codepoint: 0 });
    assert_eq!(err("hello\u{1D}world"), PayloadError::ControlCharacter { position: 6, codepoint: 0x1D });
    assert_eq!(err("https://e.com/\u{7f}"), PayloadError::ControlCharacter { position: 15, codepoint: 0x7f });
    let huge = "9".repeat(MAX_PAYLOAD_LEN + 1);
    assert_eq!(err(&huge), PayloadError::TooLong { length: MAX_PAYLOAD_LEN + 1, max: MAX_PAYLOAD_LEN });
    let long_word = "x".repeat(MAX_CODE_LEN + 1);
    assert_eq!(err(&long_word), PayloadError::TooLong { length: MAX_CODE_LEN + 1, max: MAX_CODE_LEN });
    assert!(parse("\u{FFFD}\u{FFFD}").is_ok(), "replacement characters from bad UTF-8 are just text");
}

// --- trace codes ---

#[test]
fn trace_code_round_trip_and_forgiving_reading() {
    for value in [0, 1, 31, 32, 123_456_789, TraceCode::MAX_VALUE] {
        let code = TraceCode::from_value(value).expect("in range");
        let shown = code.to_string();
        assert_eq!(shown.len(), 13);
        assert_eq!(TraceCode::parse(&shown), Ok(code));
        assert_eq!(TraceCode::parse(&shown.to_lowercase().replace('-', " ")), Ok(code));
        assert_eq!(parse(&shown), Ok(Payload::Trace(code)));
        assert_eq!(parse(&code.canonical()), Ok(Payload::Trace(code)));
        assert_eq!(parse(&format!("https://trace.example.cn/t/{shown}")), Ok(Payload::Trace(code)));
        assert_eq!(
            key(&format!("http://a.b/t/{}", code.canonical().to_lowercase())),
            format!("t/{}", code.canonical())
        );
    }
    let code = TraceCode::from_value(0x3_0000_0000_0001).expect("in range");
    let typed = code.canonical().replace('1', "l").replace('0', "O");
    assert_eq!(TraceCode::parse(&typed), Ok(code), "I/L read as 1, O as 0");
    assert_eq!(
        TraceCode::from_value(TraceCode::MAX_VALUE + 1),
        Err(PayloadError::TraceCodeValue { value: TraceCode::MAX_VALUE + 1, max: TraceCode::MAX_VALUE })
    );
    assert_eq!(TraceCode::from_random_bytes([0xFF; 8]).value(), TraceCode::MAX_VALUE);
}

#[test]
fn trace_code_errors() {
    let code = TraceCode::from_value(987_654_321).expect("in range").canonical();
    let mut chars: Vec<char> = code.chars().collect();
    let wrong = if chars[10] == 'A' { 'B' } else { 'A' };
    let right = chars[10];
    chars[10] = wrong;
    let mistyped: String = chars.iter().collect();
    let expected = PayloadError::CheckDigit { field: "trace code", position: 11, found: wrong, expected: right };
    assert_eq!(err(&mistyped), expected);
    assert_eq!(err(&format!("https://x.cn/t/{mistyped}")), expected);
    assert!(matches!(err("https://x.cn/t/ABC"), PayloadError::WrongLength { field: "trace code", found: 3, .. }));
    assert!(matches!(
        TraceCode::parse("0000U000000"),
        Err(PayloadError::InvalidCharacter { position: 5, found: 'U', .. })
    ));
}

fn canonical_of(value: u64) -> Vec<u8> {
    TraceCode::from_value(value).expect("in range").canonical().into_bytes()
}

fn is_valid(code: &[u8]) -> bool {
    TraceCode::parse(&String::from_utf8_lossy(code)).is_ok()
}

/// The check symbol is linear over GF(32), so whether a change is caught depends only on the
/// symbols involved and where they are, not on the rest of the code. These loops try every
/// symbol (pair) at every position; proptests.rs also samples random whole codes.
#[test]
fn every_substitution_and_adjacent_transposition_is_caught_exhaustively() {
    let alphabet = trace_code::ALPHABET;
    for i in 0..TRACE_CODE_LEN - 1 {
        for a in 0..32u64 {
            let code = canonical_of(a << (5 * (9 - i)));
            for position in [i, TRACE_CODE_LEN - 1] {
                for &b in alphabet.iter().filter(|&&b| b != code[position]) {
                    let mut changed = code.clone();
                    changed[position] = b;
                    assert!(!is_valid(&changed), "substitution at {position} in {code:?} undetected");
                }
            }
        }
    }
    for i in 0..TRACE_CODE_LEN - 2 {
        for (a, b) in (0..32u64).flat_map(|a| (0..32u64).map(move |b| (a, b))).filter(|(a, b)| a != b) {
            let mut code = canonical_of((a << (5 * (9 - i))) | (b << (5 * (8 - i))));
            code.swap(i, i + 1);
            assert!(!is_valid(&code), "transposition at {i} of {a} and {b} undetected");
        }
    }
    // The last data symbol and the check symbol: vary the first symbol so every pair occurs.
    let mut pairs = std::collections::HashSet::new();
    for (first, last) in (0..32u64).flat_map(|f| (0..32u64).map(move |l| (f, l))) {
        let mut code = canonical_of((first << 45) | last);
        pairs.insert((code[9], code[10]));
        if code[9] != code[10] {
            code.swap(9, 10);
            assert!(!is_valid(&code), "swap of check symbol undetected in {code:?}");
        }
    }
    assert_eq!(pairs.len(), 32 * 32);
}

// --- errors ---

#[test]
fn error_keys_are_unique_and_snake_case() {
    let all = [
        PayloadError::Empty,
        PayloadError::TooLong { length: 0, max: 0 },
        PayloadError::ControlCharacter { position: 0, codepoint: 0 },
        PayloadError::CheckDigit { field: "", position: 0, found: '0', expected: '0' },
        PayloadError::WrongLength { field: "", found: 0, expected: Expected::Exactly(0) },
        PayloadError::InvalidCharacter { field: "", position: 0, found: '0' },
        PayloadError::UnknownAi { ai: String::new(), position: 0 },
        PayloadError::Truncated { field: "", position: 0, needed: 0, available: 0 },
        PayloadError::InvalidDate { field: "", value: String::new() },
        PayloadError::ConflictingAi { ai: String::new() },
        PayloadError::NoPrimaryKey,
        PayloadError::MultiplePrimaryKeys { first: String::new(), second: String::new() },
        PayloadError::QualifierOrder { qualifier: "", after: String::new() },
        PayloadError::QualifierNotAllowed { key: "", qualifier: String::new() },
        PayloadError::QualifierInQuery { qualifier: String::new() },
        PayloadError::MissingValue { ai: String::new() },
        PayloadError::PercentEncoding { position: 0 },
        PayloadError::TraceCodeValue { value: 0, max: 0 },
    ];
    let mut keys: Vec<_> = all.iter().map(PayloadError::key).collect();
    assert!(keys.iter().all(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), all.len());
    assert_eq!(
        PayloadError::WrongLength { field: "GTIN", found: 9, expected: Expected::OneOf(&[8, 12, 13, 14]) }.to_string(),
        "GTIN is 9 characters long; expected 8, 12, 13, 14"
    );
}
