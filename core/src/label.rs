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
    #[error("{count} codes asked for; at most {max} at a time")]
    TooMany { count: usize, max: usize },
    #[error("the system's random source failed: {reason}")]
    Entropy { reason: String },
}

impl LabelError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            LabelError::InvalidHost { .. } => "label_invalid_host",
            LabelError::InvalidModuleSize { .. } => "label_invalid_module_size",
            LabelError::Encoding { .. } => "label_encoding",
            LabelError::TooMany { .. } => "label_too_many",
            LabelError::Entropy { .. } => "label_entropy",
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
    let qr = TraceQr::new(host, code)?;
    let side = qr.side() * module_px;
    let image = image::GrayImage::from_fn(side, side, |x, y| {
        image::Luma([if qr.is_dark(x / module_px, y / module_px) { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| LabelError::Encoding { reason: e.to_string() })?;
    Ok(png)
}

/// The QR Code of `code`'s trace URL as SVG, one unit per module: scale it to any print size.
pub fn trace_qr_svg(host: &str, code: TraceCode) -> Result<String, LabelError> {
    let qr = TraceQr::new(host, code)?;
    let side = qr.side();
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <title>{}</title><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{}\"/></svg>",
        qr.url(),
        qr.svg_path()
    ))
}

/// Any text (an enrollment offer, a link) as a QR Code in SVG, one unit per module, quiet zone
/// included; `<title>` is left out so secrets in the text are not shown as a tooltip.
pub fn text_qr_svg(text: &str) -> Result<String, LabelError> {
    let qr = TraceQr::of_text(text)?;
    let side = qr.side();
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{}\"/></svg>",
        qr.svg_path()
    ))
}

/// A trace code's QR symbol, for layouts that place it themselves (label sheets): its modules with
/// the quiet zone, in module units.
#[derive(Debug, Clone)]
pub struct TraceQr {
    url: String,
    modules: BitMatrix,
}

impl TraceQr {
    pub fn new(host: &str, code: TraceCode) -> Result<Self, LabelError> {
        let url = trace_url(host, code)?;
        let modules = qr_modules(&url)?;
        Ok(Self { url, modules })
    }

    /// The symbol of any text (enrollment offers, handover QR texts), not only a trace URL.
    pub fn of_text(text: &str) -> Result<Self, LabelError> {
        Ok(Self { url: text.to_owned(), modules: qr_modules(text)? })
    }

    /// The URL the symbol carries.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Modules per side, quiet zone included.
    pub fn side(&self) -> u32 {
        self.modules.getWidth() + 2 * QUIET_ZONE
    }

    /// Whether module (x, y) is dark; (0, 0) is the top-left of the quiet zone.
    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        match (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) {
            (Some(mx), Some(my)) => self.modules.try_get(mx, my) == Some(true),
            _ => false,
        }
    }

    /// The dark modules as horizontal runs `(x, y, length)`, quiet zone included in x and y: one
    /// rectangle per run keeps vector output (SVG paths, PDF rectangles) small.
    pub fn dark_runs(&self) -> Vec<(u32, u32, u32)> {
        let mut runs = Vec::new();
        for y in 0..self.modules.getHeight() {
            let mut x = 0;
            while x < self.modules.getWidth() {
                if !self.modules.get(x, y) {
                    x += 1;
                    continue;
                }
                let run = (x..self.modules.getWidth()).take_while(|&rx| self.modules.get(rx, y)).count() as u32;
                runs.push((x + QUIET_ZONE, y + QUIET_ZONE, run));
                x += run;
            }
        }
        runs
    }

    /// SVG path data of the dark modules, one unit per module.
    pub fn svg_path(&self) -> String {
        let mut path = String::new();
        for (x, y, run) in self.dark_runs() {
            let _ = write!(path, "M{x} {y}h{run}v1h-{run}z");
        }
        path
    }
}

/// Most codes minted in one call: a print run, not a database.
pub const MAX_MINT: usize = 100_000;

/// `count` new trace codes: 50 random bits each from the operating system's cryptographic
/// random source, so a code cannot be guessed from the ones printed beside it (with a million
/// codes issued, a guess hits one in about a billion tries), with the check symbol that catches
/// any single mistyped or swapped symbol. No two in the batch are equal, and none for which
/// `taken` says it is already in use (codes the caller's store knows) is returned.
pub fn mint_trace_codes(count: usize, taken: impl Fn(TraceCode) -> bool) -> Result<Vec<TraceCode>, LabelError> {
    if count > MAX_MINT {
        return Err(LabelError::TooMany { count, max: MAX_MINT });
    }
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut codes = Vec::with_capacity(count);
    while codes.len() < count {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| LabelError::Entropy { reason: e.to_string() })?;
        let code = TraceCode::from_random_bytes(bytes);
        // A repeat among 2^50 values is astronomically rare; drawing again keeps codes unique anyway.
        if !taken(code) && seen.insert(code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// Any text's QR symbol for a screen to draw (a handover offer or receipt shown phone to phone):
/// `side` modules per side, quiet zone included, row-major in `dark`. Error correction M, like
/// the labels, so the sizes measured in `docs/handover.md` hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    pub side: u32,
    pub dark: Vec<bool>,
}

/// The QR symbol of `text`; `label_encoding` when it does not fit in one (over ~2,300 bytes).
pub fn qr_modules_of(text: &str) -> Result<QrModules, LabelError> {
    let qr = TraceQr::of_text(text)?;
    let side = qr.side();
    let dark = (0..side).flat_map(|y| (0..side).map(move |x| (x, y))).map(|(x, y)| qr.is_dark(x, y)).collect();
    Ok(QrModules { side, dark })
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

    #[test]
    fn any_text_becomes_modules_that_decode_back_to_it() {
        let text = "FTHO1:ABC123 $%*+-./:";
        let qr = qr_modules_of(text).expect("symbol");
        assert_eq!(qr.dark.len(), (qr.side * qr.side) as usize);
        let px = 4usize;
        let side = qr.side as usize * px;
        let luma: Vec<u8> = (0..side * side)
            .map(|i| if qr.dark[(i / side / px) * qr.side as usize + (i % side) / px] { 0 } else { 255 })
            .collect();
        let codes = decode_frame(side as u32, side as u32, side as u32, &luma, 0).expect("decode");
        assert_eq!(codes.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), [text]);
        assert!(matches!(qr_modules_of(&"x".repeat(5_000)), Err(LabelError::Encoding { .. })));
    }

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

    /// Rasterizes an SVG of ours (its rectangles, as a printer would) into a padded camera-like
    /// frame and reads every code in it.
    fn scan_svg(svg: &str) -> Vec<String> {
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
        decode_frame(px, px, stride as u32, &luma, 0).expect("valid frame").into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn an_svg_label_scans_back_to_the_same_trace_code() {
        let svg = trace_qr_svg("trace.example.cn", code()).expect("encodes");
        let codes = scan_svg(&svg);
        assert_eq!(codes.len(), 1);
        assert_eq!(parse_payload(&codes[0]), Ok(Payload::Trace(code())));
        assert!(svg.contains(&format!("https://trace.example.cn/t/{}", code().canonical())));
    }

    #[test]
    fn any_text_scans_back_from_its_svg_and_is_not_in_the_markup() {
        let text = "fieldtrace://enroll?server=http%3A%2F%2F127.0.0.1%3A8080%2F&token=abcDEF123_-xyz";
        let svg = text_qr_svg(text).expect("encodes");
        assert_eq!(scan_svg(&svg), [text]);
        assert!(!svg.contains("token"));
    }

    #[test]
    fn minted_codes_are_distinct_valid_and_avoid_taken_ones() {
        let taken = mint_trace_codes(50, |_| false).expect("mint");
        let codes = mint_trace_codes(2_000, |c| taken.contains(&c)).expect("mint");
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), 2_000);
        assert!(codes.iter().all(|c| !taken.contains(c)));
        for code in &codes {
            assert_eq!(TraceCode::parse(&code.to_string()), Ok(*code));
        }
        // Random, not sequential: the high bits vary (a counter would leave them all zero).
        assert!(codes.iter().any(|c| c.value() >> 40 != 0));
        assert_eq!(mint_trace_codes(MAX_MINT + 1, |_| false).expect_err("too many").key(), "label_too_many");
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
