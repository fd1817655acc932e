//! Why a frame or photo could not be decoded. Finding no code is not an error (an empty list);
//! these are caller mistakes (a buffer that does not match its dimensions) or unreadable files.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the frame is {width}×{height}; both sides must be at least 1 pixel")]
    EmptyFrame { width: u32, height: u32 },
    #[error("the frame is {width}×{height}; at most {max_pixels} pixels are accepted")]
    FrameTooLarge { width: u32, height: u32, max_pixels: u64 },
    #[error("the row stride {row_stride} is smaller than the width {width}")]
    StrideTooSmall { row_stride: u32, width: u32 },
    #[error(
        "the luma buffer has {actual} bytes; a {width}×{height} frame with row stride {row_stride} needs {needed}"
    )]
    BufferTooSmall { width: u32, height: u32, row_stride: u32, needed: u64, actual: usize },
    #[error("the rotation is {degrees}°; it must be 0, 90, 180 or 270")]
    InvalidRotation { degrees: u32 },
    #[error("the image could not be read: {reason}")]
    UnreadableImage { reason: String },
}

impl DecodeError {
    /// Stable key for localization and telemetry; never renamed once shipped.
    pub fn key(&self) -> &'static str {
        match self {
            DecodeError::EmptyFrame { .. } => "decode_empty_frame",
            DecodeError::FrameTooLarge { .. } => "decode_frame_too_large",
            DecodeError::StrideTooSmall { .. } => "decode_stride_too_small",
            DecodeError::BufferTooSmall { .. } => "decode_buffer_too_small",
            DecodeError::InvalidRotation { .. } => "decode_invalid_rotation",
            DecodeError::UnreadableImage { .. } => "decode_unreadable_image",
        }
    }
}
