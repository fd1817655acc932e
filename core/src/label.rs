//! Our trace codes as QR Codes for printed labels: PNG for label printers' raster input, SVG for
//! print layouts. The QR holds the trace URL `https://<host>/t/<CODE>`, so a phone without the
//! app opens the trace page and the app files scans under the code (`parse_payload`).

use crate::payload::TraceCode;
use rxing::common::BitMatrix;
use rxing::qrcode::QRCodeWriter;
use rxing::{BarcodeFormat, EncodeHints, Writer};
use std::fmt::Write as _;

/// Modules of white around the symbol, as the QR standard asks; printers crop tight margins.
const QUIET_ZONE: u32 = 4;
/// Error correction M (15 %): survives a scuffed or wet label and keeps the symbol small.
const ERROR_CORRECTION: &str = "M";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("{host:?} is not a host name for the trace URL")]
    InvalidHost { host: String },
    #[error("a module must be 1 to {max} pixels; {module_px} was asked")]
    InvalidModuleSize { module_px: u32, max: u32 },
    #[error("the QR Code could not be made: {reason}")]
    Encoding { reason: String },
}

impl LabelError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            LabelError::InvalidHost { .. } => "label_invalid_host",
            LabelError::InvalidModuleSize { .. } => "label_invalid_module_size",
            LabelError::Encoding { .. } => "label_encoding",
        }
    }
}

/// The URL a trace label carries.
pub fn trace_url(host: &str, code: TraceCode) -> Result<String, LabelError> {
    let valid = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        && !host.starts_with(['.', '-', ':']);
    if !valid {
        return Err(LabelError::InvalidHost { host: host.to_owned() });
    }
    Ok(format!("https://{host}/t/{}", code.canonical()))
}

/// The QR Code of `code`'s trace URL as a greyscale PNG, `module_px` pixels per module.
pub fn trace_qr_png(host: &str, code: TraceCode, module_px: u32) -> Result<Vec<u8>, LabelError> {
    const MAX_MODULE_PX: u32 = 64;
    if !(1..=MAX_MODULE_PX).contains(&module_px) {
        return Err(LabelError::InvalidModuleSize { module_px, max: MAX_MODULE_PX });
    }
    let modules = qr_modules(&trace_url(host, code)?)?;
    let side = (modules.getWidth() + 2 * QUIET_ZONE) * module_px;
    let image = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = ((x / module_px).checked_sub(QUIET_ZONE), (y / module_px).checked_sub(QUIET_ZONE));
        let dark = matches!((mx, my), (Some(mx), Some(my)) if modules.try_get(mx, my) == Some(true));
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| LabelError::Encoding { reason: e.to_string() })?;
    Ok(png)
}

/// The QR Code of `code`'s trace URL as SVG, one unit per module: scale it to any print size.
pub fn trace_qr_svg(host: &str, code: TraceCode) -> Result<String, LabelError> {
    let url = trace_url(host, code)?;
    let modules = qr_modules(&url)?;
    let side = modules.getWidth() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for y in 0..modules.getHeight() {
        let mut x = 0;
        while x < modules.getWidth() {
            if !modules.get(x, y) {
                x += 1;
                continue;
            }
            // One rectangle per horizontal run of dark modules keeps the file small.
            let run = (x..modules.getWidth()).take_while(|&rx| modules.get(rx, y)).count() as u32;
            let _ = write!(path, "M{} {}h{run}v1h-{run}z", x + QUIET_ZONE, y + QUIET_ZONE);
            x += run;
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <title>{url}</title><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// The symbol's modules, one bit each, without quiet zone.
fn qr_modules(text: &str) -> Result<BitMatrix, LabelError> {
    let hints = EncodeHints {
        ErrorCorrection: Some(ERROR_CORRECTION.to_owned()),
        Margin: Some("0".to_owned()),
        ..EncodeHints::default()
    };
    QRCodeWriter
        .encode_with_hints(text, &BarcodeFormat::QR_CODE, 0, 0, &hints)
        .map_err(|e| LabelError::Encoding { reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode_frame, decode_image};
    use crate::payload::{parse_payload, Payload};

    fn code() -> TraceCode {
        TraceCode::from_value(0x2_3456_789A_BCDE).expect("in range")
    }

    #[test]
    fn a_png_label_scans_back_to_the_same_trace_code() {
        let png = trace_qr_png("trace.example.cn", code(), 4).expect("encodes");
        let codes = decode_image(&png).expect("decodes");
        assert_eq!(codes.len(), 1);
        assert_eq!(parse_payload(&codes[0].text), Ok(Payload::Trace(code())));
    }

    #[test]
    fn an_svg_label_scans_back_to_the_same_trace_code() {
        let svg = trace_qr_svg("trace.example.cn", code()).expect("encodes");
        // Rasterize the SVG's rectangles (as a printer would) into a padded camera-like frame.
        let side: usize =
            svg.split("viewBox=\"0 0 ").nth(1).and_then(|s| s.split(' ').next()).expect("viewBox").parse().expect("n");
        let (module, stride) = (3, side * 3 + 16);
        let mut luma = vec![255u8; stride * side * 3];
        let path = svg.split(" d=\"").nth(1).and_then(|s| s.split('"').next()).expect("path");
        for rect in path.split('z').filter(|r| !r.is_empty()) {
            let numbers: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().expect("number"))
                .collect();
            let (x, y, run) = (numbers[0], numbers[1], numbers[2]);
            for py in y * module..(y + 1) * module {
                luma[py * stride + x * module..py * stride + (x + run) * module].fill(0);
            }
        }
        let px = (side * module) as u32;
        let codes = decode_frame(px, px, stride as u32, &luma, 0).expect("valid frame");
        assert_eq!(codes.len(), 1);
        assert_eq!(parse_payload(&codes[0].text), Ok(Payload::Trace(code())));
        assert!(svg.contains(&format!("https://trace.example.cn/t/{}", code().canonical())));
    }

    #[test]
    fn bad_hosts_and_module_sizes_are_refused() {
        for host in ["", "evil.example/phish?", "-x.example", "a b"] {
            assert_eq!(trace_url(host, code()).expect_err("refused").key(), "label_invalid_host", "{host:?}");
        }
        assert_eq!(trace_qr_png("t.example", code(), 0).expect_err("refused").key(), "label_invalid_module_size");
        assert_eq!(trace_qr_png("t.example", code(), 65).expect_err("refused").key(), "label_invalid_module_size");
    }
}
