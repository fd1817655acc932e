//! Arbitrary bytes as a camera photo: `compress_photo` must answer with a `PhotoError` or a JPEG
//! within the bounds (≤ 1280 px edge, ≤ 200 KB) named by its SHA-256 — never panic.

#![no_main]

use fieldtrace_core::photo::{compress_photo, sha256_hex, MAX_BYTES, MAX_EDGE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(photo) = compress_photo(bytes) {
        assert!(photo.jpeg.len() <= MAX_BYTES);
        assert!(photo.width.max(photo.height) <= MAX_EDGE);
        assert_eq!(photo.sha256, sha256_hex(&photo.jpeg));
    }
});
