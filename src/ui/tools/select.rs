//! Select: a click selects the top feature under it, a dragged box what
//! it meets; Shift adds to the selection. Only the active layer, when
//! one is chosen.

use egui::Painter;

use super::zoom_box::DragBox;
use super::{HIT_TOLERANCE_PX, MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::{AppCommand, SelectMode};

#[derive(Default)]
pub struct Select {
    drag: DragBox,
}

impl MapTool for Select {
    fn kind(&self) -> Tool {
        Tool::Select
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        let mode = SelectMode::from_shift(ctx.shift);
        if let MapEvent::Click(p) = event {
            return vec![AppCommand::SelectAt {
                at: p.map,
                tolerance: ctx.px(HIT_TOLERANCE_PX),
                mode,
            }];
        }
        match self.drag.update(event) {
            Some(b) => vec![AppCommand::SelectIn {
                area: geo_types::Geometry::Rect(b),
                mode,
            }],
            None => vec![],
        }
    }

    fn paint(&self, painter: &Painter, _ctx: &ToolContext, _hover: Option<MapPointer>) {
        self.drag.paint(painter);
    }
}
