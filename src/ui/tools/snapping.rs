//! Snapping sees the pointer before the tool does and may move it onto a
//! vertex, an edge or an intersection of the chosen layers. The query
//! itself (an R-tree of vertices and segments) lives in the editing
//! library; the window only holds the user's choice and calls it.

use super::MapPointer;

/// What snapping is asked: the pointer and how far it may move.
pub struct SnapRequest<'a> {
    pub pointer: MapPointer,
    /// Map units the pointer may move (the pixel tolerance at this scale).
    pub tolerance: f64,
    /// The layers to snap to, by name.
    pub layers: &'a [String],
}

/// A snapping query: the map point to move the pointer to, if any.
pub trait Snapper {
    fn snap(&self, request: &SnapRequest) -> Option<[f64; 2]>;
}

/// The user's snapping settings and the query that carries them out.
pub struct Snapping {
    /// Layers chosen to snap to; empty: snapping is off.
    pub layers: Vec<String>,
    /// How close (screen points) the pointer must come.
    pub tolerance_px: f64,
    snapper: Option<Box<dyn Snapper>>,
}

impl Default for Snapping {
    fn default() -> Self {
        Snapping {
            layers: Vec::new(),
            tolerance_px: 10.0,
            snapper: None,
        }
    }
}

impl Snapping {
    /// Installs the query (the editing library's snapping index).
    pub fn set_snapper(&mut self, snapper: Box<dyn Snapper>) {
        self.snapper = Some(snapper);
    }

    /// The pointer moved onto the nearest snap target, or as it was when
    /// no layer is chosen, no query is installed or nothing is in reach.
    pub fn adjust(&self, pointer: MapPointer, resolution: f64) -> MapPointer {
        let Some(snapper) = self.snapper.as_ref().filter(|_| !self.layers.is_empty()) else {
            return pointer;
        };
        let request = SnapRequest {
            pointer,
            tolerance: self.tolerance_px * resolution,
            layers: &self.layers,
        };
        match snapper.snap(&request) {
            Some(map) => MapPointer {
                map,
                snapped: true,
                ..pointer
            },
            None => pointer,
        }
    }
}
