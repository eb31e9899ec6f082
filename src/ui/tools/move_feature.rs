//! Move features: drag a feature to move it (with the features selected
//! in its layer when it is one of them).

use egui::{Color32, Painter, Stroke};

use super::drag::MapDrag;
use super::{HIT_TOLERANCE_PX, MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;
use crate::ui::edit::operation::Dragged;

#[derive(Default)]
pub struct MoveFeature {
    drag: MapDrag,
}

impl MapTool for MoveFeature {
    fn kind(&self) -> Tool {
        Tool::MoveFeature
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        let Some((from, to)) = self.drag.update(event) else {
            return vec![];
        };
        vec![AppCommand::Edit(Operation::Translate {
            layer: ctx.active_layer.unwrap_or_default().to_string(),
            drag: Dragged::under(from, to, ctx.px(HIT_TOLERANCE_PX)),
        })]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, _hover: Option<MapPointer>) {
        if let Some((from, now)) = self.drag.current() {
            painter.arrow(
                ctx.to_screen(from),
                ctx.to_screen(now) - ctx.to_screen(from),
                Stroke::new(2.0, Color32::from_rgb(0, 120, 255)),
            );
        }
    }
}
