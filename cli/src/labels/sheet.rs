//! The sheet layout, shared by the SVG, PNG and PDF writers: A4 pages of a grid of labels, each a
//! QR Code on the left and three lines of text on the right (product, trace code, lot). Lengths are
//! millimetres from the page's top-left corner.

use fieldtrace_core::label::TraceQr;
use fieldtrace_core::payload::TraceCode;

pub const PAGE_WIDTH_MM: f32 = 210.0;
pub const PAGE_HEIGHT_MM: f32 = 297.0;
/// Common A4 label stock: 3 × 8 labels of about 65 × 34 mm.
pub const COLUMNS: usize = 3;
pub const ROWS: usize = 8;
const MARGIN_X_MM: f32 = 7.0;
const MARGIN_Y_MM: f32 = 10.5;
const PADDING_MM: f32 = 2.0;

/// What one label says.
pub struct Label {
    pub code: TraceCode,
    pub qr: TraceQr,
    pub product: String,
    pub lot: String,
}

/// One line of text, its left end at `x`, its baseline at `baseline`.
pub struct TextLine {
    pub text: String,
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
}

/// A label placed on its page.
pub struct Cell<'a> {
    pub label: &'a Label,
    /// The QR Code's square (quiet zone included): top-left corner and side.
    pub qr_x: f32,
    pub qr_y: f32,
    pub qr_size: f32,
    pub lines: Vec<TextLine>,
}

pub struct Page<'a> {
    pub cells: Vec<Cell<'a>>,
}

/// The cells of each page. `measure(text, size)` is the width of `text` at font size `size`; text
/// that would overflow the label is set smaller.
pub fn layout<'a>(labels: &'a [Label], measure: &dyn Fn(&str, f32) -> f32) -> Vec<Page<'a>> {
    let cell_w = (PAGE_WIDTH_MM - 2.0 * MARGIN_X_MM) / COLUMNS as f32;
    let cell_h = (PAGE_HEIGHT_MM - 2.0 * MARGIN_Y_MM) / ROWS as f32;
    let qr_size = cell_h - 2.0 * PADDING_MM;
    labels
        .chunks(COLUMNS * ROWS)
        .map(|page| Page {
            cells: page
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let x = MARGIN_X_MM + (i % COLUMNS) as f32 * cell_w;
                    let y = MARGIN_Y_MM + (i / COLUMNS) as f32 * cell_h;
                    let text_x = x + PADDING_MM + qr_size + 1.0;
                    let text_w = x + cell_w - PADDING_MM - text_x;
                    let line = |text: String, baseline: f32, size: f32| {
                        let width = measure(&text, size);
                        let size = if width > text_w { size * text_w / width } else { size };
                        TextLine { text, x: text_x, baseline: y + baseline, size }
                    };
                    Cell {
                        label,
                        qr_x: x + PADDING_MM,
                        qr_y: y + PADDING_MM,
                        qr_size,
                        lines: vec![
                            line(label.product.clone(), 10.0, 4.6),
                            line(label.code.to_string(), 18.5, 3.6),
                            line(format!("批次 {}", label.lot), 25.5, 2.8),
                        ],
                    }
                })
                .collect(),
        })
        .collect()
}

/// A rough width for writers without the font (SVG): CJK characters are square, Latin about half.
pub fn estimated_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| if c.is_ascii() { 0.6 } else { 1.0 }).sum::<f32>() * size
}
