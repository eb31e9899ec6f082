//! The display list both back ends draw: vector paths and text runs in
//! paper millimetres, origin at the sheet's top-left corner, y down.

use crate::render::Rgba;

/// A point on the sheet, millimetres.
pub type Mm = [f64; 2];

/// A shape: rings or polylines, filled and/or stroked.
#[derive(Debug, Clone, PartialEq)]
pub struct PathItem {
    /// Each part a sequence of points; closed parts are rings.
    pub parts: Vec<Vec<Mm>>,
    pub closed: bool,
    /// Filled with the non-zero rule (holes are wound the other way).
    pub fill: Option<Rgba>,
    /// Colour and width in millimetres.
    pub stroke: Option<(Rgba, f64)>,
}

/// Where a text run's anchor point sits on the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The anchor is the start of the baseline.
    Left,
    Center,
    Right,
}

/// One line of text.
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    pub text: String,
    /// The baseline point the anchor refers to.
    pub at: Mm,
    /// The em size in millimetres.
    pub size: f64,
    pub color: Rgba,
    pub anchor: Anchor,
    /// Counter-clockwise rotation in degrees (90: reads bottom to top).
    pub angle: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Path(PathItem),
    Text(TextItem),
    /// Everything until the matching `EndClip` is clipped to this box
    /// (min corner, max corner).
    BeginClip(Mm, Mm),
    EndClip,
}

/// One printed sheet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub width_mm: f64,
    pub height_mm: f64,
    /// Drawn in order, later over earlier.
    pub items: Vec<Item>,
    /// The document title (PDF metadata).
    pub title: String,
}

impl Page {
    pub fn path(&mut self, p: PathItem) {
        if !p.parts.is_empty() {
            self.items.push(Item::Path(p));
        }
    }

    /// A filled and/or stroked box.
    pub fn rect(&mut self, min: Mm, max: Mm, fill: Option<Rgba>, stroke: Option<(Rgba, f64)>) {
        self.path(PathItem {
            parts: vec![rect_ring(min, max)],
            closed: true,
            fill,
            stroke,
        });
    }

    pub fn line(&mut self, points: Vec<Mm>, color: Rgba, width: f64) {
        self.path(PathItem {
            parts: vec![points],
            closed: false,
            fill: None,
            stroke: Some((color, width)),
        });
    }

    pub fn text(&mut self, text: impl Into<String>, at: Mm, size: f64, anchor: Anchor) {
        self.items.push(Item::Text(TextItem {
            text: text.into(),
            at,
            size,
            color: [0, 0, 0, 255],
            anchor,
            angle: 0.0,
        }));
    }

    /// Every text run, in order (tests and searches).
    pub fn texts(&self) -> impl Iterator<Item = &TextItem> {
        self.items.iter().filter_map(|i| match i {
            Item::Text(t) => Some(t),
            _ => None,
        })
    }
}

pub fn rect_ring(min: Mm, max: Mm) -> Vec<Mm> {
    vec![
        [min[0], min[1]],
        [max[0], min[1]],
        [max[0], max[1]],
        [min[0], max[1]],
    ]
}
