//! Add line: clicks add vertices; a double click, a right click or Enter
//! finishes the line (two vertices at least); Esc throws it away.

use egui::Painter;
use geo_types::Geometry;

use super::sketch::Sketch;
use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

#[derive(Default)]
pub struct AddLine {
    sketch: Sketch,
}

impl MapTool for AddLine {
    fn kind(&self) -> Tool {
        Tool::AddLine
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        match self.sketch.line_event(event, ctx) {
            Some(points) => vec![AppCommand::Edit(Operation::Add {
                layer: ctx.active_layer.unwrap_or_default().to_string(),
                geometry: Geometry::LineString(Sketch::line(&points)),
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
