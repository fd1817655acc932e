//! PNG sheets: each page rasterized at the printer's resolution, the text drawn with the CJK font's
//! outlines (ab_glyph), QR modules on whole pixels so they stay crisp.

use super::font::LabelFont;
use super::sheet::{Page, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use super::LabelsError;
use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};

const MM_PER_INCH: f32 = 25.4;

pub fn page_png(page: &Page<'_>, font: &LabelFont, dpi: u32) -> Result<Vec<u8>, LabelsError> {
    let px_per_mm = dpi as f32 / MM_PER_INCH;
    let px = |mm: f32| (mm * px_per_mm).round() as i64;
    let (width, height) = (px(PAGE_WIDTH_MM) as u32, px(PAGE_HEIGHT_MM) as u32);
    let mut image = GrayImage::from_pixel(width, height, Luma([255]));
    let face = FontRef::try_from_slice_and_index(&font.data, font.index)
        .map_err(|e| LabelsError::Font(format!("{}: {e}", font.path.display())))?;
    for cell in &page.cells {
        let qr = &cell.label.qr;
        let box_px = px(cell.qr_size);
        let module = (box_px / i64::from(qr.side())).max(1);
        // Centre the whole-pixel symbol in its box.
        let left = px(cell.qr_x) + (box_px - module * i64::from(qr.side())) / 2;
        let top = px(cell.qr_y) + (box_px - module * i64::from(qr.side())) / 2;
        for (x, y, run) in qr.dark_runs() {
            fill(
                &mut image,
                left + i64::from(x) * module,
                top + i64::from(y) * module,
                i64::from(run) * module,
                module,
            );
        }
        for line in &cell.lines {
            draw_text(
                &mut image,
                &face,
                &line.text,
                px_per_mm * line.x,
                px_per_mm * line.baseline,
                px_per_mm * line.size,
            );
        }
    }
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| LabelsError::Output(format!("PNG encoding: {e}")))?;
    Ok(png)
}

fn fill(image: &mut GrayImage, x: i64, y: i64, w: i64, h: i64) {
    for py in y.max(0)..(y + h).min(i64::from(image.height())) {
        for px in x.max(0)..(x + w).min(i64::from(image.width())) {
            image.put_pixel(px as u32, py as u32, Luma([0]));
        }
    }
}

fn draw_text(image: &mut GrayImage, face: &FontRef<'_>, text: &str, x: f32, baseline: f32, size_px: f32) {
    let scaled = face.as_scaled(PxScale::from(size_px));
    let mut pen = x;
    for c in text.chars() {
        let id = face.glyph_id(c);
        let glyph = id.with_scale_and_position(size_px, point(pen, baseline));
        pen += scaled.h_advance(id);
        let Some(outline) = face.outline_glyph(glyph) else { continue };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let (px, py) = (bounds.min.x as i64 + i64::from(gx), bounds.min.y as i64 + i64::from(gy));
            if px < 0 || py < 0 || px >= i64::from(image.width()) || py >= i64::from(image.height()) {
                return;
            }
            let ink = (255.0 * (1.0 - coverage.clamp(0.0, 1.0))) as u8;
            let pixel = image.get_pixel_mut(px as u32, py as u32);
            pixel.0[0] = pixel.0[0].min(ink);
        });
    }
}
