//! Reshape: draw a line that starts inside (or on) a feature and crosses
//! its boundary; the boundary between the crossings follows the line.
//! Double click, right click or Enter finishes; Esc throws it away.

use egui::Painter;
use geo_types::Geometry;

use super::sketch::Sketch;
use super::{HIT_TOLERANCE_PX, MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

#[derive(Default)]
pub struct Reshape {
    sketch: Sketch,
}

impl MapTool for Reshape {
    fn kind(&self) -> Tool {
        Tool::Reshape
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        match self.sketch.line_event(event, ctx) {
            Some(line) => vec![AppCommand::Edit(Operation::Reshape {
                layer: ctx.active_layer.unwrap_or_default().to_string(),
                line,
                tolerance: ctx.px(HIT_TOLERANCE_PX),
            })],
            None => vec![],
        }
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        self.sketch.paint(painter, ctx, hover, false);
    }

    fn sketch(&self, hover: Option<[f64; 2]>) -> Option<Geometry<f64>> {
        self.sketch.as_line(hover)
    }

    fn sketch_state(&mut self) -> Option<&mut Sketch> {
        Some(&mut self.sketch)
    }
}
