//! Rotate features: press on a feature and drag around its centre; it
//! turns by the angle the pointer swept (with the features selected in its
//! layer when it is one of them).

use egui::{Color32, Painter, Stroke};

use super::drag::MapDrag;
use super::{HIT_TOLERANCE_PX, MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;
use crate::ui::edit::operation::Dragged;

#[derive(Default)]
pub struct Rotate {
    drag: MapDrag,
}

impl MapTool for Rotate {
    fn kind(&self) -> Tool {
        Tool::Rotate
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        let Some((from, to)) = self.drag.update(event) else {
            return vec![];
        };
        vec![AppCommand::Edit(Operation::Rotate {
            layer: ctx.active_layer.unwrap_or_default().to_string(),
            drag: Dragged::under(from, to, ctx.px(HIT_TOLERANCE_PX)),
        })]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, _hover: Option<MapPointer>) {
        if let Some((from, now)) = self.drag.current() {
            painter.line_segment(
                [ctx.to_screen(from), ctx.to_screen(now)],
                Stroke::new(1.5, Color32::from_rgb(0, 120, 255)),
            );
        }
    }
}
