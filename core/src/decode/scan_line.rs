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
use std::collections::VecDeque;

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

/// Minimum and maximum over `[i - radius, i + radius]` for every `i`, in O(n) (monotonic queues).
fn sliding_min_max(values: &[u8], radius: usize) -> (Vec<u8>, Vec<u8>) {
    let n = values.len();
    let (mut lows, mut highs) = (vec![0u8; n], vec![0u8; n]);
    let (mut min_q, mut max_q): (VecDeque<usize>, VecDeque<usize>) = (VecDeque::new(), VecDeque::new());
    let mut next = 0;
    for i in 0..n {
        while next < n && next <= i + radius {
            while min_q.back().is_some_and(|&j| values[j] >= values[next]) {
                min_q.pop_back();
            }
            min_q.push_back(next);
            while max_q.back().is_some_and(|&j| values[j] <= values[next]) {
                max_q.pop_back();
            }
            max_q.push_back(next);
            next += 1;
        }
        while min_q.front().is_some_and(|&j| j + radius < i) {
            min_q.pop_front();
        }
        while max_q.front().is_some_and(|&j| j + radius < i) {
            max_q.pop_front();
        }
        lows[i] = min_q.front().map_or(values[i], |&j| values[j]);
        highs[i] = max_q.front().map_or(values[i], |&j| values[j]);
    }
    (lows, highs)
}
