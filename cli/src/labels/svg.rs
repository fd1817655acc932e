//! SVG sheets: vector QR Codes and text that names its font families, so the printing program
//! draws the Chinese with whatever CJK font it has (no font is embedded).

use super::sheet::{Page, PAGE_HEIGHT_MM, PAGE_WIDTH_MM};
use std::fmt::Write as _;

const FONT_FAMILIES: &str = "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', \
                             'Microsoft YaHei', sans-serif";

/// One SVG document per page, sized in millimetres.
pub fn page_svg(page: &Page<'_>) -> String {
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE_WIDTH_MM}mm\" height=\"{PAGE_HEIGHT_MM}mm\" \
         viewBox=\"0 0 {PAGE_WIDTH_MM} {PAGE_HEIGHT_MM}\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
    );
    for cell in &page.cells {
        let module = cell.qr_size / cell.label.qr.side() as f32;
        let _ = writeln!(
            svg,
            "<g><title>{}</title><path fill=\"#000\" shape-rendering=\"crispEdges\" \
             transform=\"translate({} {}) scale({module})\" d=\"{}\"/>",
            escape(cell.label.qr.url()),
            cell.qr_x,
            cell.qr_y,
            cell.label.qr.svg_path()
        );
        for line in &cell.lines {
            let _ = writeln!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" font-family=\"{FONT_FAMILIES}\">{}</text>",
                line.x,
                line.baseline,
                line.size,
                escape(&line.text)
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
