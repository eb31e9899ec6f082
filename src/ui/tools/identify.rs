//! Identify: a click lists the features under it, top layer first, with
//! their attributes (read in a job, see `TramgisApp::apply`).

use super::{HIT_TOLERANCE_PX, MapEvent, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;

pub struct Identify;

impl MapTool for Identify {
    fn kind(&self) -> Tool {
        Tool::Identify
    }

    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand> {
        match event {
            MapEvent::Click(p) => vec![AppCommand::IdentifyAt {
                at: p.map,
                tolerance: ctx.px(HIT_TOLERANCE_PX),
            }],
            _ => vec![],
        }
    }
}
