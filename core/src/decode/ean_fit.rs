//! A second check on EAN/UPC reads: do the bars on the line sit where the decoded digits put them?
//!
//! rxing's EAN/UPC reader matches each digit's four widths loosely (average variance 0.48,
//! single element 0.7 of a module) and EAN-8 has a single mod-10 check digit, so a blurred Code
//! 128 whose bar count happens to match can decode as a valid EAN-8 (evaluator seed 343434,
//! frame-0198: Code 128 `21492303`, 22 bars like an EAN-8, read as EAN-8 `57422251` on every
//! line, with clean quiet zones, so neither a quiet-zone check nor more agreeing lines rejects
//! it). Here the decoded text is encoded again, and the centre of every bar and space on the line
//! must lie within a fraction of a module of a smooth (quadratic: perspective) map of the
//! encoded module grid. Centres, not edges: blur and ink spread move a bar's two edges apart by
//! the same amount, so its centre stays put. The misread above lies up to 1.8 modules off the
//! grid; genuine reads in the tuning corpora stay well below `MAX_OFF_GRID` (see that constant).

use super::BarcodeFormat;
use rxing::common::BitArray;
use rxing::oned::{EAN13Writer, EAN8Writer, OneDimensionalCodeWriter};

/// Most a bar or space centre may lie off the fitted grid, in modules. Measured on tuning seeds
/// 343434 and 121212 (2,060 line reads of true EAN-13 codes, blurred, noisy, in perspective):
/// at most 0.35; the two misreads seen: 1.8 (frame-0198 above) and 2.7 (one line of seed
/// 343434 that fewer than two lines agreed on).
const MAX_OFF_GRID: f32 = 0.75;

/// Whether the EAN/UPC read `text` fits the bars of `line` between `first` and `last`, the
/// centres of its start and end guards as the reader reports them (in `line`'s coordinates).
/// Other formats are not checked here.
pub fn bars_fit_digits(line: &BitArray, format: BarcodeFormat, text: &str, first: f32, last: f32) -> bool {
    let Some(modules) = encoded(format, text) else { return true };
    let expected = element_centres(&modules);
    // Guard centres lie 1.5 modules inside each end of the symbol.
    let module = (last - first) / (modules.len() as f32 - 3.0);
    if module.is_nan() || module <= 0.0 {
        return false;
    }
    // The reader checked a quiet zone of about a guard's width (3 modules) beyond each guard,
    // so this window holds the symbol's bars and nothing else.
    let lo = (first - 3.0 * module).max(0.0) as usize;
    let hi = ((last + 3.0 * module).ceil() as usize).min(line.get_size());
    let measured = measured_centres(line, lo, hi);
    if measured.len() != expected.len() {
        return false;
    }
    max_off_grid(&expected, &measured, module) <= MAX_OFF_GRID
}

/// The symbol's modules (true: bar) as the decoded text encodes them; `None` if not EAN/UPC.
fn encoded(format: BarcodeFormat, text: &str) -> Option<Vec<bool>> {
    match format {
        BarcodeFormat::Ean13 => EAN13Writer.encode_oned(text).ok(),
        // UPC-A is EAN-13 with a leading zero.
        BarcodeFormat::UpcA => EAN13Writer.encode_oned(&format!("0{text}")).ok(),
        BarcodeFormat::Ean8 => EAN8Writer.encode_oned(text).ok(),
        _ => None,
    }
}

/// Centres of the runs of equal modules, in modules from the symbol's start.
fn element_centres(modules: &[bool]) -> Vec<f32> {
    let mut centres = Vec::new();
    let mut start = 0;
    for i in 1..=modules.len() {
        if i == modules.len() || modules[i] != modules[start] {
            centres.push((start + i) as f32 / 2.0);
            start = i;
        }
    }
    centres
}

/// Centres of the bars and of the spaces between them within `lo..hi` of `line`.
fn measured_centres(line: &BitArray, lo: usize, hi: usize) -> Vec<f32> {
    let mut centres = Vec::new();
    let mut bar = line.getNextSet(lo);
    while bar < hi {
        let space = line.getNextUnset(bar).min(hi);
        centres.push((bar + space) as f32 / 2.0);
        let next = line.getNextSet(space);
        if next >= hi {
            break;
        }
        centres.push((space + next) as f32 / 2.0);
        bar = next;
    }
    centres
}

/// The largest distance, in modules, of a measured centre from the least-squares quadratic
/// map of the expected centres onto the line.
fn max_off_grid(expected: &[f32], measured: &[f32], module: f32) -> f32 {
    // Centre and scale the module coordinate so the normal equations stay well conditioned.
    let n = expected.len() as f64;
    let mean = expected.iter().map(|&u| f64::from(u)).sum::<f64>() / n;
    let half = expected.iter().map(|&u| (f64::from(u) - mean).abs()).fold(1.0, f64::max);
    let us: Vec<f64> = expected.iter().map(|&u| (f64::from(u) - mean) / half).collect();
    let mut normal = [[0.0f64; 4]; 3];
    for (&u, &x) in us.iter().zip(measured) {
        let powers = [1.0, u, u * u];
        for (row, &p) in normal.iter_mut().zip(&powers) {
            for (cell, &q) in row.iter_mut().zip(&powers) {
                *cell += p * q;
            }
            row[3] += p * f64::from(x);
        }
    }
    let Some([a, b, c]) = solve(normal) else { return f32::MAX };
    let worst =
        us.iter().zip(measured).map(|(&u, &x)| (f64::from(x) - (a + b * u + c * u * u)).abs()).fold(0.0, f64::max);
    (worst / f64::from(module)) as f32
}

/// Gauss–Jordan elimination with partial pivoting on an augmented 3×4 system.
fn solve(mut m: [[f64; 4]; 3]) -> Option<[f64; 3]> {
    for col in 0..3 {
        let pivot = (col..3).max_by(|&i, &j| m[i][col].abs().total_cmp(&m[j][col].abs()))?;
        if m[pivot][col].abs() < 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        for row in 0..3 {
            if row != col {
                let factor = m[row][col] / m[col][col];
                let pivot_row = m[col];
                for (cell, p) in m[row].iter_mut().zip(pivot_row).skip(col) {
                    *cell -= factor * p;
                }
            }
        }
    }
    Some([m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]])
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Frame-0198 of evaluator seed 343434, one binarized row as run lengths (bar, space, …):
    /// a blurred Code 128 `21492303` that rxing decodes as EAN-8 `57422251`. Starting at pixel
    /// 172, its guard centres are at 177 and 351.5.
    pub(in crate::decode) const MISREAD_ROW: [usize; 43] = [
        5, 2, 3, 2, 7, 7, 4, 3, 9, 3, 6, 3, 2, 7, 5, 4, 2, 5, 3, 2, 6, 4, 3, 4, 6, 2, 7, 7, 3, 2, 5, 4, 3, 4, 7, 3, 4,
        5, 7, 5, 2, 2, 5,
    ];

    /// A line with `quiet` white pixels, then `runs` (alternately bar and space, in pixels),
    /// then `quiet` white again.
    pub(in crate::decode) fn line(runs: &[usize], quiet: usize) -> BitArray {
        let mut bits = BitArray::with_size(runs.iter().sum::<usize>() + 2 * quiet);
        let mut x = quiet;
        for (i, &run) in runs.iter().enumerate() {
            if i % 2 == 0 {
                (x..x + run).for_each(|p| bits.set(p));
            }
            x += run;
        }
        bits
    }

    /// Run lengths of an encoded symbol at `module` pixels, bars `spread` pixels wider (blur).
    fn runs_of(modules: &[bool], module: usize, spread: usize) -> Vec<usize> {
        let mut runs = Vec::new();
        let mut start = 0;
        for i in 1..=modules.len() {
            if i == modules.len() || modules[i] != modules[start] {
                let width = (i - start) * module;
                runs.push(if modules[start] { width + spread } else { width - spread });
                start = i;
            }
        }
        runs
    }

    #[test]
    fn a_genuine_ean_fits_even_with_fat_bars() {
        for (format, text) in [(BarcodeFormat::Ean8, "96385074"), (BarcodeFormat::Ean13, "6901234567892")] {
            let modules = encoded(format, text).expect("encodes");
            let bits = line(&runs_of(&modules, 3, 1), 40);
            let (first, last) = (40.0 + 1.5 * 3.0, 40.0 + (modules.len() as f32 - 1.5) * 3.0);
            assert!(bars_fit_digits(&bits, format, text, first, last), "{text}");
        }
    }

    #[test]
    fn the_blurred_code_128_read_as_ean_8_does_not_fit() {
        let bits = line(&MISREAD_ROW, 172);
        assert!(!bars_fit_digits(&bits, BarcodeFormat::Ean8, "57422251", 177.0, 351.5));
    }

    #[test]
    fn a_bar_just_past_the_guards_does_not_fit_and_other_formats_pass() {
        let modules = encoded(BarcodeFormat::Ean8, "96385074").expect("encodes");
        let mut runs = runs_of(&modules, 3, 0);
        // A bar 1 module past the end guard: no quiet zone, a denser symbol continues.
        runs.extend([3, 3]);
        let bits = line(&runs, 40);
        let (first, last) = (40.0 + 4.5, 40.0 + (modules.len() as f32 - 1.5) * 3.0);
        assert!(!bars_fit_digits(&bits, BarcodeFormat::Ean8, "96385074", first, last));
        assert!(bars_fit_digits(&bits, BarcodeFormat::Code128, "anything", first, last));
    }
}
