//! A camera frame's Y plane as the platforms hand it over: `row_stride` bytes per row, of which
//! the first `width` are pixels (Android `ImageProxy` planes and iOS `CVPixelBuffer` pad rows).
//! Everything here validates once, so the decoders after it can index without checks failing.

use super::DecodeError;
use rxing::LuminanceSource;
use std::borrow::Cow;

/// Frames above this many pixels are refused: 8K video is 33 MP; more is a caller mistake, and
/// an absurd width × height must not make us allocate gigabytes before noticing.
pub const MAX_FRAME_PIXELS: u64 = 40_000_000;

/// How far the frame must be turned clockwise to appear upright (Android `rotationDegrees`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    Upright,
    Clockwise90,
    Clockwise180,
    Clockwise270,
}

impl Rotation {
    pub fn from_degrees(degrees: u32) -> Result<Self, DecodeError> {
        match degrees {
            0 => Ok(Rotation::Upright),
            90 => Ok(Rotation::Clockwise90),
            180 => Ok(Rotation::Clockwise180),
            270 => Ok(Rotation::Clockwise270),
            _ => Err(DecodeError::InvalidRotation { degrees }),
        }
    }

    /// Whether the user's horizontal runs along the buffer's columns. People hold a 1D code level
    /// in the picture they see, so the live pass scans that direction first.
    pub fn is_sideways(self) -> bool {
        matches!(self, Rotation::Clockwise90 | Rotation::Clockwise270)
    }
}

/// A rectangle in frame pixels. Defined here, with the frame it is in, rather than in `regions`
/// (which finds the spots worth a closer look): `LumaFrame::enlarged` crops one, and the frame is
/// the layer below the spot finder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub left: usize,
    pub top: usize,
    pub width: usize,
    pub height: usize,
}

/// A validated, borrowed Y plane.
#[derive(Debug, Clone, Copy)]
pub struct LumaFrame<'a> {
    width: usize,
    height: usize,
    row_stride: usize,
    luma: &'a [u8],
}

impl<'a> LumaFrame<'a> {
    /// Checks that `luma` holds `height` rows of `row_stride` bytes (the last row may stop at
    /// `width`, as Android's last plane row does).
    pub fn new(width: u32, height: u32, row_stride: u32, luma: &'a [u8]) -> Result<Self, DecodeError> {
        if width == 0 || height == 0 {
            return Err(DecodeError::EmptyFrame { width, height });
        }
        if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS {
            return Err(DecodeError::FrameTooLarge { width, height, max_pixels: MAX_FRAME_PIXELS });
        }
        if row_stride < width {
            return Err(DecodeError::StrideTooSmall { row_stride, width });
        }
        let needed = u64::from(row_stride) * u64::from(height - 1) + u64::from(width);
        if (luma.len() as u64) < needed {
            return Err(DecodeError::BufferTooSmall { width, height, row_stride, needed, actual: luma.len() });
        }
        // u32 → usize is lossless on every platform we build for (32- and 64-bit).
        let (width, height, row_stride) = (width as usize, height as usize, row_stride as usize);
        Ok(LumaFrame { width, height, row_stride, luma })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The pixels of row `y` (`y < height`, guaranteed by the callers' loops).
    pub fn row(&self, y: usize) -> &'a [u8] {
        let start = y * self.row_stride;
        &self.luma[start..start + self.width]
    }

    /// A `factor`× smaller frame, each pixel the mean of a `factor`×`factor` block, read straight
    /// from the strided buffer. Averaging (not skipping) keeps thin bars and modules visible.
    pub fn downscaled(&self, factor: usize) -> OwnedLuma {
        let factor = factor.max(1);
        let (width, height) = (self.width / factor, self.height / factor);
        let mut pixels = vec![0u8; width * height];
        if factor == 2 {
            // Every frame pays for this one (`regions::print_spots`): the general loop below
            // costs ~15 instructions per pixel on 2-pixel chunks, this one a few.
            for (y, out_row) in pixels.chunks_exact_mut(width.max(1)).enumerate() {
                let (upper, lower) = (&self.row(2 * y)[..2 * width], &self.row(2 * y + 1)[..2 * width]);
                for (x, out) in out_row.iter_mut().enumerate() {
                    let sum = u16::from(upper[2 * x])
                        + u16::from(upper[2 * x + 1])
                        + u16::from(lower[2 * x])
                        + u16::from(lower[2 * x + 1]);
                    *out = (sum / 4) as u8;
                }
            }
            return OwnedLuma { width, height, pixels };
        }
        let mut sums = vec![0u32; width];
        let area = (factor * factor) as u32;
        for (y, out_row) in pixels.chunks_exact_mut(width.max(1)).enumerate() {
            sums.iter_mut().for_each(|s| *s = 0);
            for dy in 0..factor {
                let row = self.row(y * factor + dy);
                for (sum, block) in sums.iter_mut().zip(row.chunks_exact(factor)) {
                    *sum += block.iter().map(|&p| u32::from(p)).sum::<u32>();
                }
            }
            for (out, sum) in out_row.iter_mut().zip(&sums) {
                *out = (sum / area) as u8;
            }
        }
        OwnedLuma { width, height, pixels }
    }

    /// `region` (inside the frame) enlarged `factor`× by bilinear interpolation.
    pub fn enlarged(&self, region: Region, factor: usize) -> OwnedLuma {
        let factor = factor.max(1);
        let (width, height) = (region.width * factor, region.height * factor);
        let mut pixels = Vec::with_capacity(width * height);
        let last_x = region.width.saturating_sub(1);
        let last_y = region.height.saturating_sub(1);
        // Source position of output pixel i along an axis, in 1/(2·factor) steps: pixel centres.
        let source = |i: usize, last: usize| {
            let twice = ((2 * i + 1) as i64 - factor as i64).max(0) as usize;
            let (whole, rest) = (twice / (2 * factor), twice % (2 * factor));
            (whole.min(last), (whole + 1).min(last), rest as u32, (2 * factor) as u32)
        };
        for y in 0..height {
            let (y0, y1, fy, span) = source(y, last_y);
            let (row0, row1) = (self.row(region.top + y0), self.row(region.top + y1));
            for x in 0..width {
                let (x0, x1, fx, _) = source(x, last_x);
                let (a, b) = (u32::from(row0[region.left + x0]), u32::from(row0[region.left + x1]));
                let (c, d) = (u32::from(row1[region.left + x0]), u32::from(row1[region.left + x1]));
                let top = a * (span - fx) + b * fx;
                let bottom = c * (span - fx) + d * fx;
                pixels.push(((top * (span - fy) + bottom * fy) / (span * span)) as u8);
            }
        }
        OwnedLuma { width, height, pixels }
    }

    /// A borrowed view for rxing's binarizers.
    pub fn source(&self) -> StridedLuma<'a> {
        StridedLuma { frame: *self, inverted: false }
    }
}

/// A contiguous luma image we own (a downscaled frame or a decoded photo).
#[derive(Debug, Clone)]
pub struct OwnedLuma {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl OwnedLuma {
    pub fn frame(&self) -> Result<LumaFrame<'_>, DecodeError> {
        let (w, h) = (dimension(self.width)?, dimension(self.height)?);
        LumaFrame::new(w, h, w, &self.pixels)
    }
}

fn dimension(value: usize) -> Result<u32, DecodeError> {
    u32::try_from(value).map_err(|_| DecodeError::FrameTooLarge {
        width: u32::MAX,
        height: u32::MAX,
        max_pixels: MAX_FRAME_PIXELS,
    })
}

/// rxing's view of a [`LumaFrame`]: rows are borrowed in place. Only `get_matrix` (which rxing's
/// hybrid binarizer calls once) copies, and only when rows are padded — rxing indexes that
/// matrix as `y * width + x`.
#[derive(Debug, Clone)]
pub struct StridedLuma<'a> {
    frame: LumaFrame<'a>,
    inverted: bool,
}

impl StridedLuma<'_> {
    fn maybe_inverted<'b>(&self, pixels: Cow<'b, [u8]>) -> Cow<'b, [u8]> {
        if self.inverted {
            Cow::Owned(pixels.iter().map(|p| 255 - p).collect())
        } else {
            pixels
        }
    }
}

impl LuminanceSource for StridedLuma<'_> {
    fn get_row(&self, y: usize) -> Option<Cow<'_, [u8]>> {
        (y < self.frame.height).then(|| self.maybe_inverted(Cow::Borrowed(self.frame.row(y))))
    }

    fn get_column(&self, x: usize) -> Cow<'_, [u8]> {
        if x >= self.frame.width {
            return Cow::Owned(Vec::new());
        }
        let column = (0..self.frame.height).map(|y| self.frame.row(y)[x]).collect();
        self.maybe_inverted(Cow::Owned(column))
    }

    fn get_matrix(&self) -> Cow<'_, [u8]> {
        let f = &self.frame;
        let pixels = if f.row_stride == f.width {
            Cow::Borrowed(&f.luma[..f.width * f.height])
        } else {
            Cow::Owned((0..f.height).flat_map(|y| f.row(y).iter().copied()).collect())
        };
        self.maybe_inverted(pixels)
    }

    fn get_width(&self) -> usize {
        self.frame.width
    }

    fn get_height(&self) -> usize {
        self.frame.height
    }

    fn invert(&mut self) {
        self.inverted = !self.inverted;
    }

    fn get_luma8_point(&self, x: usize, y: usize) -> u8 {
        let pixel = self.frame.row(y)[x];
        if self.inverted {
            255 - pixel
        } else {
            pixel
        }
    }
}
