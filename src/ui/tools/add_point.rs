//! Add point: a click adds a point feature to the layer being edited
//! (snapped when snapping is on).

use super::{MapEvent, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::edit::Operation;

#[derive(Default)]
pub struct AddPoint;

impl MapTool for AddPoint {
    fn kind(&self) -> Tool {
        Tool::AddPoint
    }

    fn snaps(&self) -> bool {
        true
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        match event {
            MapEvent::Click(p) => vec![AppCommand::Edit(Operation::Add {
                layer: ctx.active_layer.unwrap_or_default().to_string(),
                geometry: geo_types::Geometry::Point(p.map.into()),
            })],
            _ => vec![],
        }
    }
}
