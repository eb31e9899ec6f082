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
        match event {
            MapEvent::Click(p) => self.sketch.push(p.map),
            MapEvent::Abandon => self.sketch.clear(),
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                let points = self.sketch.take();
                if points.len() >= 2 {
                    return vec![AppCommand::Edit(Operation::Add {
                        layer: ctx.active_layer.unwrap_or_default().to_string(),
                        geometry: Geometry::LineString(Sketch::line(&points)),
                    })];
                }
            }
            _ => {}
        }
        vec![]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        self.sketch.paint(painter, ctx, hover, false);
    }

    fn sketch(&self, hover: Option<[f64; 2]>) -> Option<Geometry<f64>> {
        self.sketch.as_line(hover)
    }
}
