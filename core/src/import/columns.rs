//! Header row → fields. Each field has Chinese and English names; a unit in brackets after a
//! dose or quantity header (`用量(ml)`, `Quantity (kg)`) is the unit for that column's plain numbers.

use super::{Cell, ColumnRef, Problem};

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Date,
    Time,
    Farmer,
    Plot,
    Lot,
    Activity,
    /// Pesticide or fertilizer name.
    Input,
    Dose,
    Unit,
    /// Pre-harvest interval, days.
    Phi,
    Quantity,
    Grade,
    Product,
    Variety,
    Note,
}

impl Field {
    pub const ALL: [Field; 15] = [
        Field::Date,
        Field::Time,
        Field::Farmer,
        Field::Plot,
        Field::Lot,
        Field::Activity,
        Field::Input,
        Field::Dose,
        Field::Unit,
        Field::Phi,
        Field::Quantity,
        Field::Grade,
        Field::Product,
        Field::Variety,
        Field::Note,
    ];

    /// Header names, lower case; the first Chinese and the first English are the documented ones.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Field::Date => &["日期", "date", "作业日期", "采收日期"],
            Field::Time => &["时间", "time"],
            Field::Farmer => &["农户", "farmer", "农户编号", "农户id", "户主", "grower", "farmer id"],
            Field::Plot => &["地块", "plot", "地块编号", "田块", "field"],
            Field::Lot => &["批次", "lot", "批次号", "批号", "batch", "lot id"],
            Field::Activity => &["作业", "activity", "作业类型", "农事", "农事活动", "活动", "operation"],
            Field::Input => &["农药", "pesticide", "农药名称", "肥料", "投入品", "fertilizer", "input"],
            Field::Dose => &["用量", "dose", "剂量", "施用量", "rate"],
            Field::Unit => &["单位", "unit"],
            Field::Phi => &[
                "安全间隔期",
                "phi",
                "间隔期",
                "安全期",
                "pre-harvest interval",
                "pre_harvest_interval",
                "pre harvest interval",
            ],
            Field::Quantity => &["数量", "quantity", "采收量", "产量", "重量", "yield", "weight"],
            Field::Grade => &["等级", "grade", "品级"],
            Field::Product => &["产品", "product", "品名", "作物", "crop"],
            Field::Variety => &["品种", "variety", "cultivar"],
            Field::Note => &["备注", "note", "说明", "notes", "remark", "remarks"],
        }
    }

    fn from_header(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|field| field.names().contains(&name))
    }
}

/// The header row, understood.
#[derive(Debug, Clone)]
pub struct Header {
    /// Per column: its field (`None` for a column without a header, which must stay empty).
    pub(crate) fields: Vec<Option<Field>>,
    pub(crate) headers: Vec<String>,
    /// A unit written in a dose or quantity header, e.g. `ml` in `用量(ml)`.
    pub(crate) unit_hints: Vec<Option<String>>,
}

/// Splits `用量（ml）` into the lower-case name `用量` and the bracketed hint `ml`.
fn split_header(raw: &str) -> (String, Option<String>) {
    let text = raw.trim().replace(['（', '【', '['], "(").replace(['）', '】', ']'], ")");
    let (name, hint) = match (text.find('('), text.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            let hint = text[open + 1..close].trim().to_owned();
            (format!("{}{}", &text[..open], &text[close + 1..]), Some(hint).filter(|h| !h.is_empty()))
        }
        _ => (text.clone(), None),
    };
    let name = name.to_lowercase().replace('_', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    (name, hint)
}

impl Header {
    /// Reads the header row (`row` is its 1-based number). Unknown or repeated columns and missing
    /// required ones are problems for the whole file: guessing would import wrong data.
    pub fn parse(cells: &[Cell], row: usize) -> Result<Self, Vec<Problem>> {
        let mut header = Header { fields: Vec::new(), headers: Vec::new(), unit_hints: Vec::new() };
        let mut problems = Vec::new();
        for (index, cell) in cells.iter().enumerate() {
            let raw = cell.text();
            let column = ColumnRef { index, header: raw.clone() };
            let (name, hint) = split_header(&raw);
            let field = if name.is_empty() {
                None
            } else if let Some(field) = Field::from_header(&name) {
                if let Some(earlier) = header.fields.iter().position(|f| *f == Some(field)) {
                    let first = ColumnRef { index: earlier, header: header.headers[earlier].clone() };
                    problems.push(Problem {
                        row,
                        column: Some(column),
                        reason: format!("means the same as {first}; keep one of them"),
                    });
                }
                Some(field)
            } else {
                problems.push(Problem {
                    row,
                    column: Some(column),
                    reason: format!("unknown column {raw:?}; known columns: {}", known_columns()),
                });
                None
            };
            let hint = hint.filter(|_| matches!(field, Some(Field::Dose | Field::Quantity)));
            header.fields.push(field);
            header.headers.push(raw);
            header.unit_hints.push(hint);
        }
        for required in [Field::Date, Field::Farmer] {
            if !header.has(required) {
                problems.push(Problem { row, column: None, reason: format!("no {} column", documented(required)) });
            }
        }
        if !header.has(Field::Activity) && !header.has(Field::Lot) {
            problems.push(Problem {
                row,
                column: None,
                reason: format!(
                    "no {} column (a sheet without one is a list of lots and needs a {} column)",
                    documented(Field::Activity),
                    documented(Field::Lot)
                ),
            });
        }
        if problems.is_empty() {
            Ok(header)
        } else {
            Err(problems)
        }
    }

    pub fn has(&self, field: Field) -> bool {
        self.fields.contains(&Some(field))
    }

    pub(crate) fn column(&self, index: usize) -> ColumnRef {
        ColumnRef { index, header: self.headers.get(index).cloned().unwrap_or_default() }
    }
}

/// `日期/date`: the documented Chinese and English names of a field.
pub(crate) fn documented(field: Field) -> String {
    let names = field.names();
    format!("{}/{}", names[0], names[1])
}

fn known_columns() -> String {
    Field::ALL.into_iter().map(documented).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(names: &[&str]) -> Vec<Cell> {
        names.iter().map(|n| Cell::Text((*n).to_owned())).collect()
    }

    #[test]
    fn chinese_and_english_headers_with_units_in_brackets() {
        let header =
            Header::parse(&cells(&["日期", " Farmer ", "作业", "用量（ml）", "Quantity (kg)", "安全间隔期(天)"]), 1)
                .expect("header");
        assert_eq!(
            header.fields,
            [Field::Date, Field::Farmer, Field::Activity, Field::Dose, Field::Quantity, Field::Phi].map(Some)
        );
        assert_eq!(header.unit_hints, [None, None, None, Some("ml".into()), Some("kg".into()), None]);
        assert!(Header::parse(&cells(&["Pre_Harvest  Interval", "DATE", "farmer id", "lot"]), 1).is_ok());
    }

    #[test]
    fn unknown_repeated_and_missing_columns_are_named() {
        let problems = Header::parse(&cells(&["日期", "date", "农户", "颜色", "作业"]), 3).expect_err("bad");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text[0].starts_with("row 3, column B (date): means the same as column A (日期)"), "{text:?}");
        assert!(text[1].starts_with("row 3, column D (颜色): unknown column \"颜色\"; known columns: 日期/date"));
        let missing = Header::parse(&cells(&["作业", "用量"]), 1).expect_err("missing");
        let text: Vec<String> = missing.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["row 1: no 日期/date column", "row 1: no 农户/farmer column"]);
        let neither = Header::parse(&cells(&["日期", "农户"]), 1).expect_err("no activity, no lot");
        assert!(neither[0].reason.starts_with("no 作业/activity column"));
    }
}
