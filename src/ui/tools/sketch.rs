//! What the digitizing tools share: the vertices clicked so far (map
//! coordinates, so the sketch stays put while zooming), its drawing with a
//! rubber band to the pointer, and its live measurement.

use egui::{Color32, Painter, Pos2, Shape, Stroke};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::trace::{TRACE_TOLERANCE_PX, Tracer};
use super::{MapEvent, MapPointer, ToolContext};

pub const SKETCH: Color32 = Color32::from_rgb(220, 40, 40);
/// A finished sketch waiting for its edit's reply.
pub const SKETCH_WAITING: Color32 = Color32::from_rgb(150, 110, 110);

/// The vertices of the line or ring being drawn.
#[derive(Default, Clone)]
pub struct Sketch {
    pub points: Vec<[f64; 2]>,
    /// Set while tracing is on: a click on a boundary after a vertex on
    /// the same boundary follows it.
    pub tracer: Option<Tracer>,
    /// A finished sketch stays until its edit is committed.
    pub awaiting: Awaiting,
}

/// Where a finished sketch's edit is. The sketch is kept (drawn, taking no
/// more clicks) until the editing thread says the edit committed; if it
/// failed (another program's write lock, a refused value) the sketch comes
/// back for another try, so a drawing is never lost to a failed edit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Awaiting {
    #[default]
    Nothing,
    /// Finished; its edit is among this frame's commands.
    Unsent,
    /// Sent to the editing thread behind `ahead` requests not answered
    /// yet (the thread answers each request once, in order).
    Sent { ahead: usize },
}

impl Sketch {
    pub fn push(&mut self, p: [f64; 2]) {
        // A double click's second click lands on the first: no zero-length edge.
        if self.points.last() != Some(&p) {
            self.points.push(p);
        }
    }

    /// A clicked vertex; with tracing on, the boundary vertices between
    /// the last vertex and it come first.
    pub fn add(&mut self, p: [f64; 2], ctx: &ToolContext) {
        let traced = (self.tracer.as_ref())
            .zip(self.points.last())
            .and_then(|(t, last)| t.path(*last, p, ctx.px(TRACE_TOLERANCE_PX)));
        match traced {
            Some(path) => path.into_iter().for_each(|q| self.push(q)),
            None => self.push(p),
        }
    }

    pub fn clear(&mut self) {
        self.points.clear();
        self.awaiting = Awaiting::Nothing;
    }

    pub fn take(&mut self) -> Vec<[f64; 2]> {
        std::mem::take(&mut self.points)
    }

    /// The sketch's colour: dimmed while its edit is on its way.
    pub fn colour(&self) -> Color32 {
        if self.is_awaiting() {
            SKETCH_WAITING
        } else {
            SKETCH
        }
    }

    /// Whether a finished sketch waits for its edit's reply.
    pub fn is_awaiting(&self) -> bool {
        self.awaiting != Awaiting::Nothing
    }

    /// The finished sketch's edit went to the editing thread (`ahead`
    /// requests before it), or was not sent (None: it is drawn again).
    pub fn edit_sent(&mut self, ahead: Option<usize>) {
        if self.awaiting == Awaiting::Unsent {
            self.awaiting = match ahead {
                Some(ahead) => Awaiting::Sent { ahead },
                None => Awaiting::Nothing,
            };
        }
    }

    /// One reply of the editing thread. When it is the finished sketch's
    /// edit's, says whether it committed (the sketch is then cleared) or
    /// failed (the sketch can be finished again).
    pub fn edit_replied(&mut self, committed: bool) -> Option<bool> {
        match &mut self.awaiting {
            Awaiting::Sent { ahead: 0 } => {
                self.awaiting = Awaiting::Nothing;
                if committed {
                    self.points.clear();
                }
                Some(committed)
            }
            Awaiting::Sent { ahead } => {
                *ahead -= 1;
                None
            }
            _ => None,
        }
    }

    /// The events of a tool that draws a line: a click adds a vertex, Esc
    /// throws the sketch away, a double or right click or Enter finishes
    /// it. Returns the finished line's vertices (two at least), which
    /// stay in the sketch until the edit's reply.
    pub fn line_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Option<Vec<[f64; 2]>> {
        if let MapEvent::Abandon = event {
            self.clear();
        }
        if self.is_awaiting() {
            return None;
        }
        match event {
            MapEvent::Click(p) => self.add(p.map, ctx),
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                return self.finish(2);
            }
            _ => {}
        }
        None
    }

    /// The sketch finished with `least` vertices at least: its vertices,
    /// kept until the edit's reply; fewer are thrown away.
    pub fn finish(&mut self, least: usize) -> Option<Vec<[f64; 2]>> {
        if self.points.len() < least {
            self.points.clear();
            return None;
        }
        self.awaiting = Awaiting::Unsent;
        Some(self.points.clone())
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
        // A finished sketch waiting for its edit takes no rubber band.
        if let Some(h) = hover.filter(|_| !self.is_awaiting()) {
            // With tracing on, the band follows the boundary it would add.
            let traced = (self.tracer.as_ref())
                .zip(self.points.last())
                .and_then(|(t, last)| t.path(*last, h.map, ctx.px(TRACE_TOLERANCE_PX)));
            match traced {
                Some(path) => pts.extend(path.iter().map(|p| ctx.to_screen(*p))),
                None => pts.push(h.screen),
            }
        }
        if closed && pts.len() >= 3 {
            pts.push(pts[0]);
        }
        let colour = self.colour();
        painter.add(Shape::line(pts, Stroke::new(2.0, colour)));
        for p in &self.points {
            painter.circle_filled(ctx.to_screen(*p), 3.0, colour);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finished() -> Sketch {
        let mut s = Sketch::default();
        s.push([0.0, 0.0]);
        s.push([10.0, 0.0]);
        assert_eq!(s.finish(2).map(|p| p.len()), Some(2));
        assert_eq!(s.awaiting, Awaiting::Unsent);
        s
    }

    #[test]
    fn a_failed_edit_gives_the_sketch_back_after_the_replies_ahead_of_it() {
        let mut s = finished();
        // Sent behind one unanswered request (an undo, say).
        s.edit_sent(Some(1));
        assert_eq!(s.edit_replied(false), None, "that request's failure");
        assert!(s.is_awaiting());
        assert_eq!(s.edit_replied(false), Some(false), "this edit failed");
        assert!(!s.is_awaiting());
        assert_eq!(s.points.len(), 2, "the sketch is back to finish again");
        // Finished again, it commits: the sketch goes.
        assert!(s.finish(2).is_some());
        s.edit_sent(Some(0));
        assert_eq!(s.edit_replied(true), Some(true));
        assert!(s.points.is_empty() && !s.is_awaiting());
        // Later replies are someone else's.
        assert_eq!(s.edit_replied(false), None);
    }

    #[test]
    fn an_edit_not_sent_leaves_the_sketch_and_too_few_vertices_are_dropped() {
        let mut s = finished();
        s.edit_sent(None);
        assert!(!s.is_awaiting());
        assert_eq!(s.points.len(), 2);
        let mut one = Sketch::default();
        one.push([1.0, 1.0]);
        assert_eq!(one.finish(2), None);
        assert!(one.points.is_empty() && !one.is_awaiting());
    }
}
