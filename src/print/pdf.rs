//! The PDF back end: the display list as vector paths and real text (the
//! bundled font embedded as a CID TrueType font, Identity-H, with a
//! ToUnicode map, so readers and `pdftotext` extract the Vietnamese text).

use std::collections::BTreeMap;
use std::io::Write;

use pdf_writer::types::{
    CidFontType, FontFlags, LineCapStyle, LineJoinStyle, SystemInfo, UnicodeCmap,
};
use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::render::Rgba;

use super::font::{FONT_DATA, FONT_NAME, font};
use super::page::{Anchor, Item, Page, PathItem, TextItem};

/// Points per millimetre.
const PT: f64 = 72.0 / 25.4;

/// The drawing state the content stream is in, so colours and
/// transparency are only set when they change.
#[derive(Clone, Copy, Default, PartialEq)]
struct Pen {
    fill: Option<[u8; 3]>,
    stroke: Option<[u8; 3]>,
    width: Option<f32>,
    /// Fill and stroke alpha.
    alpha: Option<(u8, u8)>,
}

struct Writer {
    content: Content,
    height_mm: f64,
    pen: Pen,
    saved: Vec<Pen>,
    /// ExtGState names by (fill alpha, stroke alpha).
    alphas: BTreeMap<(u8, u8), String>,
    /// Glyph ids used, with the text each stands for.
    glyphs: BTreeMap<u16, String>,
}

impl Writer {
    fn xy(&self, p: [f64; 2]) -> (f32, f32) {
        ((p[0] * PT) as f32, ((self.height_mm - p[1]) * PT) as f32)
    }

    fn set_alpha(&mut self, fill: u8, stroke: u8) {
        if self.pen.alpha == Some((fill, stroke))
            || (self.pen.alpha.is_none() && fill == 255 && stroke == 255)
        {
            return;
        }
        let n = self.alphas.len();
        let name = self
            .alphas
            .entry((fill, stroke))
            .or_insert_with(|| format!("A{n}"))
            .clone();
        self.content.set_parameters(Name(name.as_bytes()));
        self.pen.alpha = Some((fill, stroke));
    }

    fn set_fill(&mut self, c: Rgba) {
        let rgb = [c[0], c[1], c[2]];
        if self.pen.fill != Some(rgb) {
            self.content.set_fill_rgb(
                c[0] as f32 / 255.0,
                c[1] as f32 / 255.0,
                c[2] as f32 / 255.0,
            );
            self.pen.fill = Some(rgb);
        }
    }

    fn set_stroke(&mut self, c: Rgba, width_mm: f64) {
        let rgb = [c[0], c[1], c[2]];
        if self.pen.stroke != Some(rgb) {
            self.content.set_stroke_rgb(
                c[0] as f32 / 255.0,
                c[1] as f32 / 255.0,
                c[2] as f32 / 255.0,
            );
            self.pen.stroke = Some(rgb);
        }
        let w = (width_mm * PT) as f32;
        if self.pen.width != Some(w) {
            self.content.set_line_width(w);
            self.pen.width = Some(w);
        }
    }

    fn path(&mut self, p: &PathItem) {
        let fill_alpha = p.fill.map_or(255, |c| c[3]);
        let stroke_alpha = p.stroke.map_or(255, |(c, _)| c[3]);
        if p.fill.is_some_and(|c| c[3] == 0) && p.stroke.is_none_or(|(c, _)| c[3] == 0) {
            return;
        }
        self.set_alpha(fill_alpha, stroke_alpha);
        if let Some(c) = p.fill {
            self.set_fill(c);
        }
        if let Some((c, w)) = p.stroke {
            self.set_stroke(c, w);
        }
        for part in &p.parts {
            let Some(first) = part.first() else { continue };
            let (x, y) = self.xy(*first);
            self.content.move_to(x, y);
            for q in &part[1..] {
                let (x, y) = self.xy(*q);
                self.content.line_to(x, y);
            }
            if p.closed {
                self.content.close_path();
            }
        }
        match (p.fill.is_some(), p.stroke.is_some()) {
            (true, true) => self.content.fill_nonzero_and_stroke(),
            (true, false) => self.content.fill_nonzero(),
            (false, true) => self.content.stroke(),
            (false, false) => self.content.end_path(),
        };
    }

    fn text(&mut self, t: &TextItem) {
        let glyphs = font().layout(&t.text);
        if glyphs.is_empty() {
            return;
        }
        let width: f64 = glyphs.iter().map(|g| g.advance).sum::<f64>() * t.size;
        let shift = match t.anchor {
            Anchor::Left => 0.0,
            Anchor::Center => -width / 2.0,
            Anchor::Right => -width,
        };
        let (cos, sin) = (t.angle.to_radians().cos(), t.angle.to_radians().sin());
        // On the y-down sheet the baseline runs along (cos, -sin).
        let origin = [t.at[0] + shift * cos, t.at[1] - shift * sin];
        let (x, y) = self.xy(origin);
        self.set_alpha(t.color[3], self.pen.alpha.map_or(255, |a| a.1));
        self.set_fill(t.color);
        let mut bytes = Vec::with_capacity(glyphs.len() * 2);
        for g in &glyphs {
            bytes.extend_from_slice(&g.id.to_be_bytes());
            self.glyphs.entry(g.id).or_insert_with(|| g.text.clone());
        }
        self.content.begin_text();
        self.content.set_font(Name(b"F1"), (t.size * PT) as f32);
        self.content
            .set_text_matrix([cos as f32, sin as f32, -sin as f32, cos as f32, x, y]);
        self.content.show(Str(&bytes));
        self.content.end_text();
    }
}

/// The page as a PDF document.
pub fn to_pdf(page: &Page) -> Vec<u8> {
    let mut w = Writer {
        content: Content::new(),
        height_mm: page.height_mm,
        pen: Pen::default(),
        saved: Vec::new(),
        alphas: BTreeMap::new(),
        glyphs: BTreeMap::new(),
    };
    w.content.set_line_join(LineJoinStyle::RoundJoin);
    w.content.set_line_cap(LineCapStyle::RoundCap);
    for item in &page.items {
        match item {
            Item::Path(p) => w.path(p),
            Item::Text(t) => w.text(t),
            Item::BeginClip(min, max) => {
                w.content.save_state();
                w.saved.push(w.pen);
                let (x0, y0) = w.xy([min[0], max[1]]);
                let (x1, y1) = w.xy([max[0], min[1]]);
                w.content.rect(x0, y0, x1 - x0, y1 - y0);
                w.content.clip_nonzero();
                w.content.end_path();
            }
            Item::EndClip => {
                if let Some(pen) = w.saved.pop() {
                    w.content.restore_state();
                    w.pen = pen;
                }
            }
        }
    }
    let content = deflate(&w.content.finish());

    let catalog = Ref::new(1);
    let pages = Ref::new(2);
    let page_id = Ref::new(3);
    let content_id = Ref::new(4);
    let font_id = Ref::new(5);
    let cid_id = Ref::new(6);
    let descriptor_id = Ref::new(7);
    let file_id = Ref::new(8);
    let cmap_id = Ref::new(9);
    let info_id = Ref::new(10);
    let mut next = 11;
    let alpha_refs: Vec<((u8, u8), String, Ref)> = w
        .alphas
        .iter()
        .map(|(k, name)| {
            next += 1;
            (*k, name.clone(), Ref::new(next - 1))
        })
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page_id]).count(1);
    {
        let mut p = pdf.page(page_id);
        p.parent(pages)
            .media_box(Rect::new(
                0.0,
                0.0,
                (page.width_mm * PT) as f32,
                (page.height_mm * PT) as f32,
            ))
            .contents(content_id);
        let mut res = p.resources();
        res.fonts().pair(Name(b"F1"), font_id);
        let mut gs = res.ext_g_states();
        for (_, name, r) in &alpha_refs {
            gs.pair(Name(name.as_bytes()), *r);
        }
    }
    pdf.stream(content_id, &content).filter(Filter::FlateDecode);
    for ((fill, stroke), _, r) in &alpha_refs {
        pdf.ext_graphics(*r)
            .non_stroking_alpha(*fill as f32 / 255.0)
            .stroking_alpha(*stroke as f32 / 255.0);
    }
    write_font(
        &mut pdf,
        &w.glyphs,
        [font_id, cid_id, descriptor_id, file_id, cmap_id],
    );
    pdf.document_info(info_id)
        .title(TextStr(&page.title))
        .producer(TextStr(concat!("tramgis ", env!("CARGO_PKG_VERSION"))))
        .creator(TextStr("tramgis print"));
    pdf.finish()
}

/// The Type0 font over the embedded TrueType file, its widths and the
/// ToUnicode map of the glyphs used.
fn write_font(
    pdf: &mut Pdf,
    glyphs: &BTreeMap<u16, String>,
    [font_id, cid_id, descriptor_id, file_id, cmap_id]: [Ref; 5],
) {
    let f = font();
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(font_id)
        .base_font(Name(FONT_NAME))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_id)
        .to_unicode(cmap_id);
    {
        let mut cid = pdf.cid_font(cid_id);
        cid.subtype(CidFontType::Type2)
            .base_font(Name(FONT_NAME))
            .system_info(system)
            .font_descriptor(descriptor_id)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = cid.widths();
        for id in glyphs.keys() {
            widths.consecutive(*id, [(f.advance(*id) * 1000.0) as f32]);
        }
    }
    pdf.font_descriptor(descriptor_id)
        .name(Name(FONT_NAME))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(-650.0, -300.0, 1600.0, 1100.0))
        .italic_angle(0.0)
        .ascent((f.ascent() * 1000.0) as f32)
        .descent((f.descent() * 1000.0) as f32)
        .cap_height(714.0)
        .stem_v(80.0)
        .font_file2(file_id);
    let data = deflate(FONT_DATA);
    pdf.stream(file_id, &data)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), FONT_DATA.len() as i32);
    let mut cmap = UnicodeCmap::new(Name(b"Tramgis-UTF16"), system);
    for (id, text) in glyphs {
        if *id != 0 && !text.is_empty() {
            cmap.pair_with_multiple(*id, text.chars());
        }
    }
    let cmap = cmap.finish();
    pdf.cmap(cmap_id, &cmap);
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}
