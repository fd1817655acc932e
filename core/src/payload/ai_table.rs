//! The GS1 application identifiers (AIs) we read, with their formats. Only the AIs a produce or
//! logistics label plausibly carries: an AI missing here is refused by name, never guessed at.

/// How an AI's value is written and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Exactly `len` digits; `check` names the key whose last digit is a GS1 check digit.
    Digits { len: usize, check: Option<&'static str> },
    /// 1 to `max` digits kept as text (codes, not quantities).
    DigitsUpTo(usize),
    /// 1 to `max` characters of GS1 character set 82.
    Text(usize),
    /// A count of 1 to `max` digits.
    Count(usize),
    /// YYMMDD where day 00 means "the last day of that month".
    DateOrMonth,
    /// YYMMDD, a real day.
    Date,
    /// YYMMDDHHMM.
    DateTime,
    /// YYMMDD optionally followed by a second YYMMDD (harvest from–to).
    DateRange,
    /// Six digits with the decimal point implied by the AI's fourth digit, in `unit`.
    Measure(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AiDef {
    /// The AI, or for [`Format::Measure`] its first three digits (the fourth is the decimal count).
    pub ai: &'static str,
    /// GS1's data title, used to name the field in errors.
    pub title: &'static str,
    pub format: Format,
}

const fn def(ai: &'static str, title: &'static str, format: Format) -> AiDef {
    AiDef { ai, title, format }
}

const fn key(ai: &'static str, title: &'static str, len: usize, check: &'static str) -> AiDef {
    AiDef { ai, title, format: Format::Digits { len, check: Some(check) } }
}

use Format::{Count, Date, DateOrMonth, DateRange, DateTime, Digits, DigitsUpTo, Measure, Text};

pub(crate) const TABLE: &[AiDef] = &[
    key("00", "SSCC", 18, "SSCC"),
    key("01", "GTIN", 14, "GTIN"),
    key("02", "CONTENT", 14, "GTIN"),
    def("10", "BATCH/LOT", Text(20)),
    def("11", "PROD DATE", DateOrMonth),
    def("12", "DUE DATE", Date),
    def("13", "PACK DATE", DateOrMonth),
    def("15", "BEST BEFORE", DateOrMonth),
    def("16", "SELL BY", DateOrMonth),
    def("17", "USE BY OR EXPIRY", DateOrMonth),
    def("20", "VARIANT", Digits { len: 2, check: None }),
    def("21", "SERIAL", Text(20)),
    def("22", "CPV", Text(20)),
    def("235", "TPX", Text(28)),
    def("240", "ADDITIONAL ID", Text(30)),
    def("241", "CUST. PART No.", Text(30)),
    def("250", "SECONDARY SERIAL", Text(30)),
    def("251", "REF. TO SOURCE", Text(30)),
    def("254", "GLN EXTENSION COMPONENT", Text(20)),
    def("30", "VAR. COUNT", Count(8)),
    def("310", "NET WEIGHT (kg)", Measure("kg")),
    def("311", "LENGTH (m)", Measure("m")),
    def("312", "WIDTH (m)", Measure("m")),
    def("313", "HEIGHT (m)", Measure("m")),
    def("314", "AREA (m²)", Measure("m²")),
    def("315", "NET VOLUME (l)", Measure("l")),
    def("316", "NET VOLUME (m³)", Measure("m³")),
    def("320", "NET WEIGHT (lb)", Measure("lb")),
    def("330", "GROSS WEIGHT (kg)", Measure("kg")),
    def("331", "LENGTH (m), log", Measure("m")),
    def("332", "WIDTH (m), log", Measure("m")),
    def("333", "HEIGHT (m), log", Measure("m")),
    def("334", "AREA (m²), log", Measure("m²")),
    def("335", "VOLUME (l), log", Measure("l")),
    def("336", "VOLUME (m³), log", Measure("m³")),
    def("37", "COUNT", Count(8)),
    def("400", "ORDER NUMBER", Text(30)),
    def("401", "GINC", Text(30)),
    key("402", "GSIN", 17, "GSIN"),
    def("403", "ROUTE", Text(30)),
    key("410", "SHIP TO LOC", 13, "GLN"),
    key("411", "BILL TO", 13, "GLN"),
    key("412", "PURCHASE FROM", 13, "GLN"),
    key("413", "SHIP FOR LOC", 13, "GLN"),
    key("414", "LOC No.", 13, "GLN"),
    key("415", "PAY TO", 13, "GLN"),
    key("416", "PROD/SERV LOC", 13, "GLN"),
    key("417", "PARTY", 13, "GLN"),
    def("420", "SHIP TO POST", Text(20)),
    def("421", "SHIP TO POST (ISO)", Text(12)),
    def("422", "ORIGIN", Digits { len: 3, check: None }),
    def("423", "COUNTRY - INITIAL PROCESS", DigitsUpTo(15)),
    def("424", "COUNTRY - PROCESS", Digits { len: 3, check: None }),
    def("425", "COUNTRY - DISASSEMBLY", DigitsUpTo(15)),
    def("426", "COUNTRY - FULL PROCESS", Digits { len: 3, check: None }),
    def("7001", "NSN", Digits { len: 13, check: None }),
    def("7002", "MEAT CUT", Text(30)),
    def("7003", "EXPIRY TIME", DateTime),
    def("7004", "ACTIVE POTENCY", DigitsUpTo(4)),
    def("7005", "CATCH AREA", Text(12)),
    def("7006", "FIRST FREEZE DATE", Date),
    def("7007", "HARVEST DATE", DateRange),
    def("7008", "AQUATIC SPECIES", Text(3)),
    def("7009", "FISHING GEAR TYPE", Text(10)),
    def("7010", "PROD METHOD", Text(2)),
    def("7020", "REFURB LOT", Text(20)),
    def("8001", "DIMENSIONS", Digits { len: 14, check: None }),
    def("8003", "GRAI", Text(30)),
    def("8004", "GIAI", Text(30)),
    def("8005", "PRICE PER UNIT", Digits { len: 6, check: None }),
    key("8006", "ITIP", 18, "GTIN"),
    def("8007", "IBAN", Text(34)),
    def("8008", "PROD TIME", DigitsUpTo(12)),
    key("8017", "GSRN - PROVIDER", 18, "GSRN"),
    key("8018", "GSRN - RECIPIENT", 18, "GSRN"),
    def("8019", "SRIN", DigitsUpTo(10)),
    def("8020", "REF No.", Text(25)),
    def("8200", "PRODUCT URL", Text(70)),
    def("90", "INTERNAL", Text(30)),
    def("91", "INTERNAL", Text(90)),
    def("92", "INTERNAL", Text(90)),
    def("93", "INTERNAL", Text(90)),
    def("94", "INTERNAL", Text(90)),
    def("95", "INTERNAL", Text(90)),
    def("96", "INTERNAL", Text(90)),
    def("97", "INTERNAL", Text(90)),
    def("98", "INTERNAL", Text(90)),
    def("99", "INTERNAL", Text(90)),
];

/// The AI that `text` starts with, as written (e.g. `"3103"`), and its definition. GS1 AIs are
/// prefix-free, so at most one entry matches.
pub(crate) fn lookup_prefix(text: &str) -> Option<(&str, &'static AiDef)> {
    TABLE.iter().find_map(|def| {
        let rest = text.strip_prefix(def.ai)?;
        match def.format {
            Format::Measure(_) => {
                let decimals = rest.chars().next().filter(|c| matches!(c, '0'..='5'))?;
                Some((&text[..def.ai.len() + decimals.len_utf8()], def))
            }
            _ => Some((&text[..def.ai.len()], def)),
        }
    })
}

/// The definition of exactly this AI (as written in a Digital Link query string).
pub(crate) fn lookup_exact(ai: &str) -> Option<&'static AiDef> {
    lookup_prefix(ai).filter(|(matched, _)| matched.len() == ai.len()).map(|(_, def)| def)
}

/// The number of characters an AI starting with these two digits has, per GS1's AI ranges; used
/// to name an AI we do not know in the error.
pub(crate) fn ai_length_hint(first_two: &str) -> usize {
    match first_two.parse::<u8>().unwrap_or(0) {
        0..=22 | 30 | 37 | 90..=99 => 2,
        23..=29 | 40..=49 => 3,
        _ => 4,
    }
}

/// Data length of AIs that GS1 lets end without a separator (the "predefined length" table,
/// keyed by the AI's first two digits). All other AIs end at a GS or the end of the text.
pub(crate) fn predefined_length(ai: &str) -> Option<usize> {
    match ai.get(..2)? {
        "00" => Some(18),
        "01" | "02" | "03" => Some(14),
        "04" => Some(16),
        "11" | "12" | "13" | "14" | "15" | "16" | "17" | "18" | "19" => Some(6),
        "20" => Some(2),
        "31" | "32" | "33" | "34" | "35" | "36" => Some(6),
        "41" => Some(13),
        _ => None,
    }
}

/// GS1's character set 82: what alphanumeric AIs may contain.
pub(crate) fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_ai_is_a_prefix_of_another() {
        for a in TABLE {
            for b in TABLE {
                if a.ai != b.ai {
                    assert!(!b.ai.starts_with(a.ai), "{} is a prefix of {}", a.ai, b.ai);
                }
            }
        }
    }

    #[test]
    fn predefined_lengths_agree_with_the_table() {
        for def in TABLE {
            let (Some(len), Format::Digits { len: fixed, .. }) = (predefined_length(def.ai), def.format) else {
                continue;
            };
            assert_eq!(len, fixed, "AI {}", def.ai);
        }
        assert_eq!(lookup_prefix("3103000189").map(|(ai, d)| (ai, d.title)), Some(("3103", "NET WEIGHT (kg)")));
        assert!(lookup_prefix("3109000189").is_none(), "at most 5 decimals");
        assert_eq!(lookup_exact("17").map(|d| d.title), Some("USE BY OR EXPIRY"));
        assert!(lookup_exact("171").is_none());
    }
}
