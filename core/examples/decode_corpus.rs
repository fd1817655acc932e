//! Measures decode strategies on a corpus made by `shared/barcode-corpus/gen.py`: recall per
//! format, false positives, median and p95 decode time, each image decoded to luma once.
//!
//!     cargo run --release -p fieldtrace-core --example decode_corpus -- CORPUS_DIR [STRATEGY...]

use fieldtrace_core::decode::{image_luma, DecodeOptions, Formats, Pass, Rotation};
use std::collections::BTreeMap;
use std::time::Instant;

fn strategies() -> Vec<(&'static str, DecodeOptions)> {
    let full = Pass::full();
    vec![
        ("live", DecodeOptions::live()),
        ("photo", DecodeOptions::photo()),
        ("glance", DecodeOptions { passes: vec![Pass::glance()] }),
        ("full-nohard", DecodeOptions { passes: vec![Pass { try_harder: false, ..full }] }),
        ("full-step4", DecodeOptions { passes: vec![Pass { line_step: 4, ..full }] }),
        ("full-step16", DecodeOptions { passes: vec![Pass { line_step: 16, ..full }] }),
        ("full-dm-everywhere", DecodeOptions { passes: vec![Pass { data_matrix_in_print_spots: false, ..full }] }),
        ("full-noenlarge", DecodeOptions { passes: vec![Pass { enlarge_unread_print: false, ..full }] }),
        ("full-rxingrows", DecodeOptions { passes: vec![Pass { line_upsample: 0, ..full }] }),
        ("full-up2", DecodeOptions { passes: vec![Pass { line_upsample: 2, ..full }] }),
        ("half", DecodeOptions { passes: vec![Pass { downscale: 2, line_step: 4, ..full }] }),
        ("half-then-full", DecodeOptions { passes: vec![Pass { downscale: 2, line_step: 4, ..full }, full] }),
        ("qr-only", DecodeOptions { passes: vec![Pass { formats: Formats { qr_code: true, ..NONE }, ..full }] }),
        ("dm-only", DecodeOptions { passes: vec![Pass { formats: Formats { data_matrix: true, ..NONE }, ..full }] }),
        (
            "1d-only",
            DecodeOptions {
                passes: vec![Pass { formats: Formats { ean_upc: true, code128: true, itf: true, ..NONE }, ..full }],
            },
        ),
    ]
}

const NONE: Formats = Formats { qr_code: false, data_matrix: false, ean_upc: false, code128: false, itf: false };

fn norm(text: &str) -> String {
    let b = text.as_bytes();
    let stripped = if b.len() >= 3 && b[0] == b']' && b[1].is_ascii_alphabetic() && b[2].is_ascii_digit() {
        &text[3..]
    } else {
        text
    };
    stripped.replace('\u{1d}', "")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let corpus = args.first().ok_or("usage: decode_corpus CORPUS_DIR [STRATEGY...]")?;
    let wanted: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    let truth = std::fs::read_to_string(format!("{corpus}/truth.jsonl"))?;
    let mut frames = Vec::new();
    for line in truth.lines().filter(|l| !l.trim().is_empty()) {
        let row: serde_json::Value = serde_json::from_str(line)?;
        let file = row["file"].as_str().ok_or("file")?.to_owned();
        if std::env::var("ONLY").is_ok_and(|only| !only.split(',').any(|f| f == file)) {
            continue;
        }
        let codes: Vec<(String, String)> = row["codes"]
            .as_array()
            .ok_or("codes")?
            .iter()
            .map(|c| (c["format"].as_str().unwrap_or("").to_owned(), norm(c["text"].as_str().unwrap_or(""))))
            .collect();
        let luma = image_luma(&std::fs::read(format!("{corpus}/{file}"))?)?;
        frames.push((file, codes, luma));
    }
    let mut all = strategies();
    // `p:DOWNSCALE:STEP:UPSAMPLE:HARD:FORMATS[,p:…]` runs those passes in order; FORMATS is a
    // subset of `qdec i` letters (QR, DataMatrix, EAN/UPC, Code 128, ITF).
    let custom: Vec<(&'static str, DecodeOptions)> = wanted
        .iter()
        .filter(|w| w.starts_with("p:"))
        .map(|w| (&*String::leak(w.to_string()), DecodeOptions { passes: w.split(',').map(parse_pass).collect() }))
        .collect();
    all.extend(custom);
    for (name, options) in all {
        if !wanted.is_empty() && !wanted.contains(&name) {
            continue;
        }
        let mut times = Vec::new();
        let mut per_format: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut false_positives = 0;
        for (file, codes, luma) in &frames {
            let frame = luma.frame()?;
            let start = Instant::now();
            let found = options.decode(&frame, Rotation::Upright);
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            let got: Vec<String> = found.iter().map(|c| norm(&c.text)).collect();
            for (format, text) in codes {
                let hit = got.contains(text);
                for key in [format.as_str(), "all"] {
                    let entry = per_format.entry(key.to_owned()).or_default();
                    entry.0 += usize::from(hit);
                    entry.1 += 1;
                }
            }
            let extra: Vec<&String> = got.iter().filter(|g| !codes.iter().any(|(_, t)| t == *g)).collect();
            if !extra.is_empty() && std::env::var_os("SHOW_FP").is_some() {
                eprintln!("{file}: false positive {extra:?}");
            }
            false_positives += extra.len();
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
        let recall: Vec<String> =
            per_format.iter().map(|(k, (h, n))| format!("{k} {:.3}", *h as f64 / *n as f64)).collect();
        println!("{name:16} median {median:6.1} ms  p95 {p95:6.1} ms  fp {false_positives}  {}", recall.join("  "));
    }
    Ok(())
}

fn parse_pass(spec: &str) -> Pass {
    let parts: Vec<&str> = spec.split(':').collect();
    let number = |i: usize, default: usize| parts.get(i).and_then(|p| p.parse().ok()).unwrap_or(default);
    let letters = parts.get(5).copied().unwrap_or("qdeci");
    Pass {
        downscale: number(1, 1),
        line_step: number(2, 4),
        line_upsample: number(3, 1),
        try_harder: number(4, 1) == 1,
        formats: Formats {
            qr_code: letters.contains('q'),
            data_matrix: letters.contains('d'),
            ean_upc: letters.contains('e'),
            code128: letters.contains('c'),
            itf: letters.contains('i'),
        },
        both_directions: true,
        enlarge_unread_print: number(6, 1) == 1,
        data_matrix_in_print_spots: number(7, 1) == 1,
    }
}
