//! One scan line across the frame, made black and white for the 1D readers.
//!
//! rxing's row binarizer (zxing's global histogram: one threshold per row) loses the narrow
//! spaces of a blurred code with 2-pixel modules, and whole-pixel edges put ±½ pixel on every
//! bar — a quarter module at that size, which is what makes its Code 128 reader give up. So the
//! line is resampled `upsample`× (linear interpolation: edges land between pixels) and each point
//! compared with the midpoint of the darkest and brightest grey within a few modules around it,
//! which follows a narrow bar's reduced contrast. Three neighbouring lines are averaged first:
//! along the bars that smooths noise without blurring across them.

use super::frame::LumaFrame;
use rxing::common::{BitArray, LineOrientation};

/// Window half-width (source pixels) for the local threshold: wide enough to hold a bar and a
/// space of the widest element (4 modules of up to ~5 px), narrow enough to follow shading.
const WINDOW_RADIUS: usize = 12;
/// Below this local contrast a point is paper, not print: it keeps flat noisy areas from
/// turning into random bars that cost reader time.
const MIN_CONTRAST: u8 = 24;

/// The grey values along line `index`, averaged with the lines on either side.
pub fn grey_line(frame: &LumaFrame<'_>, orientation: LineOrientation, index: usize) -> Vec<u8> {
    let count = match orientation {
        LineOrientation::Row => frame.height(),
        LineOrientation::Column => frame.width(),
    };
    let neighbours = [index.saturating_sub(1), index, (index + 1).min(count.saturating_sub(1))];
    match orientation {
        LineOrientation::Row => {
            let rows = neighbours.map(|y| frame.row(y));
            (0..frame.width())
                .map(|x| ((u16::from(rows[0][x]) + u16::from(rows[1][x]) + u16::from(rows[2][x])) / 3) as u8)
                .collect()
        }
        LineOrientation::Column => (0..frame.height())
            .map(|y| {
                let row = frame.row(y);
                let sum: u16 = neighbours.iter().map(|&x| u16::from(row[x])).sum();
                (sum / 3) as u8
            })
            .collect(),
    }
}

/// `grey` resampled `upsample`× and thresholded locally; set bits are black.
pub fn binarize(grey: &[u8], upsample: usize) -> BitArray {
    let k = upsample.max(1);
    let fine: Vec<u8> = resample(grey, k);
    let radius = WINDOW_RADIUS * k;
    let (lows, highs) = sliding_min_max(&fine, radius);
    let mut bits = BitArray::with_size(fine.len());
    for (i, ((&value, &low), &high)) in fine.iter().zip(&lows).zip(&highs).enumerate() {
        if high - low >= MIN_CONTRAST && u16::from(value) * 2 < u16::from(low) + u16::from(high) {
            bits.set(i);
        }
    }
    bits
}

fn resample(grey: &[u8], k: usize) -> Vec<u8> {
    if k == 1 {
        return grey.to_vec();
    }
    let mut fine = Vec::with_capacity(grey.len() * k);
    for pair in grey.windows(2) {
        let (a, b) = (i32::from(pair[0]), i32::from(pair[1]));
        fine.extend((0..k as i32).map(|j| (a + (b - a) * j / k as i32) as u8));
    }
    if let Some(&last) = grey.last() {
        fine.resize(grey.len() * k, last);
    }
    fine
}

/// Minimum and maximum over `[i - radius, i + radius]` (clipped to the line) for every `i`.
///
/// Van Herk / Gil–Werman: the line, padded with `radius` neutral values at each end, is cut
/// into blocks one window long; every window spans the tail of one block and the head of the
/// next, so its extreme is that of a running suffix and a running prefix, ~6 comparisons per
/// point. (Monotonic queues did the same in ~200 instructions per point: callgrind had this
/// function at 18 % of all decode instructions.)
fn sliding_min_max(values: &[u8], radius: usize) -> (Vec<u8>, Vec<u8>) {
    let n = values.len();
    let window = 2 * radius + 1;
    // Padding is neutral: 255 for the minimum, 0 for the maximum.
    let padded = |fill: u8| {
        let mut line = vec![fill; n + 2 * radius];
        line[radius..radius + n].copy_from_slice(values);
        line
    };
    let (for_low, for_high) = (padded(u8::MAX), padded(u8::MIN));
    let (mut head_low, mut head_high) = (for_low.clone(), for_high.clone());
    let (mut tail_low, mut tail_high) = (for_low, for_high);
    for start in (0..head_low.len()).step_by(window) {
        let end = (start + window).min(head_low.len());
        for j in start + 1..end {
            head_low[j] = head_low[j].min(head_low[j - 1]);
            head_high[j] = head_high[j].max(head_high[j - 1]);
        }
        for j in (start..end - 1).rev() {
            tail_low[j] = tail_low[j].min(tail_low[j + 1]);
            tail_high[j] = tail_high[j].max(tail_high[j + 1]);
        }
    }
    // Output i's window is padded [i, i + window - 1].
    let lows = (0..n).map(|i| tail_low[i].min(head_low[i + window - 1])).collect();
    let highs = (0..n).map(|i| tail_high[i].max(head_high[i + window - 1])).collect();
    (lows, highs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_extremes_match_a_plain_scan() {
        let mut state = 0x1234_5678_u32;
        for n in [0usize, 1, 2, 5, 24, 25, 26, 97, 640] {
            let values: Vec<u8> = (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            for radius in [0, 1, 3, 12, 30] {
                let (lows, highs) = sliding_min_max(&values, radius);
                for i in 0..n {
                    let around = &values[i.saturating_sub(radius)..(i + radius + 1).min(n)];
                    assert_eq!(lows[i], *around.iter().min().expect("non-empty"), "n {n} r {radius} i {i}");
                    assert_eq!(highs[i], *around.iter().max().expect("non-empty"), "n {n} r {radius} i {i}");
                }
            }
        }
    }
}
