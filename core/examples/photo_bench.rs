//! Measures photo handling and prints one JSON object:
//! `cargo run --release -p fieldtrace-core --example photo_bench`.
//!
//! - compression of 12 MP camera-like JPEGs (a smooth scene and a busy one): time, size, quality;
//! - keeping a ~190 KB photo: a file (temp + fsync + rename + folder fsync, what the store does)
//!   against a SQLite blob in a WAL database with `synchronous = FULL` (the alternative), and
//!   how much WAL the blobs leave to checkpoint.

use fieldtrace_core::photo::{compress_photo, PhotoFolder};
use image::ImageEncoder;
use std::time::Instant;

fn scene(busy: bool) -> Vec<u8> {
    let (width, height) = (4000u32, 3000u32);
    let mut state = 0x9e37_79b9_u32;
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = if busy { (state & 0x7f) as u8 } else { (state & 0x07) as u8 };
        image::Rgb([((x / 16) as u8).wrapping_add(n), ((y / 12) as u8).wrapping_add(n / 2), ((x + y) / 28) as u8 + n])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .write_image(pixels.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .expect("camera jpeg");
    jpeg
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1_000.0
}

fn main() {
    let mut out = serde_json::Map::new();
    let mut photos = Vec::new();
    for (name, busy) in [("smooth", false), ("busy", true)] {
        let input = scene(busy);
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..5 {
            let start = Instant::now();
            last = Some(compress_photo(&input).expect("compress"));
            times.push(ms(start));
        }
        let photo = last.expect("ran");
        out.insert(
            format!("compress_{name}"),
            serde_json::json!({
                "input_bytes": input.len(), "input_px": "4000x3000",
                "median_ms": median(times), "output_bytes": photo.jpeg.len(),
                "output_px": format!("{}x{}", photo.width, photo.height), "quality": photo.quality,
            }),
        );
        photos.push(photo);
    }

    // Keeping photos: 30 distinct ~190 KB JPEGs (the busy photo with one byte changed in a comment).
    let base = photos.pop().expect("busy").jpeg;
    let variants: Vec<Vec<u8>> = (0..30u8)
        .map(|i| {
            let mut v = base.clone();
            v.splice(2..2, [0xff, 0xfe, 0x00, 0x03, i]);
            v
        })
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let folder = PhotoFolder::new(dir.path().join("photos"));
    let file_ms: Vec<f64> = variants
        .iter()
        .map(|v| {
            let start = Instant::now();
            folder.write(v).expect("write");
            ms(start)
        })
        .collect();
    let conn = rusqlite::Connection::open(dir.path().join("blobs.db")).expect("db");
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(())).expect("wal");
    conn.execute_batch("PRAGMA synchronous = FULL; CREATE TABLE photos (sha256 TEXT PRIMARY KEY, body BLOB NOT NULL);")
        .expect("schema");
    let blob_ms: Vec<f64> = variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let start = Instant::now();
            conn.execute("INSERT INTO photos VALUES (?1, ?2)", rusqlite::params![i.to_string(), v]).expect("insert");
            ms(start)
        })
        .collect();
    let wal = std::fs::metadata(dir.path().join("blobs.db-wal")).map_or(0, |m| m.len());
    out.insert(
        "keep_photo".into(),
        serde_json::json!({
            "photo_bytes": base.len() + 5, "count": variants.len(),
            "file_median_ms": median(file_ms), "sqlite_blob_median_ms": median(blob_ms),
            "sqlite_wal_bytes_after": wal,
        }),
    );
    println!("{}", serde_json::Value::Object(out));
}
