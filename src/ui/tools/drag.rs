//! A drag on the map followed from press to release, for the tools that
//! act on where a drag started and where it ended (move and rotate
//! features, move vertices).

use super::MapEvent;

/// Where the drag started and where the pointer is now (map coordinates).
#[derive(Debug, Default, Clone, Copy)]
pub struct MapDrag {
    now: Option<([f64; 2], [f64; 2])>,
}

impl MapDrag {
    /// Follows one event; on release returns where the drag started and
    /// where it ended. Esc forgets the drag.
    pub fn update(&mut self, event: &MapEvent) -> Option<([f64; 2], [f64; 2])> {
        match *event {
            MapEvent::DragStart(p) => self.now = Some((p.map, p.map)),
            MapEvent::Drag { at, .. } => {
                if let Some((_, now)) = &mut self.now {
                    *now = at.map;
                }
            }
            MapEvent::DragEnd(p) => return self.now.take().map(|(from, _)| (from, p.map)),
            MapEvent::Abandon => self.now = None,
            _ => {}
        }
        None
    }

    /// The drag in progress: its start and where the pointer is.
    pub fn current(&self) -> Option<([f64; 2], [f64; 2])> {
        self.now
    }
}
