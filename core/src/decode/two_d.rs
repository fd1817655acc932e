//! QR Code and Data Matrix: every symbol in the binarized image, not just the first.
//!
//! Both come from rxing's ports of zxing-cpp's detectors. The QR reader already returns all
//! symbols; rxing's `DataMatrixReader` keeps only the first candidate that decodes, so the
//! detector's candidates are decoded here one by one.

use super::found::{Found, Symbology};
use rxing::common::{BitMatrix, DetectorRXingResult};
use rxing::datamatrix::decoder::Decoder as DataMatrixDecoder;
use rxing::datamatrix::detector::zxing_cpp_detector;
use rxing::multi::MultipleBarcodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::qrcode::QRCodeReader;
use rxing::{BarcodeFormat as RxingFormat, Binarizer, BinaryBitmap, DecodeHints, Reader};
use std::collections::HashSet;
use std::sync::OnceLock;

/// Every QR Code (not Micro QR: we print none and it is a common source of false reads).
/// `second_opinion`: when zxing-cpp's detector finds none, also try zxing's older one (one
/// symbol only), which reads some blurred, low-contrast symbols the newer one misses.
pub fn qr_codes<B: Binarizer>(image: &mut BinaryBitmap<B>, try_harder: bool, second_opinion: bool) -> Vec<Found> {
    let hints = DecodeHints {
        PossibleFormats: Some(HashSet::from([RxingFormat::QR_CODE])),
        TryHarder: Some(try_harder),
        ..DecodeHints::default()
    };
    let found: Vec<Found> = QrReader
        .decode_multiple_with_hints(image, &hints)
        .unwrap_or_default()
        .iter()
        .filter_map(Found::from_result)
        .collect();
    if !found.is_empty() || !second_opinion {
        return found;
    }
    QRCodeReader.decode_with_hints(image, &hints).ok().as_ref().and_then(Found::from_result).into_iter().collect()
}

/// Every Data Matrix whose detector candidate decodes; a symbol found twice is kept once.
pub fn data_matrices(matrix: &BitMatrix, try_harder: bool) -> Vec<Found> {
    static DECODER: OnceLock<DataMatrixDecoder> = OnceLock::new();
    let decoder = DECODER.get_or_init(DataMatrixDecoder::new);
    let Ok(candidates) = zxing_cpp_detector::detect(matrix, try_harder, true) else { return Vec::new() };
    let mut found: Vec<Found> = Vec::new();
    for candidate in candidates {
        let Ok(decoded) = decoder.decode(candidate.getBits()) else { continue };
        let Some(corners) = Found::corners_from(candidate.getPoints()) else { continue };
        let code = Found {
            format: super::BarcodeFormat::DataMatrix,
            text: decoded.getText().to_owned(),
            raw: decoded.getRawBytes().clone(),
            symbology: Symbology::new(format!("]d{}", decoded.getSymbologyModifier())),
            corners,
        };
        let centre = code.centre();
        if !found.iter().any(|f| f.text == code.text && (f.contains(centre) || code.contains(f.centre()))) {
            found.push(code);
        }
    }
    found
}
