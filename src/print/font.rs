//! The printed map's one typeface, the bundled Noto Sans (it has every
//! Vietnamese letter precomposed): glyphs and advances for laying out and
//! drawing text, the same in the PDF and the PNG.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, OutlineCurve};
use unicode_normalization::UnicodeNormalization;

pub use crate::render::text::NOTO_SANS as FONT_DATA;

/// The font's PostScript-style name in the PDF.
pub const FONT_NAME: &[u8] = b"NotoSans-Regular";

/// One glyph of a laid-out run.
#[derive(Debug, Clone, PartialEq)]
pub struct Glyph {
    pub id: u16,
    /// The characters it stands for (what a PDF reader extracts).
    pub text: String,
    /// Where it starts from the run's start, in em.
    pub x: f64,
    /// Its advance in em.
    pub advance: f64,
}

pub struct PrintFont {
    font: FontRef<'static>,
}

pub fn font() -> &'static PrintFont {
    static FONT: OnceLock<PrintFont> = OnceLock::new();
    FONT.get_or_init(|| PrintFont {
        font: FontRef::try_from_slice(FONT_DATA).expect("the bundled font parses"),
    })
}

impl PrintFont {
    pub fn units_per_em(&self) -> f64 {
        self.font.units_per_em().unwrap_or(1000.0) as f64
    }

    /// A glyph's advance in em.
    pub fn advance(&self, id: u16) -> f64 {
        self.font.h_advance_unscaled(GlyphId(id)) as f64 / self.units_per_em()
    }

    pub fn ascent(&self) -> f64 {
        self.font.ascent_unscaled() as f64 / self.units_per_em()
    }

    pub fn descent(&self) -> f64 {
        self.font.descent_unscaled() as f64 / self.units_per_em()
    }

    /// The glyphs of `text` in order: composed (NFC) letters where the
    /// font has them, else the base letter and its combining marks.
    pub fn layout(&self, text: &str) -> Vec<Glyph> {
        let mut out = Vec::new();
        let mut x = 0.0;
        let mut push = |id: u16, text: String, x: &mut f64| {
            let advance = self.advance(id);
            out.push(Glyph {
                id,
                text,
                x: *x,
                advance,
            });
            *x += advance;
        };
        for c in text.nfc() {
            let id = self.font.glyph_id(c).0;
            if id != 0 || c.is_whitespace() {
                push(id, c.to_string(), &mut x);
                continue;
            }
            for d in c.to_string().nfd() {
                push(self.font.glyph_id(d).0, d.to_string(), &mut x);
            }
        }
        out
    }

    /// The width of `text` at em size `size`.
    pub fn width(&self, text: &str, size: f64) -> f64 {
        self.layout(text).iter().map(|g| g.advance).sum::<f64>() * size
    }

    /// A glyph's outline in em (y up), as line, quadratic and cubic
    /// segments; None for blank glyphs.
    pub fn outline(&self, id: u16) -> Option<Vec<Segment>> {
        let upem = self.units_per_em();
        let p = |p: ab_glyph::Point| [p.x as f64 / upem, p.y as f64 / upem];
        let outline = self.font.outline(GlyphId(id))?;
        Some(
            outline
                .curves
                .iter()
                .map(|c| match *c {
                    OutlineCurve::Line(a, b) => Segment::Line(p(a), p(b)),
                    OutlineCurve::Quad(a, b, c) => Segment::Quad(p(a), p(b), p(c)),
                    OutlineCurve::Cubic(a, b, c, d) => Segment::Cubic(p(a), p(b), p(c), p(d)),
                })
                .collect(),
        )
    }
}

/// A piece of a glyph outline: start point, control points, end point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Segment {
    Line([f64; 2], [f64; 2]),
    Quad([f64; 2], [f64; 2], [f64; 2]),
    Cubic([f64; 2], [f64; 2], [f64; 2], [f64; 2]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_letters_have_their_own_glyphs_even_when_decomposed() {
        let f = font();
        let composed = f.layout("Bản đồ");
        assert_eq!(composed.len(), 6);
        assert!(composed.iter().all(|g| g.id != 0));
        // "ả" typed as a + combining hook above is the same glyph.
        let decomposed = f.layout("Ba\u{309}n");
        assert_eq!(decomposed[1].id, composed[1].id);
        assert!(f.width("Bản đồ", 10.0) > 20.0);
        assert!(f.outline(composed[0].id).is_some());
    }
}
