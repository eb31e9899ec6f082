//! Zoom box: the dragged rectangle fills the map. Shared with the select
//! tool, which selects what the rectangle meets instead.

use egui::{Color32, Painter, Pos2, Rect, Stroke};

use super::{MapEvent, MapPointer, MapTool, Tool, ToolContext};
use crate::ui::command::AppCommand;
use crate::ui::map::Bbox;

/// Smaller drags (screen points, either side) are taken for clicks.
const MIN_BOX_PX: f32 = 3.0;

/// A rectangle being dragged on the map.
#[derive(Default)]
pub struct DragBox {
    start: Option<MapPointer>,
    now: Option<Pos2>,
}

impl DragBox {
    /// Follows a drag; returns the map box when the drag ends on a box
    /// large enough not to be a slip of the hand.
    pub fn update(&mut self, event: &MapEvent) -> Option<Bbox> {
        match *event {
            MapEvent::DragStart(p) => {
                self.start = Some(p);
                self.now = Some(p.screen);
            }
            MapEvent::Drag { at, .. } => self.now = Some(at.screen),
            MapEvent::DragEnd(end) => {
                let start = self.start.take()?;
                self.now = None;
                let r = Rect::from_two_pos(start.screen, end.screen);
                if r.width() > MIN_BOX_PX && r.height() > MIN_BOX_PX {
                    return Some(Bbox::new(
                        (start.map[0], start.map[1]),
                        (end.map[0], end.map[1]),
                    ));
                }
            }
            MapEvent::Abandon => *self = DragBox::default(),
            _ => {}
        }
        None
    }

    pub fn paint(&self, painter: &Painter) {
        if let (Some(start), Some(now)) = (self.start, self.now) {
            painter.rect_stroke(
                Rect::from_two_pos(start.screen, now),
                0.0,
                Stroke::new(1.5, Color32::from_rgb(30, 90, 200)),
                egui::StrokeKind::Middle,
            );
        }
    }
}

#[derive(Default)]
pub struct ZoomBox {
    drag: DragBox,
}

impl MapTool for ZoomBox {
    fn kind(&self) -> Tool {
        Tool::ZoomBox
    }

    fn on_event(&mut self, event: &MapEvent, _ctx: &ToolContext) -> Vec<AppCommand> {
        match self.drag.update(event) {
            Some(b) => vec![AppCommand::ZoomToBox(b)],
            None => vec![],
        }
    }

    fn paint(&self, painter: &Painter, _ctx: &ToolContext, _hover: Option<MapPointer>) {
        self.drag.paint(painter);
    }
}
