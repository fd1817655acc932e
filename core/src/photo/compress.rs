//! A camera photo → a JPEG at most 1280 px on its longest edge and at most 200 KB, turned upright
//! by its EXIF orientation, named by the SHA-256 of the result.
//!
//! Quality is the highest that fits: one encode at 85 (most phone photos at 1280 px already fit),
//! otherwise a binary search between 30 and 84 (≤ 6 more encodes). A photo that does not fit even
//! at quality 30 (noise, confetti) is shrunk by a quarter and tried again. The encoder is
//! deterministic, so the same input gives the same bytes and the same hash on every phone.

use super::error::PhotoError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Longest edge of a stored photo, pixels.
pub const MAX_EDGE: u32 = 1280;
/// Largest stored photo, bytes.
pub const MAX_BYTES: usize = 200_000;
/// Largest camera image accepted (50 MP): bounds what a hostile header can make us allocate.
pub const MAX_INPUT_PIXELS: u64 = 50_000_000;
const FIRST_QUALITY: u8 = 85;
const MIN_QUALITY: u8 = 30;
/// Below this edge shrinking further stops helping a photo be evidence; give up instead.
const MIN_EDGE: u32 = 320;

/// A photo ready to store: JPEG bytes and their content address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedPhoto {
    pub jpeg: Vec<u8>,
    /// Lowercase hex SHA-256 of `jpeg`.
    pub sha256: String,
    pub width: u32,
    pub height: u32,
    /// The JPEG quality chosen (30–85).
    pub quality: u8,
    /// Whether an EXIF orientation other than "upright" was applied.
    pub rotated: bool,
}

/// Compresses an encoded JPEG or PNG photo for storage and upload.
pub fn compress_photo(encoded: &[u8]) -> Result<CompressedPhoto, PhotoError> {
    let (image, rotated) = decode_upright(encoded)?;
    let mut rgb = shrink_to(image.into_rgb8(), MAX_EDGE);
    loop {
        let (jpeg, quality) = match best_quality(&rgb)? {
            Ok(found) => found,
            Err(smallest) => {
                let edge = rgb.width().max(rgb.height());
                if edge <= MIN_EDGE {
                    return Err(PhotoError::CannotFit { max_bytes: MAX_BYTES, smallest });
                }
                rgb = shrink_to(rgb, (edge * 3 / 4).max(MIN_EDGE));
                continue;
            }
        };
        return Ok(CompressedPhoto {
            sha256: sha256_hex(&jpeg),
            jpeg,
            width: rgb.width(),
            height: rgb.height(),
            quality,
            rotated,
        });
    }
}

/// Lowercase hex SHA-256: the name of a photo everywhere (device folder, events, server).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn unreadable(err: image::ImageError) -> PhotoError {
    PhotoError::Unreadable { reason: err.to_string() }
}

/// Decodes a JPEG or PNG and applies its EXIF orientation (cheap: the decoder has already read
/// the header). Returns the image and whether it was turned.
fn decode_upright(encoded: &[u8]) -> Result<(DynamicImage, bool), PhotoError> {
    let format = image::guess_format(encoded).map_err(unreadable)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png) {
        return Err(PhotoError::UnsupportedFormat { format: format!("{format:?}") });
    }
    let mut reader = ImageReader::with_format(Cursor::new(encoded), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_INPUT_PIXELS * 4);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_INPUT_PIXELS {
        return Err(PhotoError::TooLarge { width, height, max_pixels: MAX_INPUT_PIXELS });
    }
    // A missing or unreadable EXIF block means "as stored"; the photo is still worth keeping.
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    let rotated = orientation != image::metadata::Orientation::NoTransforms;
    image.apply_orientation(orientation);
    Ok((image, rotated))
}

/// Scales down (never up) so the longest edge is at most `edge`, keeping the aspect ratio.
/// Area averaging (`thumbnail`): fast on 12 MP input and free of aliasing.
fn shrink_to(rgb: RgbImage, edge: u32) -> RgbImage {
    let (w, h) = rgb.dimensions();
    let longest = w.max(h);
    if longest <= edge {
        return rgb;
    }
    let scale = |side: u32| ((u64::from(side) * u64::from(edge) + u64::from(longest) / 2) / u64::from(longest)).max(1);
    let (nw, nh) = (scale(w) as u32, scale(h) as u32);
    image::imageops::thumbnail(&rgb, nw, nh)
}

fn encode(rgb: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::with_capacity(MAX_BYTES);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(rgb)
        .map_err(|e| PhotoError::Encode { reason: e.to_string() })?;
    Ok(out)
}

/// The highest quality whose JPEG fits in `MAX_BYTES`, or the smallest size seen if none fits.
fn best_quality(rgb: &RgbImage) -> Result<Result<(Vec<u8>, u8), usize>, PhotoError> {
    let first = encode(rgb, FIRST_QUALITY)?;
    if first.len() <= MAX_BYTES {
        return Ok(Ok((first, FIRST_QUALITY)));
    }
    let (mut low, mut high) = (MIN_QUALITY, FIRST_QUALITY - 1);
    let mut best = None;
    let mut smallest = first.len();
    while low <= high {
        let quality = low + (high - low) / 2;
        let jpeg = encode(rgb, quality)?;
        smallest = smallest.min(jpeg.len());
        if jpeg.len() <= MAX_BYTES {
            best = Some((jpeg, quality));
            low = quality + 1;
        } else if quality == MIN_QUALITY {
            break;
        } else {
            high = quality - 1;
        }
    }
    Ok(best.ok_or(smallest))
}
