//! Draws the area an analysis counts in (land-use statistics within a
//! drawn polygon), the way the polygon selection is drawn: clicks add
//! corners, a drag traces a freehand outline, a double click, a right
//! click or Enter closes it, Esc throws it away. The closed polygon goes
//! to the analysis panel and stays drawn on the map until the next one.

use egui::{Color32, Painter, Pos2, Shape, Stroke};

use super::lasso::{Lasso, translucent_fill};
use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;

#[derive(Default)]
pub struct DrawArea {
    outline: Lasso,
    drawn: Vec<[f64; 2]>,
}

impl MapTool for DrawArea {
    fn kind(&self) -> Tool {
        Tool::DrawArea
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        let Some(ring) = self.outline.update(event, ctx) else {
            return vec![];
        };
        self.drawn = ring;
        let ring: Vec<geo_types::Coord<f64>> = self
            .drawn
            .iter()
            .map(|p| geo_types::coord! { x: p[0], y: p[1] })
            .collect();
        vec![AppCommand::SetAnalysisArea(geo_types::Polygon::new(
            ring.into(),
            vec![],
        ))]
    }

    fn paint(&self, painter: &Painter, ctx: &ToolContext, hover: Option<MapPointer>) {
        if !self.outline.is_empty() {
            self.outline.paint(painter, ctx, hover);
            return;
        }
        if self.drawn.len() < 3 {
            return;
        }
        let mut points: Vec<Pos2> = self.drawn.iter().map(|c| ctx.to_screen(*c)).collect();
        painter.add(translucent_fill(&points));
        points.push(points[0]);
        let colour = Color32::from_rgb(200, 60, 30);
        painter.add(Shape::dashed_line(
            &points,
            Stroke::new(2.0, colour),
            8.0,
            4.0,
        ));
    }
}
