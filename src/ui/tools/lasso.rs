//! Select by polygon: clicks add corners, a drag traces a freehand
//! outline, and a double click, a right click, Enter or the end of a drag
//! closes it. Esc throws it away. Corners are kept in map coordinates so
//! the polygon stays put while the user zooms with the wheel half-way
//! through. Shift adds to the selection.

use egui::{Color32, Painter, Pos2, Shape, Stroke};

use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::{AppCommand, SelectMode};

/// Screen points the pointer must move before a freehand drag adds a corner.
const FREEHAND_STEP_PX: f32 = 4.0;

#[derive(Default)]
pub struct Lasso {
    corners: Vec<[f64; 2]>,
    freehand: bool,
}

impl Lasso {
    pub fn is_empty(&self) -> bool {
        self.corners.is_empty()
    }

    /// Feeds one event; returns the closed ring (at least three corners)
    /// when the user finishes it.
    pub(super) fn update(&mut self, event: &MapEvent, ctx: &ToolContext) -> Option<Vec<[f64; 2]>> {
        match *event {
            MapEvent::Abandon => {
                self.corners.clear();
                self.freehand = false;
                None
            }
            MapEvent::DragStart(p) => {
                self.freehand = true;
                self.corners.clear();
                self.corners.push(p.map);
                None
            }
            MapEvent::Drag { at, .. } if self.freehand => {
                let far_enough = self.corners.last().is_none_or(|last| {
                    ctx.to_screen(*last).distance(at.screen) >= FREEHAND_STEP_PX
                });
                if far_enough {
                    self.corners.push(at.map);
                }
                None
            }
            MapEvent::DragEnd(_) if self.freehand => {
                self.freehand = false;
                self.close()
            }
            MapEvent::Click(p) => {
                self.corners.push(p.map);
                None
            }
            // The double click's first click already added this corner.
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                self.close()
            }
            _ => None,
        }
    }

    fn close(&mut self) -> Option<Vec<[f64; 2]>> {
        let ring = std::mem::take(&mut self.corners);
        (ring.len() >= 3).then_some(ring)
    }
}

impl MapTool for Lasso {
    fn kind(&self) -> Tool {
        Tool::SelectPolygon
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        let Some(ring) = self.update(event, ctx) else {
            return vec![];
        };
        let ring: Vec<geo_types::Coord<f64>> = ring
            .iter()
            .map(|p| geo_types::coord! { x: p[0], y: p[1] })
            .collect();
        let polygon = geo_types::Polygon::new(ring.into(), vec![]);
        vec![AppCommand::SelectIn {
            area: geo_types::Geometry::Polygon(polygon),
            mode: SelectMode::from_shift(ctx.shift),
        }]
    }

    /// The outline so far, with a rubber band to the pointer.
    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        if self.corners.is_empty() {
            return;
        }
        let mut points: Vec<Pos2> = self.corners.iter().map(|c| ctx.to_screen(*c)).collect();
        if let Some(h) = hover.filter(|_| !self.freehand) {
            points.push(h.screen);
        }
        let colour = Color32::from_rgb(30, 90, 200);
        if points.len() >= 3 {
            painter.add(translucent_fill(&points));
        }
        points.push(points[0]);
        painter.add(Shape::line(points, Stroke::new(1.5, colour)));
        for c in &self.corners {
            painter.circle_filled(ctx.to_screen(*c), 2.5, colour);
        }
    }
}

/// A see-through fill of a possibly concave outline (a freehand lasso
/// rarely is convex), triangulated by ear clipping.
pub(super) fn translucent_fill(points: &[Pos2]) -> Shape {
    use geo::TriangulateEarcut;
    let ring: Vec<geo_types::Coord<f64>> = points
        .iter()
        .map(|p| geo_types::coord! { x: f64::from(p.x), y: f64::from(p.y) })
        .collect();
    let triangles = geo_types::Polygon::new(ring.into(), vec![]).earcut_triangles_raw();
    let mut mesh = egui::Mesh::default();
    let colour = Color32::from_rgba_unmultiplied(30, 90, 200, 40);
    for v in &triangles.vertices {
        mesh.colored_vertex(Pos2::new(v[0] as f32, v[1] as f32), colour);
    }
    mesh.indices = triangles
        .triangle_indices
        .iter()
        .map(|&i| i as u32)
        .collect();
    Shape::mesh(mesh)
}
