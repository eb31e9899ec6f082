//! Everything that changes the window's state is an [`AppCommand`]: menus,
//! shortcuts, panels, map tools and finished jobs only send commands, and
//! `TramgisApp::apply` carries them out in one place, once a frame. A new
//! tool or panel adds its variants here and its arm in `apply`.

use std::path::PathBuf;

use super::i18n::Lang;
use super::map::{Bbox, View};
use super::panels::transfer::Request;
use super::tools::Tool;
use crate::crs::Crs;
use crate::render::LayerStyle;

/// How a selection tool's result combines with the current selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectMode {
    /// The result replaces the selection.
    Replace,
    /// The result is added (Shift held).
    Add,
}

impl SelectMode {
    pub fn from_shift(shift: bool) -> Self {
        if shift {
            SelectMode::Add
        } else {
            SelectMode::Replace
        }
    }
}

/// One change the user (or a finished job) asks of the window.
pub enum AppCommand {
    // The workspace.
    /// Opens a workspace (in the background).
    Open(PathBuf),
    /// Writes a copy of the workspace to a new file, then opens it.
    SaveAs(PathBuf),
    SetMapCrs(Crs),
    SetLanguage(Lang),
    Quit,

    // The view.
    /// Back to the extent of the data.
    ZoomFull,
    /// Zooms by a factor about the map's centre (2: in, 0.5: out).
    ZoomBy(f64),
    /// Shows a map box (padded, so a point shows 200 m around it).
    ZoomToBox(Bbox),
    ZoomToLayer(String),
    ZoomToFeature {
        layer: String,
        fid: i64,
    },
    ZoomToSelection,
    /// The user moved the map (pan, wheel): the view no longer follows
    /// the data as it loads.
    SetView(View),
    /// Moves the map by a drag of `delta` screen points.
    PanBy(egui::Vec2),
    /// Zooms by `factor` keeping the map point under `anchor` (screen) in place.
    ZoomAt {
        anchor: egui::Pos2,
        factor: f64,
    },

    // Tools.
    SetTool(Tool),

    // Layers.
    /// The layer the selection tools act on; None: every visible layer.
    SetActiveLayer(Option<String>),
    SetVisible {
        layer: String,
        visible: bool,
    },
    /// Draws the layer at this opacity; with `save`, also keeps it in the
    /// layer's stored style (once the slider is let go).
    SetOpacity {
        layer: String,
        opacity: f32,
        save: bool,
    },
    /// Moves the layer at draw-order index `from` to `to` and saves the order.
    MoveLayer {
        from: usize,
        to: usize,
    },
    SetLabelField {
        layer: String,
        field: Option<String>,
    },
    /// Restyles a layer, redraws it and saves the style in the workspace.
    SetStyle {
        layer: String,
        style: LayerStyle,
    },
    OpenStyleEditor(String),
    OpenTable(String),

    // Selection and identify.
    ClearSelection,
    /// Sets the selection of one layer to these features (the other
    /// layers' selections stay).
    SelectFeatures {
        layer: String,
        fids: Vec<i64>,
    },
    /// Selects what meets an area of the map (box or polygon, map
    /// coordinates), in a background job.
    SelectIn {
        area: geo_types::Geometry<f64>,
        mode: SelectMode,
    },
    /// Selects the top feature under a map point (within `tolerance` map units).
    SelectAt {
        at: [f64; 2],
        tolerance: f64,
        mode: SelectMode,
    },
    /// Lists the features under a map point, with their attributes.
    IdentifyAt {
        at: [f64; 2],
        tolerance: f64,
    },

    // Dialogs and jobs.
    OpenImport(PathBuf),
    OpenExport,
    OpenRepairText,
    /// Opens the analysis panel (menu Phân tích).
    OpenAnalysis,
    /// Opens the print panel (menu In bản đồ).
    OpenPrint,
    /// Opens the Sync panel (menu Đồng bộ).
    OpenSync,
    /// Runs a Sync panel's task (a sync operation, a remote added or
    /// removed, a conflict resolved) as a job; its result goes back to
    /// the panel.
    StartSync {
        label: String,
        task: Box<super::panels::sync::Task>,
    },
    /// The polygon the analysis panel's statistics count in, drawn on
    /// the map (the draw-area tool).
    SetAnalysisArea(geo_types::Polygon<f64>),
    StartTransfer(Request),
    /// The repair dialog changed the workspace's text: show it again.
    ReloadWorkspace,
    /// Loads these layers onto the map (new ones, or written anew by an
    /// analysis); the rest of the map stays.
    LoadLayers(Vec<String>),
    /// Tells the user something in the status bar and the notifications.
    Notify(String),
    DismissNotification(u64),
    DismissAllNotifications,
    ShowNotifications(bool),

    // Editing (ui/edit, the editing panel and the editing tools).
    StartEditing(String),
    StopEditing(String),
    /// An edit of the layer being edited (a tool's, or the panel's); an
    /// empty layer name means the active layer, else the one being edited.
    Edit(super::edit::Operation),
    Undo,
    Redo,
    /// Deletes the selected features of the layers being edited.
    DeleteSelected,
    /// Merges the selected polygons of each layer being edited.
    MergeSelected,
    /// Snapping: the layers to snap to and what to snap to.
    SetSnapping {
        layers: Vec<String>,
        settings: super::edit::SnapSettings,
    },
    SetTopological(bool),
    /// Avoid overlaps with these layers' polygons (None: off).
    SetAvoidOverlaps(Option<Vec<String>>),
    /// Copies the selected features of the other layers into this edited one.
    PasteSelectionInto(String),
    /// Offsets the selected lines of the edited layers by these metres.
    OffsetSelected(f64),
    /// A vertex typed in (X/Y or distance/bearing) goes to the active
    /// tool as a click at this map point.
    SketchPoint([f64; 2]),
    /// The editor's name (editing panel): kept, and used for the next edits.
    SetUserName(String),

    // The attribute form, validation and GNSS panels.
    /// Opens the attribute form of a feature (None: the selected one of the layer).
    OpenAttributeForm {
        layer: String,
        fid: Option<i64>,
    },
    OpenValidation,
    OpenGnss,
    /// A panel's write (the form's values, a validation fix, a move to
    /// the GNSS fix), made by the editing thread like a tool's edit; the
    /// reply goes back to the panel.
    Write(super::edit::Origin, super::edit::Write),
}
