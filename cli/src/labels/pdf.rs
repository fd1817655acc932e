//! PDF sheets: one A4 page per 24 labels, QR Codes as vector rectangles, text set in the CJK font
//! embedded as a subset (only the glyphs on the sheet, so a sheet is tens of KB, not the font's
//! megabytes) with a ToUnicode map, so the text can be searched and copied.

use super::font::LabelFont;
use super::sheet::{Page, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use super::LabelsError;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use std::collections::BTreeMap;
use std::io::Write as _;

const PT_PER_MM: f32 = 72.0 / 25.4;
const FONT: Name<'static> = Name(b"F1");

fn identity() -> SystemInfo<'static> {
    SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 }
}

pub fn sheet_pdf(pages: &[Page<'_>], font: &LabelFont) -> Result<Vec<u8>, LabelsError> {
    let face = font.face()?;
    // Every glyph on the sheet, renumbered for the subset; the new numbers are the CIDs we write.
    let mut remapper = subsetter::GlyphRemapper::new();
    let mut unicode: BTreeMap<u16, char> = BTreeMap::new();
    for line in pages.iter().flat_map(|p| &p.cells).flat_map(|c| &c.lines) {
        for c in line.text.chars() {
            if let Some(glyph) = face.glyph_index(c) {
                unicode.entry(remapper.remap(glyph.0)).or_insert(c);
            }
        }
    }
    let subset = subsetter::subset(&font.data, font.index, &remapper)
        .map_err(|e| LabelsError::Font(format!("{}: cannot subset: {e:?}", font.path.display())))?;
    let cff = face.tables().cff.is_some();
    let per_em = f32::from(face.units_per_em());
    let to_1000 = |units: f32| units * 1000.0 / per_em;
    let widths: Vec<f32> = remapper
        .remapped_gids()
        .map(|old| to_1000(f32::from(face.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0))))
        .collect();
    let base_name = format!("FTLABL+{}", postscript_name(&face));

    let mut pdf = Pdf::new();
    let (catalog, tree, type0, cid, descriptor, file, cmap) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6), Ref::new(7));
    let page_ids: Vec<(Ref, Ref)> =
        (0..pages.len() as i32).map(|i| (Ref::new(8 + 2 * i), Ref::new(9 + 2 * i))).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().map(|(page, _)| *page)).count(pages.len() as i32);

    pdf.type0_font(type0)
        .base_font(Name(base_name.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let mut cid_font = pdf.cid_font(cid);
    cid_font
        .subtype(if cff { CidFontType::Type0 } else { CidFontType::Type2 })
        .base_font(Name(base_name.as_bytes()))
        .system_info(identity())
        .font_descriptor(descriptor)
        .default_width(0.0);
    if !cff {
        cid_font.cid_to_gid_map_predefined(Name(b"Identity"));
    }
    cid_font.widths().consecutive(0, widths);
    cid_font.finish();
    let bbox = face.global_bounding_box();
    let mut desc = pdf.font_descriptor(descriptor);
    desc.name(Name(base_name.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            to_1000(f32::from(bbox.x_min)),
            to_1000(f32::from(bbox.y_min)),
            to_1000(f32::from(bbox.x_max)),
            to_1000(f32::from(bbox.y_max)),
        ))
        .italic_angle(0.0)
        .ascent(to_1000(f32::from(face.ascender())))
        .descent(to_1000(f32::from(face.descender())))
        .cap_height(to_1000(f32::from(face.capital_height().unwrap_or(face.ascender()))))
        .stem_v(80.0);
    if cff {
        desc.font_file3(file);
    } else {
        desc.font_file2(file);
    }
    desc.finish();
    let font_bytes = deflate(&subset)?;
    let mut font_stream = pdf.stream(file, &font_bytes);
    font_stream.filter(Filter::FlateDecode);
    if cff {
        font_stream.pair(Name(b"Subtype"), Name(b"OpenType"));
    }
    font_stream.finish();
    let mut to_unicode = UnicodeCmap::new(Name(b"FieldTrace-UCS"), identity());
    for (glyph, c) in &unicode {
        to_unicode.pair(*glyph, *c);
    }
    pdf.cmap(cmap, &to_unicode.finish());

    let (width_pt, height_pt) = (PAGE_WIDTH_MM * PT_PER_MM, PAGE_HEIGHT_MM * PT_PER_MM);
    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let content = deflate(&page_content(page, &face, &remapper, height_pt))?;
        let mut pdf_page = pdf.page(*page_id);
        pdf_page.media_box(Rect::new(0.0, 0.0, width_pt, height_pt)).parent(tree).contents(*content_id);
        pdf_page.resources().fonts().pair(FONT, type0);
        pdf_page.finish();
        pdf.stream(*content_id, &content).filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// A page's drawing operators; PDF's origin is the bottom-left corner, in points.
fn page_content(
    page: &Page<'_>,
    face: &ttf_parser::Face<'_>,
    remapper: &subsetter::GlyphRemapper,
    height_pt: f32,
) -> Vec<u8> {
    let mut content = Content::new();
    content.set_fill_gray(0.0);
    for cell in &page.cells {
        let module = cell.qr_size / cell.label.qr.side() as f32 * PT_PER_MM;
        let (left, top) = (cell.qr_x * PT_PER_MM, height_pt - cell.qr_y * PT_PER_MM);
        for (x, y, run) in cell.label.qr.dark_runs() {
            content.rect(left + x as f32 * module, top - (y + 1) as f32 * module, run as f32 * module, module);
        }
    }
    content.fill_nonzero();
    for line in page.cells.iter().flat_map(|c| &c.lines) {
        // Two bytes per glyph (Identity-H): the glyph's number in the subset.
        let cids: Vec<u8> = line
            .text
            .chars()
            .filter_map(|c| face.glyph_index(c))
            .filter_map(|g| remapper.get(g.0))
            .flat_map(u16::to_be_bytes)
            .collect();
        content.begin_text();
        content.set_font(FONT, line.size * PT_PER_MM);
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, line.x * PT_PER_MM, height_pt - line.baseline * PT_PER_MM]);
        content.show(Str(&cids));
        content.end_text();
    }
    content.finish().to_vec()
}

fn postscript_name(face: &ttf_parser::Face<'_>) -> String {
    let name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .unwrap_or_default();
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    if name.is_empty() {
        "CJKFont".to_owned()
    } else {
        name
    }
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>, LabelsError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).and_then(|_| encoder.finish()).map_err(|e| LabelsError::Output(format!("deflate: {e}")))
}
