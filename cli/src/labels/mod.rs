//! `fieldtrace labels`: sheets of trace-code QR labels for a lot, as PNG, SVG or PDF.
//!
//! Codes are minted by the core (`label::mint_trace_codes`: random, checked, unique), the QR symbols
//! come from `label::TraceQr`, and this module lays them out on A4 (`sheet`) and writes the format
//! asked for. Chinese product names need a CJK font for PNG and PDF (`font`); SVG names font
//! families and leaves drawing to the printing program. Rules: `docs/labels.md`.

mod font;
mod pdf;
mod png;
mod sheet;
mod svg;

pub use font::LabelFont;

use clap::Args;
use fieldtrace_core::label::{mint_trace_codes, LabelError, TraceQr};
use fieldtrace_core::model::LotId;
use fieldtrace_core::sync::enrollment;
use fieldtrace_core::Store;
use sheet::Label;
use std::path::{Path, PathBuf};

/// Most labels in one run (about 420 pages).
pub const MAX_LABELS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("{0}")]
    Input(String),
    #[error("font: {0}")]
    Font(String),
    #[error("{0}")]
    Output(String),
    #[error(transparent)]
    Label(#[from] LabelError),
    #[error("store: {0}")]
    Store(#[from] fieldtrace_core::Error),
}

#[derive(Args)]
pub struct LabelsArgs {
    /// The lot the labels are for.
    #[arg(long)]
    lot: String,
    /// How many labels (24 fill one A4 sheet).
    #[arg(long, default_value_t = 24)]
    count: usize,
    /// Output file: .png, .svg or .pdf (PNG/SVG with several pages: NAME-1.png, NAME-2.png …).
    #[arg(long)]
    out: PathBuf,
    /// Product name printed on the labels; by default the lot's `product` in --store.
    #[arg(long)]
    product: Option<String>,
    /// A device store that knows the lot (and, if enrolled, the server host for the QR URL);
    /// minted codes also avoid every code it has seen.
    #[arg(long)]
    store: Option<PathBuf>,
    /// Host of the trace page in each QR (https://HOST/t/CODE); by default the store's server.
    #[arg(long)]
    host: Option<String>,
    /// A .ttf/.otf/.ttc font with Chinese glyphs (PNG and PDF); by default a standard CJK font.
    #[arg(long)]
    font: Option<PathBuf>,
    /// PNG resolution in dots per inch.
    #[arg(long, default_value_t = 300)]
    dpi: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
    Pdf,
}

/// What a run printed: the codes, in sheet order, and the files written.
pub struct Printed {
    pub codes: Vec<String>,
    pub files: Vec<PathBuf>,
    pub product: String,
}

pub fn run(args: LabelsArgs) -> Result<Printed, LabelsError> {
    let format = match args.out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Format::Png,
        Some("svg") => Format::Svg,
        Some("pdf") => Format::Pdf,
        _ => return Err(LabelsError::Input(format!("--out {}: use a .png, .svg or .pdf file", args.out.display()))),
    };
    if !(1..=MAX_LABELS).contains(&args.count) {
        return Err(LabelsError::Input(format!("--count {}: 1 to {MAX_LABELS} labels", args.count)));
    }
    if !(72..=1200).contains(&args.dpi) {
        return Err(LabelsError::Input(format!("--dpi {}: 72 to 1200", args.dpi)));
    }
    // Only read: a mistyped path must not leave a new empty database behind.
    if let Some(path) = args.store.as_ref().filter(|p| !p.exists()) {
        return Err(LabelsError::Input(format!("--store {}: no such file", path.display())));
    }
    let store = args.store.as_ref().map(Store::open).transpose()?;
    let product = match (&args.product, &store) {
        (Some(product), _) => product.clone(),
        (None, Some(store)) => {
            store.lot(&LotId::new(&args.lot))?.map(|lot| lot.product).filter(|p| !p.is_empty()).ok_or_else(|| {
                LabelsError::Input(format!("lot {} has no product in --store; pass --product", args.lot))
            })?
        }
        (None, None) => return Err(LabelsError::Input("pass --product, or --store with the lot".into())),
    };
    let host = match (&args.host, &store) {
        (Some(host), _) => host.clone(),
        (None, Some(store)) => enrolled_host(store)?,
        (None, None) => return Err(LabelsError::Input("pass --host (the trace page's host in each QR)".into())),
    };
    let taken = |code: fieldtrace_core::payload::TraceCode| {
        let key = format!("t/{}", code.canonical());
        store.as_ref().is_some_and(|s| s.code_summary(&key).is_ok_and(|c| c.event_count > 0))
    };
    let codes = mint_trace_codes(args.count, taken)?;
    let labels = codes
        .iter()
        .map(|code| {
            Ok(Label { code: *code, qr: TraceQr::new(&host, *code)?, product: product.clone(), lot: args.lot.clone() })
        })
        .collect::<Result<Vec<_>, LabelError>>()?;
    let files = render(&labels, format, &args.out, args.font.as_deref(), args.dpi)?;
    Ok(Printed { codes: codes.iter().map(ToString::to_string).collect(), files, product })
}

fn enrolled_host(store: &Store) -> Result<String, LabelsError> {
    let enrolled = enrollment(store).map_err(|e| LabelsError::Input(e.to_string()))?;
    let server = enrolled.map(|e| e.server).ok_or_else(|| {
        LabelsError::Input("--store is not enrolled with a server: pass --host (the trace page's host)".into())
    })?;
    let host = server.host_str().unwrap_or_default().to_owned();
    Ok(match server.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Lays the labels out and writes them; returns the files written.
pub fn render(
    labels: &[Label],
    format: Format,
    out: &Path,
    font: Option<&Path>,
    dpi: u32,
) -> Result<Vec<PathBuf>, LabelsError> {
    let write = |path: &Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| LabelsError::Output(format!("{}: {e}", path.display())))
    };
    if format == Format::Svg {
        let pages = sheet::layout(labels, &sheet::estimated_width);
        let files = page_files(out, pages.len());
        for (page, path) in pages.iter().zip(&files) {
            write(path, svg::page_svg(page).as_bytes())?;
        }
        return Ok(files);
    }
    let all_text: String = sheet::layout(labels, &sheet::estimated_width)
        .iter()
        .flat_map(|p| &p.cells)
        .flat_map(|c| &c.lines)
        .map(|l| l.text.as_str())
        .collect();
    let font = LabelFont::find(font, &all_text)?;
    let measure = |text: &str, size: f32| font.width(text, size).unwrap_or_else(|_| sheet::estimated_width(text, size));
    let pages = sheet::layout(labels, &measure);
    if format == Format::Pdf {
        write(out, &pdf::sheet_pdf(&pages, &font)?)?;
        return Ok(vec![out.to_owned()]);
    }
    let files = page_files(out, pages.len());
    for (page, path) in pages.iter().zip(&files) {
        write(path, &png::page_png(page, &font, dpi)?)?;
    }
    Ok(files)
}

/// `out` for one page; `stem-1.ext`, `stem-2.ext` … for several.
fn page_files(out: &Path, pages: usize) -> Vec<PathBuf> {
    if pages == 1 {
        return vec![out.to_owned()];
    }
    let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("labels");
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("");
    (1..=pages).map(|n| out.with_file_name(format!("{stem}-{n}.{ext}"))).collect()
}

#[cfg(test)]
mod tests;
