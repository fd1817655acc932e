//! `fieldtrace decode`: reads barcodes in JPEG/PNG files with the same core decoder the apps use.
//!
//! `--json` prints one line per file, `{"file", "codes": [{"format", "text"}], "micros"}`, with
//! `micros` the decode alone (not reading the file or decoding the JPEG/PNG), so it compares with
//! other decoders timed the same way. A file that cannot be read gets an `"error"` and the rest
//! still run: one bad photo must not hide the others' results.

use fieldtrace_core::decode::{image_luma, DecodeOptions, DecodedCode, Rotation};
use fieldtrace_core::payload::{parse_payload, Payload};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What one file gave.
struct FileResult {
    codes: Vec<DecodedCode>,
    micros: u128,
}

fn decode_file(path: &Path, options: &DecodeOptions) -> Result<FileResult, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let luma = image_luma(&bytes).map_err(|e| e.to_string())?;
    let frame = luma.frame().map_err(|e| e.to_string())?;
    let start = Instant::now();
    let codes = options.decode(&frame, Rotation::Upright);
    Ok(FileResult { codes, micros: start.elapsed().as_micros() })
}

/// Runs the subcommand; every file is reported, so this never fails.
pub fn run(files: &[PathBuf], as_json: bool) {
    let options = DecodeOptions::photo();
    if !as_json {
        println!("{:<28} {:<10} {:>9}  {:<40} payload", "file", "format", "ms", "text");
    }
    for path in files {
        let result = decode_file(path, &options);
        if as_json {
            println!("{}", json_line(path, &result));
        } else {
            print_rows(path, &result);
        }
    }
}

fn json_line(path: &Path, result: &Result<FileResult, String>) -> serde_json::Value {
    let file = path.to_string_lossy();
    match result {
        Ok(r) => {
            let codes: Vec<_> = r.codes.iter().map(|c| json!({"format": c.format.name(), "text": c.text})).collect();
            json!({"file": file, "codes": codes, "micros": r.micros})
        }
        Err(error) => json!({"file": file, "codes": [], "error": error}),
    }
}

fn print_rows(path: &Path, result: &Result<FileResult, String>) {
    let file = path.to_string_lossy();
    match result {
        Err(error) => println!("{file:<28} error: {error}"),
        Ok(r) if r.codes.is_empty() => println!("{file:<28} {:<10} {:>9.1}  (no code)", "-", r.micros as f64 / 1000.0),
        Ok(r) => {
            for code in &r.codes {
                // GS separators are invisible on a terminal; show where they are.
                let text = code.text.replace('\u{1D}', "<GS>");
                let ms = r.micros as f64 / 1000.0;
                println!("{file:<28} {:<10} {ms:>9.1}  {text:<40} {}", code.format.name(), describe(&code.text));
            }
        }
    }
}

/// The parsed payload in a line: its kind and the key events would be filed under.
fn describe(text: &str) -> String {
    match parse_payload(text) {
        Ok(Payload::Gs1(gs1)) => format!("GS1 {}", gs1.key.canonical_path()),
        Ok(Payload::Product { gtin, .. }) => format!("product GTIN {gtin}"),
        Ok(Payload::Trace(code)) => format!("trace code {code}"),
        Ok(Payload::Unrecognized(_)) => "unrecognized".to_owned(),
        Err(e) => format!("invalid: {e}"),
    }
}
