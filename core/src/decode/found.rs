//! What a reader found, in the coordinates of the image it read, before it is mapped back to the
//! caller's frame and its text put in the form `parse_payload` reads.

use super::{BarcodeFormat, CornerPoint, DecodedCode};
use rxing::{Point, RXingResult, RXingResultMetadataType, RXingResultMetadataValue};

/// The AIM symbology identifier a reader reported (`]C1`, `]d2`, `]Q3`, `]E0`…), if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Symbology(Option<String>);

impl Symbology {
    pub fn new(identifier: String) -> Self {
        Symbology((identifier.len() == 3 && identifier.starts_with(']')).then_some(identifier))
    }

    pub fn from_result(result: &RXingResult) -> Self {
        match result.getRXingResultMetadata().get(&RXingResultMetadataType::SYMBOLOGY_IDENTIFIER) {
            Some(RXingResultMetadataValue::SymbologyIdentifier(id)) => Symbology::new(id.clone()),
            _ => Symbology(None),
        }
    }

    /// GS1-128 (`]C1`), GS1 DataMatrix (`]d2`) and GS1 QR (`]Q3`): FNC1 in first position.
    fn is_gs1(&self) -> bool {
        matches!(self.0.as_deref(), Some("]C1" | "]d2" | "]Q3"))
    }
}

#[derive(Debug, Clone)]
pub struct Found {
    pub format: BarcodeFormat,
    pub text: String,
    pub raw: Vec<u8>,
    pub symbology: Symbology,
    pub corners: [Point; 4],
}

impl Found {
    /// Four corners from whatever points a reader gave (QR/DataMatrix give four; some give the
    /// three finder centres or fewer): the bounding box when there are not exactly four.
    pub fn corners_from(points: &[Point]) -> Option<[Point; 4]> {
        if let [a, b, c, d] = points {
            return Some([*a, *b, *c, *d]);
        }
        let first = points.first()?;
        let (mut lo, mut hi) = (*first, *first);
        for p in points {
            lo = Point { x: lo.x.min(p.x), y: lo.y.min(p.y) };
            hi = Point { x: hi.x.max(p.x), y: hi.y.max(p.y) };
        }
        Some([lo, Point { x: hi.x, y: lo.y }, hi, Point { x: lo.x, y: hi.y }])
    }

    pub fn from_result(result: &RXingResult) -> Option<Found> {
        Some(Found {
            format: BarcodeFormat::from_rxing(*result.getBarcodeFormat())?,
            text: result.getText().to_owned(),
            raw: result.getRawBytes().to_vec(),
            symbology: Symbology::from_result(result),
            corners: Found::corners_from(result.getPoints())?,
        })
    }

    pub fn centre(&self) -> Point {
        let sum = self.corners.iter().fold(Point { x: 0.0, y: 0.0 }, |acc, p| Point { x: acc.x + p.x, y: acc.y + p.y });
        Point { x: sum.x / 4.0, y: sum.y / 4.0 }
    }

    /// Whether `point` lies inside this code's quadrilateral (corners in either winding order).
    pub fn contains(&self, point: Point) -> bool {
        let c = &self.corners;
        let side = |a: Point, b: Point| (b.x - a.x) * (point.y - a.y) - (b.y - a.y) * (point.x - a.x);
        let sides = [side(c[0], c[1]), side(c[1], c[2]), side(c[2], c[3]), side(c[3], c[0])];
        sides.iter().all(|&s| s >= 0.0) || sides.iter().all(|&s| s <= 0.0)
    }

    /// The public form: corners scaled and shifted into the caller's frame, GS1 data as an
    /// element string with its symbology identifier (`]C1…` with GS separators).
    pub fn into_code(self, scale: f32, offset: (f32, f32)) -> DecodedCode {
        let text = match &self.symbology.0 {
            Some(id) if self.symbology.is_gs1() && !self.text.starts_with(']') => format!("{id}{}", self.text),
            _ => self.text,
        };
        let corners = self.corners.map(|p| CornerPoint { x: p.x * scale + offset.0, y: p.y * scale + offset.1 });
        DecodedCode { format: self.format, text, raw_bytes: self.raw, corners }
    }
}
