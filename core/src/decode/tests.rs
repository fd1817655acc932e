//! Frames are drawn here from rxing's writers, so every test knows exactly what it should read.

use super::*;
use crate::payload::{parse_payload, Payload};
use rxing::common::BitMatrix;
use rxing::{BarcodeFormat as RxingFormat, EncodeHints, MultiFormatWriter, Writer};

const PAPER: u8 = 235;
const INK: u8 = 30;
const BACKGROUND: u8 = 120;

/// A grey frame with padded rows (`stride` > `width`) whose padding is garbage, as on Android.
pub(super) struct Canvas {
    pub width: usize,
    pub height: usize,
    pub stride: usize,
    pub pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: usize, height: usize, stride: usize) -> Self {
        let mut pixels = vec![BACKGROUND; stride * height];
        for row in pixels.chunks_mut(stride) {
            row[width..].fill(0); // padding a decoder must never read as pixels
        }
        Canvas { width, height, stride, pixels }
    }

    /// Draws `symbol` at (`left`, `top`) with `module` pixels per module on a paper label with
    /// a quiet zone; 1D symbols (one row) get bars `bar_height` modules tall.
    pub fn draw(&mut self, symbol: &BitMatrix, left: usize, top: usize, module: usize) {
        let rows = if symbol.getHeight() == 1 { 30 } else { symbol.getHeight() as usize };
        let quiet = 10 * module;
        let (w, h) = (symbol.getWidth() as usize * module + 2 * quiet, rows * module + 2 * quiet);
        assert!(left + w <= self.width && top + h <= self.height, "the symbol does not fit the canvas");
        for y in top..top + h {
            for x in left..left + w {
                let (mx, my) = ((x - left) as i64 - quiet as i64, (y - top) as i64 - quiet as i64);
                let inside = mx >= 0 && my >= 0 && (mx as usize) < w - 2 * quiet && (my as usize) < h - 2 * quiet;
                let (sx, sy) =
                    (mx.max(0) as u32 / module as u32, (my.max(0) as u32 / module as u32).min(symbol.getHeight() - 1));
                self.pixels[y * self.stride + x] = if inside && symbol.get(sx, sy) { INK } else { PAPER };
            }
        }
    }

    pub fn decode(&self, rotation: u32) -> Result<Vec<DecodedCode>, DecodeError> {
        // The last row stops at `width`, as Android's last plane row does.
        let end = self.stride * (self.height - 1) + self.width;
        decode_frame(self.width as u32, self.height as u32, self.stride as u32, &self.pixels[..end], rotation)
    }
}

pub(super) fn symbol(format: RxingFormat, text: &str, gs1: bool) -> BitMatrix {
    // rxing's Data Matrix writer honours the GS1 flag only in its compact (minimal) encoder.
    let hints = EncodeHints {
        Gs1Format: Some(gs1),
        DataMatrixCompact: Some(gs1),
        Margin: Some("0".into()),
        ..EncodeHints::default()
    };
    MultiFormatWriter.encode_with_hints(text, &format, 0, 0, &hints).expect("test symbol encodes")
}

fn one_code(format: RxingFormat, text: &str, module: usize) -> Vec<DecodedCode> {
    let mut canvas = Canvas::new(640, 480, 704);
    canvas.draw(&symbol(format, text, false), 60, 80, module);
    canvas.decode(0).expect("valid frame")
}

#[test]
fn every_format_decodes_from_a_frame() {
    let cases = [
        (RxingFormat::QR_CODE, "https://trace.example.cn/t/7KQ2M9XD4TW", BarcodeFormat::QrCode, 3),
        (RxingFormat::DATA_MATRIX, "LOT KIWI-2604", BarcodeFormat::DataMatrix, 4),
        (RxingFormat::EAN_13, "6901234567892", BarcodeFormat::Ean13, 2),
        (RxingFormat::UPC_A, "036000291452", BarcodeFormat::UpcA, 2),
        (RxingFormat::EAN_8, "96385074", BarcodeFormat::Ean8, 2),
        (RxingFormat::CODE_128, "BOX-KIWI-0042", BarcodeFormat::Code128, 2),
        (RxingFormat::ITF, "16901234567899", BarcodeFormat::Itf, 2),
    ];
    for (writer_format, text, format, module) in cases {
        let codes = one_code(writer_format, text, module);
        let read: Vec<_> = codes.iter().map(|c| (c.format, c.text.as_str())).collect();
        assert_eq!(read, [(format, text)], "{writer_format:?}");
        assert!(!codes[0].raw_bytes.is_empty() || format != BarcodeFormat::QrCode);
    }
}

#[test]
fn corners_are_in_frame_coordinates_for_every_rotation() {
    let qr = symbol(RxingFormat::QR_CODE, "https://example.org/t/7KQ2M9XD4TW", false);
    let module = 3;
    let (left, top) = (300, 120);
    let quiet = 10 * module;
    let (x0, y0) = ((left + quiet) as f32, (top + quiet) as f32);
    let side = (qr.getWidth() as usize * module) as f32;
    for rotation in [0, 90, 180, 270] {
        let mut canvas = Canvas::new(640, 480, 640);
        canvas.draw(&qr, left, top, module);
        let codes = canvas.decode(rotation).expect("valid frame");
        assert_eq!(codes.len(), 1, "rotation {rotation}");
        for corner in codes[0].corners {
            let near = |v: f32, lo: f32| v > lo - 4.0 && v < lo + side + 4.0;
            assert!(near(corner.x, x0) && near(corner.y, y0), "rotation {rotation}: corner {corner:?} outside");
        }
    }
}

#[test]
fn a_1d_code_turned_upright_is_read_along_columns() {
    let ean = symbol(RxingFormat::EAN_13, "6901234567892", false);
    let mut upright = Canvas::new(320, 400, 320);
    upright.draw(&ean, 20, 100, 2);
    // The same frame turned a quarter: what the sensor gives when the phone is held upright.
    let mut turned = Canvas::new(400, 320, 400);
    for y in 0..320 {
        for x in 0..400 {
            turned.pixels[y * 400 + x] = upright.pixels[(399 - x) * 320 + y];
        }
    }
    for rotation in [90, 270, 0] {
        let codes = turned.decode(rotation).expect("valid frame");
        assert_eq!(codes.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), ["6901234567892"]);
        let xs: Vec<f32> = codes[0].corners.iter().map(|c| c.x).collect();
        assert!(xs.iter().all(|&x| (100.0..=400.0 - 20.0).contains(&x)), "corners {xs:?}");
    }
}

#[test]
fn two_codes_in_one_frame_are_both_found() {
    let mut canvas = Canvas::new(800, 480, 832);
    canvas.draw(&symbol(RxingFormat::QR_CODE, "https://example.org/t/7KQ2M9XD4TW", false), 20, 40, 3);
    canvas.draw(&symbol(RxingFormat::EAN_13, "6901234567892", false), 400, 200, 2);
    canvas.draw(&symbol(RxingFormat::CODE_128, "BOX-7", false), 420, 20, 2);
    let mut texts: Vec<String> = canvas.decode(0).expect("valid frame").into_iter().map(|c| c.text).collect();
    texts.sort();
    assert_eq!(texts, ["6901234567892", "BOX-7", "https://example.org/t/7KQ2M9XD4TW"]);
}

#[test]
fn gs1_symbols_give_element_strings_that_parse() {
    let element_string = "01069123456789021726043010KIWI2604";
    let cases = [
        (RxingFormat::CODE_128, format!("\u{f1}{element_string}"), "]C1"),
        (RxingFormat::DATA_MATRIX, element_string.to_owned(), "]d2"),
        (RxingFormat::QR_CODE, element_string.to_owned(), "]Q3"),
    ];
    for (format, content, identifier) in cases {
        let mut canvas = Canvas::new(900, 480, 900);
        canvas.draw(&symbol(format, &content, true), 40, 40, 2);
        let codes = canvas.decode(0).expect("valid frame");
        assert_eq!(codes.len(), 1, "{format:?}");
        assert_eq!(codes[0].text, format!("{identifier}{element_string}"), "{format:?}");
        let payload = parse_payload(&codes[0].text).expect("parses");
        assert_eq!(payload.code_key(), "/01/06912345678902/10/KIWI2604", "{format:?}");
        assert!(matches!(payload, Payload::Gs1(_)));
    }
}

#[test]
fn a_frame_without_codes_gives_nothing() {
    let mut canvas = Canvas::new(640, 480, 640);
    let mut state = 0x2545_f491_u32;
    for (i, pixel) in canvas.pixels.iter_mut().enumerate() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let gradient = (i % 640) as i32 / 8 + (i / 640) as i32 / 8;
        *pixel = (60 + gradient + (state % 24) as i32).clamp(0, 255) as u8;
    }
    assert_eq!(canvas.decode(0).expect("valid frame"), []);
}

#[test]
fn frames_that_do_not_match_their_buffer_are_refused() {
    let luma = vec![0u8; 100 * 10];
    let key = |r: Result<Vec<DecodedCode>, DecodeError>| r.expect_err("refused").key();
    assert_eq!(key(decode_frame(0, 10, 100, &luma, 0)), "decode_empty_frame");
    assert_eq!(key(decode_frame(100, 0, 100, &luma, 0)), "decode_empty_frame");
    assert_eq!(key(decode_frame(100, 10, 99, &luma, 0)), "decode_stride_too_small");
    assert_eq!(key(decode_frame(100, 11, 100, &luma, 0)), "decode_buffer_too_small");
    assert_eq!(key(decode_frame(90, 10, 110, &luma, 0)), "decode_buffer_too_small");
    assert_eq!(key(decode_frame(100, 10, 100, &luma, 45)), "decode_invalid_rotation");
    assert_eq!(key(decode_frame(u32::MAX, u32::MAX, u32::MAX, &luma, 0)), "decode_frame_too_large");
    // Exactly enough: padded rows with a short last row.
    assert_eq!(decode_frame(90, 10, 101, &luma[..101 * 9 + 90], 0), Ok(vec![]));
}

#[test]
fn tiny_frames_decode_to_nothing_without_panicking() {
    for (w, h) in [(1, 1), (1, 300), (300, 1), (7, 9), (40, 40), (41, 39)] {
        let luma = vec![128u8; w * h];
        assert_eq!(decode_frame(w as u32, h as u32, w as u32, &luma, 0), Ok(vec![]), "{w}×{h}");
    }
}

#[test]
fn photos_that_are_not_jpeg_or_png_are_refused() {
    assert_eq!(decode_image(b"GIF89a....").expect_err("refused").key(), "decode_unreadable_image");
    assert_eq!(decode_image(&[0x89, b'P', b'N', b'G', 0, 0]).expect_err("refused").key(), "decode_unreadable_image");
    assert_eq!(decode_image(&[]).expect_err("refused").key(), "decode_unreadable_image");
}

#[test]
fn halving_a_padded_frame_averages_each_two_by_two_block() {
    let (width, height, stride) = (7, 5, 9);
    let luma: Vec<u8> = (0..stride * height).map(|i| (i * 37 % 251) as u8).collect();
    let frame = LumaFrame::new(width, height, stride, &luma).expect("valid frame");
    let half = frame.downscaled(2);
    assert_eq!((half.width, half.height), (3, 2));
    for (i, &p) in half.pixels.iter().enumerate() {
        let (x, y) = (2 * (i % 3), 2 * (i / 3));
        let at = |dx: usize, dy: usize| u32::from(luma[(y + dy) * stride as usize + x + dx]);
        assert_eq!(u32::from(p), (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4, "pixel {i}");
    }
}
