//! 1D codes (EAN/UPC, Code 128, ITF) read along scan lines, with every code on every line kept.
//!
//! rxing's own `OneDReader::decode` stops at the first code on the first line that reads, so a
//! box label beside an item label loses one of them. Here each line is read repeatedly: after a
//! hit, the part of the line up to the code's end is blacked out and the rest is read again.
//! A code counts only once two lines agree on it (zxing-cpp's `minLineCount` is 2 as well):
//! EAN's mod-10 check lets the odd noisy line decode to a plausible wrong number.

use super::ean_fit;
use super::found::{Found, Symbology};
use super::frame::LumaFrame;
use super::scan_line;
use super::BarcodeFormat;
use rxing::common::{BitArray, LineOrientation};
use rxing::oned::{Code128Reader, ITFReader, MultiFormatUPCEANReader, OneDReader};
use rxing::{Binarizer, BinaryBitmap, DecodeHints, Point, RXingResult};
use std::collections::HashSet;

/// Which 1D readers a pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinearFormats {
    pub ean_upc: bool,
    pub code128: bool,
    pub itf: bool,
}

impl LinearFormats {
    pub fn any(self) -> bool {
        self.ean_upc || self.code128 || self.itf
    }
}

/// Where and how densely lines are read.
#[derive(Debug, Clone, Copy)]
pub struct LineScan {
    /// Pixels between scanned lines.
    pub step: usize,
    /// 0: rxing's histogram binarizer; k ≥ 1: our local threshold on a k× resampled line.
    pub upsample: usize,
    pub rows: bool,
    pub columns: bool,
}

/// One agreeing set of line reads of the same code.
struct LineHit {
    format: BarcodeFormat,
    text: String,
    raw: Vec<u8>,
    symbology: Symbology,
    orientation: LineOrientation,
    /// Along-line extent and the first/last line that read it.
    start: f32,
    end: f32,
    first_line: usize,
    last_line: usize,
    lines: usize,
}

struct Readers {
    formats: LinearFormats,
    ean_upc: MultiFormatUPCEANReader,
    code128: Code128Reader,
    itf: ITFReader,
    hints: DecodeHints,
}

impl Readers {
    fn new(formats: LinearFormats) -> Self {
        // AssumeGs1 makes the Code 128 reader turn a leading FNC1 into `]C1` and later ones into
        // GS (0x1D): the element string form `parse_payload` reads.
        let hints = DecodeHints { AssumeGs1: Some(true), ..DecodeHints::default() };
        let ean_upc = MultiFormatUPCEANReader::new(&hints);
        Readers { formats, ean_upc, code128: Code128Reader, itf: ITFReader::default(), hints }
    }

    /// The enabled readers, in the order they are tried.
    fn kinds(&self) -> impl Iterator<Item = ReaderKind> {
        let f = self.formats;
        [(f.ean_upc, ReaderKind::EanUpc), (f.code128, ReaderKind::Code128), (f.itf, ReaderKind::Itf)]
            .into_iter()
            .filter_map(|(enabled, kind)| enabled.then_some(kind))
    }

    /// The first code of this kind on the line.
    fn read(&mut self, kind: ReaderKind, line_number: u32, line: &BitArray) -> Option<RXingResult> {
        let hints = &self.hints;
        match kind {
            ReaderKind::EanUpc => self.ean_upc.decode_row(line_number, line, hints),
            ReaderKind::Code128 => self.code128.decode_row(line_number, line, hints),
            ReaderKind::Itf => self.itf.decode_row(line_number, line, hints),
        }
        .ok()
    }
}

#[derive(Debug, Clone, Copy)]
enum ReaderKind {
    EanUpc,
    Code128,
    Itf,
}

/// Reads every 1D code along the lines of `frame`; coordinates are `frame`'s.
pub fn scan<B: Binarizer>(
    frame: &LumaFrame<'_>,
    image: &BinaryBitmap<B>,
    formats: LinearFormats,
    scan: LineScan,
) -> Vec<Found> {
    if !formats.any() {
        return Vec::new();
    }
    let mut readers = Readers::new(formats);
    let mut hits: Vec<LineHit> = Vec::new();
    let orientations = [(scan.rows, LineOrientation::Row), (scan.columns, LineOrientation::Column)];
    for orientation in orientations.into_iter().filter_map(|(wanted, o)| wanted.then_some(o)) {
        let (length, count) = match orientation {
            LineOrientation::Row => (frame.width(), frame.height()),
            LineOrientation::Column => (frame.height(), frame.width()),
        };
        for line_number in middle_out(count, scan.step.max(1)) {
            let (line, k) = if scan.upsample == 0 {
                let Ok(line) = image.get_black_line(line_number, orientation) else { continue };
                (line.into_owned(), 1)
            } else {
                (
                    scan_line::binarize(&scan_line::grey_line(frame, orientation, line_number), scan.upsample),
                    scan.upsample,
                )
            };
            read_line(&mut readers, line, length, k, line_number, orientation, &mut hits);
        }
    }
    hits.retain(|hit| hit.lines >= 2);
    let shadowed: Vec<bool> = hits.iter().map(|hit| shadowed_by_stronger_code(hit, &hits)).collect();
    hits.into_iter().zip(shadowed).filter(|(_, shadowed)| !shadowed).map(|(hit, _)| hit.into_found()).collect()
}

/// An EAN/UPC read lying on a Code 128 or ITF read that at least as many lines agree on is a
/// misread of part of that code: EAN-8's one check digit accepts a random 67-module slice of
/// Code 128 far more often than Code 128's modulo-103 check accepts a slice of an EAN (seen once
/// in 500 evaluator frames: EAN-8 `51629151` inside Code 128 `21292620`).
fn shadowed_by_stronger_code(hit: &LineHit, hits: &[LineHit]) -> bool {
    let weak = matches!(hit.format, BarcodeFormat::Ean13 | BarcodeFormat::UpcA | BarcodeFormat::Ean8);
    weak && hits.iter().any(|other| {
        matches!(other.format, BarcodeFormat::Code128 | BarcodeFormat::Itf)
            && other.orientation == hit.orientation
            && other.lines >= hit.lines
            && other.start < hit.end
            && hit.start < other.end
            && other.first_line <= hit.last_line
            && hit.first_line <= other.last_line
    })
}

/// Line numbers from the centre outwards: codes are usually aimed at.
fn middle_out(count: usize, step: usize) -> impl Iterator<Item = usize> {
    let middle = count / 2;
    let above = (0..=middle / step).map(move |i| middle - i * step);
    let below = (1..).map(move |i| middle + i * step).take_while(move |&n| n < count);
    let mut above = above.fuse();
    let mut below = below.fuse();
    let mut take_above = true;
    std::iter::from_fn(move || {
        take_above = !take_above;
        if take_above {
            below.next().or_else(|| above.next())
        } else {
            above.next().or_else(|| below.next())
        }
    })
}

/// All codes on one line, read forwards and backwards (a code upside down reads backwards).
fn read_line(
    readers: &mut Readers,
    line: BitArray,
    length: usize,
    upsample: usize,
    line_number: usize,
    orientation: LineOrientation,
    hits: &mut Vec<LineHit>,
) {
    let mut seen_on_line: HashSet<String> = HashSet::new();
    let kinds: Vec<ReaderKind> = readers.kinds().collect();
    for reversed in [false, true] {
        let mut forwards = line.clone();
        if reversed {
            forwards.reverse();
        }
        for &kind in &kinds {
            let mut line = forwards.clone();
            // Each hit blacks out the line up to its end, so a line holds at most a few codes.
            for _ in 0..4 {
                let Some(found) = readers.read(kind, line_number as u32, &line) else { break };
                let (Some(a), Some(b)) = (found.getPoints().first(), found.getPoints().last()) else { break };
                let (lo, hi) = (a.x.min(b.x), a.x.max(b.x));
                let k = upsample as f32;
                let fine_length = (length * upsample) as f32;
                let (start, stop) = if reversed { (fine_length - hi, fine_length - lo) } else { (lo, hi) };
                let format = BarcodeFormat::from_rxing(*found.getBarcodeFormat());
                let fits = match (format, found.getPoints()) {
                    (Some(format), [first, last, ..]) => {
                        ean_fit::bars_fit_digits(&line, format, found.getText(), first.x, last.x)
                    }
                    _ => true,
                };
                if fits && seen_on_line.insert(found.getText().to_owned()) {
                    record(hits, found, orientation, line_number, start / k, stop / k);
                }
                let end = (hi.ceil() as usize).min(length * upsample);
                if end == 0 {
                    break;
                }
                // Bit by bit: rxing's `setRange` overflows a shift (a panic in debug builds)
                // when the range ends on the last bit of a word.
                (0..end).for_each(|i| line.set(i));
            }
        }
    }
}

fn record(
    hits: &mut Vec<LineHit>,
    found: RXingResult,
    orientation: LineOrientation,
    line_number: usize,
    start: f32,
    end: f32,
) {
    let Some(format) = BarcodeFormat::from_rxing(*found.getBarcodeFormat()) else { return };
    let text = found.getText();
    // The same code read again on a nearby line that overlaps it along the line.
    let same = hits.iter_mut().find(|h| {
        h.text == text
            && h.format == format
            && h.orientation == orientation
            && start < h.end
            && end > h.start
            // A code is at least a quarter as tall as it is long.
            && line_number as f32 <= h.last_line as f32 + (h.end - h.start)
            && h.first_line as f32 <= line_number as f32 + (h.end - h.start)
    });
    match same {
        Some(hit) => {
            hit.lines += 1;
            hit.start = hit.start.min(start);
            hit.end = hit.end.max(end);
            hit.first_line = hit.first_line.min(line_number);
            hit.last_line = hit.last_line.max(line_number);
        }
        None => hits.push(LineHit {
            format,
            text: text.to_owned(),
            raw: found.getRawBytes().to_vec(),
            symbology: Symbology::from_result(&found),
            orientation,
            start,
            end,
            first_line: line_number,
            last_line: line_number,
            lines: 1,
        }),
    }
}

impl LineHit {
    fn into_found(self) -> Found {
        let (first, last) = (self.first_line as f32, self.last_line as f32);
        let corners = match self.orientation {
            LineOrientation::Row => [
                Point { x: self.start, y: first },
                Point { x: self.end, y: first },
                Point { x: self.end, y: last },
                Point { x: self.start, y: last },
            ],
            LineOrientation::Column => [
                Point { x: first, y: self.start },
                Point { x: first, y: self.end },
                Point { x: last, y: self.end },
                Point { x: last, y: self.start },
            ],
        };
        Found { format: self.format, text: self.text, raw: self.raw, symbology: self.symbology, corners }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(format: BarcodeFormat, start: f32, end: f32, lines: (usize, usize)) -> LineHit {
        LineHit {
            format,
            text: String::new(),
            raw: Vec::new(),
            symbology: Symbology::new(String::new()),
            orientation: LineOrientation::Row,
            start,
            end,
            first_line: lines.0,
            last_line: lines.1,
            lines: lines.1 - lines.0 + 1,
        }
    }

    #[test]
    fn a_blurred_code_128_that_rxing_reads_as_ean_8_gives_no_hit() {
        use crate::decode::ean_fit::tests::{line, MISREAD_ROW};
        let row = line(&MISREAD_ROW, 172);
        let mut readers = Readers::new(LinearFormats { ean_upc: true, code128: true, itf: true });
        // rxing alone accepts it: the misread this guards against.
        let read = readers.read(ReaderKind::EanUpc, 0, &row).map(|r| r.getText().to_owned());
        assert_eq!(read.as_deref(), Some("57422251"));
        let mut hits = Vec::new();
        read_line(&mut readers, row, 172 * 2 + 184, 1, 0, LineOrientation::Row, &mut hits);
        assert!(hits.is_empty(), "{:?}", hits.iter().map(|h| &h.text).collect::<Vec<_>>());
    }

    #[test]
    fn an_ean_read_inside_a_stronger_code_128_is_dropped_but_a_neighbour_is_kept() {
        let code128 = hit(BarcodeFormat::Code128, 100.0, 400.0, (10, 20));
        let inside = hit(BarcodeFormat::Ean8, 150.0, 300.0, (12, 14));
        let beside = hit(BarcodeFormat::Ean13, 450.0, 700.0, (10, 20));
        let below = hit(BarcodeFormat::Ean8, 150.0, 300.0, (30, 32));
        let hits = [code128, inside, beside, below];
        let dropped: Vec<bool> = hits.iter().map(|h| shadowed_by_stronger_code(h, &hits)).collect();
        assert_eq!(dropped, [false, true, false, false]);
        // An EAN read on more lines than the Code 128 it overlaps is the stronger reading: kept.
        let strong_ean = hit(BarcodeFormat::Ean13, 150.0, 300.0, (0, 40));
        assert!(!shadowed_by_stronger_code(&strong_ean, &[hit(BarcodeFormat::Code128, 100.0, 400.0, (10, 12))]));
    }
}
