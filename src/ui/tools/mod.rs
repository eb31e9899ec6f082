//! Map tools, one file each, behind one trait. The map panel turns egui's
//! pointer input into [`MapEvent`]s in map coordinates, lets snapping
//! adjust the pointer first (for the tools that want it), hands the
//! events to the active tool, lets it paint its overlay, and sends the
//! commands it returns.
//!
//! A new tool: a file here with a struct implementing [`MapTool`], a
//! [`Tool`] variant with its button label, and a line in [`Tool::make`].

use egui::{Painter, Pos2, Rect};

use super::command::AppCommand;
use super::i18n::Key;
use super::map::{Scene, ScreenView, View};

pub mod add_line;
pub mod add_point;
pub mod add_polygon;
mod drag;
pub mod draw_area;
pub mod identify;
pub mod lasso;
pub mod move_feature;
pub mod pan;
pub mod reshape;
pub mod ring;
pub mod rotate;
pub mod select;
pub mod sketch;
pub mod snapping;
pub mod split;
pub mod trace;
pub mod vertex;
pub mod zoom_box;

pub use snapping::{Snapper, Snapping};

/// Screen points around a click that still count as a hit.
pub const HIT_TOLERANCE_PX: f64 = 4.0;

/// The tools of the toolbar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Pan,
    ZoomBox,
    Identify,
    Select,
    /// Select by a polygon: clicked corners or a freehand outline.
    SelectPolygon,
    /// Draws the polygon an analysis counts in (the analysis panel).
    DrawArea,
    // The editing tools (on the layer being edited; the editing panel).
    AddPoint,
    AddLine,
    /// With holes and several parts.
    AddPolygon,
    /// Move, add and delete vertices.
    Vertex,
    MoveFeature,
    Rotate,
    Reshape,
    AddRing,
    FillRing,
    Split,
}

impl Tool {
    /// In toolbar order.
    pub const ALL: [Tool; 5] = [
        Tool::Pan,
        Tool::ZoomBox,
        Tool::Identify,
        Tool::Select,
        Tool::SelectPolygon,
    ];

    /// The editing tools, in the editing panel's order.
    pub const EDITING: [Tool; 10] = [
        Tool::Split,
        Tool::AddPoint,
        Tool::AddLine,
        Tool::AddPolygon,
        Tool::Vertex,
        Tool::MoveFeature,
        Tool::Rotate,
        Tool::Reshape,
        Tool::AddRing,
        Tool::FillRing,
    ];

    pub fn label(self) -> Key {
        match self {
            Tool::Pan => Key::ToolPan,
            Tool::ZoomBox => Key::ToolZoomBox,
            Tool::Identify => Key::ToolIdentify,
            Tool::Select => Key::ToolSelect,
            Tool::SelectPolygon => Key::ToolSelectPolygon,
            Tool::DrawArea => Key::ToolDrawArea,
            Tool::AddPoint => Key::ToolAddPoint,
            Tool::AddLine => Key::ToolAddLine,
            Tool::AddPolygon => Key::ToolAddPolygon,
            Tool::Vertex => Key::ToolVertex,
            Tool::MoveFeature => Key::ToolMoveFeature,
            Tool::Rotate => Key::ToolRotate,
            Tool::Reshape => Key::ToolReshape,
            Tool::AddRing => Key::ToolAddRing,
            Tool::FillRing => Key::ToolFillRing,
            Tool::Split => Key::ToolSplit,
        }
    }

    /// A fresh tool of this kind.
    pub fn make(self) -> Box<dyn MapTool> {
        match self {
            Tool::Pan => Box::new(pan::Pan),
            Tool::ZoomBox => Box::new(zoom_box::ZoomBox::default()),
            Tool::Identify => Box::new(identify::Identify),
            Tool::Select => Box::new(select::Select::default()),
            Tool::SelectPolygon => Box::new(lasso::Lasso::default()),
            Tool::DrawArea => Box::new(draw_area::DrawArea::default()),
            Tool::AddPoint => Box::new(add_point::AddPoint),
            Tool::AddLine => Box::new(add_line::AddLine::default()),
            Tool::AddPolygon => Box::new(add_polygon::AddPolygon::default()),
            Tool::Vertex => Box::new(vertex::VertexTool::default()),
            Tool::MoveFeature => Box::new(move_feature::MoveFeature::default()),
            Tool::Rotate => Box::new(rotate::Rotate::default()),
            Tool::Reshape => Box::new(reshape::Reshape::default()),
            Tool::AddRing => Box::new(ring::Ring::new(false)),
            Tool::FillRing => Box::new(ring::Ring::new(true)),
            Tool::Split => Box::new(split::Split::default()),
        }
    }

    /// Whether the tool writes to the layer being edited.
    pub fn edits(self) -> bool {
        Tool::EDITING.contains(&self)
    }
}

/// Where the pointer is: on screen, and on the map (after snapping).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPointer {
    pub screen: Pos2,
    pub map: [f64; 2],
    /// Whether snapping moved the pointer onto a feature's vertex or edge.
    pub snapped: bool,
}

/// One piece of input on the map, in the order egui reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapEvent {
    Click(MapPointer),
    DoubleClick(MapPointer),
    SecondaryClick(MapPointer),
    DragStart(MapPointer),
    /// The pointer moved with the button held, by `delta` screen points.
    Drag {
        at: MapPointer,
        delta: egui::Vec2,
    },
    DragEnd(MapPointer),
    /// Enter: finish what is being drawn.
    Finish,
    /// Esc: throw away what is being drawn.
    Abandon,
}

/// What a tool sees of the window besides the event.
pub struct ToolContext<'a> {
    pub view: &'a View,
    /// Where the map is on screen.
    pub rect: Rect,
    pub scene: &'a Scene,
    /// The layer the selection tools act on; None: every visible layer.
    pub active_layer: Option<&'a str>,
    /// Shift held: add to the selection.
    pub shift: bool,
}

impl ToolContext<'_> {
    /// Map units of `px` screen points at the current scale.
    pub fn px(&self, px: f64) -> f64 {
        px * self.view.resolution
    }

    pub fn to_screen(&self, p: [f64; 2]) -> Pos2 {
        self.view.to_screen(self.rect, p)
    }
}

pub trait MapTool {
    fn kind(&self) -> Tool;

    /// Whether the pointer goes through snapping before this tool sees it
    /// (digitizing tools; not selection).
    fn snaps(&self) -> bool {
        false
    }

    /// Takes one event; returns what the app should do.
    fn on_event(&mut self, event: &MapEvent, ctx: &ToolContext) -> Vec<AppCommand>;

    /// Draws the tool's overlay (a rubber band, a polygon so far) over the
    /// map; `hover` is where the pointer is, if over the map.
    fn paint(&self, _painter: &Painter, _ctx: &ToolContext, _hover: Option<MapPointer>) {}

    /// What a digitizing tool has drawn so far, with the pointer (map
    /// point) as its next vertex: for the live measurement and numeric
    /// entry (distance/bearing from the last vertex).
    fn sketch(&self, _hover: Option<[f64; 2]>) -> Option<geo_types::Geometry<f64>> {
        None
    }

    /// A digitizing tool's sketch: for tracing, and for keeping a finished
    /// sketch until its edit commits.
    fn sketch_state(&mut self) -> Option<&mut sketch::Sketch> {
        None
    }

    /// Tracing on (Some) or off for the digitizing tools.
    fn set_tracer(&mut self, tracer: Option<trace::Tracer>) {
        if let Some(s) = self.sketch_state() {
            s.tracer = tracer;
        }
    }

    /// The edit this tool asked for went to the editing thread behind
    /// `ahead` unanswered requests; None: it was not sent.
    fn edit_sent(&mut self, ahead: Option<usize>) {
        if let Some(s) = self.sketch_state() {
            s.edit_sent(ahead);
        }
    }

    /// One reply of the editing thread, in order: whether it committed.
    /// Returns whether it was this tool's edit's reply, and its outcome.
    fn edit_replied(&mut self, committed: bool) -> Option<bool> {
        self.sketch_state()?.edit_replied(committed)
    }
}
