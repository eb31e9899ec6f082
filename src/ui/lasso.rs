//! The polygon being drawn by the "select by polygon" tool: clicks add
//! corners, a drag traces a freehand outline, and a double click, a right
//! click, Enter or the end of a drag closes it. Esc throws it away.
//! Corners are kept in map coordinates so the polygon stays put while the
//! user zooms with the wheel half-way through.

use egui::{Color32, Pos2, Rect, Response, Shape, Stroke};

use super::map::View;

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

    /// Feeds one frame of pointer and key input; returns the closed ring
    /// (at least three corners) when the user finishes it.
    pub fn update(
        &mut self,
        response: &Response,
        view: &View,
        rect: Rect,
    ) -> Option<Vec<[f64; 2]>> {
        let (enter, escape) = response.ctx.input(|i| {
            (
                i.key_pressed(egui::Key::Enter),
                i.key_pressed(egui::Key::Escape),
            )
        });
        if escape {
            self.corners.clear();
            return None;
        }
        let pointer = response.interact_pointer_pos();
        if response.drag_started() {
            self.freehand = true;
            self.corners.clear();
        }
        if self.freehand
            && response.dragged()
            && let Some(p) = pointer
        {
            let far_enough = self
                .corners
                .last()
                .is_none_or(|last| view.to_screen(rect, *last).distance(p) >= FREEHAND_STEP_PX);
            if far_enough {
                self.corners.push(view.to_map(rect, p));
            }
        }
        let mut finish = enter || response.secondary_clicked();
        if response.drag_stopped() && self.freehand {
            self.freehand = false;
            finish = true;
        }
        if response.double_clicked() {
            // The double click's first click already added this corner.
            finish = true;
        } else if response.clicked()
            && let Some(p) = pointer
        {
            self.corners.push(view.to_map(rect, p));
        }
        if !finish {
            return None;
        }
        let ring = std::mem::take(&mut self.corners);
        (ring.len() >= 3).then_some(ring)
    }

    /// The outline so far, with a rubber band to the pointer.
    pub fn paint(&self, painter: &egui::Painter, view: &View, rect: Rect, hover: Option<Pos2>) {
        if self.corners.is_empty() {
            return;
        }
        let mut points: Vec<Pos2> = self
            .corners
            .iter()
            .map(|c| view.to_screen(rect, *c))
            .collect();
        if let Some(h) = hover.filter(|_| !self.freehand) {
            points.push(h);
        }
        let colour = Color32::from_rgb(30, 90, 200);
        if points.len() >= 3 {
            painter.add(translucent_fill(&points));
        }
        points.push(points[0]);
        painter.add(Shape::line(points, Stroke::new(1.5, colour)));
        for c in &self.corners {
            painter.circle_filled(view.to_screen(rect, *c), 2.5, colour);
        }
    }
}

/// A see-through fill of a possibly concave outline (a freehand lasso
/// rarely is convex), triangulated by ear clipping.
fn translucent_fill(points: &[Pos2]) -> Shape {
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
