//! Camera frames and photos → every barcode in them, decoded the same way on Android and iOS.
//!
//! [`decode_frame`] takes the Y plane as the platforms hand it over (padded rows, a rotation) and
//! runs the live-camera [`DecodeOptions::live`] passes; [`decode_image`] reads a JPEG/PNG photo
//! with [`DecodeOptions::photo`]. Reading is rxing's (ports of zxing's and zxing-cpp's
//! detectors); this module decides how hard to look, finds *every* code rather than the first,
//! and turns GS1 data into the element string [`crate::payload::parse_payload`] reads.

mod binarizer;
mod ean_fit;
mod error;
mod found;
mod frame;
mod linear;
mod passes;
mod regions;
mod retry;
mod scan_line;
mod two_d;

#[cfg(test)]
mod tests;

pub use error::DecodeError;
pub use frame::{LumaFrame, OwnedLuma, Rotation, MAX_FRAME_PIXELS};
pub use passes::{DecodeOptions, Formats, Pass};

/// A symbology we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarcodeFormat {
    QrCode,
    DataMatrix,
    Ean13,
    UpcA,
    Ean8,
    Code128,
    Itf,
}

impl BarcodeFormat {
    /// The name zxing-cpp uses (`QRCode`, `EAN13`…), so tools compare outputs verbatim.
    pub fn name(self) -> &'static str {
        match self {
            BarcodeFormat::QrCode => "QRCode",
            BarcodeFormat::DataMatrix => "DataMatrix",
            BarcodeFormat::Ean13 => "EAN13",
            BarcodeFormat::UpcA => "UPCA",
            BarcodeFormat::Ean8 => "EAN8",
            BarcodeFormat::Code128 => "Code128",
            BarcodeFormat::Itf => "ITF",
        }
    }

    fn from_rxing(format: rxing::BarcodeFormat) -> Option<Self> {
        use rxing::BarcodeFormat as R;
        Some(match format {
            R::QR_CODE => BarcodeFormat::QrCode,
            R::DATA_MATRIX => BarcodeFormat::DataMatrix,
            R::EAN_13 => BarcodeFormat::Ean13,
            R::UPC_A => BarcodeFormat::UpcA,
            R::EAN_8 => BarcodeFormat::Ean8,
            R::CODE_128 => BarcodeFormat::Code128,
            R::ITF => BarcodeFormat::Itf,
            _ => return None,
        })
    }
}

/// A point in the caller's frame: pixels from the top-left of the buffer as given (before
/// `rotation_degrees` is applied).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CornerPoint {
    pub x: f32,
    pub y: f32,
}

/// One code found in a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedCode {
    pub format: BarcodeFormat,
    /// The text; GS1 data as an element string with its symbology identifier and GS
    /// separators (`]C1`, `]d2`, `]Q3` + `0106912345678905` `10LOT` `\u{1D}` …).
    pub text: String,
    /// The symbol's data codewords as the reader gives them.
    pub raw_bytes: Vec<u8>,
    /// The symbol's four corners; for 1D codes the box spanned by the lines that read it.
    pub corners: [CornerPoint; 4],
}

impl DecodedCode {
    /// The same code in a frame `factor`× larger (corners of a downscaled read, mapped back).
    fn scaled(mut self, factor: f32) -> Self {
        self.corners = self.corners.map(|c| CornerPoint { x: c.x * factor, y: c.y * factor });
        self
    }
}

/// Decodes a live camera frame's Y plane: `row_stride` bytes per row (≥ `width`), the last
/// row may end after `width` bytes; `rotation_degrees` (0/90/180/270) is how far the frame is
/// turned from upright. Returns every code found, none if there is none.
pub fn decode_frame(
    width: u32,
    height: u32,
    row_stride: u32,
    luma: &[u8],
    rotation_degrees: u32,
) -> Result<Vec<DecodedCode>, DecodeError> {
    let frame = LumaFrame::new(width, height, row_stride, luma)?;
    let rotation = Rotation::from_degrees(rotation_degrees)?;
    Ok(DecodeOptions::live().decode(&frame, rotation))
}

/// Decodes a JPEG or PNG photo, trying harder than for a live frame (a photo is taken once).
pub fn decode_image(encoded: &[u8]) -> Result<Vec<DecodedCode>, DecodeError> {
    let luma = image_luma(encoded)?;
    Ok(DecodeOptions::photo().decode(&luma.frame()?, Rotation::Upright))
}

/// A JPEG or PNG as a grey image (the Y a camera would give), for callers that time decoding
/// apart from reading the file.
pub fn image_luma(encoded: &[u8]) -> Result<OwnedLuma, DecodeError> {
    let unreadable = |e: image::ImageError| DecodeError::UnreadableImage { reason: e.to_string() };
    let format = image::guess_format(encoded).map_err(unreadable)?;
    if !matches!(format, image::ImageFormat::Jpeg | image::ImageFormat::Png) {
        return Err(DecodeError::UnreadableImage { reason: format!("{format:?} is not JPEG or PNG") });
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(encoded), format);
    // Bounds what a hostile header can make us allocate before we refuse the frame size.
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_FRAME_PIXELS * 4);
    reader.limits(limits);
    let grey = reader.decode().map_err(unreadable)?.into_luma8();
    let (width, height) = (grey.width() as usize, grey.height() as usize);
    Ok(OwnedLuma { width, height, pixels: grey.into_raw() })
}
