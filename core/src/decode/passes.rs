//! How hard to look: a decode is a list of passes, each a scale, a set of formats and a scan
//! density; a later pass runs only when the earlier ones found nothing.
//!
//! Measured, not guessed (`examples/decode_corpus.rs`, tuning corpus gen.py seed 7, 300 frames
//! 640×480–1920×1080, 370 codes; zxing-cpp on it: recall 0.751 — QR 0.897, DM 0.682, EAN-13
//! 0.588, Code 128 0.846 — median 63 ms; 2-core machine shared with other builds, so times are
//! ±30 %, compare within a row group):
//!
//! | strategy                                   | recall | QR    | DM    | EAN13 | C128  | median |
//! |--------------------------------------------|--------|-------|-------|-------|-------|--------|
//! | full frame, rxing row binarizer for 1D     | 0.676  | 0.897 | 0.700 | 0.482 | 0.577 | 24 ms  |
//! | full frame, our line binarizer (`scan_line`)| 0.811  | 0.887 | 0.700 | 0.788 | 0.897 | 23 ms  |
//! | same without the 2× closer look            | 0.765  | 0.835 | 0.591 | 0.788 | 0.897 | 19 ms  |
//! | ½-scale frame only                         | 0.503  | 0.526 | 0.273 | 0.671 | 0.615 |  9 ms  |
//! | ½-scale, then full when nothing found      | 0.741  | 0.784 | 0.582 | 0.812 | 0.833 | 18 ms  |
//! | glance only (2D centre lines, sparse 1D)   | 0.492  | 0.825 | 0.109 | 0.447 | 0.667 |  6 ms  |
//! | live: glance, then full when nothing found | 0.711  | 0.897 | 0.509 | 0.694 | 0.782 | 13 ms  |
//! | photo (full; DM only on print spots)       | 0.811  | 0.887 | 0.700 | 0.788 | 0.897 | 20 ms, p95 58 (was 108) |
//! | photo + sharpened DM retry on unread spots | 0.862  | 0.887 | 0.873 | 0.776 | 0.910 | 20 ms (17 without, same load) |
//!
//! So: downscaling loses small codes (modules here are 2–5 px) and a fast pass that finds one
//! code skips the others in multi-code frames; the recall comes from the 1D line binarizer and
//! the closer look at small unread print, the speed from confining the Data Matrix detector
//! (the slowest part, ~10 ms on its own) to spots with print and 1D lines every 12 px (8 px:
//! same recall ±1 code, +2.5 ms). Live frames use the glance first because the next frame
//! retries anyway; photos and `fieldtrace decode` use the full pass.
//!
//! The last row (remeasured baseline in the same session: DM 0.700, EAN-13 0.776, Code 128 0.910,
//! all 0.811) adds an unsharp-masked Data Matrix try on small spots where the 2× look read nothing
//! (`retry`); on seed 4242 DM 0.760 → 0.846 and on the unseen seed 9090 0.751 → 0.884 (zxing-cpp
//! 0.757), at ~+3 ms median because only unread spots pay for it.
//!
//! Where the time went (callgrind, photo preset, 42 frames of seed 343434, instructions in
//! decoding only): 6.95 G, of which rxing's hybrid binarizer 18 % (full frame, every enlarged
//! spot, every sharpened retry), our scan-line threshold 21 %, QR 11 %, Data Matrix 16 %, the
//! 2× reduction for `regions` 9 %. Rewriting the first, the second's sliding window and the
//! third without changing a single output bit (`binarizer`, `scan_line`, `frame`; tests compare
//! the bits) brought it to 5.08 G (−27 %) with identical reads.

use super::binarizer::BlockBinarizer;
use super::found::Found;
use super::frame::{LumaFrame, Rotation};
use super::linear::{self, LineScan, LinearFormats};
use super::regions;
use super::retry;
use super::{two_d, DecodedCode};
use rxing::{Binarizer, BinaryBitmap};

/// How much `enlarge_unread_print` enlarges: 2–2.5 px modules become 4–5.
const ENLARGEMENT: usize = 2;

/// Which symbologies a pass looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub qr_code: bool,
    pub data_matrix: bool,
    /// EAN-13, UPC-A and EAN-8.
    pub ean_upc: bool,
    pub code128: bool,
    pub itf: bool,
}

impl Formats {
    pub const ALL: Formats = Formats { qr_code: true, data_matrix: true, ean_upc: true, code128: true, itf: true };

    fn linear(self) -> LinearFormats {
        LinearFormats { ean_upc: self.ean_upc, code128: self.code128, itf: self.itf }
    }
}

/// One look at the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Read a frame this many times smaller (block-averaged); 1 reads it as is.
    pub downscale: usize,
    pub formats: Formats,
    /// Let the 2D detectors search the whole image rather than lines through its centre.
    pub try_harder: bool,
    /// Pixels (of the scaled image) between 1D scan lines.
    pub line_step: usize,
    /// Also scan 1D codes across the user's horizontal (a code held upright).
    pub both_directions: bool,
    /// How 1D scan lines are made black and white: 0 is rxing's per-row histogram threshold,
    /// k ≥ 1 our local threshold on the line resampled k× (see `scan_line`).
    pub line_upsample: usize,
    /// Look again at 2× at print where no code was read (small 2D codes; see `regions`).
    pub enlarge_unread_print: bool,
    /// Run the Data Matrix detector only on spots with print, not the whole frame (see `regions`).
    pub data_matrix_in_print_spots: bool,
}

/// The passes to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeOptions {
    pub passes: Vec<Pass>,
}

impl DecodeOptions {
    /// Live camera: called many times a second, so a cheap look first (see `Pass::glance`);
    /// the full look only when the glance finds nothing.
    pub fn live() -> Self {
        DecodeOptions { passes: vec![Pass::glance(), Pass::full()] }
    }

    /// A still photo: taken once, so it is worth looking everywhere.
    pub fn photo() -> Self {
        DecodeOptions { passes: vec![Pass::full()] }
    }

    /// Runs the passes until one finds something; codes are in `frame`'s coordinates.
    pub fn decode(&self, frame: &LumaFrame<'_>, rotation: Rotation) -> Vec<DecodedCode> {
        let mut codes: Vec<DecodedCode> = Vec::new();
        for pass in &self.passes {
            for code in pass.run(frame, rotation) {
                if !codes.iter().any(|c| same_code(c, &code)) {
                    codes.push(code);
                }
            }
            if !codes.is_empty() {
                break;
            }
        }
        codes
    }
}

impl Pass {
    /// A code aimed at and in focus: 2D detectors along lines through the centre only, 1D
    /// lines twice as sparse and only along the user's horizontal, no closer look.
    pub fn glance() -> Self {
        Pass { try_harder: false, line_step: 16, both_directions: false, enlarge_unread_print: false, ..Pass::full() }
    }

    /// Everything at full resolution.
    pub fn full() -> Self {
        Pass {
            downscale: 1,
            formats: Formats::ALL,
            try_harder: true,
            line_step: 12,
            both_directions: true,
            line_upsample: 1,
            enlarge_unread_print: true,
            data_matrix_in_print_spots: true,
        }
    }

    fn run(&self, frame: &LumaFrame<'_>, rotation: Rotation) -> Vec<DecodedCode> {
        let factor = self.downscale.max(1);
        if factor == 1 {
            return self.read(*frame, rotation, 1.0);
        }
        let scaled = frame.downscaled(factor);
        match scaled.frame() {
            Ok(small) => self.read(small, rotation, factor as f32),
            Err(_) => Vec::new(), // smaller than one block: nothing to read at this scale
        }
    }

    fn read(&self, frame: LumaFrame<'_>, rotation: Rotation, scale: f32) -> Vec<DecodedCode> {
        let mut image = BinaryBitmap::new(BlockBinarizer::new(frame.source()));
        let spots = if self.data_matrix_in_print_spots || self.enlarge_unread_print {
            regions::print_spots(&frame)
        } else {
            Vec::new()
        };
        let mut found = Vec::new();
        if self.formats.qr_code {
            found.extend(two_d::qr_codes(&mut image, self.try_harder, false));
        }
        let mut codes: Vec<DecodedCode> = Vec::new();
        if self.formats.data_matrix && self.data_matrix_in_print_spots {
            for spot in &spots {
                let Some(crop) = regions::crop_bits(image.get_black_matrix(), spot) else { continue };
                let offset = (spot.left as f32, spot.top as f32);
                let in_spot =
                    two_d::data_matrices(&crop, self.try_harder).into_iter().map(|f| f.into_code(1.0, offset));
                codes.extend(in_spot);
            }
        } else if self.formats.data_matrix {
            found.extend(two_d::data_matrices(image.get_black_matrix(), self.try_harder));
        }
        let sideways = rotation.is_sideways();
        let scan = LineScan {
            step: self.line_step,
            upsample: self.line_upsample,
            rows: self.both_directions || !sideways,
            columns: self.both_directions || sideways,
        };
        found.extend(linear::scan(&frame, &image, self.formats.linear(), scan));
        codes.extend(found.into_iter().map(|f| f.into_code(1.0, (0.0, 0.0))));
        if self.enlarge_unread_print && (self.formats.qr_code || self.formats.data_matrix) {
            let frame_pixels = frame.width() * frame.height();
            for region in regions::small_unread(&spots, &codes, frame_pixels, ENLARGEMENT) {
                let enlarged = frame.enlarged(region, ENLARGEMENT);
                let Ok(view) = enlarged.frame() else { continue };
                let offset = (region.left as f32, region.top as f32);
                let mut image = BinaryBitmap::new(BlockBinarizer::new(view.source()));
                let mut here = self.two_d(&mut image, true);
                if self.formats.data_matrix && here.is_empty() {
                    // Still nothing: most such spots are blurred low-contrast Data Matrix (see `retry`).
                    here = retry::sharpened_symbols(&view, self.formats.qr_code);
                }
                for code in here {
                    let code = code.into_code(1.0 / ENLARGEMENT as f32, offset);
                    if !codes.iter().any(|c| same_code(c, &code)) {
                        codes.push(code);
                    }
                }
            }
        }
        codes.into_iter().map(|code| code.scaled(scale)).collect()
    }

    fn two_d<B: Binarizer>(&self, image: &mut BinaryBitmap<B>, closer_look: bool) -> Vec<Found> {
        let mut found = Vec::new();
        if self.formats.qr_code {
            found.extend(two_d::qr_codes(image, self.try_harder, closer_look));
        }
        if self.formats.data_matrix {
            found.extend(two_d::data_matrices(image.get_black_matrix(), self.try_harder));
        }
        found
    }
}

/// The same symbol found twice (by two passes or two readers): same text, overlapping place.
fn same_code(a: &DecodedCode, b: &DecodedCode) -> bool {
    let centre = |c: &DecodedCode| {
        let (x, y) = c.corners.iter().fold((0.0, 0.0), |(x, y), p| (x + p.x, y + p.y));
        (x / 4.0, y / 4.0)
    };
    let bounds = |c: &DecodedCode| {
        c.corners.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |(x0, y0, x1, y1), p| {
            (x0.min(p.x), y0.min(p.y), x1.max(p.x), y1.max(p.y))
        })
    };
    let (cx, cy) = centre(b);
    let (x0, y0, x1, y1) = bounds(a);
    a.text == b.text && a.format == b.format && (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy)
}
