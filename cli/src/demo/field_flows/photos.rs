//! Photos for the demo, drawn in code (no binary files in the repository): a bruised kiwi on a
//! grey sorting table, and a signed delivery note. Deterministic, so every demo run produces the
//! same bytes and hashes.

use image::{Rgb, RgbImage};

/// A small deterministic noise source (xorshift), for texture.
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 % 1000) as f32 / 1000.0
    }
}

fn encode(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding an in-memory RGB image cannot fail; an empty photo would be refused by save_photo.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 88).encode_image(image);
    out
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0);
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t]
}

fn pixel(c: [f32; 3]) -> Rgb<u8> {
    Rgb(c.map(|v| v.clamp(0.0, 255.0) as u8))
}

/// Two kiwis on a grey table, one cut open (green flesh, a ring of black seeds), the whole one
/// with a dark, soft-edged bruise; lit from the upper left.
pub fn bruised_kiwi_jpeg() -> Vec<u8> {
    let (w, h) = (960u32, 720u32);
    let mut noise = Noise(0x5EED_2026);
    let image = RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let grain = noise.next();
        let table = mix([176.0, 178.0, 172.0], [120.0, 122.0, 118.0], fy / h as f32 + grain * 0.05);
        // Whole kiwi: an ellipse centred at (360, 380).
        let (dx, dy) = ((fx - 360.0) / 230.0, (fy - 380.0) / 170.0);
        let r = dx * dx + dy * dy;
        if r <= 1.0 {
            let light = 1.0 - ((fx - 300.0) / 400.0 + (fy - 320.0) / 400.0).max(0.0) * 0.6;
            let skin = mix([139.0, 104.0, 60.0], [96.0, 70.0, 38.0], grain * 0.5 + r * 0.4);
            let mut c = skin.map(|v| v * light);
            // The bruise: dark, purplish, soft-edged, with a wet sheen at its centre.
            let (bx, by) = ((fx - 430.0) / 80.0, (fy - 420.0) / 60.0);
            let b = bx * bx + by * by;
            if b < 1.6 {
                c = mix(c, [62.0, 40.0, 34.0], (1.6 - b) / 1.2);
                if b < 0.15 {
                    c = mix(c, [110.0, 90.0, 80.0], 0.4);
                }
            }
            return pixel(c);
        }
        if r <= 1.08 {
            return pixel([70.0, 52.0, 30.0]); // shadowed rim
        }
        // The cut half: a circle at (720, 300).
        let (cx, cy) = (fx - 720.0, fy - 300.0);
        let d = (cx * cx + cy * cy).sqrt();
        if d < 170.0 {
            if d > 160.0 {
                return pixel([110.0, 84.0, 48.0]); // skin edge
            }
            if d < 38.0 {
                return pixel(mix([236.0, 238.0, 205.0], [220.0, 226.0, 180.0], grain));
                // pale core
            }
            let angle = cy.atan2(cx);
            let ray = ((angle * 18.0).sin() * 0.5 + 0.5) * 0.25;
            let seed = (55.0..75.0).contains(&d) && (angle * 24.0).sin() > 0.55;
            if seed {
                return pixel([25.0, 22.0, 18.0]);
            }
            return pixel(mix([118.0, 170.0, 52.0], [160.0, 200.0, 90.0], ray + (d / 160.0) * 0.3 + grain * 0.1));
        }
        // Soft shadows beside the fruit.
        let shadow = ((fx - 390.0) / 250.0).powi(2) + ((fy - 410.0) / 185.0).powi(2);
        pixel(table.map(|v| if shadow < 1.25 { v * 0.78 } else { v }))
    });
    encode(&image)
}

/// A delivery note on a clipboard: printed lines, a stamp and a handwritten signature.
pub fn delivery_note_jpeg() -> Vec<u8> {
    let (w, h) = (720u32, 960u32);
    let mut noise = Noise(0x0815_0001);
    let image = RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let grain = noise.next();
        let inside_paper = (70.0..650.0).contains(&fx) && (90.0..890.0).contains(&fy);
        if !inside_paper {
            return pixel(mix([120.0, 84.0, 50.0], [100.0, 70.0, 40.0], grain)); // the clipboard
        }
        let paper = mix([246.0, 244.0, 236.0], [232.0, 230.0, 220.0], fy / h as f32 + grain * 0.08);
        // Printed rows: a heading bar and ruled lines with "text" dashes.
        if (130.0..160.0).contains(&fy) && (120.0..600.0).contains(&fx) {
            return pixel([40.0, 40.0, 48.0]);
        }
        let row = ((fy - 220.0) / 56.0).floor();
        let in_row = (fy - 220.0).rem_euclid(56.0);
        if (0.0..10.0).contains(&row) && (18.0..28.0).contains(&in_row) {
            let words = ((fx / 23.0).floor() as i32 + row as i32 * 3) % 7 != 0;
            if (110.0..(560.0 - row * 17.0)).contains(&fx) && words {
                return pixel([70.0, 72.0, 80.0]);
            }
        }
        if (0.0..10.0).contains(&row) && in_row > 52.0 {
            return pixel([200.0, 200.0, 205.0]);
        }
        // The red co-op stamp: a ring.
        let (sx, sy) = (fx - 500.0, fy - 780.0);
        let sd = (sx * sx + sy * sy).sqrt();
        if (58.0..66.0).contains(&sd) || ((sx * 0.5).abs() < 20.0 && sy.abs() < 4.0) {
            return pixel(mix([200.0, 40.0, 40.0], paper, 0.2 + grain * 0.3));
        }
        // The signature: a looping blue stroke.
        let t = (fx - 140.0) / 220.0;
        if (0.0..1.0).contains(&t) {
            let curve = 800.0 + (t * 19.0).sin() * 22.0 + (t * 5.0).cos() * 14.0 - t * 30.0;
            if (fy - curve).abs() < 3.2 {
                return pixel([30.0, 50.0, 140.0]);
            }
        }
        pixel(paper)
    });
    encode(&image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drawings_are_jpegs_the_phone_accepts_and_stay_the_same() {
        for (bytes, size) in [(bruised_kiwi_jpeg(), (960, 720)), (delivery_note_jpeg(), (720, 960))] {
            let decoded = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg).expect("a JPEG");
            assert_eq!((decoded.width(), decoded.height()), size);
            let compressed = fieldtrace_core::photo::compress_photo(&bytes).expect("the phone keeps it");
            assert!(compressed.jpeg.len() <= 200_000);
        }
        assert_eq!(bruised_kiwi_jpeg(), bruised_kiwi_jpeg(), "deterministic");
    }
}
