//! Add polygon: clicks add corners; a double click, a right click or
//! Enter closes the ring. With Shift held while closing, drawing goes on:
//! the next ring drawn inside the first becomes a hole, one outside it
//! another part (a multipolygon). Closing without Shift writes the
//! feature; Esc throws the sketch away. With tracing on, a click on a
//! boundary follows it from the last corner (see `trace`).

use egui::Painter;
use geo::Contains;
use geo_types::{Geometry, MultiPolygon, Polygon};

use super::sketch::{Awaiting, Sketch};
use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

#[derive(Default)]
pub struct AddPolygon {
    sketch: Sketch,
    /// The polygons closed so far (holes already in place).
    parts: Vec<Polygon<f64>>,
}

impl AddPolygon {
    /// Closes the ring being drawn into a part or a hole of one.
    fn close_ring(&mut self) {
        let Some(ring) = Sketch::ring(&self.sketch.take()) else {
            return;
        };
        let ring_polygon = Polygon::new(ring.clone(), vec![]);
        match self.parts.iter_mut().find(|p| p.contains(&ring_polygon)) {
            Some(outer) => outer.interiors_push(ring),
            None => self.parts.push(ring_polygon),
        }
    }

    fn geometry(&self) -> Option<Geometry<f64>> {
        match self.parts.len() {
            0 => None,
            1 => Some(Geometry::Polygon(self.parts[0].clone())),
            _ => Some(Geometry::MultiPolygon(MultiPolygon(self.parts.clone()))),
        }
    }
}

impl MapTool for AddPolygon {
    fn kind(&self) -> Tool {
        Tool::AddPolygon
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        if let MapEvent::Abandon = event {
            self.sketch.clear();
            self.parts.clear();
        }
        if self.sketch.is_awaiting() {
            return vec![];
        }
        match event {
            MapEvent::Click(p) => self.sketch.add(p.map, ctx),
            MapEvent::DoubleClick(_) | MapEvent::SecondaryClick(_) | MapEvent::Finish => {
                self.close_ring();
                if ctx.shift {
                    return vec![];
                }
                // The parts stay (drawn) until the edit commits; if it
                // fails, finishing again sends them again.
                if let Some(geometry) = self.geometry() {
                    self.sketch.awaiting = Awaiting::Unsent;
                    return vec![AppCommand::Edit(Operation::Add {
                        layer: ctx.active_layer.unwrap_or_default().to_string(),
                        geometry,
                    })];
                }
            }
            _ => {}
        }
        vec![]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        for part in &self.parts {
            for ring in std::iter::once(part.exterior()).chain(part.interiors()) {
                let pts: Vec<egui::Pos2> =
                    ring.0.iter().map(|c| ctx.to_screen([c.x, c.y])).collect();
                painter.add(egui::Shape::line(
                    pts,
                    egui::Stroke::new(2.0, self.sketch.colour()),
                ));
            }
        }
        self.sketch.paint(painter, ctx, hover, true);
    }

    fn sketch(&self, hover: Option<[f64; 2]>) -> Option<Geometry<f64>> {
        self.sketch.as_polygon(hover).or_else(|| self.geometry())
    }

    fn sketch_state(&mut self) -> Option<&mut Sketch> {
        Some(&mut self.sketch)
    }

    fn edit_replied(&mut self, committed: bool) -> Option<bool> {
        let outcome = self.sketch.edit_replied(committed);
        if outcome == Some(true) {
            self.parts.clear();
        }
        outcome
    }
}
