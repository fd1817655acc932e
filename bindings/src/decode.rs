//! Camera frames → codes, as records. The frame checks and the reading are the core's
//! (`fieldtrace_core::decode`); this only converts the answer.

use fieldtrace_core::decode as core;

/// A symbology the scanner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum BarcodeFormat {
    QrCode,
    DataMatrix,
    Ean13,
    UpcA,
    Ean8,
    Code128,
    Itf,
}

/// A corner in the frame as handed over: pixels from the buffer's top-left, before rotation.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct CornerPoint {
    pub x: f32,
    pub y: f32,
}

/// One code found in a frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DecodedCode {
    pub format: BarcodeFormat,
    /// The text to pass to `scan`; GS1 data as an element string (`]C1…`, `]Q3…`).
    pub text: String,
    pub raw_bytes: Vec<u8>,
    /// The four corners, to draw the highlight box (1D codes: the box of the lines that read it).
    pub corners: Vec<CornerPoint>,
}

impl From<core::BarcodeFormat> for BarcodeFormat {
    fn from(format: core::BarcodeFormat) -> Self {
        match format {
            core::BarcodeFormat::QrCode => BarcodeFormat::QrCode,
            core::BarcodeFormat::DataMatrix => BarcodeFormat::DataMatrix,
            core::BarcodeFormat::Ean13 => BarcodeFormat::Ean13,
            core::BarcodeFormat::UpcA => BarcodeFormat::UpcA,
            core::BarcodeFormat::Ean8 => BarcodeFormat::Ean8,
            core::BarcodeFormat::Code128 => BarcodeFormat::Code128,
            core::BarcodeFormat::Itf => BarcodeFormat::Itf,
        }
    }
}

impl From<core::DecodedCode> for DecodedCode {
    fn from(code: core::DecodedCode) -> Self {
        Self {
            format: code.format.into(),
            text: code.text,
            raw_bytes: code.raw_bytes,
            corners: code.corners.iter().map(|c| CornerPoint { x: c.x, y: c.y }).collect(),
        }
    }
}

/// Decodes a live camera frame's Y plane: `row_stride` bytes per row (≥ `width`, CameraX
/// `rowStride`, iOS `bytesPerRow`), `rotation_degrees` (0/90/180/270) how far the frame is turned
/// from upright. Every code found, none if there is none. A free function as well as a
/// `FieldTrace` method, so a scanner can run before any store is open.
#[uniffi::export]
pub fn decode_frame(
    width: u32,
    height: u32,
    row_stride: u32,
    luma: Vec<u8>,
    rotation_degrees: u32,
) -> Result<Vec<DecodedCode>, crate::FieldTraceError> {
    let codes = core::decode_frame(width, height, row_stride, &luma, rotation_degrees)?;
    Ok(codes.into_iter().map(DecodedCode::from).collect())
}
