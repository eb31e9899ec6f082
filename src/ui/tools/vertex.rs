//! Vertex tool: drag a vertex to move it; click vertices (Shift: add) to
//! choose several, then drag one of them to move them all by the same
//! amount; double-click an edge to add a vertex there; right-click a
//! vertex to delete it (or the chosen ones). With topological editing on
//! (the editing panel), a vertex shared with neighbours moves in them too.

use egui::{Color32, Painter, Stroke};

use super::drag::MapDrag;
use super::{HIT_TOLERANCE_PX, MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

/// Screen points within which a press picks a vertex.
const PICK_PX: f64 = 2.0 * HIT_TOLERANCE_PX;

#[derive(Default)]
pub struct VertexTool {
    /// Vertices chosen (map coordinates).
    chosen: Vec<[f64; 2]>,
    drag: MapDrag,
}

fn near(ctx: &ToolContext, a: [f64; 2], b: [f64; 2]) -> bool {
    ctx.to_screen(a).distance(ctx.to_screen(b)) as f64 <= PICK_PX
}

impl VertexTool {
    /// A drag from `start` to `end`: the vertex there moves, or all the
    /// chosen ones by the same amount when it is one of them.
    fn move_dragged(
        &mut self,
        ctx: &ToolContext,
        layer: String,
        tolerance: f64,
        start: [f64; 2],
        end: [f64; 2],
    ) -> Vec<AppCommand> {
        let (dx, dy) = (end[0] - start[0], end[1] - start[1]);
        let moves: Vec<([f64; 2], [f64; 2])> = if self.chosen.iter().any(|c| near(ctx, *c, start)) {
            // The chosen vertices move together.
            self.chosen
                .iter()
                .map(|c| (*c, [c[0] + dx, c[1] + dy]))
                .collect()
        } else {
            vec![(start, end)]
        };
        self.chosen = moves.iter().map(|m| m.1).collect();
        vec![AppCommand::Edit(Operation::MoveVertices {
            layer,
            fid: None,
            moves,
            topological: true,
            tolerance,
        })]
    }
}

impl MapTool for VertexTool {
    fn kind(&self) -> Tool {
        Tool::Vertex
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        let layer = ctx.active_layer.unwrap_or_default().to_string();
        let tolerance = ctx.px(PICK_PX);
        if let Some((start, end)) = self.drag.update(event) {
            return self.move_dragged(ctx, layer, tolerance, start, end);
        }
        let op = match *event {
            MapEvent::Click(p) => {
                if !ctx.shift {
                    self.chosen.clear();
                }
                if p.snapped {
                    self.chosen.push(p.map);
                }
                return vec![];
            }
            MapEvent::Abandon => {
                self.chosen.clear();
                return vec![];
            }
            MapEvent::DoubleClick(p) => Operation::InsertVertex {
                layer,
                at: p.map,
                tolerance,
            },
            MapEvent::SecondaryClick(p) => {
                let at = if self.chosen.iter().any(|c| near(ctx, *c, p.map)) {
                    std::mem::take(&mut self.chosen)
                } else {
                    vec![p.map]
                };
                Operation::DeleteVertices {
                    layer,
                    at,
                    tolerance,
                }
            }
            _ => return vec![],
        };
        vec![AppCommand::Edit(op)]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        let colour = Color32::from_rgb(0, 120, 255);
        for c in &self.chosen {
            painter.circle_filled(ctx.to_screen(*c), 4.5, colour);
        }
        if let (Some((start, now)), Some(_)) = (self.drag.current(), hover) {
            painter.line_segment(
                [ctx.to_screen(start), ctx.to_screen(now)],
                Stroke::new(1.5, colour),
            );
            painter.circle_stroke(ctx.to_screen(now), 5.0, Stroke::new(2.0, colour));
        }
    }
}
