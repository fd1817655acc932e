//! A lot's limits: its own register fields (`temp_min`, `temp_max`, `humidity_max`) where set,
//! otherwise the typical storage range of its product.

use super::Limits;
use crate::store::Register;
use std::collections::BTreeMap;

/// Typical cold-chain guidance for the co-op's products (°C), matched against the lot's product
/// name (Chinese or English, anywhere in the name: 红心猕猴桃 is a kiwi). Humidity has no default:
/// fruit in a closed box sits at 90–98 % RH, so a fixed limit would fire on every box.
pub const TYPICAL_LIMITS: &[(&[&str], f64, f64)] =
    &[(&["猕猴桃", "奇异果", "kiwi"], 0.0, 5.0), (&["芒果", "mango"], 10.0, 13.0), (&["苹果", "apple"], 0.0, 4.0)];

/// The typical limits for a product name, if it is one we know.
pub fn typical_limits(product: &str) -> Option<Limits> {
    let product = product.to_lowercase();
    TYPICAL_LIMITS.iter().find(|(names, _, _)| names.iter().any(|n| product.contains(n))).map(|(_, min, max)| Limits {
        temp_min_c: Some(*min),
        temp_max_c: Some(*max),
        humidity_max_percent: None,
    })
}

/// A lot's limits from its product name and registers: each field set on the lot wins over the
/// product default; a field cleared on the lot (set to none) means "no limit", also over the default.
pub fn lot_limits(product: &str, registers: &BTreeMap<String, Register>) -> Limits {
    let defaults = typical_limits(product).unwrap_or_default();
    // Values were checked to be numbers when the update was recorded (`Update::problem`).
    let field = |name: &str, default: Option<f64>| match registers.get(name) {
        Some(register) => register.value.as_deref().and_then(|v| v.trim().parse().ok()),
        None => default,
    };
    Limits {
        temp_min_c: field("temp_min", defaults.temp_min_c),
        temp_max_c: field("temp_max", defaults.temp_max_c),
        humidity_max_percent: field("humidity_max", defaults.humidity_max_percent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventId;

    fn registers(fields: &[(&str, Option<&str>)]) -> BTreeMap<String, Register> {
        fields
            .iter()
            .map(|(name, value)| {
                ((*name).to_owned(), Register { value: value.map(str::to_owned), set_by: EventId::new() })
            })
            .collect()
    }

    #[test]
    fn products_get_their_typical_range() {
        assert_eq!(typical_limits("红心猕猴桃").and_then(|l| l.temp_max_c), Some(5.0));
        assert_eq!(typical_limits("Kiwifruit").and_then(|l| l.temp_max_c), Some(5.0));
        assert_eq!(typical_limits("芒果").and_then(|l| l.temp_min_c), Some(10.0));
        assert_eq!(typical_limits("apple").and_then(|l| l.temp_max_c), Some(4.0));
        assert_eq!(typical_limits("土豆"), None);
    }

    #[test]
    fn lot_fields_override_the_product_default_field_by_field() {
        let lot = registers(&[("temp_max", Some("6.5")), ("humidity_max", Some("97"))]);
        let limits = lot_limits("猕猴桃", &lot);
        assert_eq!(limits, Limits { temp_min_c: Some(0.0), temp_max_c: Some(6.5), humidity_max_percent: Some(97.0) });
        let cleared = registers(&[("temp_min", None)]);
        assert_eq!(
            lot_limits("mango", &cleared),
            Limits { temp_min_c: None, temp_max_c: Some(13.0), humidity_max_percent: None }
        );
        assert!(lot_limits("土豆", &registers(&[])).is_empty());
    }
}
