//! Arbitrary dimensions, strides, rotations and pixels: `decode_frame` must refuse a buffer that
//! does not match its dimensions and never panic or read out of bounds on one that does.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, u8, u16, u16, bool, &[u8])| {
    let (width, stride_extra, claimed_height, rotation, fit, luma) = input;
    let width = u32::from(width % 1024);
    let row_stride = width + u32::from(stride_extra % 48);
    // Half the runs use as many rows as the buffer holds, so the decoders themselves run on
    // arbitrary pixels; the other half claim any height, mostly more than the buffer holds.
    let height = match (fit, row_stride) {
        (true, 0) => 0,
        (true, stride) => (luma.len() as u64 / u64::from(stride)).min(4096) as u32,
        (false, _) => u32::from(claimed_height),
    };
    let rotation = [0, 90, 180, 270, u32::from(rotation)][usize::from(rotation % 5)];
    let result = fieldtrace_core::decode::decode_frame(width, height, row_stride, luma, rotation);
    let needed = u64::from(row_stride) * u64::from(height.saturating_sub(1)) + u64::from(width);
    if needed > luma.len() as u64 {
        assert!(result.is_err(), "a {width}×{height}/{row_stride} frame cannot fit {} bytes", luma.len());
    }
});
