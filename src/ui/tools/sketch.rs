//! What the digitizing tools share: the vertices clicked so far (map
//! coordinates, so the sketch stays put while zooming), its drawing with a
//! rubber band to the pointer, and its live measurement.

use egui::{Color32, Painter, Pos2, Shape, Stroke};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::{MapEvent, MapPointer, ToolContext};

pub const SKETCH: Color32 = Color32::from_rgb(220, 40, 40);

/// The vertices of the line or ring being drawn.
#[derive(Default, Debug, Clone)]
pub struct Sketch {
    pub points: Vec<[f64; 2]>,
}

impl Sketch {
    pub fn push(&mut self, p: [f64; 2]) {
        // A double click's second click lands on the first: no zero-length edge.
        if self.points.last() != Some(&p) {
            self.points.push(p);
        }
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }

    pub fn take(&mut self) -> Vec<[f64; 2]> {
        std::mem::take(&mut self.points)
    }

    /// The events of a tool that draws a line: a click adds a vertex, Esc
    /// throws the sketch away, a double or right click or Enter finishes
    /// it. Returns the finished line's vertices (two at least).
    pub fn line_event(&mut self, event: &MapEvent) -> Option<Vec<[f64; 2]>> {
        match event {
            MapEvent::Click(p) => self.push(p.map),
            MapEvent::Abandon => self.clear(),
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                let points = self.take();
                if points.len() >= 2 {
                    return Some(points);
                }
            }
            _ => {}
        }
        None
    }

    pub fn line(points: &[[f64; 2]]) -> LineString<f64> {
        points.iter().map(|p| Coord { x: p[0], y: p[1] }).collect()
    }

    /// A closed ring of the points (at least three), else None.
    pub fn ring(points: &[[f64; 2]]) -> Option<LineString<f64>> {
        if points.len() < 3 {
            return None;
        }
        let mut ring = Self::line(points);
        ring.close();
        Some(ring)
    }

    /// The sketch as a line, with the pointer as its next vertex (without
    /// a pointer, even a single vertex).
    pub fn as_line(&self, hover: Option<[f64; 2]>) -> Option<Geometry<f64>> {
        let mut pts = self.points.clone();
        pts.extend(hover.filter(|_| !pts.is_empty()));
        let least = if hover.is_some() { 2 } else { 1 };
        (pts.len() >= least).then(|| Geometry::LineString(Self::line(&pts)))
    }

    /// The sketch as a polygon, with the pointer as its next vertex;
    /// without a pointer, the vertices so far as a line (numeric entry
    /// goes on from its last one).
    pub fn as_polygon(&self, hover: Option<[f64; 2]>) -> Option<Geometry<f64>> {
        let Some(h) = hover else {
            return (!self.points.is_empty())
                .then(|| Geometry::LineString(Self::line(&self.points)));
        };
        let mut pts = self.points.clone();
        pts.extend(Some(h).filter(|_| !pts.is_empty()));
        Self::ring(&pts).map(|r| Geometry::Polygon(Polygon::new(r, vec![])))
    }

    /// Draws the vertices and edges, and a rubber band to the pointer
    /// (closing back to the start when `closed`).
    pub fn paint(
        &self,
        painter: &Painter,
        ctx: &ToolContext,
        hover: Option<MapPointer>,
        closed: bool,
    ) {
        if self.points.is_empty() {
            return;
        }
        let mut pts: Vec<Pos2> = self.points.iter().map(|p| ctx.to_screen(*p)).collect();
        if let Some(h) = hover {
            pts.push(h.screen);
        }
        if closed && pts.len() >= 3 {
            pts.push(pts[0]);
        }
        painter.add(Shape::line(pts, Stroke::new(2.0, SKETCH)));
        for p in &self.points {
            painter.circle_filled(ctx.to_screen(*p), 3.0, SKETCH);
        }
    }
}

/// "Diện tích: 1.234,5 m² (0,12 ha) · Chu vi: 140,2 m", or the length
/// alone for a line: in the map CRS when it is projected, else VN-2000
/// (see `edit::measure`).
pub fn measurement_text(
    crs: &crate::crs::Crs,
    g: &Geometry<f64>,
    style: crate::edit::measure::NumberStyle,
) -> Option<String> {
    use crate::edit::measure::{Measurer, format_measurement};
    let m = Measurer::new(crs).ok()?.measure(g).ok()?;
    Some(format_measurement(&m, style))
}
