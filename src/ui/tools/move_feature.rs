//! Move features: drag a feature to move it (with the features selected
//! in its layer when it is one of them).

use egui::{Color32, Painter, Stroke};

use super::{HIT_TOLERANCE_PX, MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

#[derive(Default)]
pub struct MoveFeature {
    drag: Option<([f64; 2], [f64; 2])>,
}

impl MapTool for MoveFeature {
    fn kind(&self) -> Tool {
        Tool::MoveFeature
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        match *event {
            MapEvent::DragStart(p) => self.drag = Some((p.map, p.map)),
            MapEvent::Drag { at, .. } => {
                if let Some((_, now)) = &mut self.drag {
                    *now = at.map;
                }
            }
            MapEvent::DragEnd(p) => {
                if let Some((from, _)) = self.drag.take() {
                    return vec![AppCommand::Edit(Operation::Translate {
                        layer: ctx.active_layer.unwrap_or_default().to_string(),
                        fids: vec![],
                        from,
                        to: p.map,
                        tolerance: ctx.px(HIT_TOLERANCE_PX),
                    })];
                }
            }
            MapEvent::Abandon => self.drag = None,
            _ => {}
        }
        vec![]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, _hover: Option<MapPointer>) {
        if let Some((from, now)) = self.drag {
            painter.arrow(
                ctx.to_screen(from),
                ctx.to_screen(now) - ctx.to_screen(from),
                Stroke::new(2.0, Color32::from_rgb(0, 120, 255)),
            );
        }
    }
}
