//! `decode_frame` on fixed 1280×720 camera-like frames drawn here (rows padded to 1344 bytes as
//! Android pads them): the common live cases — nothing in view, one label, two labels — and a
//! small Data Matrix that needs the closer look.
//! Run: `cargo bench -p fieldtrace-core --bench decode_frame`.

use criterion::{criterion_group, criterion_main, Criterion};
use fieldtrace_core::decode::decode_frame;
use rxing::common::BitMatrix;
use rxing::{BarcodeFormat, EncodeHints, MultiFormatWriter, Writer};
use std::hint::black_box;

const WIDTH: usize = 1280;
const HEIGHT: usize = 720;
const STRIDE: usize = 1344;

/// A shaded, noisy surface (deterministic), like a crate or a table under daylight.
fn background() -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32;
    let mut luma = vec![0u8; STRIDE * HEIGHT];
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let shade = 90 + (x * 60 / WIDTH) as i32 + (y * 30 / HEIGHT) as i32;
            luma[y * STRIDE + x] = (shade + (state % 16) as i32 - 8) as u8;
        }
    }
    luma
}

/// Draws `text` as `format` on a white label at (`left`, `top`), `module` pixels per module.
fn label(luma: &mut [u8], format: BarcodeFormat, text: &str, left: usize, top: usize, module: usize) {
    let hints = EncodeHints { Margin: Some("0".into()), ..EncodeHints::default() };
    let symbol: BitMatrix =
        MultiFormatWriter.encode_with_hints(text, &format, 0, 0, &hints).expect("bench symbol encodes");
    let rows = if symbol.getHeight() == 1 { 40 } else { symbol.getHeight() as usize };
    let quiet = 8 * module;
    for y in 0..rows * module + 2 * quiet {
        for x in 0..symbol.getWidth() as usize * module + 2 * quiet {
            let (mx, my) = (x.wrapping_sub(quiet) / module, y.wrapping_sub(quiet) / module);
            let sy = if symbol.getHeight() == 1 { 0 } else { my };
            let dark = my < rows && symbol.try_get(mx as u32, sy as u32) == Some(true);
            luma[(top + y) * STRIDE + left + x] = if dark { 35 } else { 225 };
        }
    }
}

fn bench(c: &mut Criterion) {
    let empty = background();
    let mut one_label = background();
    label(&mut one_label, BarcodeFormat::QR_CODE, "https://trace.example.cn/t/7KQ2M9XD4TW", 500, 200, 4);
    let mut two_labels = one_label.clone();
    label(&mut two_labels, BarcodeFormat::EAN_13, "6901234567892", 100, 450, 3);
    let mut small_matrix = background();
    label(&mut small_matrix, BarcodeFormat::DATA_MATRIX, "0106912345678902", 800, 300, 2);

    let mut group = c.benchmark_group("decode_frame_1280x720");
    let frames = [
        ("empty", &empty, 0),
        ("qr", &one_label, 1),
        ("qr_and_ean13", &two_labels, 2),
        ("small_datamatrix", &small_matrix, 1),
    ];
    for (name, luma, expected) in frames {
        // Timing a decode that misses its codes would flatter us.
        let found = decode_frame(WIDTH as u32, HEIGHT as u32, STRIDE as u32, luma, 0).expect("valid");
        assert_eq!(found.len(), expected, "{name}: {found:?}");
        group.bench_function(name, |b| {
            b.iter(|| decode_frame(WIDTH as u32, HEIGHT as u32, STRIDE as u32, black_box(luma), 0).expect("valid"))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
