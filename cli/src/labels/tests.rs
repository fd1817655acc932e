use super::*;
use fieldtrace_core::decode::decode_image;
use fieldtrace_core::payload::{parse_payload, Payload, TraceCode};
use std::collections::BTreeSet;

const HOST: &str = "trace.example.cn";

fn labels(count: usize, product: &str) -> Vec<Label> {
    mint_trace_codes(count, |_| false)
        .expect("mint")
        .into_iter()
        .map(|code| Label {
            code,
            qr: TraceQr::new(HOST, code).expect("qr"),
            product: product.to_owned(),
            lot: "K-0815".to_owned(),
        })
        .collect()
}

fn codes(labels: &[Label]) -> BTreeSet<TraceCode> {
    labels.iter().map(|l| l.code).collect()
}

#[test]
fn every_qr_on_a_png_sheet_reads_back_to_its_code() {
    let dir = tempfile::tempdir().expect("dir");
    let sheet = labels(24, "周至猕猴桃");
    let out = dir.path().join("sheet.png");
    let files = render(&sheet, Format::Png, &out, None, 200).expect("render");
    assert_eq!(files, vec![out.clone()]);
    let png = std::fs::read(&out).expect("read");
    let read: BTreeSet<TraceCode> = decode_image(&png)
        .expect("decodes")
        .iter()
        .map(|found| match parse_payload(&found.text) {
            Ok(Payload::Trace(code)) => code,
            other => panic!("{:?} is not a trace code: {other:?}", found.text),
        })
        .collect();
    assert_eq!(read, codes(&sheet));
    // The text is drawn: the area right of the first QR has ink (the product name and code).
    let image = image::load_from_memory(&png).expect("png").to_luma8();
    let px = |mm: f32| (mm * 200.0 / 25.4) as u32;
    let ink = (px(40.0)..px(70.0))
        .flat_map(|x| (px(14.0)..px(32.0)).map(move |y| (x, y)))
        .filter(|(x, y)| image.get_pixel(*x, *y).0[0] < 128)
        .count();
    assert!(ink > 500, "only {ink} dark pixels where the text should be");
}

#[test]
fn a_pdf_sheet_embeds_a_font_subset_and_its_text_extracts() {
    let dir = tempfile::tempdir().expect("dir");
    let sheet = labels(30, "红心猕猴桃");
    let out = dir.path().join("sheet.pdf");
    render(&sheet, Format::Pdf, &out, None, 300).expect("render");
    let pdf = std::fs::read(&out).expect("read");
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("/FontFile2") || raw.contains("/FontFile3"), "font embedded");
    assert!(raw.contains("/FTLABL+") && raw.contains("/Identity-H") && raw.contains("/ToUnicode"));
    assert!(pdf.len() < 200_000, "a subset, not the whole font: {} bytes", pdf.len());
    // poppler's pdftotext reads the text through the embedded font's ToUnicode map.
    let text = std::process::Command::new("pdftotext").arg(&out).arg("-").output().expect("pdftotext (poppler-utils)");
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8(text.stdout).expect("utf-8");
    assert_eq!(text.matches("红心猕猴桃").count(), 30, "{text}");
    assert_eq!(text.matches('\u{c}').count(), 2, "two pages (form feeds): {text}");
    for label in &sheet {
        assert!(text.contains(&label.code.to_string()), "{} missing", label.code);
    }
    assert!(text.contains("批次 K-0815"));
    let fonts = std::process::Command::new("pdffonts").arg(&out).output().expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout);
    assert!(fonts.contains("FTLABL+") && fonts.contains("yes yes yes"), "embedded, subset, unicode: {fonts}");
}

#[test]
fn an_svg_sheet_names_the_product_in_chinese_and_carries_every_url() {
    let dir = tempfile::tempdir().expect("dir");
    let sheet = labels(30, "芒果 <A&B>");
    let out = dir.path().join("sheet.svg");
    let files = render(&sheet, Format::Svg, &out, Some(Path::new("/no/font/needed")), 300).expect("render");
    assert_eq!(files, vec![dir.path().join("sheet-1.svg"), dir.path().join("sheet-2.svg")]);
    let first = std::fs::read_to_string(&files[0]).expect("read");
    let second = std::fs::read_to_string(&files[1]).expect("read");
    assert!(first.contains(">芒果 &lt;A&amp;B&gt;</text>") && first.contains("font-family=\"'WenQuanYi Micro Hei'"));
    assert_eq!(first.matches("<title>").count(), 24);
    assert_eq!(second.matches("<title>").count(), 6);
    for label in &sheet {
        let url = format!("https://{HOST}/t/{}", label.code.canonical());
        assert!(first.contains(&url) || second.contains(&url), "{url}");
    }
}

#[test]
fn a_missing_or_unsuitable_font_is_a_clear_error() {
    let err = LabelFont::find(Some(Path::new("/no/such/font.ttc")), "猕猴桃").err().expect("missing file");
    assert!(err.to_string().contains("/no/such/font.ttc"), "{err}");
    let latin_only = Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    if latin_only.exists() {
        let err = LabelFont::find(Some(latin_only), "猕猴桃").err().expect("no CJK glyphs");
        assert!(err.to_string().contains("has no glyph for '猕'"), "{err}");
    }
    let err = LabelFont::find_among(std::iter::empty(), "猕猴桃").err().expect("nothing installed");
    assert!(err.to_string().contains("--font PATH") && err.to_string().contains("fonts-wqy-microhei"), "{err}");
    let err = LabelFont::find_among([latin_only].into_iter(), "猕猴桃").err().expect("only latin");
    assert!(err.to_string().contains("--font PATH"), "{err}");
}
