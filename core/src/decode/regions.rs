//! Small 2D codes: where they may be, so only those spots are looked at twice as large.
//!
//! The QR and Data Matrix detectors need about 3 pixels per module; a label a metre away or a
//! small Data Matrix gives 2–2.5. Read at 2× (bilinear) those detect — measured on the tuning
//! corpus: two thirds of the Data Matrix symbols zxing-cpp read and we missed — but 2× the whole
//! frame is 4× the pixels and would triple the decode time. Printed codes are high-contrast
//! texture on a plain label, so blocks with a wide grey range (cheap to find on a 2×-reduced
//! frame) mark the few spots worth enlarging; spots where a code was already read are skipped.

use super::frame::{LumaFrame, OwnedLuma, Region};
use super::DecodedCode;
use rxing::common::BitMatrix;

/// Block side in frame pixels (8 pixels of the 2×-reduced frame).
const BLOCK: usize = 16;
/// Grey range (max − min) of a block that may hold print. Camera noise on plain surfaces stays
/// well below once averaged 2×2; a blurred low-contrast label stays above.
const MIN_RANGE: u8 = 48;
/// Enlarged regions together may hold at most this many times the frame's pixels: a cluttered
/// scene must not make a frame cost several times the usual.
const MAX_ENLARGED_PIXELS: f32 = 0.5;
/// A spot larger than this (frame pixels, either side) is not a small code: a symbol that big
/// has modules large enough for the first look.
const MAX_SIDE: usize = 320;

/// Spots with print: 4-connected groups of blocks with a wide grey range, with a block of
/// margin (a code's quiet zone is plain), in frame pixels.
pub fn print_spots(frame: &LumaFrame<'_>) -> Vec<Region> {
    let reduced = frame.downscaled(2);
    let (cols, rows) = (reduced.width / (BLOCK / 2), reduced.height / (BLOCK / 2));
    let mut textured = vec![false; cols * rows];
    for (i, flag) in textured.iter_mut().enumerate() {
        *flag = block_range(&reduced, i % cols, i / cols) >= MIN_RANGE;
    }
    components(&mut textured, cols, rows)
        .into_iter()
        .filter(|r| r.width * r.height >= 2 * BLOCK * BLOCK)
        .map(|r| grow(r, BLOCK, frame.width(), frame.height()))
        .collect()
}

/// The small `spots` where no code in `found` lies, smallest first, as many as fit the pixel
/// budget once enlarged `factor`×.
pub fn small_unread(spots: &[Region], found: &[DecodedCode], frame_pixels: usize, factor: usize) -> Vec<Region> {
    let mut regions: Vec<Region> = spots
        .iter()
        .filter(|r| r.width <= MAX_SIDE && r.height <= MAX_SIDE && !holds_a_read_code(r, found))
        .copied()
        .collect();
    regions.sort_by_key(|r| r.width * r.height);
    let budget = MAX_ENLARGED_PIXELS * frame_pixels as f32;
    let mut spent = 0.0;
    regions.retain(|r| {
        spent += (r.width * r.height * factor * factor) as f32;
        spent <= budget
    });
    regions
}

/// The bits of `region` (rxing's `BitMatrix::crop` writes outside its result).
pub fn crop_bits(matrix: &BitMatrix, region: &Region) -> Option<BitMatrix> {
    let mut crop = BitMatrix::new(region.width as u32, region.height as u32).ok()?;
    for y in 0..region.height {
        for x in 0..region.width {
            if matrix.try_get((region.left + x) as u32, (region.top + y) as u32) == Some(true) {
                crop.set(x as u32, y as u32);
            }
        }
    }
    Some(crop)
}

fn block_range(image: &OwnedLuma, col: usize, row: usize) -> u8 {
    let side = BLOCK / 2;
    let (mut low, mut high) = (u8::MAX, u8::MIN);
    for y in row * side..(row + 1) * side {
        let start = y * image.width + col * side;
        for &p in &image.pixels[start..start + side] {
            low = low.min(p);
            high = high.max(p);
        }
    }
    high.saturating_sub(low)
}

/// Bounding boxes (frame pixels) of 4-connected groups of textured blocks; clears `textured`.
fn components(textured: &mut [bool], cols: usize, rows: usize) -> Vec<Region> {
    let mut regions = Vec::new();
    let mut stack = Vec::new();
    for start in 0..textured.len() {
        if !textured[start] {
            continue;
        }
        textured[start] = false;
        stack.push(start);
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % cols, i / cols);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            let neighbours = [
                (x > 0).then(|| i - 1),
                (x + 1 < cols).then(|| i + 1),
                (y > 0).then(|| i - cols),
                (y + 1 < rows).then(|| i + cols),
            ];
            for n in neighbours.into_iter().flatten() {
                if textured[n] {
                    textured[n] = false;
                    stack.push(n);
                }
            }
        }
        let (width, height) = ((x1 - x0 + 1) * BLOCK, (y1 - y0 + 1) * BLOCK);
        regions.push(Region { left: x0 * BLOCK, top: y0 * BLOCK, width, height });
    }
    regions
}

/// `region` with a `margin` all round (a code's quiet zone is plain), kept inside the frame.
fn grow(region: Region, margin: usize, width: usize, height: usize) -> Region {
    let left = region.left.saturating_sub(margin);
    let top = region.top.saturating_sub(margin);
    let right = (region.left + region.width + margin).min(width);
    let bottom = (region.top + region.height + margin).min(height);
    Region { left, top, width: right - left, height: bottom - top }
}

/// Whether a code already read lies in `region`: that spot is its label.
fn holds_a_read_code(region: &Region, found: &[DecodedCode]) -> bool {
    found.iter().any(|code| {
        let (x, y) = code.corners.iter().fold((0.0, 0.0), |(x, y), c| (x + c.x / 4.0, y + c.y / 4.0));
        let inside_x = (region.left as f32..(region.left + region.width) as f32).contains(&x);
        inside_x && (region.top as f32..(region.top + region.height) as f32).contains(&y)
    })
}
