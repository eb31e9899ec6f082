//! C's snapping index (`edit::snap`) behind the window's snapping hook:
//! queried on the UI thread per pointer move without ever waiting (the
//! editing thread updates the index between edits), remembering what it
//! snapped to for the marker.

use egui::{Color32, Painter, Pos2, Stroke, vec2};

use super::{SnapMark, SnapSettings};
use crate::edit::snap::{SnapIndex, SnapKind};
use crate::ui::tools::snapping::{SnapRequest, Snapper};
use std::sync::{Arc, RwLock};

pub struct EditSnapper {
    pub index: Arc<RwLock<SnapIndex>>,
    pub settings: Arc<RwLock<SnapSettings>>,
    pub mark: SnapMark,
}

impl Snapper for EditSnapper {
    fn snap(&self, request: &SnapRequest) -> Option<[f64; 2]> {
        let hit = (|| {
            // Busy with an edit's update: this move goes unsnapped.
            let index = self.index.try_read().ok()?;
            let settings = self.settings.try_read().ok()?;
            let mut options = settings.options.clone();
            options.layers = request.layers.to_vec();
            let p = request.pointer.map;
            index.snap(
                geo_types::Coord { x: p[0], y: p[1] },
                request.tolerance,
                &options,
                None,
            )
        })();
        let found = hit.map(|h| ([h.point.x, h.point.y], h.kind));
        if let Ok(mut m) = self.mark.lock() {
            *m = found;
        }
        found.map(|f| f.0)
    }
}

/// Draws the snap marker: a square on a vertex, a cross on a segment, an
/// X on an intersection.
pub fn paint_marker(painter: &Painter, at: Pos2, kind: SnapKind) {
    let stroke = Stroke::new(2.0, Color32::from_rgb(230, 0, 200));
    let r = 6.0;
    match kind {
        SnapKind::Vertex => {
            painter.rect_stroke(
                egui::Rect::from_center_size(at, vec2(2.0 * r, 2.0 * r)),
                0.0,
                stroke,
                egui::StrokeKind::Middle,
            );
        }
        SnapKind::Segment => {
            painter.line_segment([at - vec2(r, 0.0), at + vec2(r, 0.0)], stroke);
            painter.line_segment([at - vec2(0.0, r), at + vec2(0.0, r)], stroke);
        }
        SnapKind::Intersection => {
            painter.line_segment([at - vec2(r, r), at + vec2(r, r)], stroke);
            painter.line_segment([at - vec2(r, -r), at + vec2(r, -r)], stroke);
        }
    }
}
