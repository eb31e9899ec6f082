//! Text drawn into offscreen images (labels of `tramgis render`), with the
//! bundled Noto Sans, which has every Vietnamese letter precomposed, so no
//! shaping engine is needed for Vietnamese.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use super::headless::Image;
use super::labels::{LabelSet, Screen, place};
use super::{Rgba, View};

/// Noto Sans Regular (SIL OFL, assets/NotoSans-LICENSE.txt): the window's
/// font and the offscreen labels'.
pub static NOTO_SANS: &[u8] = include_bytes!("../../assets/NotoSans-Regular.ttf");

pub struct TextPainter {
    font: FontRef<'static>,
    scale: PxScale,
}

impl TextPainter {
    /// Text `px` pixels high (the font's ascent to descent).
    pub fn new(px: f32) -> Self {
        TextPainter {
            font: FontRef::try_from_slice(NOTO_SANS).expect("the bundled font parses"),
            scale: PxScale::from(px),
        }
    }

    /// Width and height of a line of text in pixels.
    pub fn measure(&self, text: &str) -> [f32; 2] {
        let f = self.font.as_scaled(self.scale);
        let mut width = 0.0;
        let mut previous = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = previous {
                width += f.kern(p, id);
            }
            width += f.h_advance(id);
            previous = Some(id);
        }
        [width, f.ascent() - f.descent()]
    }

    /// Draws a line of text with its top-left corner at `top_left`, ringed
    /// by a one-pixel halo so that it reads over any fill.
    pub fn draw(&self, image: &mut Image, top_left: [f32; 2], text: &str, color: Rgba, halo: Rgba) {
        for (dx, dy) in [
            (-1.0, 0.0),
            (1.0, 0.0),
            (0.0, -1.0),
            (0.0, 1.0),
            (-1.0, -1.0),
            (1.0, 1.0),
            (-1.0, 1.0),
            (1.0, -1.0),
        ] {
            self.draw_once(image, [top_left[0] + dx, top_left[1] + dy], text, halo);
        }
        self.draw_once(image, top_left, text, color);
    }

    fn draw_once(&self, image: &mut Image, top_left: [f32; 2], text: &str, color: Rgba) {
        let f = self.font.as_scaled(self.scale);
        let mut x = top_left[0];
        let baseline = top_left[1] + f.ascent();
        let mut previous = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = previous {
                x += f.kern(p, id);
            }
            let glyph = id.with_scale_and_position(self.scale, ab_glyph::point(x, baseline));
            x += f.h_advance(id);
            previous = Some(id);
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            outline.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                blend(image, px, py, color, coverage);
            });
        }
    }
}

/// Label size in pixels, as in the window.
const LABEL_PX: f32 = 14.0;
const LABEL_COLOUR: Rgba = [20, 20, 20, 255];
const HALO_COLOUR: Rgba = [255, 255, 255, 255];

/// Places and draws the layers' labels (top layer first) over an image of
/// `view`, by the window's rules (see `labels::place`); returns how many
/// were drawn.
pub fn draw_labels(image: &mut Image, layers_top_first: &[&LabelSet], view: &View) -> usize {
    let painter = TextPainter::new(LABEL_PX);
    let screen = Screen {
        centre: view.centre,
        resolution: view.resolution,
        size: [view.width as f32, view.height as f32],
    };
    let placed = place(layers_top_first, screen, |t| painter.measure(t));
    for p in &placed {
        painter.draw(image, p.top_left, p.text, LABEL_COLOUR, HALO_COLOUR);
    }
    placed.len()
}

/// Lays `color` over the pixel at `coverage` (0..1) of its alpha.
fn blend(image: &mut Image, x: i64, y: i64, color: Rgba, coverage: f32) {
    if x < 0 || y < 0 || x >= i64::from(image.width) || y >= i64::from(image.height) {
        return;
    }
    let a = coverage.clamp(0.0, 1.0) * f32::from(color[3]) / 255.0;
    let i = ((y as usize) * image.width as usize + x as usize) * 4;
    for (under, over) in image.pixels[i..i + 3].iter_mut().zip(color) {
        *under = (f32::from(*under) + (f32::from(over) - f32::from(*under)) * a).round() as u8;
    }
    let under = f32::from(image.pixels[i + 3]);
    image.pixels[i + 3] = (under + (255.0 - under) * a).round() as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_text_is_measured_and_drawn_with_its_marks() {
        let painter = TextPainter::new(14.0);
        let plain = painter.measure("Thon");
        let marked = painter.measure("Thôn Đông Ưởng");
        assert!(plain[0] > 20.0 && plain[1] >= 14.0, "{plain:?}");
        assert!(marked[0] > plain[0] * 2.0);
        let mut image = Image {
            width: 160,
            height: 30,
            pixels: vec![255; 160 * 30 * 4],
        };
        painter.draw(&mut image, [4.0, 4.0], "Ưởng", [20, 20, 20, 255], [255; 4]);
        let dark = image.pixels.chunks_exact(4).filter(|p| p[0] < 100).count();
        assert!(dark > 40, "{dark} dark pixels");
        // The hook and the dot of ở sit above the x-height: ink in the top
        // rows, where "ong" alone would leave none.
        let top_rows = image.pixels[..160 * 10 * 4]
            .chunks_exact(4)
            .filter(|p| p[0] < 100)
            .count();
        assert!(top_rows > 0);
    }
}
