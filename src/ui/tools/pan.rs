//! Pan: dragging moves the map. (The wheel zooms with every tool.)

use super::{MapEvent, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;

pub struct Pan;

impl MapTool for Pan {
    fn kind(&self) -> Tool {
        Tool::Pan
    }

    fn on_event(&mut self, event: &MapEvent, _ctx: &ToolContext) -> Vec<AppCommand> {
        match event {
            MapEvent::Drag { delta, .. } => vec![AppCommand::PanBy(*delta)],
            _ => vec![],
        }
    }
}
