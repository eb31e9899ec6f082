//! The PNG back end: the display list rasterized on the CPU (tiny-skia for
//! paths, the font's own glyph outlines for text), so printing needs no
//! GPU. The same list, the same glyphs as the PDF.

use std::io::{BufWriter, Write};
use std::path::Path;

use tiny_skia::{FillRule, LineCap, LineJoin, Mask, Paint, PathBuilder, Pixmap, Stroke, Transform};

use crate::jobs::Progress;
use crate::render::Rgba;

use super::font::{Segment, font};
use super::page::{Anchor, Item, Page, PathItem, TextItem};
use super::paper::pixels;
use super::{PrintError, Result};

/// The page drawn at `dpi` on white.
pub fn rasterize(page: &Page, dpi: f64, progress: &Progress) -> Result<Pixmap> {
    let (w, h) = (pixels(page.width_mm, dpi), pixels(page.height_mm, dpi));
    let mut pixmap = Pixmap::new(w, h).ok_or(PrintError::TooLarge {
        width: w,
        height: h,
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let k = dpi / 25.4;
    let mut clips: Vec<Mask> = Vec::new();
    for (i, item) in page.items.iter().enumerate() {
        if i % 64 == 0 && progress.is_cancelled() {
            return Err(PrintError::Cancelled);
        }
        let clip = clips.last();
        match item {
            Item::Path(p) => draw_path(&mut pixmap, p, k, clip),
            Item::Text(t) => draw_text(&mut pixmap, t, k, clip),
            Item::BeginClip(min, max) => {
                let mut mask = Mask::new(w, h).ok_or(PrintError::TooLarge {
                    width: w,
                    height: h,
                })?;
                let rect = tiny_skia::Rect::from_ltrb(
                    (min[0] * k) as f32,
                    (min[1] * k) as f32,
                    (max[0] * k) as f32,
                    (max[1] * k) as f32,
                );
                if let Some(r) = rect {
                    mask.fill_path(
                        &PathBuilder::from_rect(r),
                        FillRule::Winding,
                        true,
                        Transform::identity(),
                    );
                }
                clips.push(mask);
            }
            Item::EndClip => {
                clips.pop();
            }
        }
    }
    Ok(pixmap)
}

fn paint(c: Rgba) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c[0], c[1], c[2], c[3]);
    p.anti_alias = true;
    p
}

fn draw_path(pixmap: &mut Pixmap, p: &PathItem, k: f64, clip: Option<&Mask>) {
    let mut b = PathBuilder::new();
    for part in &p.parts {
        let Some(first) = part.first() else { continue };
        b.move_to((first[0] * k) as f32, (first[1] * k) as f32);
        for q in &part[1..] {
            b.line_to((q[0] * k) as f32, (q[1] * k) as f32);
        }
        if p.closed {
            b.close();
        }
    }
    let Some(path) = b.finish() else { return };
    if let Some(c) = p.fill.filter(|c| c[3] > 0) {
        pixmap.fill_path(
            &path,
            &paint(c),
            FillRule::Winding,
            Transform::identity(),
            clip,
        );
    }
    if let Some((c, width)) = p.stroke.filter(|(c, _)| c[3] > 0) {
        let stroke = Stroke {
            width: ((width * k) as f32).max(0.5),
            line_cap: LineCap::Round,
            line_join: LineJoin::Round,
            ..Stroke::default()
        };
        pixmap.stroke_path(&path, &paint(c), &stroke, Transform::identity(), clip);
    }
}

fn draw_text(pixmap: &mut Pixmap, t: &TextItem, k: f64, clip: Option<&Mask>) {
    let f = font();
    let glyphs = f.layout(&t.text);
    let width: f64 = glyphs.iter().map(|g| g.advance).sum::<f64>() * t.size;
    let shift = match t.anchor {
        Anchor::Left => 0.0,
        Anchor::Center => -width / 2.0,
        Anchor::Right => -width,
    };
    let (cos, sin) = (t.angle.to_radians().cos(), t.angle.to_radians().sin());
    // Text space (u along the baseline, v up, in em) to pixels on the
    // y-down sheet: the baseline runs along (cos, -sin), up is (-sin, -cos).
    let to_px = |u: f64, v: f64| -> (f32, f32) {
        let (u, v) = (shift + u * t.size, v * t.size);
        let x = t.at[0] + u * cos - v * sin;
        let y = t.at[1] - u * sin - v * cos;
        ((x * k) as f32, (y * k) as f32)
    };
    let mut b = PathBuilder::new();
    for g in &glyphs {
        let Some(segments) = f.outline(g.id) else {
            continue;
        };
        let mut last: Option<[f64; 2]> = None;
        for s in segments {
            let start = match s {
                Segment::Line(a, _) | Segment::Quad(a, _, _) | Segment::Cubic(a, _, _, _) => a,
            };
            if last != Some(start) {
                if last.is_some() {
                    b.close();
                }
                let (x, y) = to_px(g.x + start[0], start[1]);
                b.move_to(x, y);
            }
            let p = |q: [f64; 2]| to_px(g.x + q[0], q[1]);
            let end = match s {
                Segment::Line(_, e) => {
                    let (x, y) = p(e);
                    b.line_to(x, y);
                    e
                }
                Segment::Quad(_, c, e) => {
                    let ((cx, cy), (x, y)) = (p(c), p(e));
                    b.quad_to(cx, cy, x, y);
                    e
                }
                Segment::Cubic(_, c1, c2, e) => {
                    let ((ax, ay), (bx, by), (x, y)) = (p(c1), p(c2), p(e));
                    b.cubic_to(ax, ay, bx, by, x, y);
                    e
                }
            };
            last = Some(end);
        }
        if last.is_some() {
            b.close();
        }
    }
    if let Some(path) = b.finish() {
        pixmap.fill_path(
            &path,
            &paint(t.color),
            FillRule::Winding,
            Transform::identity(),
            clip,
        );
    }
}

/// Writes the pixmap as an RGB PNG that records its resolution, row by
/// row (an A0 sheet at 300 dpi is 140 megapixels).
pub fn write_png(pixmap: &Pixmap, dpi: f64, path: &Path) -> Result<()> {
    let io = |e: std::io::Error| PrintError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let png_err = |e: png::EncodingError| PrintError::Png {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(io)?;
    let mut enc = png::Encoder::new(BufWriter::new(file), pixmap.width(), pixmap.height());
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let per_metre = (dpi / 0.0254).round() as u32;
    enc.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let mut writer = enc.write_header().map_err(png_err)?;
    let mut stream = writer.stream_writer().map_err(png_err)?;
    let width = pixmap.width() as usize;
    let mut row = vec![0u8; width * 3];
    // Drawn on opaque white, every pixel is opaque: premultiplied is straight.
    for src in pixmap.data().chunks_exact(width * 4) {
        for (d, s) in row.chunks_exact_mut(3).zip(src.chunks_exact(4)) {
            d.copy_from_slice(&s[..3]);
        }
        stream.write_all(&row).map_err(io)?;
    }
    stream.finish().map_err(png_err)?;
    Ok(())
}
