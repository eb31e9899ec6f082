//! Split: draw a line across polygons or lines; each one it crosses is
//! split along it (B's `edit::ops::split`, the layer's field policies).
//! Double click, right click or Enter finishes; Esc throws it away.

use egui::Painter;
use geo_types::Geometry;

use super::sketch::Sketch;
use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

#[derive(Default)]
pub struct Split {
    sketch: Sketch,
}

impl MapTool for Split {
    fn kind(&self) -> Tool {
        Tool::Split
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        match event {
            MapEvent::Click(p) => self.sketch.push(p.map),
            MapEvent::Abandon => self.sketch.clear(),
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                let line = self.sketch.take();
                if line.len() >= 2 {
                    return vec![AppCommand::Edit(Operation::Split {
                        layer: ctx.active_layer.unwrap_or_default().to_string(),
                        line,
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
