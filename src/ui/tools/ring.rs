//! Add ring and fill ring: draw a ring inside a polygon; it becomes a hole
//! (add ring), or a hole filled by a new feature (fill ring). Double
//! click, right click or Enter closes it; Esc throws it away.

use egui::Painter;
use geo_types::Geometry;

use super::sketch::Sketch;
use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

pub struct Ring {
    sketch: Sketch,
    fill: bool,
}

impl Ring {
    pub fn new(fill: bool) -> Self {
        Ring {
            sketch: Sketch::default(),
            fill,
        }
    }
}

impl MapTool for Ring {
    fn kind(&self) -> Tool {
        if self.fill {
            Tool::FillRing
        } else {
            Tool::AddRing
        }
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        if let MapEvent::Abandon = event {
            self.sketch.clear();
        }
        if self.sketch.is_awaiting() {
            return vec![];
        }
        match event {
            MapEvent::Click(p) => self.sketch.add(p.map, ctx),
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                if let Some(ring) = self.sketch.finish(3) {
                    return vec![AppCommand::Edit(Operation::AddRing {
                        layer: ctx.active_layer.unwrap_or_default().to_string(),
                        ring,
                        fill: self.fill,
                    })];
                }
            }
            _ => {}
        }
        vec![]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        self.sketch.paint(painter, ctx, hover, true);
    }

    fn sketch(&self, hover: Option<[f64; 2]>) -> Option<Geometry<f64>> {
        self.sketch.as_polygon(hover)
    }

    fn sketch_state(&mut self) -> Option<&mut Sketch> {
        Some(&mut self.sketch)
    }
}
