//! The CJK font PNG and PDF sheets draw their text with: `--font PATH`, or the first installed
//! font from a list of standard places that has a glyph for every character on the sheet.
//! TrueType collections (`.ttc`, as Debian's WenQuanYi and Noto CJK ship) are searched face by face.

use super::LabelsError;
use std::path::{Path, PathBuf};

/// Where CJK fonts live: Debian/Ubuntu packages first (`fonts-wqy-microhei` is what CI installs),
/// then Fedora, macOS and Windows.
const STANDARD_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// One face of a font file, known to have every character the sheet needs.
pub struct LabelFont {
    pub path: PathBuf,
    pub data: Vec<u8>,
    /// The face's index in a collection (0 for a plain `.ttf`/`.otf`).
    pub index: u32,
}

impl LabelFont {
    /// `explicit` if given (an error if it lacks a character), otherwise the first standard font
    /// that covers `text`.
    pub fn find(explicit: Option<&Path>, text: &str) -> Result<Self, LabelsError> {
        if let Some(path) = explicit {
            let data = std::fs::read(path).map_err(|e| LabelsError::Font(format!("{}: {e}", path.display())))?;
            return Self::covering(path, data, text).map_err(LabelsError::Font);
        }
        Self::find_among(STANDARD_FONTS.iter().map(Path::new), text)
    }

    pub(super) fn find_among<'a>(candidates: impl Iterator<Item = &'a Path>, text: &str) -> Result<Self, LabelsError> {
        let mut tried = Vec::new();
        for candidate in candidates {
            let Ok(data) = std::fs::read(candidate) else { continue };
            match Self::covering(candidate, data, text) {
                Ok(font) => return Ok(font),
                Err(reason) => tried.push(reason),
            }
        }
        let found = if tried.is_empty() { String::new() } else { format!(" ({})", tried.join("; ")) };
        Err(LabelsError::Font(format!(
            "no installed font can draw {text:?}{found}: install a CJK font (Debian: apt-get install \
             fonts-wqy-microhei) or pass --font PATH to a .ttf/.otf/.ttc with Chinese glyphs"
        )))
    }

    /// The first face in `data` with a glyph for every character of `text`.
    fn covering(path: &Path, data: Vec<u8>, text: &str) -> Result<Self, String> {
        let faces = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let mut missing = None;
        for index in 0..faces {
            let Ok(face) = ttf_parser::Face::parse(&data, index) else { continue };
            match text.chars().filter(|c| !c.is_whitespace()).find(|c| face.glyph_index(*c).is_none()) {
                None => return Ok(Self { path: path.to_owned(), data, index }),
                Some(c) => missing = Some(c),
            }
        }
        Err(match missing {
            Some(c) => format!("{} has no glyph for {c:?}", path.display()),
            None => format!("{} is not a font file this program can read", path.display()),
        })
    }

    pub fn face(&self) -> Result<ttf_parser::Face<'_>, LabelsError> {
        ttf_parser::Face::parse(&self.data, self.index)
            .map_err(|e| LabelsError::Font(format!("{}: {e}", self.path.display())))
    }

    /// Width of `text` at `size` (any unit: the result is in the same unit).
    pub fn width(&self, text: &str, size: f32) -> Result<f32, LabelsError> {
        let face = self.face()?;
        let units: f32 = text
            .chars()
            .filter_map(|c| face.glyph_index(c))
            .map(|g| f32::from(face.glyph_hor_advance(g).unwrap_or(0)))
            .sum();
        Ok(units * size / f32::from(face.units_per_em()))
    }
}
